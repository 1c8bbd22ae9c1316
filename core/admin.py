"""The Django admin, opened to the administrator role rather than to `is_staff`."""

from django.contrib import admin


class AnprAdminSite(admin.AdminSite):
    site_header = "ANPR back office administration"
    site_title = "ANPR administration"

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.has_perm("access.administer_system")
