"""User administration: administrators give people roles, never superuser powers."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

# Fields only a superuser (set up at installation) may change: they bypass roles altogether.
POWER_FIELDS = ("is_superuser", "is_staff", "user_permissions")

admin.site.unregister(User)


@admin.register(User)
class RoleUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "is_active", "last_login")
    list_filter = ("is_active", "groups")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in POWER_FIELDS]})
            for name, options in fieldsets
        ]
