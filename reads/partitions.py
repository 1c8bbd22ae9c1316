"""Day partitions of the read store: created ahead by a schedule and on demand by ingest.

Partitions cover whole UTC days and are named reads_read_pYYYYMMDD. There is no default
partition: a read for a day with no partition makes one, so retention can always drop whole days.
"""

from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction

from .models import RetentionPolicy

PARENT = "reads_read"
# Serialises partition creation across workers (CREATE ... PARTITION OF races otherwise).
LOCK_KEY = 0x72656164  # "read"

_known_days: set[date] = set()


def partition_name(day: date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


def day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def existing_days() -> set[date]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = %s::regclass",
            [PARENT],
        )
        names = [row[0] for row in cursor.fetchall()]
    return {datetime.strptime(name[-8:], "%Y%m%d").date() for name in names}


def ensure_days(days: set[date]) -> list[date]:
    """Make sure a partition exists for each day; return the days created."""
    missing = days - _known_days
    if not missing:
        return []
    created = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        present = existing_days()
        for day in sorted(missing - present):
            # As the schema's owner: the application's role may not attach partitions itself
            # (core/migrations/0001_application_role.py).
            cursor.execute("SELECT reads_partition_create(%s)", [day])
            created.append(day)
    # Remember only after commit: a rolled-back creation must be retried. A day near the
    # retention edge is never remembered: retention, in another process, may drop it, and a read
    # for it accepted just before must make it again (the next run deletes it), not fail its batch.
    edge = datetime.now(UTC).date() - timedelta(days=RetentionPolicy.reads_days_now() - 1)
    _known_days.update(day for day in missing if day > edge)
    return created


def ensure_ahead(today: date, days_ahead: int = 7) -> list[date]:
    """Partitions from yesterday (late reads) to `days_ahead` days after today."""
    return ensure_days({today + timedelta(days=n) for n in range(-1, days_ahead + 1)})


def forget_known() -> None:
    """Forget the cached partition days (after partitions were dropped)."""
    _known_days.clear()
