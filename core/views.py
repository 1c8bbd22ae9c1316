"""Pages shared by every role: the home page, area pages, and the health check."""

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from access.selectors import user_roles
from hotlist.selectors import owns_entries

from .health import check_all
from .navigation import AREAS_BY_KEY, areas_for


class HomeView(TemplateView):
    """Each person's own work: the areas their roles open, with what each holds."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            areas=areas_for(user), roles=user_roles(user), owns_entries=owns_entries(user), **kwargs
        )


class AreaView(PermissionRequiredMixin, TemplateView):
    """Base for a work area's page: open only to holders of the area's permission."""

    area_key = ""
    template_name = "core/area.html"
    raise_exception = True  # signed in but not entitled: 403 (anonymous users never get here)
    # What a page needs beyond opening its area (e.g. to change what the area shows).
    permissions: tuple[str, ...] = ()

    # A simple list until the area's own pages arrive: (heading, attribute path) per column.
    columns: tuple[tuple[str, str], ...] = ()
    # A page of the area other than its front page names itself.
    title = ""
    summary = ""

    @property
    def area(self):
        return AREAS_BY_KEY[self.area_key]

    def get_permission_required(self):
        return (self.area.permission, *self.permissions)

    def get_queryset(self):
        return None

    def get_context_data(self, **kwargs):
        queryset = self.get_queryset()
        rows = [[_lookup(obj, path) for _, path in self.columns] for obj in queryset or ()]
        headings = [heading for heading, _ in self.columns]
        return super().get_context_data(
            area=self.area, title=self.title or self.area.title,
            summary=self.summary or self.area.summary, headings=headings, rows=rows, **kwargs,
        )  # fmt: skip


def _lookup(obj, path: str):
    for name in path.split("."):
        obj = getattr(obj, name)
        obj = obj() if callable(obj) else obj
    return obj


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """200 when the database and Redis answer; otherwise 503 naming each part that failed."""
    results = check_all()
    failed = [name for name, ok in results.items() if not ok]
    body = {"status": "fail" if failed else "ok", **{k: "ok" if v else "fail" for k, v in
                                                       results.items()}}  # fmt: skip
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)
