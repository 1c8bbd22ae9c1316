"""Celery tasks for the read store. Ingest runs on the `ingest` queue, one batch per task."""

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from redis import RedisError

from . import partitions
from .analysis import analyses_sweep, analysis_run
from .national import national_export_due
from .retention import retention_run
from .services import read_batch_ingest


@shared_task(
    ignore_result=True,  # nobody waits for it; tracking results costs the camera API a Redis trip
    autoretry_for=(OperationalError, InterfaceError, RedisError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=None,  # an accepted read is never dropped: retry until the store is back
)
def read_batch_ingest_task(batch: dict) -> dict:
    """Store one accepted batch (plain data from the camera API)."""
    try:
        result = read_batch_ingest(**batch)
    except (OperationalError, InterfaceError):
        # Connections outlive tasks (CELERY_DB_REUSE_MAX): drop a broken one so the retry
        # reconnects, e.g. after a database restart.
        connection.close()
        raise
    return {"stored": result.stored, "duplicates": result.duplicates, "alerts": result.alert_ids}


@shared_task
def partitions_ensure_task() -> list[str]:
    """Create the read store's day partitions from yesterday to a week ahead."""
    today = partitions.day_of(timezone.now())
    return [day.isoformat() for day in partitions.ensure_ahead(today)]


@shared_task(acks_late=False)  # long: never handed to a second worker mid-run
def retention_run_task() -> list[str]:
    """Delete what is past retention (daily); what was deleted, for the worker's log."""
    return [str(record) for record in retention_run()]


@shared_task(ignore_result=True, acks_late=False)
def analysis_run_task(analysis_id: int) -> None:
    """Run a long analysis (on the default queue, never holding up ingest). Not acknowledged
    late: a lost worker leaves it failed to be started again, rather than run twice."""
    analysis_run(analysis_id=analysis_id)


@shared_task(ignore_result=True)
def analyses_sweep_task() -> None:
    analyses_sweep()


@shared_task(acks_late=False)  # long: never handed to a second worker mid-run
def national_export_task() -> list[str]:
    """Write the previous UTC day's reads in the national capture format and send them, and
    send again any day whose sending failed."""
    today = partitions.day_of(timezone.now())
    return [str(export) for export in national_export_due(today=today)]
