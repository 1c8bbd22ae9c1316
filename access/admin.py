"""User administration: administrators give people roles, never superuser powers, and never
change their own roles (separation of duties: nobody makes themselves auditor or approver)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from .mfa import reauthentication_needed
from .models import OffenceCategory

# Fields only a superuser (set up at installation) may change: they bypass roles altogether.
POWER_FIELDS = ("is_superuser", "is_staff", "user_permissions")

admin.site.unregister(User)


@admin.register(User)
class RoleUserAdmin(UserAdmin):
    list_display = ("username", "first_name", "last_name", "is_active", "last_login")
    list_filter = ("is_active", "groups")

    def get_queryset(self, request):
        users = super().get_queryset(request)
        # Superuser accounts are out of an administrator's reach (password resets included).
        return users if request.user.is_superuser else users.filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in POWER_FIELDS]})
            for name, options in fieldsets
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Accounts and their roles (who may approve, audit, search) change, and accounts are
        made, only after a recent confirmation of who is at the keyboard."""
        if request.method == "POST" and (needed := reauthentication_needed(request)):
            return needed
        return super().changeform_view(request, object_id, form_url, extra_context)

    def user_change_password(self, request, id, form_url=""):
        """Setting someone's password (then signing in as them) needs a confirmation too."""
        if request.method == "POST" and (needed := reauthentication_needed(request)):
            return needed
        return super().user_change_password(request, id, form_url)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj == request.user and not request.user.is_superuser:
            return (*readonly, "groups")
        return readonly


@admin.register(OffenceCategory)
class OffenceCategoryAdmin(admin.ModelAdmin):
    """The force's own list of offence categories for search purposes and grants."""

    list_display = ("name", "serious", "is_active")
    list_filter = ("serious", "is_active")
