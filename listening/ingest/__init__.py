"""The one ingest pipeline for every connector: page -> parse -> validate -> batch
upsert -> counts.

* ``validation``: ``validate_post`` / ``validate_account`` / ``validate_interaction``.
* ``batch``: a ``Batch`` of validated rows as COPY text (no model instances).
* ``upsert``: ``batch_upsert`` (COPY into TEMP stages + idempotent upserts).
* ``pipeline``: recordings and live fetches as pages, grouped into batches.
* ``parallel``: parsing in forked processes (one, or several sharing a recording).

Run bookkeeping (claims, cursors, retries) lives in ``listening.services``.
"""

from listening.ingest.batch import Batch
from listening.ingest.pipeline import (
    PageItem,
    fetched_pages,
    iter_batches,
    parse_envelope,
    prefetch,
    recording_pages,
)
from listening.ingest.upsert import BatchCounts, RunState, batch_upsert
from listening.ingest.validation import (
    validate_account,
    validate_interaction,
    validate_post,
)

__all__ = [
    "Batch",
    "BatchCounts",
    "PageItem",
    "RunState",
    "batch_upsert",
    "fetched_pages",
    "iter_batches",
    "parse_envelope",
    "prefetch",
    "recording_pages",
    "validate_account",
    "validate_interaction",
    "validate_post",
]
