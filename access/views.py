"""Pages for access control: extended-access requests and decisions, and the audit."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.dateparse import parse_date

from core.views import AreaView
from reads.models import LegalHold

from .forms import AccessRequestForm, DecisionForm
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
        access_request = get_object_or_404(AccessRequest, pk=request.POST.get("request"))
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
            day = parse_date(query.get(bound) or "")
            if day:
                records = records.filter(**{lookup: day})
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
                count = max(1, min(50, int(request.POST.get("count") or 10)))
                picked = audit_dip_sample(by=request.user, count=count,
                                          since=now - timedelta(days=30), until=now)  # fmt: skip
                messages.success(request, f"{picked} searches sampled for review.")
            else:
                review = get_object_or_404(SearchReview, pk=request.POST.get("review"))
                search_review_record(review=review, by=request.user,
                                     finding=request.POST.get("finding", ""),
                                     notes=request.POST.get("notes", ""))  # fmt: skip
                messages.success(request, "Review recorded.")
        except ReviewError as refusal:
            messages.error(request, str(refusal))
        return redirect("access:audit_list")
