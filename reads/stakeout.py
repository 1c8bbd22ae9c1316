"""Stakeout (R-SEARCH-3): the vehicles seen at every one of 2 to 5 places, each in its own time
range (e.g. at each of a series of crime scenes). One search, audited once, within the window
the person may search (the oldest range decides it)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from access.models import AuditRecord, SearchPurpose

from .search import PLACE_MAX_DAYS, Criteria, SearchRefused, search_audited

MIN_PLACES, MAX_PLACES = 2, 5
MAX_VEHICLES = 1000


@dataclass(frozen=True)
class Place:
    site_id: int
    start: datetime
    end: datetime


def stakeout_search(
    *, user, purpose: SearchPurpose, places: list[Place], address: str | None = None
) -> list[dict]:
    """The vehicles seen at every place, with when they were first seen at each. A stakeout
    refused for its places is audited as refused, like any search."""
    now = timezone.now()
    criteria = Criteria(plate="", captured_from=min((p.start for p in places), default=now),
                        captured_to=max((p.end for p in places), default=now))  # fmt: skip

    def run(window):
        if not MIN_PLACES <= len(places) <= MAX_PLACES:
            raise SearchRefused(f"A stakeout needs {MIN_PLACES} to {MAX_PLACES} places.")
        for place in places:
            if not timedelta(0) < place.end - place.start <= timedelta(days=PLACE_MAX_DAYS):
                raise SearchRefused(f"Each place's time range must run forwards, over at most "
                                    f"{PLACE_MAX_DAYS} days.")  # fmt: skip
        vehicles = _seen_everywhere(places)
        return (
            vehicles,
            len(vehicles),
            {"sites": sorted({p.site_id for p in places} if vehicles else set())},
        )

    parameters = {"places": [{"site": p.site_id, "start": p.start.isoformat(),
                              "end": p.end.isoformat()} for p in places]}  # fmt: skip
    return search_audited(user=user, purpose=purpose, criteria=criteria, address=address,
                          action=AuditRecord.Action.SEARCH, parameters=parameters, run=run,
                          target=f"stakeout of {len(places)} places")  # fmt: skip


def _seen_everywhere(places: list[Place]) -> list[dict]:
    per_place = " UNION ALL ".join(
        f"SELECT vrm, {n} AS place, min(captured_at) AS first FROM reads_read"  # noqa: S608 - n is an int
        " WHERE site_id = %s AND captured_at >= %s AND captured_at <= %s GROUP BY vrm"
        for n in range(len(places))
    )
    query = (
        f"SELECT vrm, array_agg(first ORDER BY place) FROM ({per_place}) AS seen"  # noqa: S608
        " GROUP BY vrm HAVING count(DISTINCT place) = %s ORDER BY vrm LIMIT %s"
    )
    params = [value for p in places for value in (p.site_id, p.start, p.end)]
    with connection.cursor() as cursor:
        cursor.execute(query, [*params, len(places), MAX_VEHICLES])
        return [{"vrm": vrm, "first_seen": firsts} for vrm, firsts in cursor.fetchall()]
