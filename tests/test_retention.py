"""Retention (R-RET-1, R-RET-2) and legal holds (R-RET-3) on the real partitioned read store."""

import io
import time
from datetime import UTC, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.utils import timezone

from access.models import AuditRecord, OffenceCategory
from access.services import access_request_create, access_request_decide
from cameras.models import CameraPosition
from hotlist.models import Alert
from reads import partitions
from reads.holds import (
    HoldRefused,
    ReadKey,
    held_read_image_open,
    held_reads_view,
    legal_hold_decide,
    legal_hold_release,
    legal_hold_request,
    legal_hold_review,
)
from reads.models import DeletionRecord, HeldRead, LegalHold, Read, RetentionPolicy
from reads.retention import RetentionError, retention_policy_change, retention_run
from reads.search import Criteria, read_search, search_purpose_create
from tests.factories import AlertFactory, CameraFactory
from tests.test_ingest import ingest, plain_read

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("read_store")]

CASE = "NT/4242/26"
WHY = "The vehicle is evidence in a robbery prosecution at crown court."


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def robbery(offence_categories):
    return OffenceCategory.objects.get(name="Robbery")


def stored_read(camera, media, vrm, captured_at, capture_id):
    """A read with a plate image in its capture day's folder, as the camera API stores it."""
    read = plain_read(vrm, captured_at=captured_at, capture_id=capture_id)
    path = f"reads/{captured_at.astimezone(UTC):%Y/%m/%d}/{camera.reference}/{read['id']}-plate.jpg"
    (media / path).parent.mkdir(parents=True, exist_ok=True)
    (media / path).write_bytes(f"plate of {vrm} {capture_id}".encode())
    read["plate_image"] = path
    return read


def purpose_for(user, category, case=CASE):
    return search_purpose_create(user=user, category=category, case_reference=case,
                                 justification=WHY)  # fmt: skip


def test_reads_past_retention_go_by_whole_days_and_the_run_is_recorded(media, personas):
    camera = CameraFactory()
    now = timezone.now()
    old, young = now - timedelta(days=366), now - timedelta(days=364)
    ingest(camera, [stored_read(camera, media, "AB12CDE", old, "old"),
                    stored_read(camera, media, "XY34ZZZ", old + timedelta(minutes=1), "old2"),
                    stored_read(camera, media, "AB12CDE", young, "young")])  # fmt: skip
    alert = AlertFactory(camera=camera, captured_at=old,
                         plate_image=Read.objects.get(capture_id="old").plate_image)  # fmt: skip

    records = {record.what: record for record in retention_run(now=now)}

    old_day, young_day = partitions.day_of(old), partitions.day_of(young)
    assert set(Read.objects.values_list("capture_id", flat=True)) == {"young"}
    assert old_day not in partitions.existing_days()
    assert young_day in partitions.existing_days()
    dropped = records["reads"]
    assert dropped.rows == 2 and old_day.isoformat() in dropped.days
    assert young_day.isoformat() not in dropped.days
    assert dropped.policy == RetentionPolicy.in_force() and dropped.policy.reads_days == 365
    # The dropped day's images are gone, the kept day's are not.
    assert not (media / f"reads/{old_day:%Y/%m/%d}").exists()
    assert records["read_images"].files == 2
    assert len(list((media / f"reads/{young_day:%Y/%m/%d}").rglob("*.jpg"))) == 1
    # The alert (kept 730 days) keeps its image, moved out of the read's day.
    alert.refresh_from_db()
    assert alert.plate_image.startswith("alerts/")
    assert (media / alert.plate_image).read_bytes() == b"plate of AB12CDE old"
    # Partitions ahead exist; the audit is untouched.
    assert partitions.day_of(now) + timedelta(days=7) in partitions.existing_days()
    assert not AuditRecord.objects.exists()

    # A second run does nothing.
    before = DeletionRecord.objects.count()
    assert retention_run(now=now) == []
    out = io.StringIO()
    call_command("retention", stdout=out)
    assert out.getvalue() == "Nothing is past retention.\n"
    assert DeletionRecord.objects.count() == before


def test_a_run_after_missed_days_catches_up(media):
    camera = CameraFactory()
    now = timezone.now()
    ingest(camera, [plain_read("AB12CDE", captured_at=now - timedelta(days=days),
                               capture_id=str(days)) for days in (368, 367, 366, 300)])  # fmt: skip
    records = [record for record in retention_run(now=now) if record.what == "reads"]
    assert [(record.rows, len(record.days)) for record in records] == [(1, 1)] * 3  # a day each
    expected = {
        partitions.day_of(now - timedelta(days=days)).isoformat() for days in (368, 367, 366)
    }
    assert expected == {day for record in records for day in record.days}
    assert list(Read.objects.values_list("capture_id", flat=True)) == ["300"]


def test_a_day_that_cannot_be_dropped_leaves_the_rest_done_and_recorded(media, monkeypatch):
    import psycopg
    from django.db import connection

    from reads import retention

    monkeypatch.setattr(retention, "DROP_LOCK_TIMEOUT", "300ms")
    camera = CameraFactory(kind="mobile")
    now = timezone.now()
    ingest(camera, [plain_read("AB12CDE", captured_at=now - timedelta(days=days),
                               capture_id=str(days)) for days in (368, 367)])  # fmt: skip
    CameraPosition.objects.create(camera=camera, at=now - timedelta(days=400), latitude=52.2,
                                  longitude=0.1)  # fmt: skip
    locked = partitions.day_of(now - timedelta(days=367))
    # Another session reading that day (a long search, a hold being copied) holds its partition.
    with psycopg.connect(**connection.get_connection_params()) as reader:
        reader.execute(f"SELECT count(*) FROM {partitions.partition_name(locked)}")
        with pytest.raises(RetentionError, match="could not finish _reads_drop"):
            retention_run(now=now)
    dropped = DeletionRecord.objects.get(what="reads")  # the day dropped before it: recorded
    assert dropped.days == [(locked - timedelta(days=1)).isoformat()] and dropped.rows == 1
    assert not CameraPosition.objects.exists()  # the other steps ran
    records = retention_run(now=now)  # the next run catches up
    assert [(record.what, record.days) for record in records] == [("reads", [locked.isoformat()])]


def test_analyses_of_gone_reads_and_frames_left_behind_go_too(media, personas, robbery):
    from cameras.models import UnreadFrame
    from reads.models import Analysis

    now = timezone.now()
    investigator = personas["investigator"]
    purpose = purpose_for(investigator, robbery)
    for days in (370, 300):  # the period each analysis looked at ended this many days ago
        Analysis.objects.create(user=investigator, purpose=purpose, kind="clones",
                                captured_from=now - timedelta(days=days + 10),
                                captured_to=now - timedelta(days=days),
                                findings=[{"vrm": "AB12CDE"}])  # fmt: skip
    young = Analysis.objects.latest("pk")
    # A frame whose reading failed for good is in no table: only its day folder says when.
    camera = CameraFactory()
    for days in (370, 300):
        frame = media / f"frames/{now - timedelta(days=days):%Y/%m/%d}/{camera.reference}/f.jpg"
        frame.parent.mkdir(parents=True)
        frame.write_bytes(b"a frame")
    UnreadFrame.objects.create(camera=camera, image="frames/x.jpg", captured_at=now,
                               reason="No plate found.")  # fmt: skip

    records = {record.what: record for record in retention_run(now=now)}

    assert list(Analysis.objects.all()) == [young] and records["analyses"].rows == 1
    assert records["frames"].files == 1
    assert [path.parent.parent.name for path in (media / "frames").rglob("f.jpg")] == [
        f"{now - timedelta(days=300):%d}"]  # fmt: skip
    # Neither, nor diagnostic frames, leave a copy in the change log.
    assert not LogEntry.objects.get_for_model(Analysis).exists()
    assert not LogEntry.objects.get_for_model(UnreadFrame).exists()


def test_a_read_for_a_day_retention_just_dropped_is_stored_with_its_batch(media):
    from django.db import connection

    camera = CameraFactory()
    now = timezone.now()
    edge = now - timedelta(days=366)
    ingest(camera, [plain_read("EDGE1", captured_at=edge)])
    with connection.cursor() as cursor:  # retention, in another process, drops that day
        cursor.execute("SELECT reads_partition_drop(%s)", [partitions.day_of(edge)])
    # A read of that day accepted before the run, in a batch with a current one.
    batch = [plain_read("EDGE2", captured_at=edge), plain_read("NEW1")]
    result = ingest(camera, batch)
    assert result.stored == 2  # the next run deletes EDGE2 with its day again
    assert retention_run(now=now)[0].rows == 1
    assert list(Read.objects.values_list("vrm", flat=True)) == ["NEW1"]


def test_alerts_and_tracks_keep_their_own_clocks(media, personas):
    camera = CameraFactory(kind="mobile")
    now = timezone.now()
    why = "Tracks of patrol cars are only needed for a month."
    retention_policy_change(by=personas["admin"], reads_days=365, alerts_days=400,
                            tracks_days=30, frames_hours=24, reason=why)  # fmt: skip
    (media / "alerts/old").mkdir(parents=True)
    (media / "alerts/old/plate.jpg").write_bytes(b"x")
    AlertFactory(camera=camera, captured_at=now - timedelta(days=401),
                 plate_image="alerts/old/plate.jpg")  # fmt: skip
    kept = AlertFactory(camera=camera, captured_at=now - timedelta(days=399))
    for days in (31, 29):
        CameraPosition.objects.create(camera=camera, at=now - timedelta(days=days),
                                      latitude=52.2, longitude=0.1)  # fmt: skip

    records = {record.what: record for record in retention_run(now=now)}

    assert list(Alert.objects.all()) == [kept]
    assert (records["alerts"].rows, records["alerts"].files) == (1, 1)
    assert not (media / "alerts/old/plate.jpg").exists()
    assert CameraPosition.objects.count() == 1 and records["tracks"].rows == 1
    # The change log keeps no copy of what retention deleted or moved, nor of positions.
    assert not LogEntry.objects.filter(action=LogEntry.Action.DELETE).exists()
    assert not LogEntry.objects.get_for_model(CameraPosition).exists()


def test_retention_changes_are_an_administrators_recorded_choice(personas):
    admin = personas["admin"]
    defaults = RetentionPolicy.in_force()
    days = {"reads_days": 730, "alerts_days": 730, "tracks_days": 365, "frames_hours": 24}
    with pytest.raises(RetentionError, match="Only an administrator"):
        retention_policy_change(by=personas["auditor"], reason=WHY, **days)
    with pytest.raises(RetentionError, match="Say why"):
        retention_policy_change(by=admin, reason="longer", **days)
    with pytest.raises(RetentionError, match="less than or equal to 730"):
        retention_policy_change(by=admin, reason=WHY, **{**days, "reads_days": 731})
    policy = retention_policy_change(by=admin, reason=WHY, **days)
    assert RetentionPolicy.in_force() == policy
    assert (policy.changed_by, policy.reads_days, policy.reason) == (admin, 730, WHY)
    assert list(RetentionPolicy.objects.all()) == [policy, defaults]  # the history is kept


@pytest.fixture
def held_case(media, personas, robbery):
    """Reads of AB12CDE 300 and 298 days ago and of another vehicle 300 days ago; the
    investigator holds AB12CDE's under an extended-access grant, approved."""
    investigator, senior = personas["investigator"], personas["senior"]
    camera = CameraFactory()
    now = timezone.now()
    reads = [stored_read(camera, media, "AB12CDE", now - timedelta(days=300), "a300"),
             stored_read(camera, media, "AB12CDE", now - timedelta(days=298), "a298"),
             stored_read(camera, media, "XY34ZZZ", now - timedelta(days=300), "x300")]  # fmt: skip
    ingest(camera, reads)
    today = timezone.localdate()
    grant = access_request_create(
        requester=investigator, case_reference=CASE, category=robbery,
        date_from=today - timedelta(days=302), date_to=today - timedelta(days=80),
        justification=WHY,
    )  # fmt: skip
    access_request_decide(access_request=grant, by=senior, approve=True)
    purpose = purpose_for(investigator, robbery)
    hold = legal_hold_request(
        user=investigator, purpose=purpose, reason=WHY, vrm="ab12 cde",
        period_from=now - timedelta(days=301), period_to=now - timedelta(days=297),
        review_on=today + timedelta(days=90),
    )  # fmt: skip
    legal_hold_decide(hold=hold, by=senior, approve=True)
    return hold


def test_held_reads_survive_the_drop_and_are_seen_only_under_their_case(
    held_case, personas, robbery, media
):
    investigator = personas["investigator"]
    # 66 days on, the reads of 300 days ago are 366 days old.
    records = {r.what: r for r in retention_run(now=timezone.now() + timedelta(days=66))}

    assert records["reads"].rows == 2 and records["reads"].kept == 1
    assert set(Read.objects.values_list("capture_id", flat=True)) == {"a298"}
    page = held_reads_view(user=investigator, hold=held_case)
    assert page.total == 2
    assert {read.capture_id for read in page.reads} == {"a300", "a298"}
    held = HeldRead.objects.get(capture_id="a300")
    path = held_read_image_open(user=investigator, hold_id=held_case.pk,
                                read_id=str(held.read_id), kind="plate")  # fmt: skip
    assert path.startswith(f"holds/{held_case.pk}/")
    assert (media / path).read_bytes() == b"plate of AB12CDE a300"

    # A search, even under the same case with the grant, no longer finds the dropped read.
    since = timezone.now() - timedelta(days=301)
    result = read_search(user=investigator, purpose=purpose_for(investigator, robbery),
                         criteria=Criteria(plate="AB12CDE", captured_from=since))  # fmt: skip
    assert [read.capture_id for read in result.reads] == ["a298"]
    # To anyone else the hold's reads do not exist; each refusal is audited.
    for other in ("investigator2", "senior", "auditor"):
        with pytest.raises(HoldRefused, match="No such legal hold"):
            held_reads_view(user=personas[other], hold=held_case)
    for hold_id in (held_case.pk, held_case.pk + 1000):  # another's hold, and none at all
        with pytest.raises(HoldRefused, match="No such image"):
            held_read_image_open(user=personas["investigator2"], hold_id=hold_id,
                                 read_id=str(held.read_id), kind="plate")  # fmt: skip
    refusals = AuditRecord.objects.filter(action=AuditRecord.Action.IMAGE_VIEW, outcome="refused")
    assert [(r.target.split("(")[1], r.detail["reason"]) for r in refusals.order_by("pk")] == [
        (f"legal hold {held_case.pk})", "No such legal hold."),
        (f"legal hold {held_case.pk + 1000})", "No such legal hold."),
    ]
    looks = AuditRecord.objects.filter(target=f"legal hold {held_case.pk}",
                                       action=AuditRecord.Action.HELD_READS_VIEW)  # fmt: skip
    assert looks.filter(outcome="ok", user=investigator, case_reference=CASE).count() == 1
    assert looks.filter(outcome="refused").count() == 3


def test_a_released_hold_goes_at_the_next_run(held_case, personas, media):
    later = timezone.now() + timedelta(days=66)
    retention_run(now=later)
    with pytest.raises(HoldRefused, match="Say why"):
        legal_hold_release(hold=held_case, by=personas["investigator"], reason="done")
    with pytest.raises(HoldRefused, match="Only the officer who asked"):
        legal_hold_release(hold=held_case, by=personas["investigator2"], reason=WHY)
    done = "The defendant pleaded guilty; the evidence is no longer needed."
    legal_hold_release(hold=held_case, by=personas["investigator"], reason=done)
    assert HeldRead.objects.count() == 2  # until the next run

    record = retention_run(now=later)[0]

    assert (record.what, record.rows, record.files) == ("held_reads", 2, 2)
    assert not HeldRead.objects.exists()
    assert not (media / f"holds/{held_case.pk}").exists()
    held_case.refresh_from_db()
    assert held_case.purged_at is not None
    assert retention_run(now=later) == []


def waiting_hold(media, investigator, robbery, now) -> LegalHold:
    """A hold of a read of 10 days ago, waiting for a senior officer's decision."""
    camera = CameraFactory()
    ingest(camera, [stored_read(camera, media, "AB12CDE", now - timedelta(days=10), "a10")])
    return legal_hold_request(
        user=investigator, purpose=purpose_for(investigator, robbery), reason=WHY,
        vrm="AB12CDE", period_from=now - timedelta(days=11), period_to=now,
        review_on=timezone.localdate() + timedelta(days=90),
    )  # fmt: skip


def test_a_hold_nobody_decides_lapses_and_its_copies_go(media, personas, robbery):
    now = timezone.now()
    hold = waiting_hold(media, personas["investigator"], robbery, now)
    assert retention_run(now=now + timedelta(days=27)) == []  # still waiting: kept
    assert HeldRead.objects.count() == 1
    record = retention_run(now=now + timedelta(days=29))[0]
    hold.refresh_from_db()
    assert (hold.status, hold.decision_reason) == ("refused", "Not decided within 28 days: lapsed.")
    lapsed = AuditRecord.objects.get(action="hold_decision")  # decided by no one, on record
    assert (lapsed.user, lapsed.target, lapsed.detail["decision"]) == (
        None, f"legal hold {hold.pk}", "lapsed")  # fmt: skip
    assert (record.what, record.rows, record.files) == ("held_reads", 1, 1)
    assert not HeldRead.objects.exists() and not (media / f"holds/{hold.pk}").exists()
    with pytest.raises(HoldRefused, match="decided already"):
        legal_hold_decide(hold=hold, by=personas["senior"], approve=True)


@pytest.mark.django_db(transaction=True)
def test_a_hold_withdrawn_while_a_senior_approves_it_stays_withdrawn(media, personas, robbery):
    """The second of two decisions at once waits for the first, then sees it."""
    import threading

    import psycopg
    from django.db import connection

    from tests.conftest import test_database_url

    hold = waiting_hold(media, personas["investigator"], robbery, timezone.now())
    refused = []

    def approve():
        try:
            legal_hold_decide(hold=LegalHold.objects.get(pk=hold.pk), by=personas["senior"],
                              approve=True)  # fmt: skip
        except HoldRefused as refusal:
            refused.append(str(refusal))
        finally:
            connection.close()

    with psycopg.connect(test_database_url()) as withdrawing:  # the withdrawal, under way
        withdrawing.execute("SELECT 1 FROM reads_legalhold WHERE id = %s FOR UPDATE", [hold.pk])
        deciding = threading.Thread(target=approve)
        deciding.start()
        while not withdrawing.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()[
            0
        ]:
            time.sleep(0.05)
        withdrawing.execute("UPDATE reads_legalhold SET status = 'released' WHERE id = %s",
                            [hold.pk])  # fmt: skip
        withdrawing.commit()
    deciding.join()
    hold.refresh_from_db()
    assert hold.status == "released" and refused == ["This hold has been decided already."]


def test_holds_need_the_window_a_reason_and_another_officer(media, personas, robbery):
    investigator, senior = personas["investigator"], personas["senior"]
    camera = CameraFactory()
    now = timezone.now()
    ingest(camera, [stored_read(camera, media, "AB12CDE", now - timedelta(days=d), str(d))
                    for d in (10, 200)])  # fmt: skip
    purpose = purpose_for(investigator, robbery)
    review_on = timezone.localdate() + timedelta(days=30)
    # Older than 90 days with no grant: not the investigator's to hold.
    with pytest.raises(HoldRefused, match="need extended access"):
        legal_hold_request(user=investigator, purpose=purpose, reason=WHY, vrm="AB12CDE",
                           period_from=now - timedelta(days=201), period_to=now,
                           review_on=review_on)  # fmt: skip
    with pytest.raises(HoldRefused, match="review date"):
        legal_hold_request(user=investigator, purpose=purpose, reason=WHY, vrm="AB12CDE",
                           period_from=now - timedelta(days=20), period_to=now,
                           review_on=timezone.localdate())  # fmt: skip
    with pytest.raises(HoldRefused, match="You may not hold reads"):
        legal_hold_request(user=personas["investigator2"], purpose=purpose, reason=WHY,
                           vrm="AB12CDE", period_from=now - timedelta(days=20), period_to=now,
                           review_on=review_on)  # fmt: skip
    # Picked from search results.
    read = Read.objects.get(capture_id="10")
    hold = legal_hold_request(user=investigator, purpose=purpose, reason=WHY,
                              reads=[ReadKey(read.vrm, read.captured_at, str(read.id))],
                              review_on=review_on)  # fmt: skip
    assert list(hold.reads.values_list("capture_id", flat=True)) == ["10"]
    assert hold.status == LegalHold.Status.PENDING
    with pytest.raises(HoldRefused, match="shown while it is in force"):
        held_reads_view(user=investigator, hold=hold)
    with pytest.raises(HoldRefused, match="Only a senior officer"):
        legal_hold_decide(hold=hold, by=investigator, approve=True)
    inspector = personas["inspector"]  # an operator and senior officer
    with pytest.raises(HoldRefused, match="Say why the hold is refused"):
        legal_hold_decide(hold=hold, by=inspector, approve=False)
    legal_hold_decide(hold=hold, by=senior, approve=True)
    with pytest.raises(HoldRefused, match="decided already"):
        legal_hold_decide(hold=hold, by=inspector, approve=False, reason=WHY)
    assert not hold.review_overdue
    hold.review_on = timezone.localdate() - timedelta(days=1)
    assert hold.review_overdue
    legal_hold_review(hold=hold, by=inspector, review_on=review_on + timedelta(days=60),
                      reason="Trial set for the spring; the evidence is still needed.")  # fmt: skip
    hold.refresh_from_db()
    assert hold.review_on == review_on + timedelta(days=60)
    actions = list(AuditRecord.objects.filter(case_reference=CASE)
                   .order_by("pk").values_list("action", "outcome"))  # fmt: skip
    # Every decision in the audit, the refused ones too.
    assert actions == [("hold_request", "refused"), ("hold_request", "refused"),
                       ("hold_request", "refused"), ("hold_request", "ok"),
                       ("held_reads_view", "refused"), ("hold_decision", "refused"),
                       ("hold_decision", "refused"), ("hold_decision", "ok"),
                       ("hold_decision", "refused"), ("hold_decision", "ok")]  # fmt: skip
