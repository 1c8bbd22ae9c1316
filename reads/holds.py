"""Legal holds (R-RET-3): reads preserved past retention for an investigation or prosecution.

An investigator asks for a hold under one of their search purposes, on reads they may search
now: a selection of search results, or one plate over a period. The reads are copied at once
into the holds table and their images into the holds store, so retention may drop their days
while a senior officer (never the requester) decides. Held reads are shown only to the officer
who asked, under the hold's case, and every look is audited; to anyone else a hold's reads do
not exist. Released or refused holds' copies go at the next retention run (reads/retention.py).
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from access.models import AuditRecord, SearchPurpose
from access.policy import WindowRefused, search_window
from access.services import audit_record_add

from .models import HeldRead, LegalHold, Read
from .retention import HOLDS_FOLDER, copy_file, tree_delete
from .search import PAGE_SIZE, SearchRefused, plate_condition
from .vrm import InvalidVRM, canonical_vrm

HOLD_MAX_READS = 5000
MIN_REASON = 20
REVIEW_MAX_DAYS = 366
COPIED = [field.name for field in HeldRead._meta.concrete_fields
          if field.name not in ("id", "hold", "read_id")]  # fmt: skip


class HoldRefused(Exception):
    """A hold, decision or look that is not allowed; the message says why."""


@dataclass(frozen=True)
class ReadKey:
    """A read as the store finds it: by plate, capture time and id."""

    vrm: str
    captured_at: datetime
    id: str


@dataclass(frozen=True)
class HeldPage:
    reads: list[HeldRead]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def legal_hold_request(
    *, user, purpose: SearchPurpose, reason: str, review_on: date, reads: list[ReadKey] = (),
    vrm: str = "", period_from: datetime | None = None, period_to: datetime | None = None,
    address: str | None = None,
) -> LegalHold:  # fmt: skip
    """Hold `reads` (picked from search results), or every read of `vrm` from `period_from` to
    `period_to`, for the purpose's case; the copies are made now. Audited, also when refused."""
    audit = _audit(user, purpose, AuditRecord.Action.HOLD_REQUEST, "legal hold", address)
    try:
        if not user.has_perm("access.search_reads") or purpose.user_id != user.pk:
            raise HoldRefused("You may not hold reads.")
        _check_reason(reason, "Say why the reads must be kept for the case")
        _check_review(review_on)
        if reads:
            start, end = min(r.captured_at for r in reads), max(r.captured_at for r in reads)
        elif vrm and period_from and period_to:
            vrm, start, end = _vrm(vrm), period_from, period_to
            if start > end:
                raise HoldRefused("The period starts after it ends: check the dates.")
        else:
            raise HoldRefused("Pick reads from search results, or give a plate and a period.")
        # Only what the officer may search now, for this case, may be held.
        search_window(user=user, purpose=purpose, wanted_from=start, wanted_to=end)
        with transaction.atomic():
            hold = LegalHold.objects.create(
                requester=user, purpose=purpose, reason=reason.strip(), vrm=vrm,
                period_from=start, period_to=end, review_on=review_on,
            )  # fmt: skip
            try:
                count = _copy(hold, _found(reads, vrm, start, end))
            except BaseException:  # the hold rolls back: no copy of its images outlives it
                tree_delete(f"{HOLDS_FOLDER}/{hold.pk}")
                raise
    except (HoldRefused, WindowRefused) as refusal:
        audit_record_add(**audit, outcome=AuditRecord.Outcome.REFUSED, reason=str(refusal))
        raise HoldRefused(str(refusal)) from None
    except Exception as error:
        audit_record_add(**audit, outcome=AuditRecord.Outcome.ERROR, error=type(error).__name__)
        raise
    audit_record_add(**{**audit, "target": f"legal hold {hold.pk}"}, result_count=count,
                     vrm=vrm, period=[start.isoformat(), end.isoformat()],
                     review_on=review_on.isoformat())  # fmt: skip
    return hold


@contextmanager
def _hold_step(hold: LegalHold, by, action: str, address: str | None):
    """The hold, locked for one step by `by` (two decisions at once are taken one after the
    other, the second seeing the first), and the step's audit record; a refusal is audited too
    and raised. `hold` is brought up to date after."""
    audit = _audit(by, hold.purpose, action, f"legal hold {hold.pk}", address)
    try:
        with transaction.atomic():
            yield LegalHold.objects.select_for_update().get(pk=hold.pk), audit
    except HoldRefused as refusal:
        audit_record_add(**audit, outcome=AuditRecord.Outcome.REFUSED, reason=str(refusal))
        raise
    hold.refresh_from_db()


def legal_hold_decide(
    *, hold: LegalHold, by, approve: bool, reason: str = "", address: str | None = None
) -> None:
    """A senior officer other than the requester approves or refuses a waiting hold."""
    with _hold_step(hold, by, AuditRecord.Action.HOLD_DECISION, address) as (current, audit):
        _check_senior(current, by)
        if current.status != LegalHold.Status.PENDING:
            raise HoldRefused("This hold has been decided already.")
        if not approve:
            _check_reason(reason, "Say why the hold is refused")
        current.status = LegalHold.Status.ACTIVE if approve else LegalHold.Status.REFUSED
        current.decided_by, current.decided_at = by, timezone.now()
        current.decision_reason = reason.strip()
        current.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record_add(**audit, decision=current.status, reason=reason.strip())


def legal_hold_review(
    *, hold: LegalHold, by, review_on: date, reason: str, address: str | None = None
) -> None:
    """A senior officer other than the requester keeps a hold in force to a new review date."""
    with _hold_step(hold, by, AuditRecord.Action.HOLD_DECISION, address) as (current, audit):
        _check_senior(current, by)
        if current.status != LegalHold.Status.ACTIVE:
            raise HoldRefused("Only a hold in force is reviewed.")
        _check_reason(reason, "Say why the reads must still be kept")
        _check_review(review_on)
        current.review_on, current.decision_reason = review_on, reason.strip()
        current.save(update_fields=["review_on", "decision_reason"])
        audit_record_add(**audit, decision="reviewed", review_on=review_on.isoformat(),
                         reason=reason.strip())  # fmt: skip


def legal_hold_release(*, hold: LegalHold, by, reason: str, address: str | None = None) -> None:
    """The officer who asked, or a senior officer, releases a hold (or withdraws a waiting
    one); its copies go at the next retention run."""
    with _hold_step(hold, by, AuditRecord.Action.HOLD_RELEASE, address) as (current, audit):
        if by.pk != current.requester_id and not by.has_perm("access.decide_extended_access"):
            raise HoldRefused("Only the officer who asked for it or a senior officer may "
                              "release it.")  # fmt: skip
        if current.status not in LegalHold.PRESERVING:
            raise HoldRefused("This hold is not in force.")
        _check_reason(reason, "Say why the reads need no longer be kept")
        current.status = LegalHold.Status.RELEASED
        current.released_by, current.released_at = by, timezone.now()
        current.release_reason = reason.strip()
        current.save(update_fields=["status", "released_by", "released_at", "release_reason"])
        audit_record_add(**audit, reason=reason.strip())


def held_reads_view(
    *, user, hold: LegalHold, plate: str = "", page: int = 1, address: str | None = None
) -> HeldPage:
    """A page of a hold's reads, for the officer who asked for it while it is in force; to
    anyone else the hold's reads do not exist. Audited once, also when refused."""
    page = max(1, page)
    audit = _audit(user, hold.purpose, AuditRecord.Action.HELD_READS_VIEW,
                   f"legal hold {hold.pk}", address)  # fmt: skip
    try:
        _check_viewer(hold, user)
        reads = hold.reads.select_related("camera", "site")
        if plate.strip():
            reads = reads.filter(**plate_condition(plate))
        total = reads.count()
    except (HoldRefused, SearchRefused) as refusal:
        audit_record_add(**audit, outcome=AuditRecord.Outcome.REFUSED, reason=str(refusal),
                         plate=plate)  # fmt: skip
        raise HoldRefused(str(refusal)) from None
    audit_record_add(**audit, result_count=total, plate=plate, page=page)
    return HeldPage(list(reads[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]), total, page)


def held_read_image_open(
    *, user, hold_id: int, read_id: str, kind: str, address: str | None = None
) -> str:
    """The stored path of a held read's image, for the officer who asked for the hold; every
    view is audited, and so is every refusal (which answers as if the image did not exist)."""
    hold = LegalHold.objects.select_related("purpose__category").filter(pk=hold_id).first()
    target = f"held read {read_id} {kind} image (legal hold {hold_id})"
    audit = (_audit(user, hold.purpose, AuditRecord.Action.IMAGE_VIEW, target, address) if hold
             else {"user": user, "action": AuditRecord.Action.IMAGE_VIEW, "target": target,
                   "address": address})  # fmt: skip
    held = hold.reads.filter(read_id=read_id).first() if hold else None
    path = {"plate": held.plate_image, "overview": held.overview_image}.get(kind) if held else ""
    try:
        if hold is None:
            raise HoldRefused("No such legal hold.")
        _check_viewer(hold, user)
        if not path:
            raise HoldRefused("No such image.")
    except HoldRefused as refusal:
        audit_record_add(**audit, outcome=AuditRecord.Outcome.REFUSED, reason=str(refusal))
        raise HoldRefused("No such image.") from None
    audit_record_add(**audit, vrm=held.vrm)
    return path


def _found(reads: list[ReadKey], vrm: str, start: datetime, end: datetime) -> list[Read]:
    """The reads to hold, from the store (at most HOLD_MAX_READS)."""
    found = Read.objects.filter(captured_at__gte=start, captured_at__lte=end)
    if reads:
        wanted = {(r.vrm, r.captured_at, str(r.id)) for r in reads}
        found = found.filter(vrm__in={r.vrm for r in reads}, id__in={r.id for r in reads})
        rows = [r for r in found if (r.vrm, r.captured_at, str(r.id)) in wanted]
    else:
        rows = list(found.filter(vrm=vrm).order_by("captured_at")[: HOLD_MAX_READS + 1])
    if not rows:
        raise HoldRefused("None of those reads are in the store: there is nothing to hold.")
    if len(rows) > HOLD_MAX_READS:
        raise HoldRefused(f"A hold keeps at most {HOLD_MAX_READS} reads: narrow the period.")
    return rows


def _copy(hold: LegalHold, reads: list[Read]) -> int:
    """Copy the reads into the holds table and their images into the hold's folder."""
    held = [HeldRead(hold=hold, read_id=read.id, **{name: getattr(read, name) for name in COPIED})
            for read in reads]  # fmt: skip
    for copy in held:
        for field, suffix in (("plate_image", "plate"), ("overview_image", "overview")):
            source = getattr(copy, field)
            if source:
                target = (
                    f"{HOLDS_FOLDER}/{hold.pk}/{copy.read_id}-{suffix}.{source.rsplit('.', 1)[-1]}"
                )
                setattr(copy, field, target if copy_file(source, target) else "")
    HeldRead.objects.bulk_create(held)
    return len(held)


def _audit(user, purpose: SearchPurpose, action: str, target: str, address) -> dict:
    return {"user": user, "action": action, "target": target, "address": address,
            "case_reference": purpose.case_reference, "category": purpose.category.name,
            "purpose": purpose.pk}  # fmt: skip


def _vrm(value: str) -> str:
    try:
        return canonical_vrm(value)
    except InvalidVRM as error:
        raise HoldRefused(str(error)) from None


def _check_reason(reason: str, ask: str) -> None:
    if len(reason.strip()) < MIN_REASON:
        raise HoldRefused(f"{ask}, in at least a sentence.")


def _check_review(review_on: date) -> None:
    today = timezone.localdate()
    if not today < review_on <= today + timedelta(days=REVIEW_MAX_DAYS):
        raise HoldRefused("Set a review date after today and within a year.")


def _check_senior(hold: LegalHold, by) -> None:
    if not by.has_perm("access.decide_extended_access"):
        raise HoldRefused("Only a senior officer may decide or review a legal hold.")
    if by.pk == hold.requester_id:
        raise HoldRefused("You cannot decide or review your own hold: another senior officer must.")


def _check_viewer(hold: LegalHold, user) -> None:
    if user.pk != hold.requester_id or not user.has_perm("access.search_reads"):
        raise HoldRefused("No such legal hold.")
    if hold.status != LegalHold.Status.ACTIVE:
        raise HoldRefused(f"The hold is {hold.get_status_display().lower()}: its reads are "
                          "shown while it is in force.")  # fmt: skip
