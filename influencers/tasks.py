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


@shared_task(
    name="influencers.tasks.accounts_link",
    queue="default",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=1800,
    time_limit=1900,
    acks_late=True,
)
def accounts_link(account_ids: list[int] | None = None) -> dict:
    """Link unreviewed accounts (all, or ``account_ids``) to clinicians on the worker
    (queue ``default``). Idempotent, so a redelivery writes nothing new; never touches
    reviewed or manual links. Retries only database connection errors."""
    from influencers.linking_services import accounts_link as service

    return service(account_ids=account_ids).as_dict()
