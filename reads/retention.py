"""Retention (R-RET-1, R-RET-2): how long each kind of personal data is kept, and the daily job
that deletes what is past its clock.

Reads go by whole day partitions (never row DELETEs), with their days' image folders; hits and
alerts, mobile units' GPS tracks and diagnostic frames go by rows, each on its own clock. Reads
under a legal hold were copied to the holds table and store when the hold was asked
(reads/holds.py), so dropping their day loses nothing; a released or refused hold's copies go at
the next run, and a national export once it has been sent and its day is past retention too, as
do analyses of reads that are gone and frames a failure left behind.
Every step records what it deleted (DeletionRecord); the audit tables are never touched. Safe
to run twice or after missed days: each step deletes whatever is past its clock now, so a
second run finds nothing and a late one catches up.
"""

import logging
import posixpath
from datetime import UTC, date, datetime, timedelta

from auditlog.context import disable_auditlog
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from access.models import AuditRecord
from access.services import audit_record_add
from cameras.models import CameraPosition, UnreadFrame
from core.locks import advisory_lock
from hotlist.models import Alert

from . import partitions
from .models import (
    Analysis,
    DeletionRecord,
    HeldRead,
    LegalHold,
    NationalExport,
    RetentionPolicy,
)

logger = logging.getLogger(__name__)

READS_FOLDER = "reads"  # reads/YYYY/MM/DD/<camera>/...: the capture day (UTC), as the partitions
ALERTS_FOLDER = "alerts"  # alerts' images, moved out of their read's day when it goes
HOLDS_FOLDER = "holds"  # holds/<hold id>/...: copies of held reads' images
FRAMES_FOLDER = "frames"  # frames/YYYY/MM/DD/<camera>/...: whole frames waiting to be read
MIN_REASON = 20
_RUN_LOCK = 0x72657465  # "rete": one retention run at a time
# Dropping a partition briefly locks the read store; ingest waits at most this long for it.
DROP_LOCK_TIMEOUT = "10s"


class RetentionError(Exception):
    """A retention change that is not allowed; the message says why."""


def retention_policy_change(
    *, by, reason: str, reads_days: int, alerts_days: int, tracks_days: int, frames_hours: int
) -> RetentionPolicy:
    """A new version of the policy, by an administrator, with the reason for it. Keeping reads
    beyond the standard year is allowed (up to READS_MAX_DAYS) as a deliberate, recorded choice."""
    if not by.has_perm("access.administer_system"):
        raise RetentionError("Only an administrator may change retention.")
    if len(reason.strip()) < MIN_REASON:
        raise RetentionError("Say why retention is changing, in at least a sentence.")
    policy = RetentionPolicy(
        reads_days=reads_days, alerts_days=alerts_days, tracks_days=tracks_days,
        frames_hours=frames_hours, reason=reason.strip(), changed_by=by,
    )  # fmt: skip
    try:
        policy.full_clean(exclude=["changed_by"])
    except ValidationError as error:
        problems = [f"{name.replace('_', ' ')}: {' '.join(messages)}"
                    for name, messages in error.message_dict.items()]  # fmt: skip
        raise RetentionError(" ".join(problems)) from None
    policy.save()
    RetentionPolicy.forget()
    return policy


def retention_run(*, now: datetime | None = None) -> list[DeletionRecord]:
    """Delete everything past its clock and create the read store's partitions ahead; return
    what was deleted. A run that finds another one under way does nothing."""
    now = now or timezone.now()
    policy = RetentionPolicy.in_force()
    today = partitions.day_of(now)
    with advisory_lock(_RUN_LOCK) as running_alone:
        if not running_alone:
            logger.warning("Retention is already running; this run does nothing.")
            return []
        cutoff = today - timedelta(days=policy.reads_days)  # days before this one go
        _undecided_holds_lapse(now)
        records, failed = [], []
        # Each step on its own: one that fails (a partition locked past DROP_LOCK_TIMEOUT, a
        # file that cannot be deleted) leaves the others to run, and the next run catches up.
        for step, *clock in (
            (_reads_drop, cutoff),
            (_read_images_delete, cutoff),
            (_frames_delete, cutoff),
            (_analyses_delete, cutoff),
            (_alerts_delete, now - timedelta(days=policy.alerts_days)),
            (_tracks_delete, now - timedelta(days=policy.tracks_days)),
            (_released_holds_purge, now),
            (_national_exports_delete, cutoff),
        ):
            try:
                deleted = step(policy, *clock)
            except Exception:  # whatever it was, the rest still runs: it is logged and raised
                logger.exception("Retention could not finish %s", step.__name__)
                failed.append(step.__name__)
                continue
            records += deleted if isinstance(deleted, list) else [deleted]
        partitions.ensure_ahead(today)
    done = [record for record in records if record]
    for record in done:
        logger.info("Retention deleted %s", record)
    if failed:
        raise RetentionError(
            f"Retention could not finish {', '.join(failed)} (logged); the rest was deleted "
            "and recorded, and the next run tries again."
        )
    return done


def unread_frames_expire(*, now: datetime | None = None) -> DeletionRecord | None:
    """Delete the frames kept for diagnostics past the policy's hours (run hourly)."""
    policy = RetentionPolicy.in_force()
    old = UnreadFrame.objects.filter(
        received_at__lt=(now or timezone.now()) - timedelta(hours=policy.frames_hours)
    )
    count = 0
    for frame in old.iterator():
        default_storage.delete(frame.image)
        frame.delete()
        count += 1
    return _record(policy, DeletionRecord.What.FRAMES, rows=count, files=count)


def _record(policy, what, *, rows=0, files=0, days=(), **fields) -> DeletionRecord | None:
    """Write what was deleted; nothing deleted, nothing written."""
    if not (rows or files):
        return None
    return DeletionRecord.objects.create(
        policy=policy, what=what, rows=rows, files=files,
        days=[day.isoformat() for day in sorted(days)], **fields,
    )  # fmt: skip


def _reads_drop(policy: RetentionPolicy, cutoff: date) -> list[DeletionRecord | None]:
    """Drop every day partition before `cutoff`, counting its rows (and the held copies of
    them, which stay) first; each day is recorded in the transaction that drops it, so a run
    that stops part way leaves no day gone unrecorded."""
    records = []
    for day in sorted(day for day in partitions.existing_days() if day < cutoff):
        name = partitions.partition_name(day)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
            cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608 - our own partition name
            rows = cursor.fetchone()[0]
            cursor.execute("SELECT reads_partition_drop(%s)", [day])  # as the schema's owner
            kept = HeldRead.objects.filter(
                _on_day("captured_at", day), hold__status__in=LegalHold.PRESERVING
            ).count()
            detail = f"Reads captured on {day} (UTC)."
            records.append(_record(policy, DeletionRecord.What.READS, rows=rows, days=[day],
                                   kept=kept, detail=detail))  # fmt: skip
    partitions.forget_known()
    return records


def _read_images_delete(policy: RetentionPolicy, cutoff: date) -> DeletionRecord | None:
    """Delete the image folders of days before `cutoff`, moving the images of alerts still
    kept out of them first. Folders are found in storage, not from the partitions dropped, so
    a run that stopped between the two finishes the job."""
    days, files = [], 0
    for day in _folder_days(READS_FOLDER):
        if day >= cutoff:
            continue
        _alert_images_move(day)
        files += tree_delete(f"{READS_FOLDER}/{day:%Y/%m/%d}")
        days.append(day)
    return _record(policy, DeletionRecord.What.READ_IMAGES, files=files, days=days)


def _frames_delete(policy: RetentionPolicy, cutoff: date) -> DeletionRecord | None:
    """Delete the frames of days before `cutoff` still in storage: a frame normally goes once
    it is read, or its diagnostic copy after FRAMES hours, but one whose queueing or reading
    failed for good is in no table, and must not outlive the reads of its day."""
    days, files = [], 0
    for day in _folder_days(FRAMES_FOLDER):
        if day < cutoff:
            files += tree_delete(f"{FRAMES_FOLDER}/{day:%Y/%m/%d}")
            days.append(day)
    return _record(policy, DeletionRecord.What.FRAMES, files=files, days=days,
                   detail=f"Frames of days before {cutoff.isoformat()} left behind.")  # fmt: skip


def _analyses_delete(policy: RetentionPolicy, cutoff: date) -> DeletionRecord | None:
    """Delete the analyses (and their findings: plates, places and times) whose period ended
    before `cutoff`: every read they were made from is gone."""
    start = datetime(cutoff.year, cutoff.month, cutoff.day, tzinfo=UTC)
    rows, _ = Analysis.objects.filter(captured_to__lt=start).delete()
    return _record(policy, DeletionRecord.What.ANALYSES, rows=rows,
                   detail=f"Analyses of reads captured before {cutoff.isoformat()}.")  # fmt: skip


def _alert_images_move(day: date) -> None:
    """Alerts keep their images after their read's day goes: move them to the alerts folder."""
    folder = f"{READS_FOLDER}/{day:%Y/%m/%d}/"
    alerts = Alert.objects.filter(Q(plate_image__startswith=folder)
                                  | Q(overview_image__startswith=folder))  # fmt: skip
    for alert in alerts.iterator():
        for field in ("plate_image", "overview_image"):
            path = getattr(alert, field)
            if path.startswith(folder):
                moved = f"{ALERTS_FOLDER}/{path.removeprefix(READS_FOLDER + '/')}"
                setattr(alert, field, moved if copy_file(path, moved) else "")
        # An update, not a save: the change log must not keep the paths retention deletes.
        Alert.objects.filter(pk=alert.pk).update(
            plate_image=alert.plate_image, overview_image=alert.overview_image
        )


def _alerts_delete(policy: RetentionPolicy, before: datetime) -> DeletionRecord | None:
    old = Alert.objects.filter(captured_at__lt=before)
    files = 0
    for paths in old.values_list("plate_image", "overview_image").iterator():
        for path in paths:
            # Only the alert's own copies: an image still in its read's day folder is the read's.
            if path.startswith(ALERTS_FOLDER + "/") and default_storage.exists(path):
                default_storage.delete(path)
                files += 1
    rows = old.count()
    with disable_auditlog():  # the change log must not keep what retention deletes
        old.delete()
    return _record(policy, DeletionRecord.What.ALERTS, rows=rows, files=files,
                   detail=f"Captured before {before:%Y-%m-%d %H:%M} UTC.")  # fmt: skip


def _tracks_delete(policy: RetentionPolicy, before: datetime) -> DeletionRecord | None:
    rows, _ = CameraPosition.objects.filter(at__lt=before).delete()
    return _record(policy, DeletionRecord.What.TRACKS, rows=rows,
                   detail=f"Positions before {before:%Y-%m-%d %H:%M} UTC.")  # fmt: skip


def _undecided_holds_lapse(now: datetime) -> None:
    """Holds still waiting for a decision LegalHold.DECISION_DAYS after they were asked are
    refused, so their copies go with the released ones."""
    waited = now - timedelta(days=LegalHold.DECISION_DAYS)
    reason = f"Not decided within {LegalHold.DECISION_DAYS} days: lapsed."
    pending = LegalHold.objects.filter(status=LegalHold.Status.PENDING, created_at__lt=waited)
    for hold in pending.select_related("purpose__category"):
        # Conditional: a decision made meanwhile stands. Audited as decided by no one.
        if LegalHold.objects.filter(pk=hold.pk, status=LegalHold.Status.PENDING).update(
            status=LegalHold.Status.REFUSED, decided_at=now, decision_reason=reason
        ):
            audit_record_add(user=None, action=AuditRecord.Action.HOLD_DECISION,
                             target=f"legal hold {hold.pk}",
                             case_reference=hold.purpose.case_reference,
                             category=hold.purpose.category.name, purpose=hold.purpose_id,
                             decision="lapsed", reason=reason)  # fmt: skip


def _released_holds_purge(policy: RetentionPolicy, now: datetime) -> DeletionRecord | None:
    """Delete the copies kept for holds that were released or refused (or lapsed)."""
    holds = LegalHold.objects.exclude(status__in=LegalHold.PRESERVING)
    holds = holds.filter(purged_at__isnull=True)
    rows = files = 0
    purged = []
    for hold in holds:
        with transaction.atomic():
            rows += hold.reads.all().delete()[0]
            files += tree_delete(f"{HOLDS_FOLDER}/{hold.pk}")
            hold.purged_at = now
            hold.save(update_fields=["purged_at"])
        purged.append(str(hold.pk))
    return _record(policy, DeletionRecord.What.HELD_READS, rows=rows, files=files,
                   detail=f"Legal holds {', '.join(purged)}.")  # fmt: skip


def _national_exports_delete(policy: RetentionPolicy, cutoff: date) -> DeletionRecord | None:
    """Delete the national exports of days before `cutoff` that have been sent: the day's reads
    are gone from the store, and the national system keeps its own copy. One not sent yet is
    kept until it is."""
    days, files = set(), 0
    for export in NationalExport.objects.filter(day__lt=cutoff, sent_at__isnull=False):
        if deleted := tree_delete(posixpath.dirname(export.manifest)):
            days.add(export.day)
            files += deleted
    return _record(policy, DeletionRecord.What.NATIONAL_EXPORTS, files=files, days=sorted(days))


def _on_day(field: str, day: date) -> Q:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return Q(**{f"{field}__gte": start, f"{field}__lt": start + timedelta(days=1)})


def _folder_days(root: str) -> list[date]:
    """The days that have a root/YYYY/MM/DD folder in storage."""
    days = []
    for year in _folders(root):
        for month in _folders(f"{root}/{year}"):
            for day in _folders(f"{root}/{year}/{month}"):
                try:
                    days.append(date(int(year), int(month), int(day)))
                except ValueError:
                    logger.warning("Not a day folder: %s/%s/%s/%s", root, year, month, day)
    return sorted(days)


def _folders(path: str) -> list[str]:
    try:
        return default_storage.listdir(path)[0]
    except FileNotFoundError:
        return []


def tree_delete(path: str) -> int:
    """Delete every file under `path` in storage, and the emptied folders on a file system;
    return how many files went."""
    try:
        folders, files = default_storage.listdir(path)
    except FileNotFoundError:
        return 0
    count = sum(tree_delete(f"{path}/{folder}") for folder in folders)
    for name in files:
        default_storage.delete(f"{path}/{name}")
    if isinstance(default_storage, FileSystemStorage):
        default_storage.delete(path)  # an empty folder: removed
    return count + len(files)


def copy_file(source: str, target: str) -> bool:
    """Copy a file in storage once (a second call leaves it); False if the source is gone."""
    if default_storage.exists(target):
        return True
    try:
        with default_storage.open(source) as file:
            default_storage.save(target, file)
    except FileNotFoundError:
        return False
    return True
