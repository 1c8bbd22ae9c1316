"""Admin registrations for cameras. Credentials are issued through the service, never typed."""

from django.contrib import admin

from .models import Camera, CameraCredential


class CredentialInline(admin.TabularInline):
    model = CameraCredential
    fields = ("key_id", "label", "created_at", "revoked_at", "last_used_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    list_display = ("reference", "name", "site", "kind", "status", "last_seen_at")
    list_filter = ("status", "kind")
    search_fields = ("reference", "name")
    inlines = [CredentialInline]
