"""Writes for the read store: ingest of read batches.

The ingest hot path works on batches of plain data (not model instances): a batch is COPYed into
a staging table and moved into the partitioned store with ON CONFLICT DO NOTHING, so a batch
that is delivered twice (a worker killed after committing, before acknowledging) stores each
read once and raises each alert once.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from cameras.health import camera_hours_add
from cameras.services import camera_seen
from hotlist.events import alerts_announce
from hotlist.matching import get_index
from hotlist.models import Alert
from hotlist.services import webhook_deliveries_create

from . import partitions

COLUMNS = (
    "id", "vrm", "vrm_raw", "captured_at", "received_at", "camera_id", "site_id", "capture_id",
    "confidence", "alternatives", "direction", "lane", "latitude", "longitude", "plate_image",
    "overview_image", "vehicle_make", "vehicle_model", "vehicle_colour",
)  # fmt: skip


@dataclass(frozen=True)
class IngestResult:
    stored: int
    duplicates: int
    alert_ids: list[int]


def read_batch_ingest(
    *, camera_id: int, site_id: int, received_at: str, reads: list[dict],
    clock_offset_ms: int | None = None, refused: int = 0,
) -> IngestResult:  # fmt: skip
    """Store a batch of validated reads from one camera, match them, raise alerts, and count
    them on the camera. `reads` are plain dicts as the camera API produced them (ISO times,
    canonical VRMs); `refused` is how many reads of the submission the API turned away.
    """
    received = datetime.fromisoformat(received_at)
    # New dicts: the task's own arguments must stay as sent, for a retry to send them again.
    reads = [{**read, "captured_at": datetime.fromisoformat(read["captured_at"])} for read in reads]
    partitions.ensure_days({partitions.day_of(read["captured_at"]) for read in reads})
    index = get_index()

    with transaction.atomic():
        inserted = _copy_into_store(camera_id, site_id, received, reads)
        # Each read stored now, once: a camera may send the same read twice in one batch.
        fresh = list({read["id"]: read for read in reads if read["id"] in inserted}.values())
        alerts = []
        for read in fresh:
            alternatives = [alt["vrm"] for alt in read["alternatives"]]
            for match in index.match(read["vrm"], alternatives, read["captured_at"]):
                alerts.append(_alert(camera_id, read, match))
        Alert.objects.bulk_create(alerts)
        live = [alert for alert in alerts if not alert.historic]
        if live:
            webhook_deliveries_create(live)
        # A redelivered batch stores nothing new and must not count its refusals twice.
        camera_hours_add(camera_id=camera_id, reads=fresh)
        camera_seen(camera_id=camera_id, clock_offset_ms=clock_offset_ms, stored=len(inserted),
                    refused=refused if inserted else 0)  # fmt: skip
        live_ids = [alert.pk for alert in live]
        if live_ids:
            transaction.on_commit(lambda: alerts_announce(live_ids), robust=True)
    return IngestResult(len(inserted), len(reads) - len(inserted), [alert.pk for alert in alerts])


def _copy_into_store(camera_id, site_id, received, reads) -> set[str]:
    """COPY the batch into the store; return the ids of reads not stored before."""
    connection.ensure_connection()
    raw = connection.connection  # psycopg's own connection, for COPY
    # Raise Django's error classes, as its own cursors do: the task retries on those, so a
    # connection lost to a database restart is retried rather than the batch dropped.
    with connection.wrap_database_errors, raw.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS reads_staging"
            " (LIKE reads_read INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY reads_staging ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for read in reads:
                copy.write_row(_row(camera_id, site_id, received, read))
        # A read id is stored once, whatever VRM a replay names (the key holds the VRM, so ON
        # CONFLICT alone would store it again): the ids are locked, in order, against a
        # concurrent batch, and those stored already are left out.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(id::text, 0))"
            " FROM (SELECT DISTINCT id FROM reads_staging ORDER BY id) AS ids"
        )
        columns = ", ".join(COLUMNS)
        insert = (f"INSERT INTO reads_read ({columns}) SELECT DISTINCT ON (id) {columns}"  # noqa: S608 - fixed names
                  " FROM reads_staging AS s WHERE NOT EXISTS (SELECT FROM reads_read AS r"
                  " WHERE r.camera_id = s.camera_id AND r.captured_at = s.captured_at"
                  " AND r.id = s.id) ORDER BY id ON CONFLICT DO NOTHING RETURNING id")  # fmt: skip
        cursor.execute(insert)
        return {str(row[0]) for row in cursor.fetchall()}


def _row(camera_id, site_id, received, read) -> tuple:
    return (
        read["id"], read["vrm"], read["vrm_raw"], read["captured_at"], received, camera_id,
        site_id, read["capture_id"], read.get("confidence"), json.dumps(read["alternatives"]),
        read.get("direction") or "", read.get("lane"), read.get("latitude"),
        read.get("longitude"), read.get("plate_image") or "", read.get("overview_image") or "",
        read.get("vehicle_make", ""), read.get("vehicle_model", ""), read.get("vehicle_colour", ""),
    )  # fmt: skip


def _alert(camera_id, read, match) -> Alert:
    """A live alert; historic (for the list's owner, not the control room's queue) where the
    read arrived after its entry had expired: the vehicle was of interest when it was seen."""
    expires = match.entry.expires_at
    return Alert(
        read_id=read["id"], read_vrm=read["vrm"], matched_vrm=match.matched_vrm,
        captured_at=read["captured_at"], camera_id=camera_id,
        plate_image=read.get("plate_image") or "", overview_image=read.get("overview_image") or "",
        entry_id=match.entry.entry_id, hotlist_id=match.entry.hotlist_id,
        match_type=match.match_type, priority=match.entry.priority,
        observed_make=read.get("vehicle_make", ""), observed_model=read.get("vehicle_model", ""),
        observed_colour=read.get("vehicle_colour", ""),
        historic=expires is not None and expires <= timezone.now(),
    )  # fmt: skip
