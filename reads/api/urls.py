from django.urls import path

from .views import ReadSearchView, StakeoutView

app_name = "reads-api"

urlpatterns = [
    path("search/", ReadSearchView.as_view(), name="search"),
    path("stakeout/", StakeoutView.as_view(), name="stakeout"),
]
