"""Celery tasks for hotlists and alerts: adapters that take ids, load, call one service."""

from celery import shared_task

from .services import alerts_escalate


@shared_task(ignore_result=True)
def alerts_escalate_task() -> None:
    alerts_escalate()
