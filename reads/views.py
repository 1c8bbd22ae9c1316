"""Pages for reads: the investigator's search."""

import mimetypes

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache

from access.forms import PurposeForm
from access.models import SearchPurpose
from core.charts import day_bars
from core.middleware import client_address
from core.views import AreaView

from .analysis import analysis_start
from .export import read_export
from .forms import PlaceFormSet, SearchForm
from .models import Analysis
from .search import (
    Criteria,
    SearchRefused,
    read_image_open,
    read_search,
    search_purpose_create,
)
from .stakeout import Place, stakeout_search

SESSION_PURPOSE = "search_purpose"


class SearchView(AreaView):
    """A search names its purpose and runs within the person's window; the purpose is kept for
    follow-up searches in the same session (and recorded with each)."""

    area_key = "search"
    template_name = "reads/search.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            purpose_fields=("category", "case_reference", "justification"),
            analyses=Analysis.objects.filter(user=self.request.user).select_related("purpose")[:10],
            **kwargs,
        )  # fmt: skip

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            self.get_context_data(form=SearchForm(initial=self._initial()))
        )

    def _initial(self) -> dict:
        """The session's purpose, for a follow-up search."""
        purpose = self._session_purpose()
        if purpose is None:
            return {}
        return {"category": purpose.category, "case_reference": purpose.case_reference,
                "justification": purpose.justification}  # fmt: skip

    def post(self, request, *args, **kwargs):
        """Search; or export the search's reads; or start an analysis of its window."""
        form = SearchForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data, address = form.cleaned_data, client_address(request)
        try:
            purpose = self._purpose(data)
            if request.POST.get("export"):
                return _download(read_export(
                    user=request.user, purpose=purpose, criteria=_criteria(data),
                    address=address, fmt="pdf" if request.POST["export"] == "pdf" else "csv",
                    images=request.POST.get("images") == "on",
                ))  # fmt: skip
            if request.POST.get("analyse") in Analysis.Kind.values:
                return redirect(analysis_start(
                    user=request.user, purpose=purpose, kind=request.POST["analyse"],
                    vrm=data["plate"], captured_from=data["captured_from"],
                    captured_to=data["captured_to"], address=address,
                ))  # fmt: skip
            result = read_search(user=request.user, purpose=purpose, criteria=_criteria(data),
                                 page=data["page"] or 1, address=address)  # fmt: skip
        except SearchRefused as refusal:
            return self.render_to_response(self.get_context_data(form=form, refusal=str(refusal)))
        return self.render_to_response(self.get_context_data(form=form, result=result))

    def render_to_response(self, context, **kwargs):
        history = getattr(context.get("result"), "history", None)
        if history:
            context.update(timeline=day_bars(history.per_day), history_points=_points(history),
                           exact_location=self.request.user.has_perm("access.view_exact_locations"),
                           map_tiles=settings.MAP_TILE_URL)  # fmt: skip
        return super().render_to_response(context, **kwargs)

    def _session_purpose(self) -> SearchPurpose | None:
        pk = self.request.session.get(SESSION_PURPOSE)
        return SearchPurpose.objects.filter(pk=pk, user=self.request.user).first() if pk else None

    def _purpose(self, data) -> SearchPurpose:
        """The session's purpose when unchanged; otherwise a new one, kept for what follows."""
        purpose = self._session_purpose()
        asked = (data["category"], data["case_reference"], data["justification"].strip())
        if not purpose or (purpose.category, purpose.case_reference,
                           purpose.justification) != asked:  # fmt: skip
            purpose = search_purpose_create(
                user=self.request.user, category=data["category"],
                case_reference=data["case_reference"], justification=data["justification"],
            )  # fmt: skip
            self.request.session[SESSION_PURPOSE] = purpose.pk
        return purpose


def _download(export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["X-Content-SHA256"] = export.file_sha256
    return response


def _points(history) -> list[dict]:
    return [
        {"name": site["site__name"], "lat": site["site__latitude"],
         "lon": site["site__longitude"], "reads": site["reads"]}
        for site in history.sites if site["site__latitude"] is not None
    ]  # fmt: skip


def _criteria(data) -> Criteria:
    return Criteria(
        plate=data["plate"], captured_from=data["captured_from"],
        captured_to=data["captured_to"], area=data["area"],
        site_id=data["site"].pk if data["site"] else None,
        camera_id=data["camera"].pk if data["camera"] else None, direction=data["direction"],
    )  # fmt: skip


class AnalysisDetailView(AreaView):
    """An analysis's progress and findings, for the person who ran it (404 for anyone else)."""

    area_key = "search"
    template_name = "reads/analysis_detail.html"

    def get_context_data(self, **kwargs):
        analysis = get_object_or_404(
            Analysis.objects.select_related("purpose__category"), pk=self.kwargs["pk"],
            user=self.request.user,
        )  # fmt: skip
        return super().get_context_data(analysis=analysis, **kwargs)


class StakeoutView(SearchView):
    """Vehicles seen at every one of several places and times."""

    template_name = "reads/stakeout.html"

    def get(self, request, *args, **kwargs):
        form = PurposeForm(initial=self._initial())
        return self.render_to_response(self.get_context_data(form=form, places=PlaceFormSet()))

    def post(self, request, *args, **kwargs):
        form, places = PurposeForm(request.POST), PlaceFormSet(request.POST)
        context = {"form": form, "places": places}
        if form.is_valid() and places.is_valid():
            chosen = [Place(d["site"].pk, d["start"], d["end"])
                      for d in places.cleaned_data if d.get("site")]  # fmt: skip
            try:
                context["vehicles"] = stakeout_search(
                    user=request.user, purpose=self._purpose(form.cleaned_data), places=chosen,
                    address=client_address(request),
                )  # fmt: skip
            except SearchRefused as refusal:
                context["refusal"] = str(refusal)
        return self.render_to_response(self.get_context_data(**context))


@never_cache
@permission_required("access.search_reads", raise_exception=True)
def read_image(request, read_id, kind: str):
    """A read's image from search results, under the session's purpose (audited)."""
    purpose = SearchPurpose.objects.filter(
        pk=request.session.get(SESSION_PURPOSE), user=request.user
    ).first()
    captured_at = parse_datetime(request.GET.get("at", ""))
    if purpose is None or captured_at is None:
        raise Http404("No such image.")
    try:
        path = read_image_open(user=request.user, purpose=purpose, vrm=request.GET.get("vrm", ""),
                               captured_at=captured_at, read_id=str(read_id), kind=kind,
                               address=client_address(request))  # fmt: skip
        content = default_storage.open(path)
    except (SearchRefused, FileNotFoundError):
        raise Http404("No such image.") from None
    return FileResponse(content, content_type=mimetypes.guess_type(path)[0] or "image/jpeg")
