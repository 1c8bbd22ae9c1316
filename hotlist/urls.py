from django.urls import path

from . import views

app_name = "hotlist"

urlpatterns = [
    path("alerts/", views.AlertListView.as_view(), name="alert_list"),
    path("hotlists/", views.HotlistListView.as_view(), name="hotlist_list"),
]
