"""Celery tasks for hotlists and alerts: adapters that take ids, load, call one service."""

from datetime import datetime

from celery import shared_task
from django.conf import settings

from .events import stream_events_trim
from .imports import (
    hotlist_import_check,
    hotlist_import_failure,
    hotlist_import_rematch,
    hotlist_import_run,
    hotlist_imports_lapse,
)
from .matching import entry_retrospective_match
from .services import WebhookFailed, alerts_escalate, webhook_deliver, webhook_deliveries_resend


@shared_task(ignore_result=True)
def alerts_escalate_task() -> None:
    alerts_escalate()


@shared_task(ignore_result=True)
def webhook_deliveries_resend_task() -> None:
    webhook_deliveries_resend()


@shared_task(ignore_result=True)
def stream_events_trim_task() -> None:
    stream_events_trim()


@shared_task(bind=True, ignore_result=True)
def webhook_deliver_task(self, delivery_id: int) -> None:
    """Send an alert to its list's webhook, retrying with exponential back-off (base, 2x, 4x...)
    until the delivery's WEBHOOK_MAX_ATTEMPTS tries are spent; then it is marked failed."""
    try:
        webhook_deliver(delivery_id=delivery_id)
    except WebhookFailed as failure:
        delay = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (failure.attempts - 1)
        raise self.retry(countdown=delay, exc=failure, max_retries=None) from failure


@shared_task(ignore_result=True)
def entry_retrospective_match_task(entry_id: int, saved_at: str | None = None) -> None:
    entry_retrospective_match(
        entry_id=entry_id, saved_at=datetime.fromisoformat(saved_at) if saved_at else None
    )


@shared_task(ignore_result=True)
def hotlist_import_rematch_task(import_id: int, started_at: str) -> None:
    hotlist_import_rematch(import_id=import_id, started_at=datetime.fromisoformat(started_at))


@shared_task(ignore_result=True, acks_late=False)
def hotlist_import_check_task(import_id: int) -> None:
    with hotlist_import_failure(import_id):
        hotlist_import_check(import_id=import_id)


@shared_task(ignore_result=True, acks_late=False)
def hotlist_import_run_task(import_id: int) -> None:
    """Not acknowledged late: a lost worker must not import the same rows twice."""
    with hotlist_import_failure(import_id):
        hotlist_import_run(import_id=import_id)


@shared_task(ignore_result=True)
def hotlist_imports_lapse_task() -> None:
    hotlist_imports_lapse()
