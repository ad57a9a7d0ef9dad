"""A real Celery worker process against the real PostgreSQL and Redis (no eager mode).

The worker is started as a separate process pointed at pytest's test database, a task
is queued through the application's own on-commit path, and the test checks the task's
effect in the database.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from config.celery import app
from influencers.models import ReferenceLoad, Specialty
from influencers.services import reference_data_load_enqueue
from tests.workers import ALL_QUEUES

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.worker]


@pytest.fixture
def worker(celery_worker_factory):
    """One real worker process on every queue, pointed at the test database."""
    return celery_worker_factory(queues=ALL_QUEUES).name


def _wait_for(predicate, timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_the_worker_loads_specialties_queued_after_commit(worker):
    with transaction.atomic():
        reference_data_load_enqueue(loader="nucc")
        # Nothing is queued before the transaction commits.
        assert Specialty.objects.count() == 0

    assert _wait_for(
        lambda: ReferenceLoad.objects.filter(
            loader="nucc", status=ReferenceLoad.Status.SUCCEEDED
        ).exists()
    ), "the worker did not finish the NUCC load"
    assert Specialty.objects.count() == 883
    assert (
        Specialty.objects.get(code="207RC0000X").classification == "Internal Medicine"
    )


@pytest.mark.django_db(transaction=True)
def test_a_replayed_task_changes_nothing(worker):
    first = app.send_task(
        "influencers.tasks.reference_data_load", args=["nucc", None], queue="ingest"
    ).get(timeout=90)
    second = app.send_task(
        "influencers.tasks.reference_data_load", args=["nucc", None], queue="ingest"
    ).get(timeout=90)
    assert first["created"] == 883
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 883)


@pytest.mark.django_db(transaction=True)
def test_a_bad_path_fails_the_run_without_retrying(worker, tmp_path):
    missing = tmp_path / "nope.csv"
    result = app.send_task(
        "influencers.tasks.reference_data_load",
        args=["nucc", str(missing)],
        queue="ingest",
    )
    with pytest.raises(FileNotFoundError):
        result.get(timeout=90)
    assert Specialty.objects.count() == 0
    failed = ReferenceLoad.objects.get(loader="nucc")
    assert failed.status == ReferenceLoad.Status.FAILED
    assert "nope.csv" in failed.error


def test_celery_is_configured_for_safe_redelivery():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_SERIALIZER == "json"
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
    assert {q.name for q in app.conf.task_queues} >= {"ingest", "scan", "score"}
    assert app.conf.task_routes["influencers.tasks.*"] == {"queue": "ingest"}
