"""Admin registrations for cameras. Credentials are issued by an action that shows the token
once, and revoked by another; they are never typed in or shown again."""

from django.contrib import admin, messages

from access.mfa import reauthentication_needed

from .models import Camera, CameraCredential
from .services import camera_credential_issue, camera_credential_revoke


class CredentialInline(admin.TabularInline):
    model = CameraCredential
    fields = ("key_id", "label", "created_at", "created_by", "revoked_at", "last_used_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    list_display = ("reference", "name", "site", "kind", "status", "last_seen_at", "reads_stored")
    list_filter = ("status", "kind")
    search_fields = ("reference", "name")
    readonly_fields = ("last_seen_at", "last_read_at", "clock_offset_ms", "reads_stored",
                       "reads_refused")  # fmt: skip
    inlines = [CredentialInline]
    actions = ["issue_credential"]

    def get_readonly_fields(self, request, obj=None):
        # A camera is put up at a site once: a move is a relocation, decided in the site's review
        # (a decommissioned site's camera put up elsewhere here would skip every approval).
        return (*self.readonly_fields, "site") if obj else self.readonly_fields

    @admin.action(description="Issue a new credential (the token is shown once)")
    def issue_credential(self, request, queryset):
        if needed := reauthentication_needed(request):
            return needed
        for camera in queryset:
            _, token = camera_credential_issue(
                camera=camera, label="issued in admin", acting_user=request.user
            )
            self.message_user(
                request, f"{camera.reference}: {token}  (copy it now: it is not shown again)",
                messages.WARNING,
            )  # fmt: skip


@admin.register(CameraCredential)
class CameraCredentialAdmin(admin.ModelAdmin):
    list_display = ("key_id", "camera", "label", "created_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("key_id", "camera__reference")
    fields = ("key_id", "camera", "label", "created_at", "created_by", "revoked_at",
              "revoked_by", "last_used_at")  # fmt: skip
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # evidence of which credential sent what: revoke, never delete

    @admin.action(description="Revoke: the camera's next submission with it is refused")
    def revoke(self, request, queryset):
        for credential in queryset:
            camera_credential_revoke(credential=credential, acting_user=request.user)
        self.message_user(request, f"Revoked {queryset.count()} credential(s).")
