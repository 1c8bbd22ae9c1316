"""Frames from generic cameras (R-READ-2b): accepted by the camera API or the folder-watch
adapter, read by the OCR workers (queue `ocr`), and continued into the normal ingest path as
reads with their plate patch and overview image. A frame with no plate is counted and kept a
short while for camera diagnostics."""

import uuid
from datetime import datetime
from functools import partial

import cv2
import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError

from reads.models import Read, RetentionPolicy

from .images import InvalidImage, check_image, save_image
from .models import Camera, UnreadFrame
from .services import SubmissionRefused, camera_seen, plain_read, read_id_for
from .submission import ReadRefused, parse_frame_fields

# Where a frame was taken, and which way the vehicle went, where its camera says.
POSITION = ("latitude", "longitude", "direction")


def frame_submit(*, camera: Camera, content: bytes, fields) -> dict:
    """Check a frame and queue it for OCR; returns its read id. Raises SubmissionRefused
    (nothing stored, nothing queued) for a camera that may not submit or a bad frame."""
    from .tasks import ocr_frame_task

    reason = camera.refusal_reason()
    if reason:
        camera_seen(camera_id=camera.pk, clock_offset_ms=None, stored=0, refused=1)
        raise SubmissionRefused(403, reason)
    now = timezone.now()
    try:
        frame = parse_frame_fields(fields, camera, now, RetentionPolicy.reads_days_now())
        extension = check_image(content, max_bytes=settings.FRAME_MAX_BYTES)
    except (ReadRefused, InvalidImage) as error:
        camera_seen(camera_id=camera.pk, clock_offset_ms=None, stored=0, refused=1)
        if isinstance(error, ReadRefused):
            raise SubmissionRefused(400, "The frame was not accepted.",
                                    {"errors": error.errors}) from None  # fmt: skip
        raise SubmissionRefused(400, f"The frame was not accepted: {error}") from None
    read_id = read_id_for(camera, frame["capture_id"], frame["captured_at"])
    stored = Read.objects.filter(camera_id=camera.pk, captured_at=frame["captured_at"], id=read_id)
    if stored.exists():
        # Read before: a replay, whatever it holds now, is not read again (one read per
        # capture id and time, and one alert).
        return {"capture_id": frame["capture_id"], "read_id": read_id}
    path = f"frames/{frame['captured_at']:%Y/%m/%d}/{camera.reference}/{read_id}.{extension}"
    stored_now = save_image(path, content)  # else sent before, and waiting to be read
    try:
        ocr_frame_task.delay({
            "camera_id": camera.pk, "site_id": camera.site_id, "read_id": str(read_id),
            "frame": path, "capture_id": frame["capture_id"],
            "captured_at": frame["captured_at"].isoformat(),
            "received_at": now.isoformat(),
            **{key: frame[key] for key in POSITION if key in frame},
        })  # fmt: skip
    except OperationalError as error:
        if stored_now:  # nothing was accepted: nothing of it is kept
            default_storage.delete(path)
        raise SubmissionRefused(
            503, "The frame cannot be queued right now; nothing was accepted. Send it again."
        ) from error
    return {"capture_id": frame["capture_id"], "read_id": read_id}


def frame_process(frame: dict) -> str | None:
    """Read the plate in a queued frame and send the read on to ingest; returns its VRM, or
    None when no plate was found (the frame is then counted and kept for diagnostics)."""
    from reads.tasks import read_batch_ingest_task

    from .ocr import OCRModelError, frame_read

    camera = Camera.objects.get(pk=frame["camera_id"])
    captured_at = datetime.fromisoformat(frame["captured_at"])
    try:
        with default_storage.open(frame["frame"]) as file:
            content = file.read()
    except FileNotFoundError:
        return None  # delivered twice, and already read and moved on
    unread = partial(_unread, camera, frame["frame"], captured_at,
                     datetime.fromisoformat(frame["received_at"]))  # fmt: skip
    try:  # grey, alpha and 16-bit images come out as 8-bit colour
        image = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR)
        found = frame_read(image) if image is not None else None
    except OCRModelError:
        raise  # the model, not the frame: tried again once it loads
    except Exception as error:  # whatever a frame does to the decoder or reader, it is kept
        unread(f"The frame could not be read ({type(error).__name__}: {error}).")
        return None
    if found is None:
        unread("No plate found." if image is not None else "The image cannot be decoded.")
        return None
    _, patch = cv2.imencode(".jpg", found.candidate.plate, [cv2.IMWRITE_JPEG_QUALITY, 90])
    # Saved and sent on as any camera's read: the plate patch and the frame as its images.
    read = plain_read(camera, uuid.UUID(frame["read_id"]), {
        "vrm": found.reading.vrm, "vrm_raw": found.text, "capture_id": frame["capture_id"],
        "captured_at": captured_at, "confidence": round(found.confidence, 3),
        "alternatives": [{"vrm": r.vrm, "score": round(min(1.0, r.score / found.reading.score
                                                           * found.confidence), 3)}
                         for r in found.alternatives],
        "plate_image": (patch.tobytes(), "jpg"),
        "overview_image": (content, frame["frame"].rsplit(".", 1)[-1]),
        **{key: frame[key] for key in POSITION if key in frame},
    })  # fmt: skip
    read_batch_ingest_task.delay(
        {
            "camera_id": camera.pk,
            # Where the camera was when the frame was accepted: a relocation since moves the
            # camera, not what it saw before. (Frames queued without it: where it is now.)
            "site_id": frame.get("site_id", camera.site_id),
            "received_at": frame["received_at"],
            "reads": [read],
        }
    )
    default_storage.delete(frame["frame"])
    return found.reading.vrm


def _unread(
    camera: Camera, path: str, captured_at: datetime, received_at: datetime, reason: str
) -> None:
    """Keep the frame for diagnostics and count it, once however often it is delivered; it is
    kept from when it was received (FRAMES hours), however long it waited to be read."""
    longest = UnreadFrame._meta.get_field("reason").max_length
    with transaction.atomic():
        _, created = UnreadFrame.objects.get_or_create(
            image=path, defaults={"camera": camera, "captured_at": captured_at,
                                  "received_at": received_at, "reason": reason[:longest]},
        )  # fmt: skip
        if created:
            Camera.objects.filter(pk=camera.pk).update(frames_unread=F("frames_unread") + 1,
                                                       last_seen_at=timezone.now())  # fmt: skip
