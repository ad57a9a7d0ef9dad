"""Celery tasks of the compliance app: thin shells around services (queue ``scan``,
routed by ``compliance.tasks.*``).

``compliance.tasks.posts_scan`` is what the ingest pipeline sends by name after an
ingest run created or changed posts (``LISTENING_POST_INGEST_TASKS``), with
``{"run_id": <ingest run id>}``.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    bind=True,
    name="compliance.tasks.posts_scan",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=2 * 3600,
    time_limit=2 * 3600 + 300,
)
def posts_scan(
    self: Any, run_id: int | None = None, post_ids: list[int] | None = None
) -> dict[str, Any]:
    """Scan the posts an ingest run created or changed (``run_id``), or the given
    ``post_ids``, or everything new since the last complete scan (neither).

    Idempotent (findings are keyed by fingerprint, one adverse-event case per post),
    so a redelivery after a worker crash (acks_late) creates nothing twice. Retries
    only database connection errors; any other error leaves the ScanRun FAILED (the
    service records it) and fails the task.
    """
    from compliance.services import posts_scan as service

    run = service(post_ids=post_ids, ingest_run_id=run_id)
    return {
        "scan_run_id": run.pk,
        "status": run.status,
        "posts_scanned": run.posts_scanned,
        "findings_created": run.findings_created,
        "findings_superseded": run.findings_superseded,
        "ae_cases_opened": run.ae_cases_opened,
    }
