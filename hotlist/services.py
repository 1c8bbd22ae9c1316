"""Writes for hotlists and alerts: typed functions with keyword-only arguments including the acting
user, each in one transaction, writing audit and enqueueing work on commit.
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.request import HTTPRedirectHandler, Request, build_opener

from auditlog.context import set_actor
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from access.models import AuditRecord
from access.services import audit_record_add
from reads.models import Read
from reads.vrm import InvalidVRM, canonical_vrm, is_uk_format

from .events import alerts_announce
from .models import (
    Alert,
    AlertWorkflowError,
    Hotlist,
    HotlistEntry,
    Priority,
    WebhookDelivery,
    webhook_approved,
)
from .selectors import alert_for


@dataclass(frozen=True)
class AlertOpened:
    alert: Alert
    may_act: bool
    previous_reads: list[Read]


def alert_open(*, user, pk: int, address: str | None) -> AlertOpened:
    """An alert as `user` may see it, with the vehicle's other reads in the hours before it
    for those who act on it (an entry's owner only reads the outcome). Opening it is audited
    with the reads shown; so is a refusal (404: outside the user's scope, or no such alert)."""
    target = f"alert {pk}"
    try:
        alert, may_act = alert_for(user, pk)
    except Http404:
        audit_record_add(user=user, action="alert_view", target=target, address=address,
                         outcome="refused")  # fmt: skip
        raise
    # Never older than a standard search may look (R-SEARCH-2): an old alert shows no more.
    since = max(alert.captured_at - timedelta(hours=settings.ALERT_PREVIOUS_READS_HOURS),
                timezone.now() - timedelta(days=settings.SEARCH_WINDOW_DAYS))  # fmt: skip
    previous = _previous_reads(alert, since) if may_act and since < alert.captured_at else []
    audit_record_add(
        user=user, action="alert_view", target=target, address=address, vrm=alert.read_vrm,
        previous_reads=[str(read.id) for read in previous],
        previous_reads_window=[since.isoformat(), alert.captured_at.isoformat()],
    )  # fmt: skip
    return AlertOpened(alert, may_act, previous)


def _previous_reads(alert: Alert, since: datetime) -> list[Read]:
    reads = Read.objects.filter(
        vrm=alert.read_vrm, captured_at__gte=since, captured_at__lte=alert.captured_at
    ).exclude(id=alert.read_id)
    return list(reads.select_related("camera", "site").order_by("-captured_at")[:20])


def alert_image_open(*, user, pk: int, kind: str, address: str | None) -> File:
    """An alert's plate or overview image, opened, for someone who may see the alert (404
    otherwise, or when it has no such image; FileNotFoundError when it is no longer held);
    every view, refusal and failure is audited."""
    audit = {"user": user, "action": "image_view", "target": f"alert {pk} {kind} image",
             "address": address}  # fmt: skip
    try:
        alert, _ = alert_for(user, pk)
        path = {"plate": alert.plate_image, "overview": alert.overview_image}.get(kind)
        if not path:
            raise Http404("No such image.")
    except Http404:
        audit_record_add(**audit, outcome="refused")
        raise
    try:
        image = default_storage.open(path)
    except FileNotFoundError:
        audit_record_add(**audit, outcome="error", reason="The image is no longer held.",
                         vrm=alert.read_vrm)  # fmt: skip
        raise
    audit_record_add(**audit, vrm=alert.read_vrm)
    return image


def hotlist_create(*, by, **fields) -> Hotlist:
    """A new list, owned by the manager who makes it."""
    with transaction.atomic(), set_actor(by):
        return Hotlist.objects.create(owner=by, **fields)


def hotlist_update(*, hotlist: Hotlist, by, **fields) -> Hotlist:
    """Change a list's settings: its owner only."""
    if hotlist.owner_id != by.pk:
        raise HotlistError("Only the list's owner changes its settings.")
    with transaction.atomic(), set_actor(by):
        if fields.get("webhook_url", hotlist.webhook_url) != hotlist.webhook_url:
            hotlist.webhook_secret = ""  # a new receiver gets a signing key of its own
        for field, value in fields.items():
            setattr(hotlist, field, value)
        hotlist.save()
    return hotlist


def hotlist_entry_save(
    *, by, entry: HotlistEntry, approve: bool = False
) -> tuple[HotlistEntry, list[str]]:
    """Add or change an entry: the VRM canonicalised, the change attributed and change-logged;
    returns the entry and warnings (an implausible UK format: foreign plates are allowed)."""
    try:
        entry.vrm = canonical_vrm(entry.vrm)
    except InvalidVRM as error:
        raise HotlistError(str(error)) from None
    warnings = []
    if not is_uk_format(entry.vrm):
        warnings.append(f"{entry.vrm} is not a UK registration format: check it (foreign "
                        "plates are allowed).")  # fmt: skip
    now = timezone.now()
    # As stored before this save (one query): new, live again or its plate corrected, the
    # plate's recent reads are looked at.
    stored = HotlistEntry.objects.filter(pk=entry.pk).values("vrm", "expires_at").first()
    look_back = stored is None or stored["vrm"] != entry.vrm or (
        stored["expires_at"] is not None and stored["expires_at"] <= now
    )  # fmt: skip
    with transaction.atomic(), set_actor(by):
        if entry.pk is None:
            entry.created_by = by
        if approve:
            entry.approved_by = by
        entry.save()
        if look_back and not entry.is_expired(now):
            from .matching import index_settled_in
            from .tasks import entry_retrospective_match_task

            # Now, and again once no read is matched against an index from before it.
            match = partial(entry_retrospective_match_task.apply_async, (entry.pk, now.isoformat()))
            for countdown in (0, index_settled_in()):  # robust: the entry stands either way
                transaction.on_commit(partial(match, countdown=countdown), robust=True)
    return entry, warnings


def missing_person_entry(*, by, hotlist: Hotlist, vrm: str, information: str) -> HotlistEntry:
    """A missing-person entry raised fast: high priority, report the sighting, a week long."""
    now = timezone.now()
    entry = HotlistEntry(
        hotlist=hotlist, vrm=vrm, reason=HotlistEntry.Reason.MISSING_PERSON,
        action=HotlistEntry.Action.REPORT, priority=Priority.HIGH, information=information,
        instruction="Missing person: report the sighting at once; do not stop unless told.",
        valid_from=now, expires_at=now + timedelta(days=MISSING_PERSON_DAYS),
    )  # fmt: skip
    return hotlist_entry_save(by=by, entry=entry)[0]


MISSING_PERSON_DAYS = 7
LIST_PERMISSIONS = {"receive_alerts": "Receives its alerts", "manage_hotlist": "Keeps its entries"}


def hotlist_access_set(*, hotlist: Hotlist, by, permission: str, holder, grant: bool) -> None:
    """Give or take a user or group's access to a list (`receive_alerts`: operators see and act
    on its alerts; `manage_hotlist`: managers keep its entries). Only the list's owner may."""
    if hotlist.owner_id != by.pk:
        raise HotlistError("Only the list's owner decides who may see it.")
    if permission not in LIST_PERMISSIONS:
        raise HotlistError("No such access.")
    with transaction.atomic(), set_actor(by):
        (assign_perm if grant else remove_perm)(f"hotlist.{permission}", holder, hotlist)


class HotlistError(Exception):
    """An entry that cannot be saved; the message says why."""


ALERT_STEPS = ("claim", "release", "take_over", "verify", "accept", "reject")


def _step_audit(user, pk: int, step: str, address: str | None) -> dict:
    return {"user": user, "action": AuditRecord.Action.ALERT_ACTION,
            "target": f"alert {pk}: {step.replace('_', ' ')}", "address": address}  # fmt: skip


def alert_to_act_on(*, user, pk: int, step: str, address: str | None) -> Alert:
    """The alert, for an operator who acts on it; a refusal is audited (R-ACCESS-3) and raised:
    Http404 outside the user's scope (whether it exists is not theirs to know), PermissionDenied
    for an entry's owner, who only reads it."""
    try:
        alert, may_act = alert_for(user, pk)
        if not may_act:
            raise PermissionDenied("Only operators who receive the list's alerts act on them.")
    except (Http404, PermissionDenied) as refusal:
        audit_record_add(**_step_audit(user, pk, step, address),
                         outcome=AuditRecord.Outcome.REFUSED, reason=str(refusal))  # fmt: skip
        raise
    return alert


def alert_step(*, alert: Alert, step: str, by, address: str | None = None, **arguments) -> None:
    """Take one workflow step (ALERT_STEPS: see Alert), audited with what was given for it, and
    tell every entitled console that the alert has moved on. Raises AlertWorkflowError when the
    step is refused, audited too."""
    audit = _step_audit(by, alert.pk, step, address)
    if step not in ALERT_STEPS:
        raise ValueError(f"No such step: {step}")
    try:
        with transaction.atomic():
            getattr(alert, step)(by=by, **arguments)
            audit_record_add(**audit, vrm=alert.read_vrm, parameters=arguments)
    except AlertWorkflowError as refusal:
        audit_record_add(**audit, outcome=AuditRecord.Outcome.REFUSED, reason=str(refusal),
                         vrm=alert.read_vrm)  # fmt: skip
        raise
    alerts_announce([alert.pk], "alert-changed")


def alerts_escalate(*, now: datetime | None = None) -> list[int]:
    """Escalate critical and high-priority alerts that have lain unclaimed too long; return
    their ids. Each is escalated once; the consoles sound again and put them first. Historic
    alerts are never queued, so never escalated."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ALERT_ESCALATE_AFTER_SECONDS)
    with transaction.atomic():
        stale = Alert.objects.select_for_update(skip_locked=True).filter(
            status=Alert.Status.NEW, priority__lte=Priority.HIGH, escalated_at__isnull=True,
            created_at__lt=cutoff, historic=False,
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
    for delivery in deliveries:
        # Robust: a broker error must not stop the rest (the console's announcement among
        # them); a delivery left unsent is sent again by webhook_deliveries_resend.
        transaction.on_commit(partial(webhook_deliver_task.delay, delivery.pk), robust=True)


def webhook_deliveries_resend(*, now: datetime | None = None) -> int:
    """Queue again the deliveries nothing has tried for a while (a broker error lost their
    task, or a worker died holding it); return how many."""
    from .tasks import webhook_deliver_task

    stale = (now or timezone.now()) - timedelta(minutes=10)
    pending = WebhookDelivery.objects.filter(
        Q(last_attempt_at__lt=stale) | Q(last_attempt_at__isnull=True, created_at__lt=stale),
        status=WebhookDelivery.Status.PENDING,
    )
    ids = list(pending.values_list("pk", flat=True)[:1000])
    for pk in ids:
        webhook_deliver_task.delay(pk)
    return len(ids)


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
    """The receiver did not take a delivery that has tries left (`attempts` made so far)."""

    def __init__(self, message: str, attempts: int = 0):  # a default: unpickled from its message
        super().__init__(message)
        self.attempts = attempts


def webhook_deliver(*, delivery_id: int) -> None:
    """Try a delivery once. Raises WebhookFailed if the receiver did not take it and it has
    tries left; the tries are counted on the delivery (WEBHOOK_MAX_ATTEMPTS), so one queued
    again by webhook_deliveries_resend goes on from its count, and the last marks it failed. A
    delivery made, or failed, is not sent again."""
    with transaction.atomic():
        # Locked while sending: a task delivered twice waits, then finds it done.
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("alert__entry", "alert__hotlist", "alert__camera__site")
            .get(pk=delivery_id)
        )
        if delivery.status == WebhookDelivery.Status.PENDING:
            _send(delivery)
    if delivery.status == WebhookDelivery.Status.PENDING:
        raise WebhookFailed(delivery.last_error, delivery.attempts)


class _NoRedirects(HTTPRedirectHandler):
    """A redirect is not a delivery: it is reported as an answer, never followed."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = build_opener(_NoRedirects)


def _send(delivery: WebhookDelivery) -> None:
    not_sent = None
    if delivery.url != delivery.alert.hotlist.webhook_url:  # its key is the new address's now
        not_sent = "Not sent: the list's webhook address has changed since it was queued."
    elif not webhook_approved(delivery.url):  # approved when set, but no longer
        not_sent = "Not sent: the destination is no longer approved for alerts."
    if not_sent:
        delivery.status, delivery.last_attempt_at = WebhookDelivery.Status.FAILED, timezone.now()
        delivery.last_error = not_sent
        delivery.save()
        return
    body = json.dumps(webhook_payload(delivery.alert)).encode()
    timestamp = str(int(time.time()))
    # The URL is a list's webhook, set by hotlist managers: https, to an approved host.
    request = Request(delivery.url, data=body, method="POST", headers={  # noqa: S310
        "Content-Type": "application/json", "X-ANPR-Delivery": str(delivery.pk),
        "X-ANPR-Timestamp": timestamp,
        "X-ANPR-Signature": webhook_signature(delivery.alert.hotlist.webhook_secret, timestamp,
                                              body),
    })  # fmt: skip
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            delivery.response_status = response.status
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.last_error = ""
    except HTTPError as refusal:  # any answer but 2xx, redirects included
        delivery.response_status = refusal.code
        delivery.last_error = f"The receiver answered HTTP {refusal.code} {refusal.reason}"
    except (URLError, OSError, HTTPException, ValueError) as failure:
        delivery.last_error = f"Could not reach the receiver: {getattr(failure, 'reason', failure)}"
    delivery.last_error = delivery.last_error[:300]
    pending = delivery.status == WebhookDelivery.Status.PENDING
    if pending and delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    delivery.save()
