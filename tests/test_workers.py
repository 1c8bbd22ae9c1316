"""A real Celery worker consumes the project's queues and runs the scheduled jobs."""

from datetime import timedelta

import pytest
from celery.exceptions import Reject
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from redis import RedisError

from access.tasks import sessions_clear_task
from anpr_site.celery import app
from reads.tasks import read_batch_ingest_task

pytestmark = pytest.mark.slow


def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name


def test_worker_clears_expired_sessions_and_keeps_live_ones(celery_worker):
    now = timezone.now()
    Session.objects.create(session_key="e" * 32, session_data="", expire_date=now - timedelta(1))
    Session.objects.create(session_key="l" * 32, session_data="", expire_date=now + timedelta(1))

    sessions_clear_task.delay().get(timeout=60)

    assert list(Session.objects.values_list("session_key", flat=True)) == ["l" * 32]


@pytest.mark.parametrize("queue", ["ingest", "ocr", "default"])
def test_worker_consumes_every_queue(celery_worker, queue):
    result = sessions_clear_task.apply_async(queue=queue)
    assert result.get(timeout=60) is None
    assert result.successful()


def test_each_task_goes_to_its_own_queue_only():
    from kombu import Connection

    with app.connection_for_write() as connection:
        assert isinstance(connection, Connection)
        connection.default_channel.queue_purge("ingest")
        connection.default_channel.queue_purge("default")
        sessions_clear_task.apply_async(queue="ingest")
        counts = {
            name: connection.default_channel.queue_declare(name).message_count
            for name in ("ingest", "ocr", "default")
        }
        connection.default_channel.queue_purge("ingest")
    assert counts == {"ingest": 1, "ocr": 0, "default": 0}


@pytest.mark.parametrize(("task", "queue"), [
    ("reads.tasks.read_batch_ingest_task", "ingest"),
    ("reads.tasks.partitions_ensure_task", "ingest"),
    ("cameras.tasks.ocr_frame_task", "ocr"),
    ("hotlist.tasks.alerts_escalate_task", "ingest"),
    # Long jobs on their own worker: none holds up a read's alert.
    ("reads.tasks.analysis_run_task", "default"),
    ("reads.tasks.retention_run_task", "default"),
    ("reads.tasks.national_export_task", "default"),
    ("hotlist.tasks.hotlist_import_run_task", "default"),
])  # fmt: skip
def test_only_reads_are_queued_for_the_ingest_worker(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_a_retry_the_broker_cannot_take_puts_the_batch_back_on_the_queue():
    """Celery drops a task whose retry cannot be queued; ours go back, for a worker to take
    once the broker is back (a Redis restart once lost a batch this way)."""
    task = read_batch_ingest_task
    with app.connection_for_write("redis://127.0.0.1:1/0") as down:  # nothing listens there
        task.push_request(id="batch", retries=0, called_directly=False, delivery_info={})
        try:
            with pytest.raises(Reject) as rejected:
                task.retry(exc=RedisError("down"), connection=down, retry_policy={"max_retries": 0})
        finally:
            task.pop_request()
    assert rejected.value.requeue
