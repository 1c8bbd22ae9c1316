from django.urls import path

from . import views

app_name = "cameras-api"

urlpatterns = [
    path("reads/", views.ReadBatchView.as_view(), name="read_batch"),
    path("frames/", views.FrameView.as_view(), name="frame"),
    path("heartbeat/", views.HeartbeatView.as_view(), name="heartbeat"),
    path("hotlists/", views.HotlistSyncView.as_view(), name="hotlist_sync"),
]
