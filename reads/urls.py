from django.urls import path

from . import views

app_name = "reads"

urlpatterns = [
    path("search/", views.SearchView.as_view(), name="search"),
    path("search/stakeout/", views.StakeoutView.as_view(), name="stakeout"),
    path("search/reads/<uuid:read_id>/image/<str:kind>/", views.read_image, name="read_image"),
    path("search/analyses/<int:pk>/", views.AnalysisDetailView.as_view(), name="analysis_detail"),
]
