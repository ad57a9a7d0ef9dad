"""Celery tasks of the influencers app: thin shells around services (queue ``ingest``)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    name="influencers.tasks.reference_data_load",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=1800,
    time_limit=1900,
    acks_late=True,
)
def reference_data_load(loader: str, path: str | None = None) -> dict:
    """Run one reference loader on the worker. Idempotent, so a redelivery after a
    worker crash (acks_late) repeats nothing. Retries only database connection errors;
    bad files fail at once and their ReferenceLoad row says why."""
    from influencers.services import reference_data_load as service

    return service(loader=loader, path=path).as_dict()
