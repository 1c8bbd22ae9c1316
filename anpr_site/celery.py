"""The Celery app. Queues: `ingest` (reads), `ocr` (frames), `default` (everything else)."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anpr_site.settings")

app = Celery("anpr_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each queue needs its own routing key: with the default one, all three would receive every task.
app.conf.task_queues = [Queue(name, routing_key=name) for name in ("ingest", "ocr", "default")]
app.conf.task_routes = {
    "reads.tasks.*": {"queue": "ingest"},
    "cameras.tasks.ocr_*": {"queue": "ocr"},
}
app.autodiscover_tasks()
