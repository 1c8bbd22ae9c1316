"""The in-process matching index (R-HOT-3): every read is checked against every active entry.

Each ingest worker holds the active entries in dictionaries keyed by canonical VRM and by an
OCR-confusion key (each character mapped to its look-alike class), and rebuilds them when the
hotlist version counter in Redis changes, and at least every HOTLIST_INDEX_MAX_AGE_SECONDS (a
change made while Redis was down moves no counter). Matching a read is a few dictionary
look-ups: no database or Redis call per read.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.redis import client as redis_client
from reads.models import Read

from .events import alerts_announce
from .models import Alert, HotlistEntry
from .services import webhook_deliveries_create

VERSION_KEY = "anpr:hotlist:version"

# Characters OCR confuses, in classes; a character outside every class stands for itself.
LOOK_ALIKES = ["0ODQ", "1IL", "8B", "5S", "2Z", "6G"]
_CLASS_OF = {char: group[0] for group in LOOK_ALIKES for char in group}


def confusion_key(vrm: str) -> str:
    return "".join(_CLASS_OF.get(char, char) for char in vrm)


@dataclass(frozen=True, slots=True)
class IndexedEntry:
    entry_id: int
    hotlist_id: int
    vrm: str
    priority: int
    tolerance: int
    valid_from: datetime
    expires_at: datetime | None

    def valid_at(self, moment: datetime) -> bool:
        return self.valid_from <= moment and (self.expires_at is None or moment < self.expires_at)


@dataclass(frozen=True, slots=True)
class Match:
    entry: IndexedEntry
    match_type: str
    matched_vrm: str


class MatchIndex:
    """Active hotlist entries, indexed for matching."""

    def __init__(self, entries: list[IndexedEntry], version: int = 0):
        self.version = version
        self.loaded_at = time.monotonic()
        self.exact: dict[str, list[IndexedEntry]] = {}
        self.fuzzy: dict[str, list[IndexedEntry]] = {}
        for entry in entries:
            self.exact.setdefault(entry.vrm, []).append(entry)
            if entry.tolerance:
                self.fuzzy.setdefault(confusion_key(entry.vrm), []).append(entry)

    @property
    def age(self) -> float:
        """Seconds since it was loaded."""
        return time.monotonic() - self.loaded_at

    def __len__(self) -> int:
        return sum(len(entries) for entries in self.exact.values())

    @classmethod
    def load(cls, version: int = 0) -> "MatchIndex":
        """Every entry of an active list that has not expired, or expired within the last
        RETROSPECTIVE_MATCH_DAYS: a read that arrives late (a camera that was cut off) still
        matches the entries valid when it was captured (validity is checked per read)."""
        since = timezone.now() - timedelta(days=settings.RETROSPECTIVE_MATCH_DAYS)
        rows = (
            HotlistEntry.objects.filter(hotlist__is_active=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=since))
            .values_list(
                "id", "hotlist_id", "vrm", "priority", "hotlist__default_priority",
                "hotlist__fuzzy_tolerance", "valid_from", "expires_at",
            )
            .iterator(chunk_size=20_000)
        )  # fmt: skip
        entries = [
            IndexedEntry(pk, list_id, vrm, priority or default, tolerance, start, end)
            for pk, list_id, vrm, priority, default, tolerance, start, end in rows
        ]
        return cls(entries, version)

    def match(self, vrm: str, alternatives: list[str], at: datetime) -> list[Match]:
        """One match per entry, the strongest kind: exact, then look-alike, then alternative."""
        found: dict[int, Match] = {}
        for entry in self.exact.get(vrm, ()):
            if entry.valid_at(at):
                found[entry.entry_id] = Match(entry, Alert.MatchType.EXACT, vrm)
        for entry in self.fuzzy.get(confusion_key(vrm), ()):
            differing = sum(a != b for a, b in zip(entry.vrm, vrm, strict=True))
            new = entry.entry_id not in found
            if new and 0 < differing <= entry.tolerance and entry.valid_at(at):
                found[entry.entry_id] = Match(entry, Alert.MatchType.LOOK_ALIKE, vrm)
        for alternative in alternatives:
            for entry in self.exact.get(alternative, ()):
                if entry.tolerance and entry.entry_id not in found and entry.valid_at(at):
                    found[entry.entry_id] = Match(entry, Alert.MatchType.ALTERNATIVE, alternative)
        return list(found.values())


def current_version() -> int:
    return int(redis_client().get(VERSION_KEY) or 0)


def bump_version() -> None:
    """Tell every worker to rebuild its index, once the change that calls this has committed.
    With Redis down the change stands all the same (the failure is logged): the workers' indexes
    catch up within HOTLIST_INDEX_MAX_AGE_SECONDS."""
    transaction.on_commit(lambda: redis_client().incr(VERSION_KEY), robust=True)


_index: MatchIndex | None = None


def get_index() -> MatchIndex:
    """This process's index, rebuilt when the version in Redis has moved (one GET per call)
    or it is older than HOTLIST_INDEX_MAX_AGE_SECONDS."""
    global _index
    version = current_version()
    if (
        _index is None
        or _index.version != version
        or _index.age > settings.HOTLIST_INDEX_MAX_AGE_SECONDS
    ):
        _index = MatchIndex.load(version)
    return _index


def look_alike_variants(vrm: str, tolerance: int) -> set[str]:
    """The VRM and the plates differing from it by one look-alike character (tolerance 1 or
    more; more than one swap is rare enough that a tolerance of 2 is searched as 1)."""
    variants = {vrm}
    if tolerance:
        for i, char in enumerate(vrm):
            group = next((g for g in LOOK_ALIKES if char in g), "")
            variants |= {vrm[:i] + other + vrm[i + 1 :] for other in group if other != char}
    return variants


def index_settled_in() -> int:
    """Seconds until no read is matched against an index from before a hotlist change that
    commits now: every worker rebuilds its index within HOTLIST_INDEX_MAX_AGE_SECONDS (at once
    when Redis tells it), and a batch matched against the old one commits within seconds."""
    return 2 * settings.HOTLIST_INDEX_MAX_AGE_SECONDS


def entry_retrospective_match(*, entry_id: int, saved_at: datetime | None = None) -> int:
    """Match a new or re-activated entry against the stored reads of the last
    RETROSPECTIVE_MATCH_DAYS days (R-HOT-4), look-alikes included; see
    entries_retrospective_match for `saved_at`."""
    return entries_retrospective_match(entry_ids=[entry_id], look_alikes=True, live_from=saved_at)


def entries_retrospective_match(
    *, entry_ids: list[int], look_alikes: bool, live_from: datetime | None = None
) -> int:
    """Match entries against the stored reads of the last RETROSPECTIVE_MATCH_DAYS days;
    matches become historic alerts (not sounded, not queued), visible to the entries' owners.
    Bulk imports match exact plates only (the look-alike variants of thousands of entries would
    make the look-up slow). Returns how many matches it found (those already alerted
    among them: they are not raised twice).

    Run as entries are saved (from `live_from`) and again once no worker's index is older
    (index_settled_in): a read received since then but matched against an index from before
    them (a batch in flight, or Redis down so no worker was told) raises the live alert it
    should have had, sounded, queued and sent on, where an entry was valid when it was seen."""
    now = timezone.now()
    since = now - timedelta(days=settings.RETROSPECTIVE_MATCH_DAYS)
    entries = {e.pk: e for e in HotlistEntry.objects.filter(
        pk__in=entry_ids, hotlist__is_active=True).select_related("hotlist")}  # fmt: skip
    # Looking back is the point: reads from before an entry existed count, but not those after
    # it expired (an import may carry entries that have already).
    indexed = [IndexedEntry(e.pk, e.hotlist_id, e.vrm, e.effective_priority,
                            e.hotlist.fuzzy_tolerance if look_alikes else 0, since, e.expires_at)
               for e in entries.values()]  # fmt: skip
    if not indexed:
        return 0
    index = MatchIndex(indexed)
    plates = set().union(*(look_alike_variants(e.vrm, e.tolerance) for e in indexed))
    historic: list[Alert] = []
    live: list[Alert] = []
    for read in Read.objects.filter(vrm__in=plates, captured_at__gte=since):
        for match in index.match(read.vrm, [], read.captured_at):
            entry = entries[match.entry.entry_id]
            missed = (
                live_from is not None and read.received_at >= live_from
                and entry.valid_from <= read.captured_at and not entry.is_expired(now)
            )  # fmt: skip
            (live if missed else historic).append(Alert(
                read_id=read.id, read_vrm=read.vrm, matched_vrm=match.matched_vrm,
                captured_at=read.captured_at, camera_id=read.camera_id,
                plate_image=read.plate_image, overview_image=read.overview_image,
                observed_make=read.vehicle_make, observed_model=read.vehicle_model,
                observed_colour=read.vehicle_colour, entry_id=entry.pk,
                hotlist_id=entry.hotlist_id, match_type=match.match_type,
                priority=match.entry.priority, historic=not missed,
            ))  # fmt: skip
    Alert.objects.bulk_create(historic, ignore_conflicts=True)
    _live_raise(live)
    return len(historic) + len(live)


def _live_raise(alerts: list[Alert]) -> None:
    """Store the live alerts the read path missed, leaving out any it raised after all; send
    them on as it would have."""
    raised = []
    with transaction.atomic():
        for alert in alerts:
            try:
                with transaction.atomic():
                    alert.save()
            except IntegrityError:  # the read path raised it: one alert for a read and entry
                continue
            raised.append(alert)
        if raised:
            webhook_deliveries_create(raised)
            ids = [alert.pk for alert in raised]
            transaction.on_commit(lambda: alerts_announce(ids), robust=True)
