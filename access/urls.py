from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path("requests/", views.AccessRequestListView.as_view(), name="accessrequest_list"),
    path("decisions/", views.AccessRequestQueueView.as_view(), name="accessrequest_queue"),
    path("audit/", views.AuditListView.as_view(), name="audit_list"),
    path("verify/", views.SecondFactorView.as_view(), name="verify"),
    path("enrol/", views.EnrolView.as_view(), name="enrol"),
    path("confirm/", views.ReauthenticateView.as_view(), name="confirm"),
    path("backup-codes/", views.BackupCodesView.as_view(), name="backup_codes"),
]
