"""Celery tasks for cameras: adapters that take ids, load, call one service."""

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from kombu.exceptions import KombuError
from redis import RedisError

from hotlist.events import operations_announce
from reads.retention import unread_frames_expire

from .frames import frame_process
from .health import camera_health_check
from .ocr import OCRModelError


@shared_task(ignore_result=True)
def camera_health_task() -> None:
    changes = camera_health_check()
    if changes.raised or changes.cleared:
        operations_announce()


@shared_task(
    ignore_result=True,
    # An accepted frame is not dropped: retried while the broker, the database or the model
    # are unavailable (not on an error a retry would meet again).
    autoretry_for=(KombuError, RedisError, OperationalError, InterfaceError, OCRModelError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=None,
)
def ocr_frame_task(frame: dict) -> str | None:
    """Read one queued frame (queue `ocr`); its read goes on to the ingest queue."""
    try:
        return frame_process(frame)
    except (OperationalError, InterfaceError):
        connection.close()  # a connection lost to a database restart: the retry reconnects
        raise


@shared_task(ignore_result=True)
def unread_frames_expire_task() -> None:
    unread_frames_expire()
