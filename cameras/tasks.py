"""Celery tasks for cameras: adapters that take ids, load, call one service."""

from celery import shared_task

from hotlist.events import operations_announce

from .health import camera_health_check


@shared_task(ignore_result=True)
def camera_health_task() -> None:
    changes = camera_health_check()
    if changes.raised or changes.cleared:
        operations_announce()
