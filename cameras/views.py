"""Pages for cameras."""

from core.views import AreaView

from .models import Camera


class CameraListView(AreaView):
    area_key = "cameras"
    columns = (
        ("Camera", "reference"), ("Name", "name"), ("Site", "site.reference"),
        ("Area", "site.area"), ("Status", "get_status_display"),
        ("Last seen", "last_seen_at"), ("Reads stored", "reads_stored"),
        ("Refused", "reads_refused"), ("Clock offset (ms)", "clock_offset_ms"),
    )  # fmt: skip

    def get_queryset(self):
        return Camera.objects.select_related("site")
