"""Pages for camera-site governance."""

from core.views import AreaView

from .models import Site


class SiteListView(AreaView):
    area_key = "sites"
    columns = (("Site", "reference"), ("Name", "name"), ("Area", "area"),
               ("Status", "get_status_display"))  # fmt: skip

    def get_queryset(self):
        return Site.objects.all()
