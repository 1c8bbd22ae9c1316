from django.urls import path

from . import views

app_name = "reads"

urlpatterns = [
    path("search/", views.SearchView.as_view(), name="search"),
    path("search/stakeout/", views.StakeoutView.as_view(), name="stakeout"),
    path("search/reads/<uuid:read_id>/image/<str:kind>/", views.read_image, name="read_image"),
    path("search/analyses/<int:pk>/", views.AnalysisDetailView.as_view(), name="analysis_detail"),
    path("search/hold/", views.legalhold_from_search, name="legalhold_from_search"),
    path("holds/", views.LegalHoldListView.as_view(), name="legalhold_list"),
    path("holds/<int:pk>/", views.LegalHoldDetailView.as_view(), name="legalhold_detail"),
    path(
        "holds/<int:pk>/reads/<uuid:read_id>/image/<str:kind>/",
        views.held_read_image,
        name="held_read_image",
    ),
    path("retention/", views.RetentionView.as_view(), name="retention"),
]
