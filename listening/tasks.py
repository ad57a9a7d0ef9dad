"""Celery tasks of the listening app: thin shells around services (queue ``ingest``).

Each task takes ids and primitives, imports its service inside the body, and retries
only named transient errors. A run that fails for good is marked FAILED by
``IngestRunTask.on_failure``.
"""

from __future__ import annotations

import random
from typing import Any

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from listening.connectors.base import RateLimited, UpstreamUnavailable

RETRY_BACKOFF_MAX = 600
MAX_RETRIES = 6


class IngestRunTask(Task):
    """Marks the run FAILED once the task has failed for good (after its retries)."""

    def on_failure(
        self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        from listening.services import ingest_run_fail

        run_id = kwargs.get("run_id") if kwargs else None
        if run_id is None and args:
            run_id = args[0]
        if run_id is not None:
            ingest_run_fail(run_id=int(run_id), error=f"{type(exc).__name__}: {exc}")


@shared_task(
    bind=True,
    base=IngestRunTask,
    name="listening.tasks.ingest_run_execute",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(UpstreamUnavailable, OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=3 * 3600,
    time_limit=3 * 3600 + 300,
)
def ingest_run_execute(self: Task, run_id: int) -> dict[str, Any]:
    """Claim and execute one ingest run (``listening.services.ingest_run_execute``).

    Safe to deliver twice (acks_late redelivery after a worker crash): only one
    delivery can claim the run, and a claimed run resumes from its cursor. Retries
    rate limits (after the server's Retry-After when given), upstream outages and
    database connection errors with backoff and jitter; anything else fails the run.
    """
    from listening.services import ingest_run_execute as service

    worker = f"{self.request.hostname or 'local'}:{self.request.id or '-'}"
    try:
        run = service(run_id=run_id, worker=worker)
    except RateLimited as exc:
        wait = exc.retry_after or min(2**self.request.retries, RETRY_BACKOFF_MAX)
        raise self.retry(
            exc=exc, countdown=wait + random.uniform(0, 1), max_retries=MAX_RETRIES
        ) from exc
    except SoftTimeLimitExceeded as exc:
        # The run was released with its cursor saved: continue in a fresh task.
        raise self.retry(exc=exc, countdown=1, max_retries=MAX_RETRIES) from exc
    return {
        "run_id": run.pk,
        "status": run.status,
        "pages": run.pages,
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "quarantined": run.quarantined,
        "interactions": run.interactions,
        "error": run.error,
    }


@shared_task(name="listening.tasks.ingest_runs_schedule_due", acks_late=True)
def ingest_runs_schedule_due() -> list[int]:
    """For beat: create and queue the runs of scheduled sources for the current
    window. Two beats at once create each window's run once."""
    from listening.services import ingest_runs_schedule_due as service

    return [run.pk for run in service()]


@shared_task(name="listening.tasks.ingest_runs_recover_stale", acks_late=True)
def ingest_runs_recover_stale() -> list[int]:
    """For beat: queue again the runs whose worker stopped heartbeating."""
    from listening.services import ingest_runs_recover_stale as service

    return service()


@shared_task(
    name="listening.tasks.ingest_run_accounts_link",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def ingest_run_accounts_link(run_id: int) -> dict:
    """After an ingest run (``LISTENING_POST_INGEST_TASKS``): link the accounts the
    run created or changed to clinicians (a new bio can make or break a link).
    Idempotent; reviewed and manual links are never touched."""
    from influencers.linking_services import accounts_link
    from listening.services import ingest_run_account_ids

    account_ids = ingest_run_account_ids(run_id=run_id)
    if not account_ids:
        return {"run_id": run_id, "accounts": 0}
    return {"run_id": run_id, **accounts_link(account_ids=account_ids).as_dict()}
