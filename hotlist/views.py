"""Pages for hotlists and alerts."""

from core.views import AreaView


class AlertListView(AreaView):
    area_key = "alerts"


class HotlistListView(AreaView):
    area_key = "hotlists"
