"""Pages in, batches out: read recordings or live fetches, parse, group into batches.

The pipeline is: page -> parse -> validate -> batch upsert -> counts. This module
does the first three steps and hands ``(Batch, cursor)`` pairs to the caller, which
writes each batch and saves the cursor in one transaction
(``listening.services.ingest_run_execute``). A cursor always points *after* the last
page of its batch, so resuming from it neither skips nor repeats a page.

Parsing runs beside the writes, so client and server work overlap (the pipelined COPY
of notes/stack-feasibility.md section 4): in forked processes
(``listening.ingest.parallel``), or in a thread (``prefetch``) where there is no
``fork``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from listening import constants as c
from listening.connectors.base import Connector, Envelope
from listening.ingest.batch import Batch, observed_time
from listening.ingest.upsert import TIMINGS
from listening.records import PLATFORMS, ParsedPage, QuarantineItem

ConnectorFor = Callable[[str], Connector]


@dataclass(slots=True)
class PageItem:
    """One parsed page, the cursor that resumes after it, and when it was observed."""

    page: ParsedPage
    cursor: dict[str, Any]
    observed_at: datetime | None = None


def default_connector_for(platform: str) -> Connector:
    """The registered connector of ``platform`` (imported lazily: connectors are
    optional dependencies of the pipeline and may pull in platform SDKs)."""
    from listening.connectors import get_connector

    return get_connector(platform)


def connector_lookup(platform: str) -> Connector:
    """``default_connector_for``, looked up at call time (tests may replace it)."""
    return default_connector_for(platform)


def parse_envelope(
    envelope: Envelope, connector_for: ConnectorFor | None = None
) -> ParsedPage:
    """Parse one envelope with its platform's connector, never raising.

    An unknown platform or a connector that raises on this envelope turns the whole
    envelope into one quarantined record, so the rest of the recording still lands.
    """
    if envelope.platform not in PLATFORMS:
        return _quarantined_page(
            envelope.platform,
            _envelope_dict(envelope),
            c.UNKNOWN_PLATFORM,
            f"platform {envelope.platform!r} is not one of ours",
        )
    try:
        connector = (connector_for or connector_lookup)(envelope.platform)
        page = connector.parse(envelope)
    except Exception as exc:  # a connector bug must not stop the run
        return _quarantined_page(
            envelope.platform,
            _envelope_dict(envelope),
            c.PARSE_ERROR,
            f"{envelope.endpoint}: {type(exc).__name__}: {exc}",
        )
    # Name the endpoint in every quarantine detail: a reviewer needs it to wrap a
    # fixed record back into its envelope for replay.
    prefix = f"{envelope.endpoint}: "
    for item in page.quarantined:
        if not str(item.detail).startswith(prefix):
            item.detail = f"{prefix}{item.detail}"
    return page


def _envelope_dict(envelope: Envelope) -> dict[str, Any]:
    return {
        "platform": envelope.platform,
        "endpoint": envelope.endpoint,
        "params": envelope.params,
        "recorded_at": envelope.recorded_at,
        "body": envelope.body,
    }


def _quarantined_page(platform: Any, raw: Any, reason: str, detail: str) -> ParsedPage:
    platform = platform if isinstance(platform, str) else ""
    return ParsedPage(
        quarantined=[
            QuarantineItem(platform=platform, raw=raw, reason=reason, detail=detail)
        ]
    )


def recording_files(path: Path) -> list[Path]:
    """The files of a recording: the file itself, or a folder's files by name."""
    if path.is_dir():
        return sorted(
            (
                p
                for p in path.rglob("*")
                if p.is_file()
                and any(p.name.lower().endswith(s) for s in c.RECORDING_SUFFIXES)
            ),
            key=lambda p: p.relative_to(path).as_posix(),
        )
    if not path.exists():
        raise FileNotFoundError(f"recording not found: {path}")
    return [path]


def recording_pages(
    path: Path,
    cursor: dict[str, Any] | None = None,
    *,
    file_import: bool = False,
    connector_for: ConnectorFor | None = None,
    page_delay: float = 0.0,
) -> Iterator[PageItem]:
    """Yield one parsed page per recording line (or import-file row) after ``cursor``.

    The cursor is ``{"file": <path relative to the recording>, "line": N}``: lines
    1..N of that file (and every file sorted before it) are done. Lines are read by
    ``listening.connectors.read_recording`` (JSONL envelopes, ``.gz`` too) or, for
    ``file_import``, ``read_import_file`` (CSV/JSONL rows); a line that is not an
    envelope becomes a quarantined record. ``page_delay`` sleeps after each page
    (tests use it to kill a worker mid-run).
    """
    from listening.connectors import read_import_file, read_recording

    reader = read_import_file if file_import else read_recording
    cursor = cursor or {}
    connector_for = connector_for or connector_lookup
    root = path if path.is_dir() else path.parent
    done_file = cursor.get("file")
    done_line = int(cursor.get("line") or 0)
    now = datetime.now(UTC)
    for file in recording_files(path):
        name = file.relative_to(root).as_posix()
        if done_file is not None and name < done_file:
            continue
        skip = done_line if name == done_file else 0
        for line in reader(file, start_after=skip):
            if line.envelope is None:
                page = ParsedPage(quarantined=[line.quarantine])
                observed = now
            else:
                page = parse_envelope(line.envelope, connector_for)
                observed = observed_time(line.envelope.recorded_at, now)
            yield PageItem(
                page=page,
                cursor={"file": name, "line": line.line_number},
                observed_at=observed,
            )
            if page_delay:
                time.sleep(page_delay)


def fetched_pages(
    fetched: Iterable[Any],
    *,
    connector_for: ConnectorFor | None = None,
) -> Iterator[PageItem]:
    """Parse the ``FetchedPage`` items of a live ``Connector.fetch``."""
    connector_for = connector_for or connector_lookup
    for item in fetched:
        now = datetime.now(UTC)
        yield PageItem(
            page=parse_envelope(item.envelope, connector_for),
            cursor=item.cursor,
            observed_at=observed_time(item.envelope.recorded_at, now),
        )


def iter_batches(
    pages: Iterable[PageItem],
    *,
    batch_size: int,
    max_pages: int | None = None,
    max_seconds: float | None = None,
) -> Iterator[tuple[Batch, dict[str, Any]]]:
    """Group pages into batches of about ``batch_size`` rows.

    A batch is closed after the page that reaches ``batch_size`` rows, after
    ``max_pages`` pages, or once ``max_seconds`` have passed since it was opened (so a
    slow live source still commits its progress and heartbeat). Yields each batch
    with the cursor of its last page. The batches share one account cache, so an
    account repeated across the run is staged once (the caller must write the
    batches in order and stop at the first failure, as ``ingest_run_execute`` does).
    """
    seen: dict[tuple[str, str], int] = {}
    batch = Batch(seen_accounts=seen)
    cursor: dict[str, Any] | None = None
    opened = time.monotonic()
    for item in pages:
        batch.add_page(item.page, observed_at=item.observed_at)
        cursor = item.cursor
        if (
            batch.size >= batch_size
            or (max_pages is not None and batch.pages >= max_pages)
            or (max_seconds is not None and time.monotonic() - opened >= max_seconds)
        ):
            yield batch.close(), cursor
            batch = Batch(seen_accounts=seen)
            opened = time.monotonic()
    if batch.pages and cursor is not None:
        yield batch.close(), cursor


_DONE = object()


class _Failure:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(
    items: Iterable[Any],
    *,
    depth: int = 1,
    interrupt: Callable[[], None] | None = None,
) -> Iterator[Any]:
    """Iterate ``items`` in a background thread, at most ``depth`` items ahead.

    Exceptions raised by the producer are re-raised here. If the consumer stops
    early (an exception, or the generator is closed), the producer stops at its next
    item; ``interrupt`` is called first, to unblock a producer waiting on I/O. Memory
    stays bounded by ``depth + 2`` items.
    """
    slots: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value: Any) -> bool:
        while not stop.is_set():
            try:
                slots.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer
            put(_Failure(exc))
            return
        put(_DONE)

    thread = threading.Thread(target=produce, name="ingest-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            started = time.perf_counter()
            value = slots.get()
            TIMINGS["wait_for_pages"] += time.perf_counter() - started
            if value is _DONE:
                return
            if isinstance(value, _Failure):
                raise value.exc
            yield value
    finally:
        stop.set()
        if interrupt is not None:
            interrupt()
        thread.join(timeout=5)
