"""Writes for hotlists and alerts: typed functions with keyword-only arguments including the acting
user, each in one transaction, writing audit and enqueueing work on commit.
"""

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .events import alerts_announce
from .models import Alert, Hotlist, Priority, WebhookDelivery


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


def webhook_deliveries_create(alerts: list[Alert]) -> None:
    """Record a delivery for each new alert on a list with a webhook, in the caller's
    transaction (so none is lost), and send them once it commits."""
    from .tasks import webhook_deliver_task

    urls = dict(
        Hotlist.objects.filter(pk__in={alert.hotlist_id for alert in alerts})
        .exclude(webhook_url="")
        .values_list("pk", "webhook_url")
    )
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(alert=alert, url=urls[alert.hotlist_id])
        for alert in alerts
        if alert.hotlist_id in urls
    )
    ids = [delivery.pk for delivery in deliveries]
    if ids:
        transaction.on_commit(lambda: [webhook_deliver_task.delay(pk) for pk in ids])


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>": the receiver recomputes it with the shared secret
    and refuses stale timestamps, so a captured message cannot be replayed later."""
    signed = timestamp.encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def webhook_payload(alert: Alert) -> dict:
    """What a dispatch system needs to act; no images."""
    entry, site = alert.entry, alert.camera.site
    return {
        "alert_id": alert.pk, "vrm": alert.read_vrm, "listed_vrm": entry.vrm,
        "match_type": alert.match_type, "captured_at": alert.captured_at.isoformat(),
        "priority": alert.get_priority_display(), "hotlist": alert.hotlist.name,
        "reason": entry.get_reason_display(), "action": entry.get_action_display(),
        "instruction": entry.instruction, "warning_markers": entry.warning_labels,
        "vehicle": {"make": entry.make, "model": entry.model, "colour": entry.colour},
        "seen_vehicle": {"make": alert.observed_make, "model": alert.observed_model,
                         "colour": alert.observed_colour},
        "camera": alert.camera.reference, "area": site.area,
        "latitude": site.latitude, "longitude": site.longitude,
    }  # fmt: skip


class WebhookFailed(Exception):
    pass


def webhook_deliver(*, delivery_id: int, final: bool) -> None:
    """Send one delivery. Raises WebhookFailed if the receiver did not take it; the last try
    (`final`) marks it failed. A delivery already made is not sent again."""
    delivery = WebhookDelivery.objects.select_related(
        "alert__entry", "alert__hotlist", "alert__camera__site"
    ).get(pk=delivery_id)
    if delivery.status != WebhookDelivery.Status.PENDING:
        return
    body = json.dumps(webhook_payload(delivery.alert)).encode()
    timestamp = str(int(time.time()))
    # The URL is a list's webhook, set by hotlist managers and validated as https.
    request = Request(delivery.url, data=body, method="POST", headers={  # noqa: S310
        "Content-Type": "application/json", "X-ANPR-Delivery": str(delivery.pk),
        "X-ANPR-Timestamp": timestamp,
        "X-ANPR-Signature": webhook_signature(delivery.alert.hotlist.webhook_secret, timestamp,
                                              body),
    })  # fmt: skip
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    try:
        with urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            delivery.response_status = response.status
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.last_error = ""
    except HTTPError as refusal:
        delivery.response_status = refusal.code
        delivery.last_error = f"The receiver answered HTTP {refusal.code} {refusal.reason}"
    except (URLError, OSError) as failure:
        delivery.last_error = f"Could not reach the receiver: {getattr(failure, 'reason', failure)}"
    if final and delivery.status == WebhookDelivery.Status.PENDING:
        delivery.status = WebhookDelivery.Status.FAILED
    delivery.save()
    if delivery.status != WebhookDelivery.Status.DELIVERED:
        raise WebhookFailed(delivery.last_error)
