"""Pages for hotlists and alerts."""

from django.db.models import Count

from core.views import AreaView

from .models import Alert, Hotlist


class AlertListView(AreaView):
    area_key = "alerts"
    columns = (
        ("Time", "captured_at"), ("VRM", "read_vrm"), ("Hotlist", "hotlist.name"),
        ("Reason", "entry.get_reason_display"), ("Match", "get_match_type_display"),
        ("Priority", "get_priority_display"), ("Camera", "camera.reference"),
        ("Status", "get_status_display"),
    )  # fmt: skip

    def get_queryset(self):
        # The newest hits; the live console, with per-list entitlement, replaces this list.
        return Alert.objects.select_related("hotlist", "entry", "camera").order_by("-captured_at")[
            :100
        ]


class HotlistListView(AreaView):
    area_key = "hotlists"
    columns = (
        ("Hotlist", "name"), ("Source", "get_source_display"), ("Owner", "owner.get_full_name"),
        ("Default priority", "get_default_priority_display"),
        ("Look-alike tolerance", "fuzzy_tolerance"), ("Entries", "entry_count"),
    )  # fmt: skip

    def get_queryset(self):
        return Hotlist.objects.select_related("owner").annotate(entry_count=Count("entries"))
