"""Camera health (R-ALERT-4): each camera judged against its own threshold and baseline.

- silent: no read or heartbeat for longer than the camera's `silent_after_minutes`;
- read-rate drop: the last complete hour's reads far below the same hour's mean over the
  previous week;
- confidence drop: the last complete hour's mean read confidence well below the week's;
- clock drift: the camera clock further from ours than the tolerance.

Problems raise an operational alert once and clear by themselves when they end.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, Q, Sum
from django.utils import timezone

from deployments.models import Site

from .models import Camera, CameraHour, OperationalAlert

Kind = OperationalAlert.Kind
BASELINE_DAYS = 7
_HEALTH_CHECK_LOCK = 0x48454C54  # pg advisory lock key


@dataclass(frozen=True)
class HealthChanges:
    raised: list[OperationalAlert]
    cleared: list[OperationalAlert]


def camera_hours_add(*, camera_id: int, reads: list[dict]) -> None:
    """Count newly stored reads into the camera's hours (in the ingest transaction)."""
    hours: dict[datetime, list[float]] = {}
    for read in reads:
        hour = read["captured_at"].astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        totals = hours.setdefault(hour, [0, 0.0, 0])
        totals[0] += 1
        if read.get("confidence") is not None:
            totals[1] += read["confidence"]
            totals[2] += 1
    if not hours:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO cameras_camerahour (camera_id, hour, reads, confidence_sum,"
            " confidence_reads) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (camera_id, hour) DO UPDATE SET"
            " reads = cameras_camerahour.reads + EXCLUDED.reads,"
            " confidence_sum = cameras_camerahour.confidence_sum + EXCLUDED.confidence_sum,"
            " confidence_reads = cameras_camerahour.confidence_reads + EXCLUDED.confidence_reads",
            [(camera_id, hour, *totals) for hour, totals in sorted(hours.items())],
        )


def camera_problems(camera: Camera, now: datetime) -> dict[str, str]:
    """What is wrong with the camera now: kind -> a sentence for the operator."""
    problems: dict[str, str] = {}
    seen = camera.last_seen_at or camera.created_at
    if now - seen > timedelta(minutes=camera.silent_after_minutes):
        minutes = int((now - seen).total_seconds() // 60)
        problems[Kind.SILENT] = (f"No read or heartbeat for {minutes} min "
                                 f"(threshold {camera.silent_after_minutes} min).")  # fmt: skip
    tolerance = settings.CAMERA_CLOCK_TOLERANCE_MS
    if camera.clock_offset_ms is not None and abs(camera.clock_offset_ms) > tolerance:
        problems[Kind.CLOCK_DRIFT] = (f"Camera clock {camera.clock_offset_ms / 1000:+.1f} s from "
                                      f"ours (tolerance {tolerance / 1000:.1f} s).")  # fmt: skip
    if Kind.SILENT in problems:
        return problems  # a silent camera's rate and confidence say nothing more
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    week = CameraHour.objects.filter(camera=camera, hour__gte=hour - timedelta(days=BASELINE_DAYS),
                                     hour__lt=hour)  # fmt: skip
    last = CameraHour.objects.filter(camera=camera, hour=hour).first()
    reads = last.reads if last else 0
    # The same local clock hour on each day before: traffic keeps local time across BST changes.
    local = timezone.localtime(hour)
    # (Taken from every hour, not the week's: across a change the 7th such hour lies an hour
    # outside the last 168.)
    same_hours = [local - timedelta(days=d) for d in range(1, BASELINE_DAYS + 1)]
    # One query: those hours' reads, and the camera's first hour within them (one reading for
    # less than the baseline's week is judged over the days it has read).
    history = CameraHour.objects.filter(
        camera=camera, hour__gte=hour - timedelta(days=BASELINE_DAYS + 1)
    ).aggregate(total=Sum("reads", filter=Q(hour__in=same_hours)), first=Min("hour"))
    first = history["first"]
    days = min(BASELINE_DAYS, (hour - first) // timedelta(days=1)) if first else 0
    usual = (history["total"] or 0) / days if days > 0 else 0
    if usual >= settings.CAMERA_RATE_MIN_BASELINE and reads < usual * settings.CAMERA_RATE_DROP:
        problems[Kind.RATE_DROP] = (f"{reads} reads in the hour from {local:%H}:00, against "
                                    f"{usual:.0f} usually at that hour.")  # fmt: skip
    if last and last.confidence_reads >= settings.CAMERA_RATE_MIN_BASELINE:
        baseline = week.filter(confidence_reads__gt=0).aggregate(
            sum=Sum("confidence_sum"), n=Sum("confidence_reads"))  # fmt: skip
        mean = last.confidence_sum / last.confidence_reads
        if (
            baseline["n"]
            and mean < baseline["sum"] / baseline["n"] - settings.CAMERA_CONFIDENCE_DROP
        ):
            problems[Kind.CONFIDENCE_DROP] = (
                f"Mean confidence {mean:.2f} in the hour from {local:%H}:00, against "
                f"{baseline['sum'] / baseline['n']:.2f} over the week."
            )
    return problems


def camera_health_check(*, now: datetime | None = None) -> HealthChanges:
    """Raise an operational alert for each new problem and clear those that have ended."""
    now = now or timezone.now()
    raised, cleared = [], []
    cameras = Camera.objects.filter(status=Camera.Status.ACTIVE,
                                    site__status__in=Site.COLLECTING)  # fmt: skip
    with transaction.atomic():
        with connection.cursor() as cursor:  # one check at a time, should two ever overlap
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_HEALTH_CHECK_LOCK])
        open_alerts = {(alert.camera_id, alert.kind): alert
                       for alert in OperationalAlert.objects.select_for_update()
                       .filter(cleared_at__isnull=True)}  # fmt: skip
        current = set()
        for camera in cameras:
            for kind, detail in camera_problems(camera, now).items():
                current.add((camera.pk, kind))
                if (camera.pk, kind) not in open_alerts:
                    raised.append(OperationalAlert.objects.create(
                        camera=camera, kind=kind, detail=detail, raised_at=now))  # fmt: skip
        for key, alert in open_alerts.items():
            if key not in current:
                alert.cleared_at = now
                alert.save(update_fields=["cleared_at"])
                cleared.append(alert)
    return HealthChanges(raised, cleared)
