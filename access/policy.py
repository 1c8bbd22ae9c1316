"""The access-window policy (R-SEARCH-2): what window of reads a person may search, for which
case, with which grant, now. The read search service asks it before every search and applies
the answer in SQL; nothing else decides it.

Windows are measured on the day a read was collected (its capture time, in the force's time
zone). The standard window is the last SEARCH_WINDOW_DAYS days, today included; older reads,
back to the retention limit, only under an active grant for the same case and offence, and only
within the days the grant covers. A search that asks for more is refused with what it
would need, never quietly cut down.
"""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from reads.models import RetentionPolicy

from .models import AccessRequest, SearchPurpose


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    grant: AccessRequest | None = None


class WindowRefused(Exception):
    """A search outside what the person may see; the message says what would be needed."""


def case_reference_clean(value: str) -> str:
    """A case reference as the force writes it (upper case, no spaces), or ValueError."""
    reference = re.sub(r"\s+", "", value or "").upper()
    if not re.fullmatch(settings.CASE_REFERENCE_PATTERN, reference):
        raise ValueError(
            f"{value!r} is not an incident or crime reference: {settings.CASE_REFERENCE_HELP}"
        )
    return reference


def search_window(
    *, user, purpose: SearchPurpose, wanted_from: datetime, wanted_to: datetime | None = None,
    now: datetime | None = None,
) -> Window:  # fmt: skip
    """The window a search under `purpose` (its case and offence) from `wanted_from` to
    `wanted_to` may use: older reads only under a grant for that case and offence."""
    case_reference = purpose.case_reference
    now = now or timezone.now()
    end = min(wanted_to or now, now)
    if wanted_from > end:
        raise WindowRefused("The search starts after it ends: check the dates.")
    kept_days = RetentionPolicy.in_force().reads_days
    oldest = now - timedelta(days=kept_days)
    if wanted_from < oldest:
        raise WindowRefused(
            f"Reads are kept for {kept_days} days: none exist before "
            f"{_day(oldest)}. Start the search on or after that day."
        )
    standard = standard_start(now)
    if wanted_from >= standard:
        return Window(wanted_from, end)
    active = AccessRequest.objects.filter(
        requester=user, case_reference=case_reference, status=AccessRequest.Status.APPROVED,
        expires_at__gt=now,
    )  # fmt: skip
    grants = list(active.filter(category_id=purpose.category_id))
    others = [] if grants else sorted(set(active.values_list("category__name", flat=True)))
    if others:
        raise WindowRefused(
            f"Your extended access for case {case_reference} is for {', '.join(others)}, not "
            f"{purpose.category.name}: search under that offence, or ask for a grant for this one."
        )
    for grant in grants:
        # Every instant searched (both ends included) is in the standard window or before the
        # grant's end, the first instant after its last day.
        grant_end = _start(grant.date_to, 1)
        reaches = end < grant_end if end < standard else standard <= grant_end
        if _start(grant.date_from) <= wanted_from and reaches:
            return Window(wanted_from, end, grant)
    covered = [f"{_day(_start(g.date_from))} to {_day(_start(g.date_to))}" for g in grants]
    if covered:
        raise WindowRefused(
            f"Your extended access for case {case_reference} covers {', '.join(covered)}; this "
            f"search reaches back to {_day(wanted_from)}. Ask for a grant that covers it."
        )
    raise WindowRefused(
        f"Reads older than {settings.SEARCH_WINDOW_DAYS} days (before {_day(standard)}) need "
        f"extended access for case {case_reference}, approved by a senior officer, for serious "
        "crime. Ask for it under Extended access, or search from that day on."
    )


def standard_start(now: datetime | None = None) -> datetime:
    """The start of the standard window: midnight SEARCH_WINDOW_DAYS - 1 days before today."""
    today = timezone.localdate(now or timezone.now())
    return _start(today - timedelta(days=settings.SEARCH_WINDOW_DAYS - 1))


def _start(day, plus_days: int = 0) -> datetime:
    """The start of a day (in the force's time zone), `plus_days` later."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=plus_days), time.min))


def _day(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d %b %Y}"
