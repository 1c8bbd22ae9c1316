"""Reads for camera-site governance: the evidence a review is given, what waits for whom, and
the public statistics."""

import math
from collections import Counter
from datetime import datetime, time, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from access.models import AccessRequest, AuditRecord
from cameras.models import Camera, CameraHour
from hotlist.models import Alert, HotlistEntry
from reads.models import Read, RetentionPolicy

from .models import Decision, DeploymentAssessment, PrivacyAssessment, Review, Site

# Searches that looked at people's reads: those count as uses of a site.
SEARCH_ACTIONS = (AuditRecord.Action.SEARCH, AuditRecord.Action.EXPORT)
GRANTED = (AccessRequest.Status.APPROVED, AccessRequest.Status.REVOKED)


def review_period_start(site: Site) -> datetime:
    """Where a review's evidence starts: the end of the last review, or else when the site
    went live (or was registered, for a site that predates its recorded lifecycle)."""
    last = site.reviews.filter(completed_at__isnull=False).order_by("-completed_at").first()
    if last and last.completed_at:
        return last.completed_at
    went_live = site.status_changes.filter(to_status=Site.Status.LIVE).order_by("changed_at")
    first = went_live.first()
    return first.changed_at if first else site.created_at


def site_review_evidence(site: Site, start: datetime, end: datetime) -> dict:
    """What live data says about a site between `start` and `end`: reads per day, hits by
    hotlist category and outcome, the searches that returned its reads, and each camera's
    hours with reads."""
    reads = Read.objects.filter(site_id=site.pk, captured_at__gte=start, captured_at__lt=end)
    local_day = TruncDate("captured_at", tzinfo=timezone.get_current_timezone())
    per_day = sorted(
        reads.order_by().annotate(day=local_day).values_list("day").annotate(n=Count("id"))
    )
    total = sum(n for _, n in per_day)
    days = max(1.0, (end - start).total_seconds() / 86400)
    searches = AuditRecord.objects.filter(
        action__in=SEARCH_ACTIONS, outcome=AuditRecord.Outcome.OK, at__gte=start, at__lt=end,
        detail__sites__contains=[site.pk],
    )  # fmt: skip
    return {
        "period_start": start.isoformat(), "period_end": end.isoformat(), "days": round(days, 1),
        "reads_total": total, "reads_per_day": round(total / days, 1),
        "per_day": [[day.isoformat(), n] for day, n in per_day],
        "hits": _hits(site, start, end),
        "searches": searches.count(),
        "search_cases": searches.values("case_reference").distinct().count(),
        "cameras": _uptime(site, start, end),
    }  # fmt: skip


# Why hits were rejected, in a word or two (the labels explain at length).
REJECTED = {reason: label.split(":")[0] for reason, label in Alert.RejectReason.choices}


def hit_outcome(status: str, outcome: str, reject_reason: str) -> str:
    """An alert's outcome in a few words: open, the accepted outcome, or why it was rejected."""
    if status == Alert.Status.ACCEPTED:
        return f"Accepted: {Alert.Outcome(outcome).label}" if outcome else "Accepted"
    if status == Alert.Status.REJECTED:
        return f"Rejected: {REJECTED[reject_reason]}" if reject_reason in REJECTED else "Rejected"
    return "Open"


def hits_by_outcome(alerts: QuerySet[Alert], *fields: str) -> Counter:
    """Alerts counted by `fields` and outcome, grouped in SQL."""
    counts: Counter = Counter()
    outcome = ("status", "outcome", "reject_reason")
    for row in alerts.order_by().values(*fields, *outcome).annotate(n=Count("id")):
        counts[(*(row[f] for f in fields), hit_outcome(*(row[f] for f in outcome)))] += row["n"]
    return counts


def _hits(site: Site, start: datetime, end: datetime) -> list[dict]:
    # The hits on reads captured here (a camera moved since counts at its new site for the
    # reads it takes there, not for these).
    reads = Read.objects.filter(site=site, captured_at__gte=start, captured_at__lt=end)
    alerts = Alert.objects.filter(read_id__in=reads.values("id"), captured_at__gte=start,
                                  captured_at__lt=end)  # fmt: skip
    reasons = dict(HotlistEntry.Reason.choices)
    return [
        {"category": reasons.get(reason, reason), "outcome": outcome, "count": n}
        for (reason, outcome), n in sorted(hits_by_outcome(alerts, "entry__reason").items())
    ]


def _uptime(site: Site, start: datetime, end: datetime) -> list[dict]:
    """Per camera, how many of the clock hours in the period it sent reads in."""
    cameras = []
    for camera in site.cameras.order_by("reference"):
        first = max(start, camera.created_at).replace(minute=0, second=0, microsecond=0)
        hours = max(1, math.ceil((end - first).total_seconds() / 3600))
        with_reads = CameraHour.objects.filter(
            camera=camera, hour__gte=first, hour__lt=end, reads__gt=0
        ).count()
        cameras.append({"camera": camera.reference, "hours": hours, "hours_with_reads": with_reads,
                        "uptime_percent": round(100 * with_reads / hours, 1)})  # fmt: skip
    return cameras


def reviews_due(within_days: int = 30) -> QuerySet[Site]:
    """Collecting sites whose review is overdue or falls due within `within_days`, soonest
    first."""
    horizon = timezone.localdate() + timedelta(days=within_days)
    return Site.objects.filter(status__in=Site.COLLECTING, next_review_due__lte=horizon).order_by(
        "next_review_due"
    )


def awaiting_decision(user) -> dict[str, QuerySet]:
    """The assessments in force that wait for this user's decision (none of their own)."""
    waiting = {}
    for key, model, permission in (
        ("assessments", DeploymentAssessment, "access.approve_deployments"),
        ("dpias", PrivacyAssessment, "access.sign_off_dpia"),
    ):
        if user.has_perm(permission):
            waiting[key] = (
                model.objects.filter(decision=Decision.PENDING, superseded_at__isnull=True)
                .exclude(created_by=user)
                .exclude(site__status=Site.Status.DECOMMISSIONED)
                .select_related("site", "created_by")
            )
    return waiting


def public_statistics(days: int = 30) -> dict:
    """The figures the public page shows (R-SITE-6): counts only, never a place or a name, over
    the `days` whole days before today. Nothing of today: no one can watch a figure move as
    they drive past a camera (a hit counted would say their vehicle is on a list)."""
    until = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    since = until - timedelta(days=days)
    reads = CameraHour.objects.filter(hour__gte=since, hour__lt=until).aggregate(n=Sum("reads"))
    alerts = Alert.objects.filter(captured_at__gte=since, captured_at__lt=until, historic=False)
    searches = AuditRecord.objects.filter(
        action=AuditRecord.Action.SEARCH, outcome=AuditRecord.Outcome.OK,
        at__gte=since, at__lt=until,
    ).filter(  # a search read over several pages is one search
        Q(detail__parameters__page__isnull=True) | Q(detail__parameters__page__lte=1)
    )  # fmt: skip
    decided = AccessRequest.objects.filter(decided_at__gte=since, decided_at__lt=until)
    year_ago = until - timedelta(days=365)
    reviews = Review.objects.filter(completed_at__gte=year_ago, completed_at__lt=until,
                                    due_on__isnull=False)  # fmt: skip
    on_time = [review.on_time for review in reviews.only("completed_at", "due_on")]
    return {
        "days": days,
        "cameras": Camera.objects.filter(status=Camera.Status.ACTIVE,
                                         site__status__in=Site.COLLECTING).count(),
        "sites": Site.objects.filter(status__in=Site.COLLECTING).count(),
        "reads_per_day": round((reads["n"] or 0) / days),
        "hits": alerts.count(),
        "hits_by_outcome": sorted((outcome, n) for (outcome,), n in
                                  hits_by_outcome(alerts).items()),
        "searches_standard": searches.filter(detail__grant=None).count(),
        "searches_extended": searches.exclude(detail__grant=None).count(),
        "requests_granted": decided.filter(status__in=GRANTED).count(),
        "requests_refused": decided.filter(status=AccessRequest.Status.REFUSED).count(),
        "retention_days": RetentionPolicy.in_force().reads_days,
        "reviews_completed": len(on_time),
        "reviews_on_time": sum(on_time),
        "reviews_overdue": Site.objects.filter(
            status__in=Site.COLLECTING, next_review_due__lt=timezone.localdate()).count(),
    }  # fmt: skip
