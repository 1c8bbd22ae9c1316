"""The Django admin, opened to the administrator role rather than to `is_staff`."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login


class AnprAdminSite(admin.AdminSite):
    site_header = "ANPR back office administration"
    site_title = "ANPR administration"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.has_perm("access.administer_system")

    def login(self, request, extra_context=None):
        # One sign-in page for everyone (the admin's own one insists on is_staff).
        return redirect_to_login(request.GET.get("next", self.index_url()), settings.LOGIN_URL)

    def index_url(self) -> str:
        from django.urls import reverse

        return reverse("admin:index", current_app=self.name)
