"""Pages for reads."""

from core.views import AreaView


class SearchView(AreaView):
    area_key = "search"
