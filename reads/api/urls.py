from django.urls import path

from .views import AnalysisDetailView, AnalysisListView, ReadSearchView, StakeoutView

app_name = "reads-api"

urlpatterns = [
    path("search/", ReadSearchView.as_view(), name="search"),
    path("stakeout/", StakeoutView.as_view(), name="stakeout"),
    path("analyses/", AnalysisListView.as_view(), name="analysis_list"),
    path("analyses/<int:pk>/", AnalysisDetailView.as_view(), name="analysis_detail"),
]
