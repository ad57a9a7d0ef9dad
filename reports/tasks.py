"""Celery tasks of the reports app (queue ``default``): thin shells around services.

``export_run`` writes one large export's file (``reports.services.export_run``).
It retries only database connection errors; after the last failure, or on any other
error, the export row is FAILED with the error.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

# A 100K-row XLSX takes about a minute on one core; far more is a stuck task.
EXPORT_SOFT_TIME_LIMIT = 20 * 60
EXPORT_TIME_LIMIT = 25 * 60


class ExportTask(Task):
    """Marks the export FAILED when the task fails for good (retries exhausted)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        from reports import services

        export_id = kwargs.get("export_id", args[0] if args else None)
        if export_id is not None:
            services.export_fail(
                export_id=export_id, error=f"{type(exc).__name__}: {exc}"
            )


@shared_task(
    base=ExportTask,
    name="reports.tasks.export_run",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=3,
    soft_time_limit=EXPORT_SOFT_TIME_LIMIT,
    time_limit=EXPORT_TIME_LIMIT,
)
def export_run(export_id: int) -> dict[str, Any]:
    """Write the file of a pending export (a no-op for one that is done)."""
    from reports import services

    export = services.export_run(export_id=export_id)
    if export is None:
        return {"export_id": export_id, "status": "gone"}
    return {
        "export_id": export_id,
        "status": export.status,
        "rows": export.rows_done,
    }
