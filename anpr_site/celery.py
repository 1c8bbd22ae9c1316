"""The Celery app. Queues: `ingest` (reads), `ocr` (frames), `default` (everything else)."""

import os
import sys
import warnings

import celery
from celery.exceptions import CPendingDeprecationWarning, Reject
from celery.signals import celeryd_after_setup, worker_init
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anpr_site.settings")


class Task(celery.Task):
    """Celery's task, but a retry the broker cannot take (it is down) puts the message back on
    the queue instead of dropping it, as Celery would: an accepted read or frame is never lost.
    Put back at once when the broker answers again, or, acknowledged late, handed out again
    after the visibility timeout."""

    def retry(self, *args, **kwargs):
        try:
            return super().retry(*args, **kwargs)
        except Reject as rejected:
            raise Reject(rejected.reason, requeue=True) from rejected


app = celery.Celery("anpr_site", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks go straight to their queue by name (the nameless direct exchange): no exchange binding
# look-up per message, and no queue can receive another's tasks.
DIRECT = Exchange("", type="direct")
app.conf.task_queues = [
    Queue(name, DIRECT, routing_key=name) for name in ("ingest", "ocr", "default")
]
app.conf.task_default_exchange = ""
app.conf.task_routes = {
    # Only reads and their partitions on `ingest`: long jobs (analyses, retention, the national
    # export) go to `default`, which its own worker takes, and never hold up a read's alert.
    "reads.tasks.read_batch_ingest_task": {"queue": "ingest"},
    "reads.tasks.partitions_ensure_task": {"queue": "ingest"},
    "hotlist.tasks.alerts_escalate_task": {"queue": "ingest"},  # every 30 s, and short
    "cameras.tasks.ocr_*": {"queue": "ocr"},
}
app.autodiscover_tasks()


@celeryd_after_setup.connect
def cancel_notice_silence(**kwargs) -> None:
    """Running tasks are kept on a broker connection loss on purpose (settings.py says why):
    Celery's notice, at every loss, that it may cancel them by default one day is log noise.
    Set here, after Celery's logging set-up has made its warnings always shown."""
    warnings.filterwarnings(
        "ignore", r"\s*In Celery 5\.1 we introduced", CPendingDeprecationWarning
    )


@worker_init.connect
def ocr_model_load(sender, **kwargs) -> None:
    """A worker that reads frames loads the plate model before it takes any work (its pool's
    processes share it): a missing or corrupt model stops the worker at start, saying why."""
    from django.conf import settings

    if "ocr" in (sender.app.amqp.queues.consume_from or {}) and settings.OCR_PRELOAD:
        import django

        django.setup()
        from cameras.ocr import OCRModelError, reader

        try:
            reader()
        except OCRModelError as error:
            # Celery logs and swallows exceptions from signal handlers: leave outright.
            print(f"The OCR worker cannot start: {error}", file=sys.stderr, flush=True)
            raise SystemExit(1) from error
