"""Writes for hotlists and alerts: typed functions with keyword-only arguments including the acting
user, each in one transaction, writing audit and enqueueing work on commit.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .events import alerts_announce
from .models import Alert, Priority


def alert_step(*, alert: Alert, step: str, by, **arguments) -> None:
    """Take one workflow step (claim, verify, accept, reject: see Alert) and tell every entitled
    console that the alert has moved on. Raises AlertWorkflowError when the step is refused."""
    getattr(alert, step)(by=by, **arguments)
    alerts_announce([alert.pk], "alert-changed")


def alerts_escalate(*, now: datetime | None = None) -> list[int]:
    """Escalate critical and high-priority alerts that have lain unclaimed too long; return
    their ids. Each is escalated once; the consoles sound again and put them first."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ALERT_ESCALATE_AFTER_SECONDS)
    with transaction.atomic():
        stale = Alert.objects.select_for_update(skip_locked=True).filter(
            status=Alert.Status.NEW, priority__lte=Priority.HIGH, escalated_at__isnull=True,
            created_at__lt=cutoff,
        )  # fmt: skip
        ids = list(stale.values_list("pk", flat=True))
        Alert.objects.filter(pk__in=ids).update(escalated_at=now)
    if ids:
        alerts_announce(ids, "alert-changed")
    return ids
