"""Camera health (R-ALERT-4): silent cameras, read-rate and confidence drops against each
camera's own baseline, and clock drift raise operational alerts, which clear by themselves."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cameras.health import camera_health_check
from cameras.models import CameraHour, OperationalAlert
from tests.factories import CameraFactory
from tests.test_ingest import ingest, plain_read

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(minute=20, second=0, microsecond=0)
LAST_HOUR = NOW.replace(minute=0) - timedelta(hours=1)


@pytest.fixture
def camera():
    return CameraFactory(last_seen_at=NOW, created_at=NOW - timedelta(days=30))


def kinds(changes):
    return sorted(alert.kind for alert in changes)


def week_of(camera, reads=100, confidence=0.9):
    for day in range(1, 8):
        for hour in range(24):
            CameraHour.objects.create(
                camera=camera, hour=LAST_HOUR - timedelta(days=day, hours=hour), reads=reads,
                confidence_sum=reads * confidence, confidence_reads=reads,
            )  # fmt: skip


def test_a_silent_camera_raises_one_alert_that_clears_when_it_is_heard_again(camera):
    camera.last_seen_at = NOW - timedelta(minutes=16)
    camera.save()
    raised = camera_health_check(now=NOW).raised
    assert kinds(raised) == ["silent"]
    assert raised[0].detail == "No read or heartbeat for 16 min (threshold 15 min)."
    assert camera_health_check(now=NOW + timedelta(minutes=1)).raised == []  # raised once
    camera.last_seen_at = NOW + timedelta(minutes=2)
    camera.save()
    cleared = camera_health_check(now=NOW + timedelta(minutes=2)).cleared
    assert kinds(cleared) == ["silent"] and cleared[0].cleared_at is not None
    assert not OperationalAlert.objects.filter(cleared_at__isnull=True).exists()


def test_the_silence_threshold_is_the_cameras_own(camera):
    camera.last_seen_at = NOW - timedelta(minutes=16)
    camera.silent_after_minutes = 30
    camera.save()
    assert camera_health_check(now=NOW).raised == []


def test_clock_drift_beyond_the_tolerance(camera):
    camera.clock_offset_ms = -4500
    camera.save()
    raised = camera_health_check(now=NOW).raised
    assert kinds(raised) == ["clock_drift"]
    assert raised[0].detail == "Camera clock -4.5 s from ours (tolerance 2.0 s)."
    camera.clock_offset_ms = 300
    camera.save()
    assert kinds(camera_health_check(now=NOW).cleared) == ["clock_drift"]


def test_a_read_rate_drop_is_judged_against_the_same_hour_of_the_week_before(camera):
    week_of(camera, reads=100)
    CameraHour.objects.create(camera=camera, hour=LAST_HOUR, reads=80, confidence_sum=72,
                              confidence_reads=80)  # fmt: skip
    assert camera_health_check(now=NOW).raised == []  # 80 of a usual 100: normal
    CameraHour.objects.filter(hour=LAST_HOUR).update(reads=30, confidence_sum=27,
                                                     confidence_reads=30)  # fmt: skip
    raised = camera_health_check(now=NOW).raised
    assert kinds(raised) == ["rate_drop"]
    hour = timezone.localtime(LAST_HOUR)  # the operator's clock
    assert (
        raised[0].detail
        == f"30 reads in the hour from {hour:%H}:00, against 100 usually at that hour."
    )


def test_in_the_week_after_the_clocks_go_back_a_drop_is_judged_against_the_same_local_hour():
    # 28 October 2026, 10:00 London (GMT): the same hour on the seven days before was 10:00
    # local too, the 7th of them (21 October) still in summer time, at 09:00 UTC.
    now = datetime(2026, 10, 28, 11, 20, tzinfo=ZoneInfo("Europe/London"))
    camera = CameraFactory(last_seen_at=now, created_at=now - timedelta(days=30))
    ten = now.replace(hour=10, minute=0)
    for day in range(1, 8):
        CameraHour.objects.create(camera=camera, hour=ten - timedelta(days=day), reads=100)
    CameraHour.objects.create(camera=camera, hour=ten, reads=45)
    raised = camera_health_check(now=now).raised
    assert [alert.detail for alert in raised] == [
        "45 reads in the hour from 10:00, against 100 usually at that hour."
    ]


def test_a_camera_up_for_less_than_a_week_is_judged_over_the_days_it_has_been_up():
    camera = CameraFactory(last_seen_at=NOW)
    for day in (1, 2):
        CameraHour.objects.create(camera=camera, hour=LAST_HOUR - timedelta(days=day), reads=100)
    CameraHour.objects.create(camera=camera, hour=LAST_HOUR, reads=30)
    raised = camera_health_check(now=NOW).raised
    assert [alert.detail.split(", ")[1] for alert in raised] == [
        "against 100 usually at that hour."
    ]


def test_a_quiet_camera_is_not_a_rate_drop(camera):
    week_of(camera, reads=5)  # usually 5 an hour: below the minimum baseline of 20
    assert camera_health_check(now=NOW).raised == []


def test_a_confidence_drop_against_the_cameras_week(camera):
    week_of(camera, reads=100, confidence=0.9)
    CameraHour.objects.create(camera=camera, hour=LAST_HOUR, reads=100, confidence_sum=60,
                              confidence_reads=100)  # fmt: skip
    raised = camera_health_check(now=NOW).raised
    assert kinds(raised) == ["confidence_drop"]
    assert "Mean confidence 0.60" in raised[0].detail and "0.90 over the week" in raised[0].detail


def test_disabled_cameras_are_not_judged_and_their_alerts_clear(camera):
    camera.last_seen_at = NOW - timedelta(hours=2)
    camera.save()
    camera_health_check(now=NOW)
    camera.status = "disabled"
    camera.save()
    assert kinds(camera_health_check(now=NOW).cleared) == ["silent"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("read_store")
def test_ingest_counts_each_stored_read_into_the_cameras_hour():
    camera = CameraFactory()
    captured = timezone.now().replace(minute=30) - timedelta(hours=2)
    batch = [plain_read(f"HR{n}ABC", captured_at=captured + timedelta(seconds=n)) for n in range(3)]
    ingest(camera, batch)
    ingest(camera, batch)  # delivered twice: counted once
    hour = CameraHour.objects.get(camera=camera)
    assert hour.hour == captured.replace(minute=0, second=0, microsecond=0)
    assert (hour.reads, hour.confidence_reads) == (3, 3)
    assert hour.confidence_sum == pytest.approx(2.7)


def test_operators_and_administrators_see_the_problems(camera, client_for):
    camera.last_seen_at = NOW - timedelta(hours=1)
    camera.save()
    camera_health_check(now=timezone.now())
    console = client_for("operator").get("/alerts/").content.decode()
    assert camera.name in console and "Silent" in console
    cameras = client_for("admin").get("/cameras/").content.decode()
    assert "Silent" in cameras
