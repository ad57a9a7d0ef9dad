"""Reads of the listening app: sources, ingest runs and quarantined records."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from listening.models import IngestRun, QuarantinedRecord, Source


def source_list(*, enabled: bool | None = None) -> QuerySet[Source]:
    """Sources by name; only enabled (or disabled) ones when ``enabled`` is given."""
    sources = Source.objects.all()
    if enabled is not None:
        sources = sources.filter(enabled=enabled)
    return sources.order_by("name")


def source_get(*, name: str) -> Source:
    """The source called ``name`` (raises ``Source.DoesNotExist``)."""
    return Source.objects.get(name=name)


def ingest_run_list(
    *, source: Source | None = None, status: str | None = None
) -> QuerySet[IngestRun]:
    """Runs, newest first, with their source and requester loaded."""
    runs = IngestRun.objects.select_related("source", "requested_by")
    if source is not None:
        runs = runs.filter(source=source)
    if status:
        runs = runs.filter(status=status)
    return runs.order_by("-created_at", "-pk")


def ingest_run_get(*, run_id: int) -> IngestRun:
    """One run with its source (raises ``IngestRun.DoesNotExist``)."""
    return IngestRun.objects.select_related("source", "requested_by").get(pk=run_id)


def quarantined_record_list(
    *,
    status: str | None = QuarantinedRecord.Status.OPEN,
    reason: str | None = None,
    source: Source | None = None,
    run: IngestRun | None = None,
) -> QuerySet[QuarantinedRecord]:
    """Quarantined records, newest first (open ones by default; ``status=None`` for
    all), with source, run and resolver loaded."""
    records = QuarantinedRecord.objects.select_related("source", "run", "resolved_by")
    if status:
        records = records.filter(status=status)
    if reason:
        records = records.filter(reason=reason)
    if source is not None:
        records = records.filter(source=source)
    if run is not None:
        records = records.filter(run=run)
    return records.order_by("-created_at", "-pk")


def quarantine_reason_counts(
    *, status: str | None = QuarantinedRecord.Status.OPEN
) -> dict[str, int]:
    """How many quarantined records there are per reason code."""
    records = QuarantinedRecord.objects.all()
    if status:
        records = records.filter(status=status)
    rows = records.values("reason").annotate(n=Count("pk")).order_by("reason")
    return {row["reason"]: row["n"] for row in rows}
