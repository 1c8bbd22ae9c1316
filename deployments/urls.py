from django.urls import path

from . import views

app_name = "deployments"

urlpatterns = [
    path("sites/", views.SiteListView.as_view(), name="site_list"),
]
