"""Pages for cameras."""

from django.db.models import Prefetch

from core.views import AreaView

from .models import Camera, OperationalAlert


class CameraListView(AreaView):
    area_key = "cameras"
    columns = (
        ("Camera", "reference"), ("Name", "name"), ("Site", "site.reference"),
        ("Area", "site.area"), ("Status", "get_status_display"),
        ("Last seen", "last_seen_at"), ("Reads stored", "reads_stored"),
        ("Refused", "reads_refused"), ("Clock offset (ms)", "clock_offset_ms"),
        ("Health", "health"),
    )  # fmt: skip

    def get_queryset(self):
        open_alerts = OperationalAlert.objects.filter(cleared_at__isnull=True)
        return Camera.objects.select_related("site").prefetch_related(
            Prefetch("operational_alerts", queryset=open_alerts)
        )
