"""Parsing in forked processes, so parsing and PostgreSQL work run side by side.

A producer thread measured slower than one process: both threads need the GIL, and
the thread waiting on PostgreSQL waits again for the GIL after every reply. A forked
child has its own interpreter. Items travel pickled through a pipe, so a child is at
most about one item ahead (bounded memory).

A recording can also be split between several children (``sharded_batches``): the
file is cut into chunks of about ``chunk_bytes`` at line boundaries, child ``i`` of
``n`` parses chunks ``i, i+n, i+2n, ...``, and the parent takes the batches back in
chunk order, so they are written, and cursors saved, in the order of the file.

Children never touch the database connection they inherited and end with
``os._exit`` (no finalizer may close the parent's sockets); on Linux they die with
their parent (``PR_SET_PDEATHSIG``), so a SIGKILLed worker leaves none behind.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from listening.ingest.batch import Batch, observed_time
from listening.ingest.pipeline import (
    ConnectorFor,
    connector_lookup,
    parse_envelope,
    prefetch,
    recording_files,
)
from listening.records import ParsedPage

CHUNK_END = "chunk-end"


def _set_parent_death_signal() -> None:
    """Linux: SIGKILL this (child) process when its parent dies."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _send(out: Any, kind: str, value: Any) -> None:
    try:
        data = pickle.dumps((kind, value), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an unpicklable error: send its text
        data = pickle.dumps(("error", RuntimeError(f"{type(value).__name__}: {exc}")))
    out.write(struct.pack("!Q", len(data)))
    out.write(data)
    out.flush()


class _Child:
    """One forked producer and the read end of its pipe."""

    def __init__(self, make_items: Callable[[], Iterable[Any]]) -> None:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: produce, then leave without running finalizers
            status = 0
            try:
                os.close(read_fd)
                _set_parent_death_signal()
                # The inherited heap (Django, settings, the caller's objects) never
                # becomes garbage here: keep the cyclic GC from rescanning it while
                # the child allocates records (measured: GC was ~15% of parse time).
                gc.freeze()
                with os.fdopen(write_fd, "wb", buffering=1 << 20) as out:
                    try:
                        for item in make_items():
                            _send(out, "item", item)
                    except BaseException as exc:
                        _send(out, "error", exc)
                    else:
                        _send(out, "done", None)
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        os.close(write_fd)
        self.pid = pid
        self.reader = os.fdopen(read_fd, "rb", buffering=1 << 20)

    def receive(self) -> tuple[str, Any]:
        """The next message: ("item", x), ("done", None); an error is raised here."""
        header = self.reader.read(8)
        if len(header) < 8:
            raise RuntimeError("an ingest parser process stopped unexpectedly")
        (size,) = struct.unpack("!Q", header)
        kind, value = pickle.loads(self.reader.read(size))
        if kind == "error":
            raise value
        return kind, value

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        self.reader.close()
        self.kill()
        os.waitpid(self.pid, 0)


# Items (batches) each child's reader thread may hold received and unpickled. With
# one item, only the child whose chunk is being written kept parsing: the other
# waited on its pipe (measured: two parsers parsed no faster than one).
READ_AHEAD = 2


def _messages(child: _Child) -> Iterator[tuple[str, Any]]:
    """The child's messages up to and including ("done", None)."""
    while True:
        kind, value = child.receive()
        yield kind, value
        if kind == "done":
            return


def _reader(child: _Child) -> Iterator[tuple[str, Any]]:
    """``child``'s messages, received and unpickled by a thread up to ``READ_AHEAD``
    items ahead: reading the pipe and unpickling (tens of ms a batch; the GIL is
    free while the caller waits on PostgreSQL) overlap the writes, and the child
    keeps parsing meanwhile. The child was forked by the caller's thread (a fork
    from a second thread could copy locks held by the first). If the caller stops
    early the child is killed first, so the thread is not left blocked on the pipe.
    """
    return prefetch(_messages(child), depth=READ_AHEAD, interrupt=child.kill)


def prefetch_forked(make_items: Callable[[], Iterable[Any]]) -> Iterator[Any]:
    """Produce ``make_items()`` in a forked child and yield its items here.

    An exception in the child is re-raised here; if this generator stops early, the
    child is killed.
    """
    child = _Child(make_items)
    messages = _reader(child)
    try:
        for kind, value in messages:
            if kind == "done":
                return
            yield value
    finally:
        messages.close()
        child.close()


def prefetch_best(make_items: Callable[[], Iterable[Any]]) -> Iterator[Any]:
    """``prefetch_forked`` where ``os.fork`` exists, else ``prefetch`` (a thread)."""
    if hasattr(os, "fork"):
        return prefetch_forked(make_items)
    return prefetch(make_items())


def sharded_batches(
    make_shard: Callable[[int, int], Iterable[tuple[int, Any]]], shards: int
) -> Iterator[Any]:
    """Run ``make_shard(i, shards)`` in ``shards`` children; yield their items in
    chunk order.

    Each child yields ``(chunk, item)`` for its own chunks (``chunk % shards == i``,
    increasing) and ``(chunk, CHUNK_END)`` when a chunk is complete. When the child
    that owns the next chunk is done, every chunk has been read. Each child has its
    own reader thread (``_reader``), so every child parses ahead, not only the one
    whose chunk is being written.
    """
    children = [_Child(lambda i=i: make_shard(i, shards)) for i in range(shards)]
    readers = [_reader(child) for child in children]
    try:
        expected = 0
        while True:
            kind, value = next(readers[expected % shards])
            if kind == "done":
                return
            chunk, item = value
            if chunk != expected:
                raise RuntimeError(f"parser sent chunk {chunk}, expected {expected}")
            if item == CHUNK_END:
                expected += 1
            else:
                yield item
    finally:
        for reader in readers:
            reader.close()
        for child in children:
            child.close()


def recording_shard(
    path: Path,
    cursor: dict[str, Any] | None,
    *,
    shard: int,
    shards: int,
    batch_size: int,
    chunk_bytes: int,
    connector_for: ConnectorFor | None = None,
    page_delay: float = 0.0,
) -> Iterator[tuple[int, Any]]:
    """This shard's ``(chunk, (Batch, cursor))`` items of a JSONL recording.

    Every shard reads every line (cheap), numbers the chunks the same way, and
    decodes and parses only the lines of its own chunks. A batch never spans two
    chunks; it closes at ``batch_size`` rows or at the end of its chunk, with the
    cursor (``{"file", "line"}``) of its last line.
    """
    from listening.connectors.recording import (
        decode_line,
        envelope_from_data,
        open_binary,
    )
    from listening.records import QuarantineItem

    connector_for = connector_for or connector_lookup
    cursor = cursor or {}
    root = path if path.is_dir() else path.parent
    done_file = cursor.get("file")
    done_line = int(cursor.get("line") or 0)
    seen: dict[tuple[str, str], int] = {}
    chunk = -1
    batch: Batch | None = None
    last_cursor: dict[str, Any] | None = None

    def finish() -> Iterator[tuple[int, Any]]:
        if batch is not None and batch.pages and last_cursor is not None:
            yield chunk, (batch.close(), last_cursor)
        yield chunk, CHUNK_END

    for file in recording_files(path):
        name = file.relative_to(root).as_posix()
        if done_file is not None and name < done_file:
            continue
        skip = done_line if name == done_file else 0
        window = None  # each file starts a new chunk
        with open_binary(file) as handle:
            offset = 0
            for number, raw in enumerate(handle, start=1):
                start = offset
                offset += len(raw)
                if number <= skip or not raw.strip():
                    continue
                if start // chunk_bytes != window:  # a new chunk starts here
                    if chunk >= 0 and chunk % shards == shard:
                        yield from finish()
                    chunk += 1
                    window = start // chunk_bytes
                    batch = (
                        Batch(seen_accounts=seen) if chunk % shards == shard else None
                    )
                    last_cursor = None
                if batch is None:
                    continue  # another shard's chunk
                decoded = decode_line(raw)
                if isinstance(decoded, QuarantineItem):
                    page, observed = ParsedPage(quarantined=[decoded]), None
                else:
                    envelope = envelope_from_data(decoded[1], decoded[0])
                    if isinstance(envelope, QuarantineItem):
                        page, observed = ParsedPage(quarantined=[envelope]), None
                    else:
                        page = parse_envelope(envelope, connector_for)
                        observed = observed_time(
                            envelope.recorded_at, datetime.now(UTC)
                        )
                batch.add_page(page, observed_at=observed)
                last_cursor = {"file": name, "line": number}
                if batch.size >= batch_size:
                    yield chunk, (batch.close(), last_cursor)
                    batch = Batch(seen_accounts=seen)
                    last_cursor = None
                if page_delay:
                    time.sleep(page_delay)
    if chunk >= 0 and chunk % shards == shard:
        yield from finish()
