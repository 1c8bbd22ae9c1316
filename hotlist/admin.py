"""Admin registrations for hotlists and alerts."""

from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from .models import Alert, Hotlist, HotlistEntry


@admin.register(Hotlist)
class HotlistAdmin(GuardedModelAdmin):
    """ "Object permissions" on a list grant its alerts (receive_alerts) to users or groups."""

    list_display = ("name", "owner", "source", "default_priority", "fuzzy_tolerance", "is_active")


@admin.register(HotlistEntry)
class HotlistEntryAdmin(admin.ModelAdmin):
    list_display = ("vrm", "hotlist", "reason", "action", "expires_at")
    list_filter = ("hotlist", "reason")
    search_fields = ("vrm",)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("read_vrm", "hotlist", "match_type", "priority", "status", "created_at")
    list_filter = ("status", "match_type", "hotlist")
