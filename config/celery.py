"""The Celery application. Tasks live in each app's ``tasks.py`` and are thin."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("peerproof")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "ingest", "scan", "score")]
app.autodiscover_tasks()
