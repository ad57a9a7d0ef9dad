"""Writes for the influencers app: reference-load bookkeeping and (in loaders) upserts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.utils import timezone

from common.loading import LoadReport
from influencers.models import Clinician, ReferenceLoad


@contextlib.contextmanager
def reference_load_track(*, loader: str, source: str) -> Iterator[LoadReport]:
    """Record one loader run as a ``ReferenceLoad`` row around the loading code.

    Yields a ``LoadReport`` for the loader to fill in. The row is written as RUNNING
    first, then SUCCEEDED, PARTIAL (some rows rejected) or FAILED (an exception, which
    is re-raised) with the counts and the first rejected rows. Not idempotent by itself:
    each call is one run.
    """
    report = LoadReport(loader=loader, source=source)
    run = ReferenceLoad.objects.create(
        loader=loader,
        source=source[:500],
        status=ReferenceLoad.Status.RUNNING,
        started_at=timezone.now(),
    )
    try:
        yield report
    except Exception as exc:
        _reference_load_finish(
            run, report, status=ReferenceLoad.Status.FAILED, error=exc
        )
        raise
    status = (
        ReferenceLoad.Status.PARTIAL
        if report.rejected
        else ReferenceLoad.Status.SUCCEEDED
    )
    _reference_load_finish(run, report, status=status)


def _reference_load_finish(
    run: ReferenceLoad,
    report: LoadReport,
    *,
    status: str,
    error: Exception | None = None,
) -> None:
    run.status = status
    run.finished_at = timezone.now()
    for name in ("received", "created", "updated", "unchanged", "skipped", "rejected"):
        setattr(run, name, getattr(report, name))
    run.errors = [str(e) for e in report.errors]
    run.notes = list(report.notes[:200])
    run.error = f"{type(error).__name__}: {error}" if error else ""
    run.save()


# --- reference data through the worker ---------------------------------------------

REFERENCE_LOADERS = ("nucc", "medicare_crosswalk", "nppes_api", "nppes_bulk")


def reference_data_load(*, loader: str, path: str | None = None) -> LoadReport:
    """Run one influencers reference loader in this process and return its report.

    ``path`` defaults to the bundled file under ``settings.REFERENCE_DATA_DIR``
    (``nppes_bulk`` has no default: it needs a path). Idempotent: the loaders upsert
    by natural key and skip unchanged rows.
    """
    from pathlib import Path

    from django.conf import settings

    base = Path(settings.REFERENCE_DATA_DIR)
    if loader == "nucc":
        from influencers.loaders.nucc import specialties_load

        return specialties_load(
            path=Path(path)
            if path
            else base / "nucc-taxonomy" / "nucc_taxonomy_251.csv"
        )
    if loader == "medicare_crosswalk":
        from influencers.loaders.crosswalk import medicare_crosswalk_load

        default = (
            base
            / "medicare-specialty-taxonomy-crosswalk"
            / "medicare_specialty_to_nucc_crosswalk_2019_clean.csv"
        )
        return medicare_crosswalk_load(path=Path(path) if path else default)
    if loader == "nppes_api":
        from influencers.loaders.nppes_api import clinicians_load_from_api_responses

        paths = (
            [Path(path)]
            if path
            else sorted((base / "nppes-npi-api-fixtures").glob("api-*.json"))
        )
        return clinicians_load_from_api_responses(paths=paths)
    if loader == "nppes_bulk":
        if not path:
            raise ValueError(
                "the nppes_bulk loader needs the path of an npidata_pfile CSV"
            )
        from influencers.loaders.nppes_bulk import clinicians_load_from_npidata

        return clinicians_load_from_npidata(path=Path(path))
    raise ValueError(f"unknown loader {loader!r}; expected one of {REFERENCE_LOADERS}")


def reference_data_load_enqueue(*, loader: str, path: str | None = None) -> None:
    """Queue ``reference_data_load`` on the worker (queue ``ingest``) once the current
    transaction commits, so the worker never runs before the caller's rows exist."""
    from django.db import transaction

    from influencers.tasks import reference_data_load as reference_data_load_task

    if loader not in REFERENCE_LOADERS:
        raise ValueError(
            f"unknown loader {loader!r}; expected one of {REFERENCE_LOADERS}"
        )
    transaction.on_commit(lambda: reference_data_load_task.delay(loader, path))


def clinicians_mark_generated(*, npis: list[str]) -> int:
    """Mark the clinicians with these NPIs as generated (the demo world's people), so
    pages can tell them from real NPPES records. Idempotent; returns rows changed.

    Their loader does not rewrite an unchanged record, so the mark survives replays.
    """
    return (
        Clinician.objects.filter(npi__in=npis)
        .exclude(source=Clinician.Source.GENERATED)
        .update(source=Clinician.Source.GENERATED)
    )
