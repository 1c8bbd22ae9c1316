"""Pages for camera-site governance."""

from core.views import AreaView


class SiteListView(AreaView):
    area_key = "sites"
