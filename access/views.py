"""Pages for access control: extended-access requests and decisions, and the audit."""

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView, RedirectURLMixin
from django.db.models import Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from core.middleware import client_address, second_factor_not_required
from core.params import day, whole_number
from core.views import AreaView
from reads.models import LegalHold

from .forms import AccessRequestForm, DecisionForm
from .mfa import (
    FactorRefused,
    backup_codes_issue,
    confirmed_recently,
    enrolled,
    reauthenticate,
    reauthenticated,
    second_factor_verify,
    totp_enrolment_confirm,
    totp_enrolment_start,
    totp_qr_code,
    totp_secret,
)
from .models import AccessRequest, AuditRecord, OffenceCategory, SearchReview
from .selectors import audit_flags
from .services import (
    AccessRequestError,
    ReviewError,
    access_request_create,
    access_request_decide,
    access_request_revoke,
    audit_dip_sample,
    search_review_record,
)

FLAG_DAYS = 7


class AccessRequestListView(AreaView):
    """An investigator's own requests, their decisions, and a form for a new one."""

    area_key = "requests"
    template_name = "access/accessrequest_list.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", AccessRequestForm())
        now = timezone.now()
        requests = list(
            AccessRequest.objects.filter(requester=self.request.user).select_related(
                "category", "decided_by"
            )
        )
        for access_request in requests:
            access_request.status_label = access_request.state(now)
        return super().get_context_data(requests=requests, **kwargs)

    def post(self, request, *args, **kwargs):
        form = AccessRequestForm(request.POST)
        if form.is_valid():
            try:
                access_request_create(requester=request.user, **form.cleaned_data)
            except AccessRequestError as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, "Request sent: a senior officer will decide it.")
                return redirect("access:accessrequest_list")
        return self.render_to_response(self.get_context_data(form=form))


@method_decorator(reauthenticated, name="post")
class AccessRequestQueueView(AreaView):
    """A senior officer's queue: requests waiting (never their own), and grants in force."""

    area_key = "decisions"
    template_name = "access/accessrequest_queue.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        related = AccessRequest.objects.select_related("requester", "category", "decided_by")
        holds = LegalHold.objects.select_related("requester", "purpose").order_by("created_at")
        return super().get_context_data(
            waiting=related.filter(status=AccessRequest.Status.PENDING)
            .exclude(requester=self.request.user).order_by("created_at"),
            own=related.filter(status=AccessRequest.Status.PENDING, requester=self.request.user),
            grants=related.filter(status=AccessRequest.Status.APPROVED, expires_at__gt=now),
            holds_waiting=holds.filter(status=LegalHold.Status.PENDING)
            .exclude(requester=self.request.user),
            holds_due=holds.filter(status=LegalHold.Status.ACTIVE,
                                   review_on__lte=timezone.localdate()),
            form=DecisionForm(), now=now, **kwargs,
        )  # fmt: skip

    def post(self, request, *args, **kwargs):
        number = whole_number(request.POST.get("request"))
        access_request = get_object_or_404(AccessRequest, pk=number)
        form = DecisionForm(request.POST)
        form.is_valid()
        reason, action = form.cleaned_data.get("reason", ""), request.POST.get("action")
        try:
            if action == "revoke":
                access_request_revoke(access_request=access_request, by=request.user,
                                      reason=reason)  # fmt: skip
            else:
                access_request_decide(access_request=access_request, by=request.user,
                                      approve=action == "approve", reason=reason)  # fmt: skip
        except AccessRequestError as refusal:
            messages.error(request, str(refusal))
        else:
            access_request.refresh_from_db()
            messages.success(request, f"{access_request}: done.")
        return redirect("access:accessrequest_queue")


class AuditListView(AreaView):
    """The access audit, newest first, filtered by person, case, action and outcome."""

    area_key = "audit"
    template_name = "access/audit_list.html"

    def get_context_data(self, **kwargs):
        records = AuditRecord.objects.select_related("user")
        query = self.request.GET
        if query.get("user"):
            records = records.filter(user__username=query["user"])
        if query.get("case"):
            records = records.filter(case_reference__iexact=query["case"].strip())
        if query.get("action") in AuditRecord.Action.values:
            records = records.filter(action=query["action"])
        if query.get("outcome") in AuditRecord.Outcome.values:
            records = records.filter(outcome=query["outcome"])
        if query.get("category"):
            records = records.filter(category=query["category"])
        for bound, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
            if when := day(query.get(bound)):
                records = records.filter(**{lookup: when})
        now = timezone.now()
        reviews = SearchReview.objects.select_related("record__user", "reviewed_by")
        return super().get_context_data(
            records=records[:200], actions=AuditRecord.Action.choices,
            outcomes=AuditRecord.Outcome.choices, query=query,
            categories=OffenceCategory.objects.values_list("name", flat=True),
            flags=audit_flags(since=now - timedelta(days=FLAG_DAYS), until=now),
            flag_days=FLAG_DAYS, reviews=reviews[:50], findings=SearchReview.Finding.choices,
            **kwargs,
        )  # fmt: skip

    def post(self, request, *args, **kwargs):
        """Dip-sample searches of the last 30 days, or record a sampled search's review."""
        now = timezone.now()
        try:
            if request.POST.get("action") == "sample":
                count = max(1, min(50, whole_number(request.POST.get("count")) or 10))
                picked = audit_dip_sample(by=request.user, count=count,
                                          since=now - timedelta(days=30), until=now)  # fmt: skip
                messages.success(request, f"{picked} searches sampled for review.")
            else:
                number = whole_number(request.POST.get("review"))
                review = get_object_or_404(SearchReview, pk=number)
                search_review_record(review=review, by=request.user,
                                     finding=request.POST.get("finding", ""),
                                     notes=request.POST.get("notes", ""))  # fmt: skip
                messages.success(request, "Review recorded.")
        except ReviewError as refusal:
            messages.error(request, str(refusal))
        return redirect("access:audit_list")


class SignInView(LoginView):
    """The password step. Accounts lock after 5 failures in a row (django-axes, in the
    authentication backend); an address with SIGN_IN_ADDRESS_LIMIT failures in the cool-off
    period is paused the same way, with the same answer, whatever the username."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        since = timezone.now() - settings.AXES_COOLOFF_TIME
        failures = AccessAttempt.objects.filter(
            ip_address=client_address(request), attempt_time__gte=since
        ).aggregate(n=Sum("failures_since_start"))["n"]
        if (failures or 0) >= settings.SIGN_IN_ADDRESS_LIMIT:
            return render(request, settings.AXES_LOCKOUT_TEMPLATE, status=429)
        return super().post(request, *args, **kwargs)


class _FactorView(RedirectURLMixin, TemplateView):
    """A page of the sign-in's second step: it answers POSTed codes, and goes on to `next`."""

    def post(self, request, *args, **kwargs):
        try:
            context = self.act(request)
        except FactorRefused as refusal:
            return self.render_to_response(self.get_context_data(error=str(refusal)))
        return context or redirect(self.get_success_url())

    def get_default_redirect_url(self):
        return reverse("home")

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=self.get_redirect_url(), **kwargs)


@method_decorator(second_factor_not_required, name="dispatch")
class SecondFactorView(_FactorView):
    """The second step of signing in: a code from the authenticator app, or a backup code."""

    template_name = "registration/verify.html"

    def get(self, request, *args, **kwargs):
        if not enrolled(request.user):
            return redirect(f"{reverse('access:enrol')}?{request.GET.urlencode()}")
        return super().get(request, *args, **kwargs)

    def act(self, request):
        second_factor_verify(request=request, token=request.POST.get("token", ""))


@method_decorator(second_factor_not_required, name="dispatch")
class EnrolView(_FactorView):
    """The first sign-in: set up the authenticator app, then see the backup codes once. A
    verified session may also replace its app here (after confirming who it is)."""

    template_name = "registration/enrol.html"

    def dispatch(self, request, *args, **kwargs):
        if enrolled(request.user) and not (request.user.is_verified()
                                           and confirmed_recently(request)):  # fmt: skip
            return redirect(f"{reverse('access:confirm')}?next={request.get_full_path()}")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        device = totp_enrolment_start(user=self.request.user)
        return super().get_context_data(qr_code=totp_qr_code(device), secret=totp_secret(device),
                                        **kwargs)  # fmt: skip

    def act(self, request):
        device = totp_enrolment_start(user=request.user)
        codes = totp_enrolment_confirm(request=request, device=device,
                                       token=request.POST.get("token", ""))  # fmt: skip
        return self.response_class(request, "registration/backup_codes.html",
                                   {"codes": codes, "next": self.get_success_url()})  # fmt: skip


class ReauthenticateView(_FactorView):
    """Confirm who is at the keyboard (password and a code) before a sensitive action."""

    template_name = "registration/confirm.html"
    extra_context = {"minutes": settings.REAUTHENTICATE_SECONDS // 60}

    def act(self, request):
        reauthenticate(request=request, password=request.POST.get("password", ""),
                       token=request.POST.get("token", ""))  # fmt: skip
        messages.success(request, "Confirmed: go ahead.")


class BackupCodesView(TemplateView):
    """New backup codes, replacing the old ones (after confirming who it is)."""

    template_name = "registration/backup_codes.html"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not confirmed_recently(request):
            return redirect(f"{reverse('access:confirm')}?next={reverse('access:enrol')}")
        codes = backup_codes_issue(user=request.user)
        return self.render_to_response({"codes": codes, "next": reverse("home")})
