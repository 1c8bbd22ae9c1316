"""Writes for access control. Every service takes the acting user and runs in one transaction."""

import ipaddress
import logging
from contextlib import nullcontext
from datetime import date, datetime, timedelta

from auditlog.context import set_actor
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone

from reads.models import RetentionPolicy

from .models import GENESIS_HASH, AccessRequest, AuditRecord, OffenceCategory, SearchReview
from .policy import standard_start
from .roles import Role

_AUDIT_CHAIN_LOCK = 0x41554449  # pg advisory lock key: one writer extends the chain at a time


@transaction.atomic
def user_roles_set(*, user: User, roles: list[Role], acting_user: User | None) -> None:
    """Give `user` exactly `roles` (a person may hold several); the change log names the actor."""
    groups = [Group.objects.get(name=role.value) for role in roles]
    with set_actor(acting_user) if acting_user else nullcontext():
        user.groups.set(groups)


def audit_record_add(
    *, user: User | None, action: str, target: str, address: str | None = None,
    outcome: str = AuditRecord.Outcome.OK, case_reference: str = "", category: str = "",
    result_count: int | None = None, **detail,
) -> AuditRecord:  # fmt: skip
    """Append one record to the access audit, chained to the one before it."""
    # Stored as the database will give it back, so the hash still matches when re-read.
    address = str(ipaddress.ip_address(address)) if address else None
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_CHAIN_LOCK])
        last = AuditRecord.objects.order_by("-pk").values_list("hash", flat=True).first()
        record = AuditRecord(
            user=user, action=action, target=target, outcome=outcome,
            case_reference=case_reference, category=category, result_count=result_count,
            detail=detail, address=address, previous_hash=last or GENESIS_HASH,
        )  # fmt: skip
        record.hash = record.compute_hash()
        record.save()
    return record


def audit_anchor() -> str | None:
    """Write the audit's newest record and its hash (its head) where those who can reach the
    database cannot: the `anpr.audit_anchor` log, for a log store the database's administrators
    do not run, and a line appended to AUDIT_ANCHOR_FILE where set (write-once storage). A
    superuser can take records off the chain's end, empty it or rewrite it whole without breaking
    it; `audit_verify --anchors` then finds an anchored head missing or changed. Returns the line
    written, or None for an empty audit."""
    head = AuditRecord.objects.order_by("-pk").first()
    if head is None:
        return None
    line = f"{timezone.now():%Y-%m-%dT%H:%M:%SZ} audit head record {head.pk} hash {head.hash}"
    logging.getLogger("anpr.audit_anchor").info(line)
    if settings.AUDIT_ANCHOR_FILE:
        with open(settings.AUDIT_ANCHOR_FILE, "a", encoding="utf-8") as anchors:
            anchors.write(line + "\n")
    return line


class AccessRequestError(Exception):
    """A request or decision that is not allowed; the message says why, for the person."""


MIN_JUSTIFICATION = 20  # characters: at least a sentence


def access_request_create(
    *, requester: User, case_reference: str, category: OffenceCategory, date_from: date,
    date_to: date, justification: str, now: datetime | None = None,
) -> AccessRequest:  # fmt: skip
    """Ask for access to reads older than the standard window, for one case of serious crime."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    kept_days = RetentionPolicy.in_force().reads_days
    oldest = timezone.localdate(now - timedelta(days=kept_days))
    standard = timezone.localdate(standard_start(now))
    if not category.serious:
        raise AccessRequestError(
            f"{category.name} is not serious, major or organised crime or terrorism: extended "
            "access cannot be granted for it."
        )
    if date_from > date_to or date_to > today:
        raise AccessRequestError("The days wanted must run forwards and end by today.")
    if date_from < oldest:
        raise AccessRequestError(f"Reads are kept {kept_days} days: nothing "
                                 f"exists before {oldest:%d %b %Y}.")  # fmt: skip
    if date_from >= standard:
        raise AccessRequestError(f"Every search already covers {standard:%d %b %Y} onwards: "
                                 "no extended access is needed for these days.")  # fmt: skip
    if len(justification.strip()) < MIN_JUSTIFICATION:
        raise AccessRequestError("Say why the older reads are needed, in at least a sentence.")
    with transaction.atomic(), set_actor(requester):
        created = AccessRequest.objects.create(
            requester=requester, case_reference=case_reference, category=category,
            date_from=date_from, date_to=date_to, justification=justification.strip(),
            created_at=now,
        )  # fmt: skip
        _audit_decision(created, requester, AuditRecord.Action.ACCESS_REQUEST, "asked")
    return created


def access_request_decide(
    *, access_request: AccessRequest, by: User, approve: bool, reason: str = "",
    now: datetime | None = None,
) -> AccessRequest:  # fmt: skip
    """A senior officer approves (a grant for EXTENDED_ACCESS_GRANT_DAYS) or refuses (saying
    why) a request that is not their own."""
    now = now or timezone.now()
    if not approve and not reason.strip():
        raise AccessRequestError("Say why the request is refused.")
    with transaction.atomic(), set_actor(by):
        current = _locked(access_request, by)
        if current.requester_id == by.pk:
            raise AccessRequestError("You cannot decide your own request: another senior "
                                     "officer must.")  # fmt: skip
        if current.status != AccessRequest.Status.PENDING:
            raise AccessRequestError(
                f"This request is already {current.get_status_display().lower()}."
            )
        current.status = AccessRequest.Status.APPROVED if approve else AccessRequest.Status.REFUSED
        current.decided_by, current.decided_at, current.decision_reason = by, now, reason.strip()
        if approve:
            current.expires_at = now + timedelta(days=settings.EXTENDED_ACCESS_GRANT_DAYS)
        current.save()
        _audit_decision(current, by, AuditRecord.Action.ACCESS_DECISION, current.status)
    return current


def access_request_revoke(
    *, access_request: AccessRequest, by: User, reason: str, now: datetime | None = None
) -> AccessRequest:
    """End a grant before it expires (the case closed, or it was misused)."""
    if not reason.strip():
        raise AccessRequestError("Say why the grant is revoked.")
    with transaction.atomic(), set_actor(by):
        current = _locked(access_request, by)
        if not current.is_active(now or timezone.now()):
            raise AccessRequestError("Only a grant in force can be revoked.")
        current.status = AccessRequest.Status.REVOKED
        current.revoked_by, current.revoked_at = by, now or timezone.now()
        current.decision_reason = f"{current.decision_reason}\nRevoked: {reason.strip()}".strip()
        current.save()
        _audit_decision(current, by, AuditRecord.Action.ACCESS_DECISION, current.status)
    return current


def _audit_decision(access_request: AccessRequest, by: User, action: str, what: str) -> None:
    """Grants are change-logged like every model; they also go in the access audit, beside
    the searches they open, so an auditor sees request, decision and use together."""
    audit_record_add(
        user=by, action=action, target=f"extended access {access_request.pk}: {what}",
        case_reference=access_request.case_reference, category=access_request.category.name,
        requester=access_request.requester_id,
        days=[access_request.date_from.isoformat(), access_request.date_to.isoformat()],
        reason=access_request.decision_reason,
    )  # fmt: skip


def _locked(access_request: AccessRequest, by: User) -> AccessRequest:
    if not by.has_perm("access.decide_extended_access"):
        raise AccessRequestError("Only a senior officer decides extended access.")
    return AccessRequest.objects.select_for_update().get(pk=access_request.pk)


class ReviewError(Exception):
    """A review that cannot be recorded; the message says why."""


def audit_dip_sample(*, by: User, count: int, since: datetime, until: datetime) -> int:
    """Pick `count` searches (exports among them) at random from a period, not sampled before,
    for review; return how many were picked."""
    searches = AuditRecord.objects.filter(
        action__in=AuditRecord.SEARCHES, at__gte=since, at__lt=until, review__isnull=True
    )
    picked = list(searches.order_by("?")[:count])
    with transaction.atomic(), set_actor(by):
        for record in picked:
            SearchReview.objects.create(record=record, sampled_by=by)
    return len(picked)


def search_review_record(*, review: SearchReview, by: User, finding: str, notes: str) -> None:
    """Record what the review of a sampled search found; the searcher never reviews their own."""
    if finding not in SearchReview.Finding.values:
        raise ReviewError("Say what the review found.")
    if review.record.user_id == by.pk:
        raise ReviewError("Someone else must review your own searches.")
    if "\x00" in notes:
        raise ReviewError("The notes hold a NUL character, which text cannot contain.")
    with transaction.atomic(), set_actor(by):
        review = SearchReview.objects.select_for_update().get(pk=review.pk)
        if review.finding:  # decided once: a second auditor's finding does not overwrite it
            raise ReviewError(f"This search was reviewed already by {review.reviewed_by}.")
        review.finding, review.notes = finding, notes.strip()
        review.reviewed_by, review.reviewed_at = by, timezone.now()
        review.save()


def sessions_end_if_disabled(sender, instance: User, **kwargs) -> None:
    """A disabled account's sessions end at once (post_save), wherever they are open. Sessions
    live at most SESSION_IDLE_SECONDS unused, so the live ones are few."""
    if instance.is_active:
        return
    live = Session.objects.filter(expire_date__gt=timezone.now())
    ended = [s.pk for s in live if s.get_decoded().get("_auth_user_id") == str(instance.pk)]
    Session.objects.filter(pk__in=ended).delete()
