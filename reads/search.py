"""Searching reads for investigations (R-SEARCH-1..3): every search names its purpose, runs only
inside the window the access policy gives (access/policy.py), applied in SQL, and writes exactly
one record to the access audit, also when it is refused or fails. Pages and the API both come
here; nothing else queries reads for people.
"""

import contextlib
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Count, Max, Min, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from access.models import AuditRecord, OffenceCategory, SearchPurpose
from access.policy import Window, WindowRefused, case_reference_clean, search_window
from access.services import audit_record_add

from .models import Read
from .vrm import InvalidVRM, canonical_vrm

PAGE_SIZE = 100
MAX_PAGE = 100_000  # far past any search a person pages through (10 million reads)
COUNT_CAP = 10_000  # results are counted up to this; more says "over 10,000"
MIN_KNOWN_RUN = 3  # a partial plate needs this many known characters in a row (trigram index)
MIN_JUSTIFICATION = 20
PLACE_MAX_DAYS = 7  # a search by place alone (no plate) covers at most this long


class SearchRefused(Exception):
    """A search that may not run, or cannot run fast; the message says why and what to do."""


@dataclass(frozen=True)
class Criteria:
    """What a search asks for. `plate` is a full VRM, or a partial one with ? (one character)
    and * (any run of characters), or empty for every vehicle at a place and time (a site or
    camera, over at most PLACE_MAX_DAYS)."""

    plate: str
    captured_from: datetime
    captured_to: datetime | None = None
    area: str = ""
    site_id: int | None = None
    camera_id: int | None = None
    direction: str = ""


@dataclass(frozen=True)
class VehicleHistory:
    """Where and when one vehicle was seen in the window: first and last sightings, each
    site with its count, and reads per day (for the timeline)."""

    first_seen: datetime
    last_seen: datetime
    sites: list[dict]
    per_day: list[tuple[date, int]]


@dataclass(frozen=True)
class SearchResult:
    reads: list[Read]
    total: int
    capped: bool
    window: Window
    page: int
    history: VehicleHistory | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def search_purpose_create(
    *, user, category: OffenceCategory, case_reference: str, justification: str
) -> SearchPurpose:
    """Record why searches are being run (R-SEARCH-1): no purpose, no search."""
    try:
        reference = case_reference_clean(case_reference)
    except ValueError as error:
        raise SearchRefused(str(error)) from None
    if not category.is_active:
        raise SearchRefused(f"{category.name} is no longer an offence category in use.")
    if len(justification.strip()) < MIN_JUSTIFICATION:
        raise SearchRefused("Say why this search is needed for the case, in at least a sentence.")
    return SearchPurpose.objects.create(user=user, category=category, case_reference=reference,
                                        justification=justification.strip())  # fmt: skip


def plate_condition(plate: str) -> dict:
    """The ORM condition for a full or partial plate, or SearchRefused saying what is wrong."""
    text = re.sub(r"\s+", "", plate or "").upper()
    if not re.search(r"[?*]", text):
        try:
            return {"vrm": canonical_vrm(text)}
        except InvalidVRM as error:
            raise SearchRefused(str(error)) from None
    if not re.fullmatch(r"[A-Z0-9?*]+", text):
        raise SearchRefused("A partial plate has letters, digits, ? (one character) and * (any "
                            "characters) only.")  # fmt: skip
    if max(len(run) for run in re.split(r"[?*]", text)) < MIN_KNOWN_RUN:
        raise SearchRefused(
            f"{text} is too vague to search quickly: give at least {MIN_KNOWN_RUN} known "
            "characters in a row (e.g. AB1?C*), or narrow it down otherwise."
        )
    regex = "^" + text.replace("?", ".").replace("*", ".*") + "$"
    return {"vrm__regex": regex}


def read_search(
    *, user, purpose: SearchPurpose, criteria: Criteria, page: int = 1,
    address: str | None = None,
) -> SearchResult:  # fmt: skip
    """One search, inside the user's window, audited once whatever happens."""
    page = max(1, page)

    def run(window: Window):
        reads = reads_in_window(window, criteria)
        total, sites = _count_and_sites(reads)
        rows = list(reads[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
        # A vehicle's history, for a full plate with a bounded number of reads.
        full = total and total <= COUNT_CAP and "vrm" in _plate(criteria)
        history = _history(reads) if full else None
        result = SearchResult(rows, min(total, COUNT_CAP), total > COUNT_CAP, window, page,
                              history)  # fmt: skip
        return result, result.total, {"sites": sites, "capped": result.capped}

    return search_audited(
        user=user, purpose=purpose, criteria=criteria, address=address,
        action=AuditRecord.Action.SEARCH, parameters={"page": page}, run=run,
    )  # fmt: skip


def search_audit(*, user, purpose, criteria, address, action, parameters, target="") -> dict:
    """What a search's audit record says of who asked, why, and what was asked."""
    plate = criteria.plate.strip()
    return {
        "user": user, "action": action, "address": address,
        "target": target or (f"plate {plate}" if plate else "place and time"),
        "case_reference": purpose.case_reference, "category": purpose.category.name,
        "purpose": purpose.pk, "parameters": {**_parameters(criteria), **parameters},
    }  # fmt: skip


def search_audited(*, user, purpose, criteria, address, action, parameters, run, target=""):
    """Check a search and find its window, let `run` query within it, and write exactly one
    audit record: what was asked, the window and grant used and the result count, or the
    refusal or failure."""
    audit = search_audit(user=user, purpose=purpose, criteria=criteria, address=address,
                         action=action, parameters=parameters, target=target)  # fmt: skip
    try:
        if not user.has_perm("access.search_reads") or purpose.user_id != user.pk:
            raise SearchRefused("You may not search reads.")
        window = search_window(user=user, purpose=purpose,
                               wanted_from=criteria.captured_from,
                               wanted_to=criteria.captured_to)  # fmt: skip
        outcome, count, details = run(window)
    except (SearchRefused, WindowRefused) as refusal:
        audit_record_add(**audit, outcome=AuditRecord.Outcome.REFUSED, reason=str(refusal))
        raise SearchRefused(str(refusal)) from None
    except Exception as error:
        audit_record_add(**audit, outcome=AuditRecord.Outcome.ERROR, error=type(error).__name__)
        raise
    audit_record_add(
        **audit, result_count=count, window=[window.start.isoformat(), window.end.isoformat()],
        grant=window.grant.pk if window.grant else None, **details,
    )  # fmt: skip
    return outcome


def _count_and_sites(reads: QuerySet[Read]) -> tuple[int, list[int]]:
    """How many reads a search finds (up to COUNT_CAP + 1) and at which sites, in one query:
    the audit keeps the sites, so a site's review can count the searches that used it."""
    sql, params = reads.order_by().values("site_id")[: COUNT_CAP + 1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), array_agg(DISTINCT site_id) FROM ({sql}) AS found",  # noqa: S608 - Django's own SQL
                       params)  # fmt: skip
        total, sites = cursor.fetchone()
    return total, sorted(sites or [])


def _plate(criteria: Criteria) -> dict:
    return plate_condition(criteria.plate) if criteria.plate.strip() else {}


def _history(reads: QuerySet[Read]) -> VehicleHistory:
    """One vehicle's history (a full plate: a few thousand reads at most, aggregated in SQL)."""
    reads = reads.order_by()
    by_site = (
        reads.values("site_id", "site__name", "site__area", "site__latitude", "site__longitude")
        .annotate(reads=Count("id"), first=Min("captured_at"), last=Max("captured_at"))
        .order_by("-reads")
    )
    sites = [dict(site) for site in by_site]
    seen = reads.aggregate(first=Min("captured_at"), last=Max("captured_at"))
    days = reads.annotate(day=TruncDate("captured_at", tzinfo=timezone.get_current_timezone()))
    per_day = list(days.values_list("day").annotate(n=Count("id")).order_by("day"))
    return VehicleHistory(seen["first"], seen["last"], sites, per_day)


def reads_in_window(window: Window, criteria: Criteria) -> QuerySet[Read]:
    reads = Read.objects.filter(captured_at__gte=window.start, captured_at__lte=window.end)
    if criteria.plate.strip():
        reads = reads.filter(**_plate(criteria))
    else:  # every vehicle at a place and time: bounded, so it stays fast
        if not (criteria.site_id or criteria.camera_id):
            raise SearchRefused("Give a plate, or a site or camera to see every vehicle there.")
        if window.end - window.start > timedelta(days=PLACE_MAX_DAYS):
            raise SearchRefused(f"Every vehicle at a place is searched over at most "
                                f"{PLACE_MAX_DAYS} days: narrow the time range.")  # fmt: skip
    if criteria.area:
        reads = reads.filter(site__area=criteria.area)
    if criteria.site_id:
        reads = reads.filter(site_id=criteria.site_id)
    if criteria.camera_id:
        reads = reads.filter(camera_id=criteria.camera_id)
    if criteria.direction:
        reads = reads.filter(direction=criteria.direction)
    return reads.select_related("camera", "site").order_by("-captured_at", "id")


def _parameters(criteria: Criteria) -> dict:
    """The criteria as asked, the plate as its canonical registration (AB12 CDE, ab12cde and
    AB12CDE are one plate to the auditors' flags) where it is one, not a pattern."""
    parameters = {key: value.isoformat() if isinstance(value, datetime) else value
                  for key, value in asdict(criteria).items()}  # fmt: skip
    with contextlib.suppress(InvalidVRM):  # a partial plate (with ? or *) is kept as typed
        parameters["plate"] = canonical_vrm(criteria.plate) if criteria.plate.strip() else ""
    return parameters


def read_image_open(
    *, user, purpose: SearchPurpose | None, vrm: str, captured_at: datetime | None, read_id: str,
    kind: str, address: str | None = None,
) -> str:  # fmt: skip
    """The stored path of a read's plate or overview image, for someone whose window for the
    purpose's case covers the read; every view is audited, and so is every refusal (which
    answers as if the read did not exist), one without a purpose or a capture time among them."""
    audit = {"user": user, "action": AuditRecord.Action.IMAGE_VIEW,
             "target": f"read {read_id} {kind} image", "address": address}  # fmt: skip
    if purpose is not None:
        audit |= {"case_reference": purpose.case_reference, "category": purpose.category.name,
                  "purpose": purpose.pk}  # fmt: skip
    read = None
    if captured_at is not None:
        read = Read.objects.filter(vrm=vrm, captured_at=captured_at, id=read_id).first()
    path = {"plate": read.plate_image, "overview": read.overview_image}.get(kind) if read else ""
    try:
        if purpose is None:
            raise SearchRefused("No search purpose is open in this session.")
        if not (captured_at and path and user.has_perm("access.search_reads")
                and purpose.user_id == user.pk):  # fmt: skip
            raise SearchRefused("No such image.")
        window = search_window(user=user, purpose=purpose, wanted_from=captured_at,
                               wanted_to=captured_at)  # fmt: skip
    except (SearchRefused, WindowRefused) as refusal:
        audit_record_add(**audit, outcome=AuditRecord.Outcome.REFUSED, reason=str(refusal))
        raise SearchRefused("No such image.") from None
    audit_record_add(**audit, vrm=vrm, window=[window.start.isoformat(), window.end.isoformat()],
                     grant=window.grant.pk if window.grant else None)  # fmt: skip
    return path
