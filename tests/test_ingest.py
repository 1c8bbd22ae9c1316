"""Ingest: the partitioned read store, idempotent COPY, and matching against hotlists."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from hotlist.matching import LOOK_ALIKES, IndexedEntry, MatchIndex, confusion_key
from hotlist.models import Alert, HotlistEntry
from reads import partitions
from reads.models import Read
from reads.services import read_batch_ingest
from reads.tasks import partitions_ensure_task
from tests.factories import HotlistEntryFactory, HotlistFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("read_store")]


def plain_read(vrm="AB12CDE", captured_at=None, alternatives=(), capture_id=None) -> dict:
    captured_at = captured_at or timezone.now() - timedelta(seconds=5)
    return {
        "id": str(uuid.uuid4()), "vrm": vrm, "vrm_raw": vrm, "capture_id": capture_id or "x",
        "captured_at": captured_at.isoformat(), "confidence": 0.9,
        "alternatives": [{"vrm": alt, "score": 0.5} for alt in alternatives],
    }  # fmt: skip


def ingest(camera, reads):
    return read_batch_ingest(
        camera_id=camera.pk, site_id=camera.site_id, received_at=timezone.now().isoformat(),
        reads=reads,
    )  # fmt: skip


def test_partitions_exist_for_today_and_a_week_ahead():
    partitions.forget_known()
    partitions_ensure_task()
    today = datetime.now(UTC).date()
    assert {today + timedelta(days=n) for n in range(8)} <= partitions.existing_days()
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'reads_read'")
        assert cursor.fetchone()[0] == "p"  # a partitioned table
        cursor.execute("SELECT count(*) FROM pg_inherits WHERE inhparent = 'reads_read'::regclass")
        assert cursor.fetchone()[0] >= 8


def test_a_read_for_a_day_without_a_partition_gets_one(camera):
    old = timezone.now() - timedelta(days=40)
    ingest(camera, [plain_read(captured_at=old)])
    assert partitions.day_of(old) in partitions.existing_days()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {partitions.partition_name(partitions.day_of(old))}")
        assert cursor.fetchone()[0] == 1


def test_every_read_is_stored_hit_or_not_and_a_batch_ingested_twice_is_stored_once(camera):
    HotlistEntryFactory(vrm="AB12CDE")
    batch = [plain_read("AB12CDE"), plain_read("XY99ZZZ")]
    first = ingest(camera, [dict(read) for read in batch])
    second = ingest(camera, [dict(read) for read in batch])
    assert (first.stored, first.duplicates, len(first.alert_ids)) == (2, 0, 1)
    assert (second.stored, second.duplicates, second.alert_ids) == (0, 2, [])
    assert Read.objects.count() == 2
    assert Alert.objects.count() == 1
    camera.refresh_from_db()
    assert camera.reads_stored == 2
    assert camera.last_read_at is not None


def test_a_hit_sent_twice_in_one_batch_is_stored_and_alerted_once(camera):
    # A camera resending a read before the first send was acknowledged, in the same batch.
    HotlistEntryFactory(vrm="AB12CDE")
    hit, other = plain_read("AB12CDE"), plain_read("XY99ZZZ")
    result = ingest(camera, [dict(hit), dict(hit), other])
    assert (result.stored, result.duplicates, len(result.alert_ids)) == (2, 1, 1)
    assert Read.objects.count() == 2 and Alert.objects.get().read_id == uuid.UUID(hit["id"])
    camera.refresh_from_db()
    assert camera.reads_stored == 2


def test_camera_counts_refusals_once_and_records_its_clock_offset(camera):
    batch = [plain_read("AB12CDE")]
    for _ in range(2):  # the second delivery of the same batch
        read_batch_ingest(camera_id=camera.pk, site_id=camera.site_id, refused=3,
                          clock_offset_ms=-1500, received_at=timezone.now().isoformat(),
                          reads=[dict(read) for read in batch])  # fmt: skip
    camera.refresh_from_db()
    assert (camera.reads_stored, camera.reads_refused, camera.clock_offset_ms) == (1, 3, -1500)


def test_hit_raises_one_alert_carrying_the_read_and_the_entry(camera):
    entry = HotlistEntryFactory(vrm="AB12CDE", priority=1)
    read = plain_read("AB12CDE")
    ingest(camera, [read])
    alert = Alert.objects.get()
    assert (alert.entry, alert.hotlist, alert.camera) == (entry, entry.hotlist, camera)
    assert str(alert.read_id) == read["id"]
    assert alert.match_type == Alert.MatchType.EXACT
    assert alert.priority == 1
    assert alert.status == Alert.Status.NEW


def test_what_the_camera_saw_of_the_vehicle_is_kept_with_the_read_and_the_alert(camera):
    HotlistEntryFactory(vrm="AB12CDE", make="Ford", colour="Blue")
    seen = {"vehicle_make": "BMW", "vehicle_model": "320d", "vehicle_colour": "Black"}
    read = {**plain_read("AB12CDE"), **seen}
    ingest(camera, [read])
    stored = Read.objects.get(id=read["id"])
    assert (stored.vehicle_make, stored.vehicle_model, stored.vehicle_colour) == (
        "BMW",
        "320d",
        "Black",
    )
    alert = Alert.objects.get()
    assert alert.vehicle_comparison() == [
        ("Make", "Ford", "BMW", True), ("Model", "", "320d", False),
        ("Colour", "Blue", "Black", True),
    ]  # fmt: skip


def test_look_alike_read_matches_only_lists_that_allow_it(camera):
    tolerant = HotlistEntryFactory(vrm="AB12CDE", hotlist=HotlistFactory(fuzzy_tolerance=1))
    HotlistEntryFactory(vrm="AB12CDE", hotlist=HotlistFactory(fuzzy_tolerance=0))
    ingest(camera, [plain_read("A812CDE")])  # B read as 8
    alert = Alert.objects.get()
    assert alert.entry == tolerant
    assert alert.match_type == Alert.MatchType.LOOK_ALIKE
    assert alert.matched_vrm == "A812CDE"


def test_two_look_alikes_exceed_a_tolerance_of_one(camera):
    HotlistEntryFactory(vrm="AB12CDE", hotlist=HotlistFactory(fuzzy_tolerance=1))
    HotlistEntryFactory(vrm="AB12CDE", hotlist=HotlistFactory(fuzzy_tolerance=2))
    ingest(camera, [plain_read("A8I2CDE")])  # B->8 and 1->I
    assert Alert.objects.get().hotlist.fuzzy_tolerance == 2


def test_alternative_reading_matches_tolerant_lists(camera):
    entry = HotlistEntryFactory(vrm="AB12CDE", hotlist=HotlistFactory(fuzzy_tolerance=1))
    HotlistEntryFactory(vrm="AB12CDE", hotlist=HotlistFactory(fuzzy_tolerance=0))
    ingest(camera, [plain_read("AB12COE9", alternatives=["AB12CDE"])])
    alert = Alert.objects.get()
    assert (alert.entry, alert.match_type) == (entry, Alert.MatchType.ALTERNATIVE)
    assert alert.matched_vrm == "AB12CDE"


def test_expired_and_not_yet_valid_entries_do_not_match(camera):
    now = timezone.now()
    HotlistEntryFactory(vrm="EX01PRD", valid_from=now - timedelta(days=9),
                        expires_at=now - timedelta(days=1))  # fmt: skip
    HotlistEntryFactory(vrm="FU01TUR", valid_from=now + timedelta(days=1))
    HotlistEntryFactory(vrm="EX01PRD", hotlist=HotlistFactory(is_active=False))
    ingest(camera, [plain_read("EX01PRD"), plain_read("FU01TUR")])
    assert not Alert.objects.exists()
    assert Read.objects.count() == 2


def test_a_read_arriving_after_its_entry_expired_is_a_historic_alert(camera, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["dispatch.example.police.uk"]
    now = timezone.now()
    hotlist = HotlistFactory(webhook_url="https://dispatch.example.police.uk/alerts")
    entry = HotlistEntryFactory(hotlist=hotlist, vrm="LA7E02", valid_from=now - timedelta(days=2),
                                expires_at=now - timedelta(hours=1))  # fmt: skip
    HotlistEntryFactory(hotlist=hotlist, vrm="NOW01")
    # Captured while the entry stood, sent once the camera was back (its link was down).
    ingest(camera, [plain_read("LA7E02", captured_at=now - timedelta(hours=2)),
                    plain_read("LA7E02", captured_at=now - timedelta(minutes=30))])  # fmt: skip
    alert = Alert.objects.get()  # the read captured after the entry expired matches nothing
    assert (alert.entry, alert.captured_at) == (entry, now - timedelta(hours=2))
    assert alert.historic  # for the list's owner; the interest has lapsed: not queued, no sound
    assert not alert.deliveries.exists()  # nor sent on to dispatch
    ingest(camera, [plain_read("NOW01")])
    assert Alert.objects.get(read_vrm="NOW01").deliveries.count() == 1  # as a live one is


def test_editing_an_entry_reaches_the_matching_index(camera):
    ingest(camera, [plain_read("LA7ER01")])
    assert not Alert.objects.exists()
    HotlistEntryFactory(vrm="LA7ER01")  # committed: bumps the version the index checks
    ingest(camera, [plain_read("LA7ER01")])
    assert Alert.objects.count() == 1


def test_an_entry_nobody_announced_is_matched_once_the_index_is_older_than_its_limit(
    camera, settings
):
    hotlist = HotlistFactory()
    ingest(camera, [plain_read("QU1ET01")])  # the worker's index is loaded
    # Written without the announcement every change makes, as when Redis was down for it.
    HotlistEntry.objects.bulk_create([HotlistEntryFactory.build(vrm="QU1ET01", hotlist=hotlist)])
    ingest(camera, [plain_read("QU1ET01")])
    assert not Alert.objects.exists()  # the index is younger than its limit: not seen yet
    settings.HOTLIST_INDEX_MAX_AGE_SECONDS = 0
    ingest(camera, [plain_read("QU1ET01")])
    assert Alert.objects.get().read_vrm == "QU1ET01"


# --- The index itself ---------------------------------------------------------------------------

AT = datetime(2026, 1, 1, tzinfo=UTC)


def entry(vrm, tolerance=1, pk=1):
    return IndexedEntry(pk, 1, vrm, 3, tolerance, AT - timedelta(days=1), None)


@given(st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=2, max_size=8))
def test_any_single_look_alike_swap_matches_at_tolerance_one_only(vrm):
    swappable = [i for i, c in enumerate(vrm) if any(c in group for group in LOOK_ALIKES)]
    index = MatchIndex([entry(vrm, 1, 1), entry(vrm, 0, 2)])
    assert [m.match_type for m in index.match(vrm, [], AT)] == ["exact", "exact"]
    for i in swappable:
        group = next(g for g in LOOK_ALIKES if vrm[i] in g)
        other = next(c for c in group if c != vrm[i])
        misread = vrm[:i] + other + vrm[i + 1 :]
        assert confusion_key(misread) == confusion_key(vrm)
        matches = index.match(misread, [], AT)
        assert [(m.entry.entry_id, m.match_type) for m in matches] == [(1, "look_alike")]


def test_different_plates_do_not_match():
    index = MatchIndex([entry("AB12CDE")])
    assert index.match("AB12CDF", [], AT) == []
    assert index.match("AB12CD", [], AT) == []
