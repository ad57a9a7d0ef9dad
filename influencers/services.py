"""Writes for the influencers app: reference-load bookkeeping and (in loaders) upserts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.utils import timezone

from common.loading import LoadReport
from influencers.models import ReferenceLoad


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
        _reference_load_finish(run, report, status=ReferenceLoad.Status.FAILED, error=exc)
        raise
    status = ReferenceLoad.Status.PARTIAL if report.rejected else ReferenceLoad.Status.SUCCEEDED
    _reference_load_finish(run, report, status=status)


def _reference_load_finish(
    run: ReferenceLoad, report: LoadReport, *, status: str, error: Exception | None = None
) -> None:
    run.status = status
    run.finished_at = timezone.now()
    for name in ("received", "created", "updated", "unchanged", "skipped", "rejected"):
        setattr(run, name, getattr(report, name))
    run.errors = [str(e) for e in report.errors]
    run.error = f"{type(error).__name__}: {error}" if error else ""
    run.save()
