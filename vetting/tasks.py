"""Celery tasks of the vetting app (queue ``score``): thin shells around services.

A scoring run fans out: ``scoring_run_execute`` loads the inputs once and queues one
``scoring_run_part`` per specialty (and per chunk of unlinked candidates); the part
that completes the run queues ``scoring_run_finish``, which writes the scores.
"""

from __future__ import annotations

import smtplib
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "max_retries": 5,
}


def _or_fail(run_id: int, label: str, call):
    """Run ``call()``; on anything but a connection error (which the task retries),
    mark the run FAILED with the error and re-raise."""
    from vetting import services

    try:
        return call()
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        services.scoring_run_fail(
            run_id=run_id, error=f"{label}{type(exc).__name__}: {exc}"
        )
        raise


@shared_task(name="vetting.tasks.programs_score_soon", **RETRY)
def programs_score_soon(run_id: int | None = None) -> list[int]:
    """After an ingest run (``LISTENING_POST_INGEST_TASKS``) or on the beat: give
    every active program a pending scoring run, executed after
    ``SCORING_DEBOUNCE_SECONDS`` so that ingest runs and scans arriving meanwhile
    fold into one scoring. A program with a run already pending or running is left
    alone. Returns the ids of the runs created."""
    from vetting import services
    from vetting.models import Program

    created = []
    for program in Program.objects.filter(is_active=True):
        run, new = services.scoring_run_create(program=program)
        if new:
            scoring_run_execute.apply_async(
                kwargs={"run_id": run.pk}, countdown=settings.SCORING_DEBOUNCE_SECONDS
            )
            created.append(run.pk)
    return created


@shared_task(name="vetting.tasks.scoring_run_execute", **RETRY)
def scoring_run_execute(run_id: int) -> dict[str, Any]:
    """Load and hash a run's inputs; skip it when unchanged, else queue its parts."""
    from vetting import services

    prepared = _or_fail(run_id, "", lambda: services.scoring_run_prepare(run_id=run_id))
    if not prepared.claimed:
        return {"run_id": run_id, "claimed": False}
    for key, _size in prepared.parts:
        scoring_run_part.delay(run_id=run_id, key=key)
    if not prepared.skipped and not prepared.parts:
        scoring_run_finish.delay(run_id=run_id)  # no candidates: an empty run
    return {"run_id": run_id, "skipped": prepared.skipped, "parts": prepared.parts}


@shared_task(name="vetting.tasks.scoring_run_part", **RETRY)
def scoring_run_part(run_id: int, key: str) -> dict[str, Any]:
    """Every score for one specialty (or one chunk of unlinked candidates)."""
    from vetting import services

    last = _or_fail(
        run_id,
        f"part {key}: ",
        lambda: services.scoring_run_part(run_id=run_id, key=key),
    )
    if last:
        scoring_run_finish.delay(run_id=run_id)
    return {"run_id": run_id, "part": key, "last": last}


@shared_task(name="vetting.tasks.scoring_run_finish", **RETRY)
def scoring_run_finish(run_id: int) -> dict[str, Any]:
    """Composite, gates and ranks over all parts; write the scores."""
    from vetting import services

    run = _or_fail(
        run_id, "finish: ", lambda: services.scoring_run_finish(run_id=run_id)
    )
    return {"run_id": run_id, "status": run.status, "scored": run.accounts_scored}


@shared_task(**RETRY)
def alerts_refresh() -> dict[str, int]:
    """Raise alerts for new critical findings, AE clocks and new payments (beat)."""
    from vetting.workflow import alerts_refresh as refresh

    return refresh()


@shared_task(
    name="vetting.tasks.alert_email_send",
    acks_late=True,
    reject_on_worker_lost=True,
    # transient: the database or the mail server unreachable for a moment; a refused
    # recipient or a bad message is not retried
    autoretry_for=(
        OperationalError,
        InterfaceError,
        smtplib.SMTPConnectError,
        smtplib.SMTPServerDisconnected,
        ConnectionError,
        TimeoutError,
    ),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def alert_email_send(alert_id: int) -> int:
    """Email a new alert to the members whose role acts on it, once (queued by
    ``workflow.alert_raise`` after commit; ``emailed_at`` makes it idempotent)."""
    from vetting.emails import alert_email_send as send

    return send(alert_id=alert_id)
