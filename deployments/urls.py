from django.urls import path

from . import views

app_name = "deployments"

urlpatterns = [
    path("sites/", views.SiteListView.as_view(), name="site_list"),
    path("sites/new/", views.SiteFormView.as_view(), name="site_create"),
    path("sites/map.json", views.site_map_data, name="site_map"),
    path("sites/reviews/", views.ReviewDueView.as_view(), name="review_list"),
    path("sites/<int:pk>/", views.SiteDetailView.as_view(), name="site_detail"),
    path("sites/<int:pk>/edit/", views.SiteFormView.as_view(), name="site_update"),
    path("sites/<int:pk>/status/", views.site_transition_view, name="site_transition"),
    path("sites/<int:pk>/assessment/", views.AssessmentCreateView.as_view(),
         name="assessment_create"),
    path("sites/<int:pk>/dpia/", views.PrivacyAssessmentCreateView.as_view(),
         name="privacyassessment_create"),
    path("sites/<int:pk>/consultations/", views.consultation_create_view,
         name="consultation_create"),
    path("sites/<int:pk>/review/", views.review_start_view, name="review_create"),
    path("sites/assessments/<int:pk>/", views.AssessmentDetailView.as_view(),
         name="assessment_detail"),
    path("sites/dpias/<int:pk>/", views.PrivacyAssessmentDetailView.as_view(),
         name="privacyassessment_detail"),
    path("sites/reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="review_detail"),
    path("sites/code-of-practice/", views.SelfAssessmentListView.as_view(),
         name="selfassessment_list"),
    path("sites/code-of-practice/new/", views.SelfAssessmentCreateView.as_view(),
         name="selfassessment_create"),
    path("sites/code-of-practice/<int:pk>/", views.SelfAssessmentDetailView.as_view(),
         name="selfassessment_detail"),
    path("sites/code-of-practice/<int:pk>/pdf/", views.self_assessment_pdf_view,
         name="selfassessment_pdf"),
]  # fmt: skip
