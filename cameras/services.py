"""Writes for cameras: credentials and health counters."""

import json
import logging
import re
import secrets
import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from core.redis import client as redis_client
from reads.models import Read, RetentionPolicy

from .images import save_image
from .models import Camera, CameraCredential, _hash_secret
from .submission import ReadRefused, parse_read, printable


@transaction.atomic
def camera_credential_issue(
    *, camera: Camera, label: str = "", acting_user: User | None
) -> tuple[CameraCredential, str]:
    """Issue a new credential; return it and the token, which is never retrievable again."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    credential = CameraCredential.objects.create(
        camera=camera, key_id=key_id, secret_hash=_hash_secret(secret), label=label,
        created_by=acting_user,
    )  # fmt: skip
    return credential, f"{key_id}.{secret}"


@transaction.atomic
def camera_credential_revoke(*, credential: CameraCredential, acting_user: User | None) -> None:
    """Revoke a credential: the camera's next submission with it is refused (401)."""
    if credential.revoked_at is None:
        credential.revoked_at = timezone.now()
        credential.revoked_by = acting_user
        credential.save(update_fields=["revoked_at", "revoked_by"])


def camera_seen(*, camera_id: int, clock_offset_ms: int | None, stored: int, refused: int):
    """Record a submission: last seen, clock offset and read counters (one UPDATE)."""
    now = timezone.now()
    changes = {"last_seen_at": now, "reads_stored": F("reads_stored") + stored,
               "reads_refused": F("reads_refused") + refused}  # fmt: skip
    if stored:
        changes["last_read_at"] = now
    if clock_offset_ms is not None:
        changes["clock_offset_ms"] = clock_offset_ms
    Camera.objects.filter(pk=camera_id).update(**changes)


class SubmissionRefused(Exception):
    """A whole submission refused: the HTTP status and a message naming the problem."""

    def __init__(self, status: int, detail: str, body: dict | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.body = body or {}


logger = logging.getLogger(__name__)
# Read ids are derived from the camera, its capture id and the capture time, so a resubmitted
# read keeps its id, while a camera that restarts its capture counter does not collide with
# its own earlier reads.
READ_ID_NAMESPACE = uuid.UUID("5b0c3a52-6f0e-4c59-9a0e-2f1d9c7e4a11")
CLAIM_KEY, CLAIM_SECONDS = "anpr:read-claim:", 2 * 24 * 3600


def read_id_for(camera: Camera, capture_id: str, captured_at: datetime) -> uuid.UUID:
    moment = captured_at.astimezone(UTC).isoformat(timespec="microseconds")
    return uuid.uuid5(READ_ID_NAMESPACE, f"{camera.pk}/{capture_id}/{moment}")


def read_batch_submit(*, camera: Camera, payload) -> dict:
    """Validate a camera's batch read by read, save the images of the good reads, and queue
    them for ingest. Returns the accepted reads (with their ids) and the rejected ones (with
    reasons). Raises SubmissionRefused when nothing in it can be accepted.
    """
    from reads.tasks import read_batch_ingest_task

    reads = payload.get("reads") if isinstance(payload, dict) else None
    count = len(reads) if isinstance(reads, list) else 0
    reason = camera.refusal_reason()
    if reason:
        camera_seen(camera_id=camera.pk, clock_offset_ms=None, stored=0, refused=count)
        raise SubmissionRefused(403, reason)
    if not isinstance(reads, list) or not reads:
        raise SubmissionRefused(400, 'The body must be a JSON object with a "reads" list.')
    if unknown := sorted(set(payload) - ENVELOPE):
        raise SubmissionRefused(
            400, f"Unknown fields in the batch: {printable(', '.join(unknown))}. A batch holds "
            '"reads" and, optionally, "sent_at". Nothing was accepted.',
        )  # fmt: skip
    if count > settings.READ_BATCH_MAX:
        raise SubmissionRefused(
            400, f"A batch holds at most {settings.READ_BATCH_MAX} reads; this one has {count}. "
            "Nothing was accepted: split it and send again.",
        )  # fmt: skip
    offset = clock_offset_ms(payload.get("sent_at"))

    received_at = timezone.now()
    kept_days = RetentionPolicy.reads_days_now()
    accepted, rejected, plain, good = [], [], [], []
    for index, item in enumerate(reads):
        try:
            read = parse_read(item, camera, received_at, kept_days)
        except ReadRefused as refused:
            capture_id = item.get("capture_id") if isinstance(item, dict) else None
            rejected.append({"index": index, "capture_id": _echo(capture_id),
                             "errors": refused.errors})  # fmt: skip
            continue
        good.append((index, read, read_id_for(camera, read["capture_id"], read["captured_at"])))
    conflicts = capture_conflicts(camera, good)
    for index, read, read_id in good:
        if index in conflicts:
            rejected.append({"index": index, "capture_id": read["capture_id"],
                             "errors": {"capture_id": [conflicts[index]]}})  # fmt: skip
            continue
        plain.append(plain_read(camera, read_id, read))
        accepted.append({"index": index, "capture_id": read["capture_id"], "read_id": read_id})
    rejected.sort(key=lambda refused: refused["index"])

    if not accepted:
        camera_seen(camera_id=camera.pk, clock_offset_ms=offset, stored=0, refused=count)
        body = {"accepted": [], "rejected": rejected}
        if len(conflicts) == len(rejected):  # every read a replay of another read
            raise SubmissionRefused(
                409, "No read in the batch was accepted: its capture ids name other reads.", body
            )
        raise SubmissionRefused(400, "No read in the batch was accepted.", body)
    # The ingest worker updates the camera's counters in its own transaction, so the API does
    # no database write for a good batch.
    batch = {"camera_id": camera.pk, "site_id": camera.site_id,
             "received_at": received_at.isoformat(), "reads": plain,
             "clock_offset_ms": offset, "refused": len(rejected)}  # fmt: skip
    try:
        read_batch_ingest_task.delay(batch)
    except OperationalError as error:  # the broker is unreachable: accept nothing
        raise SubmissionRefused(
            503, "Reads cannot be queued right now; nothing was accepted. Send the batch again."
        ) from error
    return {"accepted": accepted, "rejected": rejected}


def _echo(capture_id):
    """A refused read's capture id as the camera sent it, where it can be sent back."""
    return printable(capture_id) if isinstance(capture_id, str) else None


def capture_conflicts(camera: Camera, reads: list[tuple[int, dict, uuid.UUID]]) -> dict[int, str]:
    """Reads (by index) whose capture id and time already name a read with another VRM, in
    this batch, accepted and still queued, or stored: the store keeps one read a read id, so
    the other would be accepted and then lost. The same read sent again is no conflict: it keeps
    its read id and is stored once."""
    ids = {read_id for _, _, read_id in reads}
    stored = dict(Read.objects.filter(
        camera_id=camera.pk, captured_at__in={read["captured_at"] for _, read, _ in reads},
        id__in=ids).values_list("id", "vrm")) if ids else {}  # fmt: skip
    stored |= _claims([(read_id, read["vrm"]) for _, read, read_id in reads
                       if read_id not in stored])  # fmt: skip
    conflicts = {}
    for index, read, read_id in reads:
        known = stored.setdefault(read_id, read["vrm"])
        if known != read["vrm"]:
            moment = read["captured_at"].isoformat(timespec="milliseconds")
            conflicts[index] = (
                f"Capture id {printable(read['capture_id'])!r} at {moment} already names a read "
                "with another VRM: send each read with its own capture id."
            )
    return conflicts


def _claims(reads: list[tuple[uuid.UUID, str]]) -> dict[uuid.UUID, str]:
    """The VRM each read id was first accepted with, claimed in Redis for CLAIM_SECONDS (longer
    than a read waits in the ingest queue): a read id first seen here is claimed for its VRM.
    Without Redis, reads are accepted on what is stored (the claims are a second line)."""
    if not reads:
        return {}
    try:
        with redis_client().pipeline() as pipe:
            for read_id, vrm in reads:
                pipe.set(f"{CLAIM_KEY}{read_id}", vrm, nx=True, ex=CLAIM_SECONDS)
                pipe.get(f"{CLAIM_KEY}{read_id}")
            replies = pipe.execute()[1::2]
    except RedisError:
        logger.warning("Read claims unavailable (Redis): checked against stored reads only")
        return {}
    return {read_id: claimed.decode() for (read_id, _), claimed in zip(reads, replies, strict=True)
            if claimed is not None}  # fmt: skip


_UPLOAD_NAME = re.compile(r"reads\.(\d+)\.(plate_image|overview_image)")


MAX_JSON_OBJECTS = 1_000  # a full batch holds about 550: 50 reads of up to 10 alternatives
ENVELOPE = {"reads", "sent_at"}


def submission_json(text: str):
    """A camera's JSON, refused (ValueError) once it holds more objects than any good
    submission: a few megabytes of `{}` would take hundreds of megabytes to parse; NaN and
    Infinity are no JSON numbers."""
    count = 0

    def counted(pairs):
        nonlocal count
        count += 1
        if count > MAX_JSON_OBJECTS:
            raise ValueError(f"more than {MAX_JSON_OBJECTS} objects, more than a batch holds")
        return dict(pairs)

    def refused(constant):
        raise ValueError(f"{constant} is not a JSON number")

    return json.loads(text, object_pairs_hook=counted, parse_constant=refused)


def multipart_batch(batch_json, files) -> dict:
    """A batch sent as multipart: JSON in the "batch" field, images as named file uploads."""
    try:
        batch = submission_json(batch_json or "")
        reads = batch["reads"]
    except (ValueError, TypeError, KeyError, RecursionError):
        reads = None
    if not isinstance(reads, list):
        raise SubmissionRefused(
            400, 'A multipart submission carries the batch as JSON in a "batch" field.'
        )
    for name, upload in files.items():
        match = _UPLOAD_NAME.fullmatch(name)
        index = int(match.group(1)) if match else -1
        if match is None or not (index < len(reads) and isinstance(reads[index], dict)):
            raise SubmissionRefused(
                400, f"Unexpected file {printable(repr(name))}: name files "
                "reads.<index>.plate_image or reads.<index>.overview_image, for a read in the "
                "batch.",
            )  # fmt: skip
        reads[index][match.group(2)] = upload
    return batch


VEHICLE_FIELDS = ("vehicle_make", "vehicle_model", "vehicle_colour")


def plain_read(camera: Camera, read_id: uuid.UUID, read: dict) -> dict:
    """The read as plain data for the ingest queue, its images saved under the capture day."""
    day_folder = f"reads/{read['captured_at']:%Y/%m/%d}/{camera.reference}"
    images = {}
    for field, suffix in (("plate_image", "plate"), ("overview_image", "overview")):
        if read.get(field):
            content, extension = read[field]
            images[field] = f"{day_folder}/{read_id}-{suffix}.{extension}"
            save_image(images[field], content)
    alternatives = [{"vrm": a["vrm"], "score": a["score"]} for a in read.get("alternatives", [])]
    return {
        "id": str(read_id), "vrm": read["vrm"], "vrm_raw": read["vrm_raw"],
        "captured_at": read["captured_at"].isoformat(), "capture_id": read["capture_id"],
        "confidence": read.get("confidence"), "alternatives": alternatives,
        "direction": read.get("direction", ""), "lane": read.get("lane"),
        "latitude": read.get("latitude"), "longitude": read.get("longitude"), **images,
        **{field: read[field] for field in VEHICLE_FIELDS if field in read},
    }  # fmt: skip


def clock_offset_ms(sent_at: datetime | str | None) -> int | None:
    """The camera's clock minus ours, from the time it says it sent a submission; None when
    it says nothing usable (the submission is not refused for it)."""
    if not sent_at:
        return None
    try:
        camera_time = sent_at if isinstance(sent_at, datetime) else datetime.fromisoformat(sent_at)
        if camera_time.tzinfo is None:
            camera_time = camera_time.replace(tzinfo=UTC)
        offset = round((camera_time - timezone.now()).total_seconds() * 1000)
    except (ValueError, TypeError, OverflowError):
        return None
    return offset if abs(offset) < 2**31 else None  # beyond the counter: not a clock, nonsense
