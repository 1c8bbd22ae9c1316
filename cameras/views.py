"""Pages for cameras."""

from core.views import AreaView


class CameraListView(AreaView):
    area_key = "cameras"
