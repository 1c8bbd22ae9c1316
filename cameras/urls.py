from django.urls import path

from . import views

app_name = "cameras"

urlpatterns = [
    path("", views.CameraListView.as_view(), name="camera_list"),
    path("frames/", views.UnreadFrameListView.as_view(), name="unreadframe_list"),
    path("frames/<int:pk>/image/", views.unread_frame_image, name="unreadframe_image"),
]
