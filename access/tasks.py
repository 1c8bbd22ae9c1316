"""Scheduled access housekeeping."""

from celery import shared_task
from django.core import management


@shared_task
def sessions_clear_task() -> None:
    """Remove expired sessions from the database (sessions are stored there)."""
    management.call_command("clearsessions")


@shared_task
def audit_anchor_task() -> None:
    """Write the audit's head outside the database (services.audit_anchor)."""
    from .services import audit_anchor

    audit_anchor()
