"""Pages for camera-site governance: the site register and map, assessments, DPIAs,
consultations, reviews, the Code of Practice self-assessment, and the public statistics."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.charts import day_bars
from core.views import AreaView

from .api.serializers import EXACT
from .codeofpractice import PRINCIPLES, principle_evidence, self_assessment_pdf
from .forms import (
    AssessmentForm,
    ConsultationForm,
    DecisionForm,
    PrincipleFormSet,
    ReviewForm,
    SiteForm,
    TransitionForm,
    factor_formset,
    privacy_forms,
)
from .models import (
    DeploymentAssessment,
    PrincipleAnswer,
    PrivacyAssessment,
    Review,
    SelfAssessment,
    Site,
)
from .selectors import awaiting_decision, public_statistics, reviews_due
from .services import (
    REVISABLE,
    SiteError,
    assessment_decide,
    assessment_submit,
    consultation_record,
    manual_steps,
    privacy_assessment_submit,
    review_complete,
    review_start,
    self_assessment_create,
    site_blockers,
    site_save,
    site_transition,
)

MANAGE = "access.manage_sites"


class SiteAreaView(AreaView):
    area_key = "sites"

    def site(self) -> Site:
        return get_object_or_404(Site, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            may_manage=user.has_perm(MANAGE), exact_location=user.has_perm(EXACT), **kwargs
        )


class SiteListView(SiteAreaView):
    """Every site, its status and next review; the map for those who may see locations; what
    waits for the user's decision."""

    template_name = "deployments/site_list.html"

    def get_context_data(self, **kwargs):
        sites = Site.objects.annotate(camera_count=Count("cameras"))
        status = self.request.GET.get("status", "")
        if status in Site.Status.values:
            sites = sites.filter(status=status)
        return super().get_context_data(
            sites=sites, status=status, statuses=Site.Status.choices, due=reviews_due(),
            waiting=awaiting_decision(self.request.user), map_tiles=settings.MAP_TILE_URL,
            **kwargs,
        )  # fmt: skip


class SiteFormView(SiteAreaView):
    """Register a site, or change its details."""

    template_name = "deployments/site_form.html"
    permissions = (MANAGE,)

    def instance(self) -> Site:
        return self.site() if "pk" in self.kwargs else Site()

    def form(self, data=None) -> SiteForm:
        exact = self.request.user.has_perm(EXACT)
        return SiteForm(data, instance=self.instance(), exact_location=exact)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.form()))

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                site = site_save(by=request.user, site=form.save(commit=False))
            except SiteError as refusal:
                form.add_error(None, str(refusal))
            else:
                return redirect(site)
        return self.render_to_response(self.get_context_data(form=form))


class SiteDetailView(SiteAreaView):
    """A site's whole case: details, cameras, the assessments in force and those before,
    consultation, reviews, and the lifecycle steps open to it (with what each still needs)."""

    template_name = "deployments/site_detail.html"

    def get_context_data(self, **kwargs):
        site = self.site()
        steps = [(to, site_blockers(site, to)) for to in manual_steps(site)]
        return super().get_context_data(
            site=site, cameras=site.cameras.all(), steps=steps,
            assessments=site.assessments.select_related("created_by", "decided_by"),
            dpias=site.privacy_assessments.select_related("created_by", "decided_by"),
            consultations=site.consultations.select_related("recorded_by"),
            reviews=site.reviews.select_related("completed_by"),
            changes=site.status_changes.select_related("changed_by"),
            open_review=site.reviews.filter(completed_at__isnull=True).first(),
            refused=sum(camera.reads_refused for camera in site.cameras.all()),
            consultation_form=ConsultationForm(), revisable=site.status in REVISABLE, **kwargs,
        )  # fmt: skip


@require_POST
@permission_required(("deployments.view_site", MANAGE), raise_exception=True)
def site_transition_view(request, pk: int):
    site = get_object_or_404(Site, pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        raise Http404("No such step.")
    try:
        site_transition(by=request.user, site=site, **form.cleaned_data)
    except SiteError as refusal:
        messages.error(request, f"Not done. {refusal}")
    else:
        site.refresh_from_db()
        messages.success(request, f"{site.reference} is {site.get_status_display().lower()}.")
    return redirect(site)


@require_POST
@permission_required(("deployments.view_site", MANAGE), raise_exception=True)
def consultation_create_view(request, pk: int):
    site = get_object_or_404(Site, pk=pk)
    form = ConsultationForm(request.POST)
    if form.is_valid():
        try:
            consultation_record(by=request.user, site=site, **form.cleaned_data)
        except SiteError as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, "Consultation recorded.")
    else:
        problems = " ".join(
            f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        messages.error(request, f"Not recorded. {problems}")
    return redirect(site)


class AssessmentCreateView(SiteAreaView):
    """Write the deployment assessment, or revise it (prefilled from the one in force)."""

    template_name = "deployments/assessment_form.html"
    permissions = (MANAGE,)

    def forms(self, data=None):
        previous = self.site().current("assessments")
        initial = {} if previous is None else {
            name: getattr(previous, name) for name in AssessmentForm.Meta.fields}  # fmt: skip
        return AssessmentForm(data, initial=initial), factor_formset(data, previous)

    def get(self, request, *args, **kwargs):
        form, factors = self.forms()
        return self.render_to_response(self.get_context_data(site=self.site(), form=form,
                                                             factors=factors))  # fmt: skip

    def post(self, request, *args, **kwargs):
        site = self.site()
        form, factors = self.forms(request.POST)
        if form.is_valid() and factors.is_valid():
            try:
                assessment = assessment_submit(by=request.user, site=site,
                                               factors=[f.cleaned_data for f in factors],
                                               **form.cleaned_data)  # fmt: skip
            except SiteError as refusal:
                form.add_error(None, str(refusal))
            else:
                return redirect("deployments:assessment_detail", pk=assessment.pk)
        return self.render_to_response(self.get_context_data(site=site, form=form,
                                                             factors=factors))  # fmt: skip


class PrivacyAssessmentCreateView(SiteAreaView):
    """Write the DPIA, or revise it (prefilled from the one in force)."""

    template_name = "deployments/privacyassessment_form.html"
    permissions = (MANAGE,)

    def get(self, request, *args, **kwargs):
        site = self.site()
        form, risks = privacy_forms(previous=site.current("privacy_assessments"))
        return self.render_to_response(self.get_context_data(site=site, form=form, risks=risks))

    def post(self, request, *args, **kwargs):
        site = self.site()
        form, risks = privacy_forms(request.POST)
        if form.is_valid() and risks.is_valid():
            try:
                dpia = privacy_assessment_submit(
                    by=request.user, site=site, screening=form.screening_answers(),
                    residual_risk=form.cleaned_data["residual_risk"],
                    risks=[risk.cleaned_data for risk in risks if risk.cleaned_data],
                )  # fmt: skip
            except SiteError as refusal:
                form.add_error(None, str(refusal))
            else:
                return redirect("deployments:privacyassessment_detail", pk=dpia.pk)
        return self.render_to_response(self.get_context_data(site=site, form=form, risks=risks))


class DecidedRecordView(SiteAreaView):
    """An assessment or DPIA as written, and the decision on it; those who decide it (never
    its author) decide here."""

    model: type[DeploymentAssessment] | type[PrivacyAssessment] = DeploymentAssessment

    def record(self):
        return get_object_or_404(self.model.objects.select_related("site"), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        record = kwargs.pop("record", None) or self.record()
        return super().get_context_data(
            record=record, site=record.site, form=kwargs.pop("form", DecisionForm()), **kwargs
        )

    def post(self, request, *args, **kwargs):
        record = self.record()
        form = DecisionForm(request.POST)
        if form.is_valid():
            try:
                assessment_decide(by=request.user, record=record, **form.cleaned_data)
            except SiteError as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(request, "Decision recorded.")
                return redirect(request.path)
        return self.render_to_response(self.get_context_data(record=record, form=form))


class AssessmentDetailView(DecidedRecordView):
    template_name = "deployments/assessment_detail.html"
    model = DeploymentAssessment


class PrivacyAssessmentDetailView(DecidedRecordView):
    template_name = "deployments/privacyassessment_detail.html"
    model = PrivacyAssessment


@require_POST
@permission_required(("deployments.view_site", MANAGE), raise_exception=True)
def review_start_view(request, pk: int):
    site = get_object_or_404(Site, pk=pk)
    try:
        review = review_start(by=request.user, site=site)
    except SiteError as refusal:
        messages.error(request, str(refusal))
        return redirect(site)
    return redirect("deployments:review_detail", pk=review.pk)


class ReviewDetailView(SiteAreaView):
    """A review: the evidence from live data since the last one, and (while open) the form
    to record its findings and outcome."""

    template_name = "deployments/review_detail.html"

    def review(self) -> Review:
        return get_object_or_404(Review.objects.select_related("site"), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        review = self.review()
        evidence = review.evidence
        per_day = [(date.fromisoformat(day), n) for day, n in evidence["per_day"]]
        return super().get_context_data(
            review=review, site=review.site, evidence=evidence, chart=day_bars(per_day),
            form=kwargs.pop("form", ReviewForm()), **kwargs,
        )  # fmt: skip

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(MANAGE):
            return self.handle_no_permission()
        review = self.review()
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                review_complete(by=request.user, review=review, **form.cleaned_data)
            except SiteError as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, "Review recorded.")
                return redirect(review.site)
        return self.render_to_response(self.get_context_data(form=form))


class ReviewDueView(SiteAreaView):
    """Reviews overdue and due in the next 30 days, and the reviews done lately."""

    template_name = "deployments/review_list.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        done = Review.objects.filter(completed_at__isnull=False).select_related("site")
        ended = Site.objects.filter(status__in=Site.COLLECTING, ends_on__lt=today,
                                    deployment=Site.Deployment.TEMPORARY)  # fmt: skip
        return super().get_context_data(due=reviews_due(), done=done[:50], ended=ended,
                                        today=today, **kwargs)  # fmt: skip  # fmt: skip


@require_GET
@permission_required("deployments.view_site", raise_exception=True)
def site_map_data(request):
    """The sites' positions as GeoJSON, only for those who may see exact locations (others:
    404, as if there were no such thing)."""
    if not request.user.has_perm(EXACT):
        raise Http404
    sites = Site.objects.filter(latitude__isnull=False, longitude__isnull=False)
    features = [{"type": "Feature",
                 "geometry": {"type": "Point", "coordinates": [site.longitude, site.latitude]},
                 "properties": {"reference": site.reference, "name": site.name,
                                "status": site.get_status_display(), "status_key": site.status,
                                "url": site.get_absolute_url()}}
                for site in sites]  # fmt: skip
    return JsonResponse({"type": "FeatureCollection", "features": features})


class SelfAssessmentListView(SiteAreaView):
    template_name = "deployments/selfassessment_list.html"
    permissions = ("access.assess_compliance",)

    def get_context_data(self, **kwargs):
        assessments = SelfAssessment.objects.select_related("created_by").annotate(
            gaps=Count("answers", filter=~Q(answers__answer=PrincipleAnswer.Answer.YES))
        )
        return super().get_context_data(assessments=assessments, **kwargs)


class SelfAssessmentCreateView(SiteAreaView):
    """A new self-assessment against the 12 principles, prefilled with what the system shows."""

    template_name = "deployments/selfassessment_form.html"
    permissions = ("access.assess_compliance",)

    def get(self, request, *args, **kwargs):
        evidence = principle_evidence()
        initial = [{"principle": n, "evidence": evidence[n]} for n in PRINCIPLES]
        return self.render_to_response(self.get_context_data(
            formset=PrincipleFormSet(initial=initial, prefix="principles"), principles=PRINCIPLES
        ))  # fmt: skip

    def post(self, request, *args, **kwargs):
        formset = PrincipleFormSet(request.POST, prefix="principles")
        if formset.is_valid():
            try:
                assessment = self_assessment_create(
                    by=request.user, answers=[f.cleaned_data for f in formset]
                )
            except SiteError as refusal:
                messages.error(request, str(refusal))
            else:
                return redirect("deployments:selfassessment_detail", pk=assessment.pk)
        return self.render_to_response(self.get_context_data(formset=formset,
                                                             principles=PRINCIPLES))  # fmt: skip


class SelfAssessmentDetailView(SiteAreaView):
    template_name = "deployments/selfassessment_detail.html"
    permissions = ("access.assess_compliance",)

    def get_context_data(self, **kwargs):
        assessment = get_object_or_404(SelfAssessment, pk=self.kwargs["pk"])
        answers = [(answer, PRINCIPLES[answer.principle]) for answer in assessment.answers.all()]
        return super().get_context_data(assessment=assessment, answers=answers, **kwargs)


@require_GET
@permission_required(("deployments.view_site", "access.assess_compliance"), raise_exception=True)
def self_assessment_pdf_view(request, pk: int):
    assessment = get_object_or_404(SelfAssessment, pk=pk)
    response = HttpResponse(self_assessment_pdf(assessment), content_type="application/pdf")
    day = timezone.localdate(assessment.created_at)
    response["Content-Disposition"] = f'attachment; filename="code-self-assessment-{day}.pdf"'
    return response


@login_not_required
@require_GET
def public_statistics_view(request):
    """What the public may know (R-SITE-6): counts only. Never a location, a site or a camera.
    The figures cover whole days to last midnight, so they are worked out once a day, whoever
    asks."""
    midnight = datetime.combine(timezone.localdate() + timedelta(days=1), time.min)
    until_midnight = (timezone.make_aware(midnight) - timezone.now()).total_seconds()
    stats = cache.get_or_set("public_statistics", public_statistics, timeout=until_midnight)
    return render(request, "deployments/public_statistics.html",
                  {"stats": stats, "contact": settings.PUBLIC_CONTACT,
                   "search_window_days": settings.SEARCH_WINDOW_DAYS})  # fmt: skip
