"""Pages for reads: the investigator's search, legal holds, and retention."""

import mimetypes
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from access.forms import PurposeForm
from access.mfa import reauthenticated, reauthentication_needed
from access.models import SearchPurpose
from core.charts import day_bars
from core.middleware import client_address
from core.params import day, moment, whole_number
from core.views import AreaView

from .analysis import analysis_findings_view, analysis_start
from .export import read_export
from .forms import HoldForm, PlaceFormSet, PlateHoldForm, RetentionPolicyForm, SearchForm
from .holds import (
    HoldRefused,
    ReadKey,
    held_read_image_open,
    held_reads_view,
    legal_hold_decide,
    legal_hold_release,
    legal_hold_request,
    legal_hold_review,
)
from .models import Analysis, DeletionRecord, LegalHold, NationalExport, RetentionPolicy
from .retention import RetentionError, retention_policy_change
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
        purpose = session_purpose(self.request)
        if purpose is None:
            return {}
        return {"category": purpose.category, "case_reference": purpose.case_reference,
                "justification": purpose.justification}  # fmt: skip

    def post(self, request, *args, **kwargs):
        """Search; or export the search's reads; or start an analysis of its window."""
        if request.POST.get("export") and (needed := reauthentication_needed(request)):
            return needed  # an export needs a recent confirmation of who asks
        form = SearchForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data, address = form.cleaned_data, client_address(request)
        try:
            purpose = purpose_from(request, data)
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


def session_purpose(request) -> SearchPurpose | None:
    """The purpose of this session's searches, if any."""
    pk = request.session.get(SESSION_PURPOSE)
    return SearchPurpose.objects.filter(pk=pk, user=request.user).first() if pk else None


def purpose_from(request, data) -> SearchPurpose:
    """The session's purpose when unchanged; otherwise a new one, kept for what follows."""
    purpose = session_purpose(request)
    asked = (data["category"], data["case_reference"], data["justification"].strip())
    if not purpose or (purpose.category, purpose.case_reference,
                       purpose.justification) != asked:  # fmt: skip
        purpose = search_purpose_create(
            user=request.user, category=data["category"],
            case_reference=data["case_reference"], justification=data["justification"],
        )  # fmt: skip
        request.session[SESSION_PURPOSE] = purpose.pk
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
    """An analysis's progress and findings, for the person who ran it (404 for anyone else),
    while their window for its case covers it (each look audited)."""

    area_key = "search"
    template_name = "reads/analysis_detail.html"

    def get_context_data(self, **kwargs):
        analysis = get_object_or_404(
            Analysis.objects.select_related("purpose__category"), pk=self.kwargs["pk"],
            user=self.request.user,
        )  # fmt: skip
        if analysis.status == Analysis.Status.DONE:
            kwargs["refusal"] = analysis_findings_view(
                analysis=analysis, address=client_address(self.request)
            )
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
                    user=request.user, purpose=purpose_from(request, form.cleaned_data),
                    places=chosen, address=client_address(request),
                )  # fmt: skip
            except SearchRefused as refusal:
                context["refusal"] = str(refusal)
        return self.render_to_response(self.get_context_data(**context))


@never_cache
@permission_required("access.search_reads", raise_exception=True)
def read_image(request, read_id, kind: str):
    """A read's image from search results, under the session's purpose (audited)."""
    try:
        path = read_image_open(user=request.user, purpose=session_purpose(request),
                               vrm=request.GET.get("vrm", ""),
                               captured_at=moment(request.GET.get("at")), read_id=str(read_id),
                               kind=kind, address=client_address(request))  # fmt: skip
        content = default_storage.open(path)
    except (SearchRefused, FileNotFoundError):
        raise Http404("No such image.") from None
    return FileResponse(content, content_type=mimetypes.guess_type(path)[0] or "image/jpeg")


class LegalHoldListView(AreaView):
    """An investigator's legal holds, and a form to hold one plate's reads over a period."""

    area_key = "holds"
    template_name = "reads/legalhold_list.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", PlateHoldForm())
        holds = LegalHold.objects.filter(requester=self.request.user).select_related(
            "purpose__category", "decided_by"
        )
        return super().get_context_data(holds=holds, **kwargs)

    def post(self, request, *args, **kwargs):
        form = PlateHoldForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                purpose = purpose_from(request, data)
                hold = legal_hold_request(
                    user=request.user, purpose=purpose, reason=data["reason"],
                    review_on=data["review_on"], vrm=data["vrm"],
                    period_from=data["period_from"], period_to=data["period_to"],
                    address=client_address(request),
                )  # fmt: skip
            except (HoldRefused, SearchRefused) as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, _asked(hold))
                return redirect(hold)
        return self.render_to_response(self.get_context_data(form=form))


def _asked(hold: LegalHold) -> str:
    return f"{hold}: {hold.reads.count()} reads kept while a senior officer decides."


@require_POST
@permission_required("access.search_reads", raise_exception=True)
def legalhold_from_search(request):
    """Hold the reads ticked in search results, under the session's search purpose."""
    purpose = session_purpose(request)
    form = HoldForm(request.POST)
    keys = [_read_key(value) for value in request.POST.getlist("read")]
    if purpose is None or not form.is_valid() or None in keys:
        problems = [" ".join(errors) for errors in form.errors.values()] or [
            "Tick the reads to hold in your search results."]  # fmt: skip
        messages.error(request, f"No hold was made: {' '.join(problems)}")
        return redirect("reads:legalhold_list")
    try:
        hold = legal_hold_request(user=request.user, purpose=purpose, reads=keys,
                                  address=client_address(request), **form.cleaned_data)  # fmt: skip
    except HoldRefused as refusal:
        messages.error(request, f"No hold was made: {refusal}")
        return redirect("reads:legalhold_list")
    messages.success(request, _asked(hold))
    return redirect(hold)


def _read_key(value: str) -> ReadKey | None:
    """A ticked read: plate|capture time|id, as the search results page writes it."""
    vrm, _, rest = value.partition("|")
    captured, _, read_id = rest.partition("|")
    captured_at = moment(captured)
    try:
        read_id = str(uuid.UUID(read_id))
    except ValueError:
        return None
    return ReadKey(vrm, captured_at, read_id) if vrm and captured_at else None


@method_decorator(reauthenticated, name="post")
class LegalHoldDetailView(TemplateView):
    """One hold: for the officer who asked (who alone sees its reads), senior officers (who
    decide and review it) and auditors. To anyone else it does not exist."""

    template_name = "reads/legalhold_detail.html"

    def dispatch(self, request, *args, **kwargs):
        self.hold = get_object_or_404(
            LegalHold.objects.select_related("purpose__category", "requester", "decided_by",
                                             "released_by"), pk=kwargs["pk"],
        )  # fmt: skip
        user = request.user
        self.senior = user.has_perm("access.decide_extended_access")
        if not (user.pk == self.hold.requester_id or self.senior
                or user.has_perm("access.view_retention")):  # fmt: skip
            raise Http404("No such legal hold.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        hold, user, query = self.hold, self.request.user, self.request.GET
        if query.get("show"):
            try:
                kwargs["held"] = held_reads_view(
                    user=user, hold=hold, plate=query.get("plate", ""),
                    page=whole_number(query.get("page")) or 1,
                    address=client_address(self.request),
                )  # fmt: skip
            except HoldRefused as refusal:
                kwargs["refusal"] = str(refusal)
        own = user.pk == hold.requester_id
        return super().get_context_data(
            hold=hold, count=hold.reads.count(), own=own,
            may_decide=self.senior and not own, query=query, **kwargs,
        )  # fmt: skip

    def post(self, request, *args, **kwargs):
        hold, action = self.hold, request.POST.get("action")
        reason, address = request.POST.get("reason", ""), client_address(request)
        try:
            if action in ("approve", "refuse"):
                legal_hold_decide(hold=hold, by=request.user, approve=action == "approve",
                                  reason=reason, address=address)  # fmt: skip
            elif action == "review":
                review_on = day(request.POST.get("review_on"))
                if review_on is None:
                    raise HoldRefused("Give the next review date.")
                legal_hold_review(hold=hold, by=request.user, review_on=review_on,
                                  reason=reason, address=address)  # fmt: skip
            elif action == "release":
                legal_hold_release(hold=hold, by=request.user, reason=reason, address=address)
            else:
                raise HoldRefused("Choose what to do.")
        except HoldRefused as refusal:
            messages.error(request, str(refusal))
        else:
            hold.refresh_from_db()
            messages.success(request, f"{hold}: {hold.get_status_display().lower()}.")
        return redirect(hold)


@never_cache
@permission_required("access.search_reads", raise_exception=True)
def held_read_image(request, pk: int, read_id, kind: str):
    """A held read's image, for the officer who asked for the hold (audited)."""
    try:
        path = held_read_image_open(user=request.user, hold_id=pk, read_id=str(read_id),
                                    kind=kind, address=client_address(request))  # fmt: skip
        content = default_storage.open(path)
    except (HoldRefused, FileNotFoundError):
        raise Http404("No such image.") from None
    return FileResponse(content, content_type=mimetypes.guess_type(path)[0] or "image/jpeg")


@method_decorator(reauthenticated, name="post")
class RetentionView(AreaView):
    """How long each kind of data is kept and its history, what retention deleted, legal
    holds and national exports: for auditors and administrators; administrators change it."""

    area_key = "retention"
    template_name = "reads/retention.html"

    def get_context_data(self, **kwargs):
        policy = RetentionPolicy.in_force()
        if self.request.user.has_perm("access.administer_system"):
            kwargs.setdefault("form", RetentionPolicyForm(instance=policy,
                                                          initial={"reason": ""}))  # fmt: skip
        return super().get_context_data(
            policy=policy,
            history=RetentionPolicy.objects.select_related("changed_by")[:20],
            deletions=DeletionRecord.objects.select_related("policy")[:100],
            holds=LegalHold.objects.select_related("purpose__category", "requester",
                                                   "decided_by")[:200],
            exports=NationalExport.objects.all()[:30], **kwargs,
        )  # fmt: skip

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm("access.administer_system"):
            raise PermissionDenied("Only an administrator may change retention.")
        form = RetentionPolicyForm(request.POST)
        if form.is_valid():
            try:
                retention_policy_change(by=request.user, **form.cleaned_data)
            except RetentionError as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, "Retention changed; the next daily run applies it.")
                return redirect("reads:retention")
        return self.render_to_response(self.get_context_data(form=form))
