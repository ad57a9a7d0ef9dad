"""Writes of the listening app: sources, ingest runs, quarantine decisions, hooks.

Runs are rows (STYLE 12): a worker claims a run with a compare-and-set UPDATE, writes
each batch and its cursor in one transaction, and finishes the run as succeeded,
partial (records quarantined) or failed. A run whose worker died is found by its
stale heartbeat and queued again; it resumes from its cursor.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.services import audit_record
from config.celery import app as celery_app
from listening import constants as c
from listening.connectors.base import (
    ConnectorError,
    CredentialsError,
    Envelope,
    LiveCallsDisabled,
    RateLimited,
    UpstreamUnavailable,
)
from listening.ingest import (
    Batch,
    BatchCounts,
    PageItem,
    RunState,
    batch_upsert,
    fetched_pages,
    iter_batches,
    parallel,
    parse_envelope,
    pipeline,
    prefetch,
    recording_pages,
)
from listening.ingest.upsert import TIMINGS
from listening.models import IngestRun, QuarantinedRecord, Source
from listening.records import InteractionRecord, ParsedPage
from listening.tasks import ingest_run_execute as ingest_run_execute_task

logger = logging.getLogger(__name__)

# Errors after which a run is released and retried; anything else fails the run.
TRANSIENT_ERRORS = (
    RateLimited,
    UpstreamUnavailable,
    OperationalError,
    InterfaceError,
    SoftTimeLimitExceeded,
)
MAX_RUN_ATTEMPTS = 8  # a run that keeps killing workers is failed, not requeued
MAX_BATCH_SECONDS = 15.0  # commit progress (and heartbeat) at least this often


class ClaimLost(Exception):
    """This worker no longer holds the run (it was recovered as stale)."""


# --- settings (read with defaults; see config/settings/base.py) ----------------------


def _batch_size() -> int:
    return int(getattr(settings, "LISTENING_BATCH_SIZE", c.DEFAULT_BATCH_SIZE))


def _stale_after() -> timedelta:
    minutes = getattr(
        settings, "LISTENING_STALE_RUN_MINUTES", c.DEFAULT_STALE_RUN_MINUTES
    )
    return timedelta(minutes=float(minutes))


def _page_delay() -> float:
    # Tests only: slows recordings down so a worker can be killed mid-run.
    return float(getattr(settings, "LISTENING_PAGE_DELAY_SECONDS", 0) or 0)


# --- sources -------------------------------------------------------------------------


def source_create(
    *,
    name: str,
    platform: str,
    kind: str,
    targets: list[str] | None = None,
    path: str = "",
    live: bool = False,
    credentials_env: dict[str, str] | None = None,
    schedule_minutes: int | None = None,
    enabled: bool = True,
) -> Source:
    """Create and return a ``Source`` after ``full_clean``. Not idempotent (names are
    unique: a second call with the same name raises ``ValidationError``)."""
    source = Source(
        name=name,
        platform=platform,
        kind=kind,
        targets=targets or [],
        path=path,
        live=live,
        credentials_env=credentials_env or {},
        schedule_minutes=schedule_minutes,
        enabled=enabled,
    )
    source.full_clean()
    source.save()
    return source


def recording_platform_detect(path: Path) -> str:
    """The platform named by the first envelope of a recording file or folder."""
    from listening.ingest.pipeline import recording_files

    for file in recording_files(path):
        with file.open("rb") as handle:
            for line in handle:
                if line.strip():
                    try:
                        platform = orjson.loads(line).get("platform")
                    except (orjson.JSONDecodeError, AttributeError):
                        continue
                    if isinstance(platform, str):
                        return platform
    raise ValidationError(f"cannot tell the platform of {path}: pass --platform")


def _recording_kind(path: Path) -> str:
    """RECORDING for envelopes (JSONL with ``endpoint`` and ``body``), FILE_IMPORT for
    CSV files and JSONL rows of the file-import schema (``record_type``)."""
    if path.is_dir():
        return Source.Kind.RECORDING
    if ".csv" in [s.lower() for s in path.suffixes]:
        return Source.Kind.FILE_IMPORT
    from listening.connectors.recording import open_binary

    with open_binary(path) as handle:
        for line in handle:
            if line.strip():
                try:
                    first = orjson.loads(line)
                except orjson.JSONDecodeError:
                    break
                if isinstance(first, dict) and "record_type" in first:
                    return Source.Kind.FILE_IMPORT
                break
    return Source.Kind.RECORDING


def recording_source_get_or_create(
    *, path: Path, platform: str | None = None
) -> Source:
    """The ``Source`` that replays the recording at ``path`` (created on first use).

    Named after the resolved path, so ingesting the same file twice reuses one source
    (and its quarantine stays deduplicated). A ``.csv`` file becomes a file-import
    source. Idempotent.
    """
    path = Path(path).resolve()
    if not path.exists():
        raise ValidationError(f"recording not found: {path}")
    existing = Source.objects.filter(path=str(path)).order_by("pk").first()
    if existing is not None:
        return existing
    kind = _recording_kind(path)
    if platform is None:
        platform = "other" if kind == Source.Kind.FILE_IMPORT else None
    platform = platform or recording_platform_detect(path)
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
    name = f"{kind} {path.name[:90]} {digest}"
    return source_create(name=name, platform=platform, kind=kind, path=str(path))


# --- runs ----------------------------------------------------------------------------


def ingest_run_create(
    *,
    source: Source,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    requested_by: Any = None,
) -> IngestRun:
    """Create a PENDING run of ``source`` (not queued: see ``ingest_run_enqueue``).

    Raises ``ValidationError`` if the source already has a pending or running run, or
    a run for the same ``window_start``. Not idempotent by itself.
    """
    run = IngestRun(
        source=source,
        window_start=window_start,
        window_end=window_end,
        requested_by=requested_by,
    )
    run.full_clean()
    run.save()
    return run


def ingest_run_enqueue(*, run: IngestRun) -> None:
    """Queue ``listening.tasks.ingest_run_execute`` for ``run`` once the current
    transaction commits (queue ``ingest``). Queuing twice is harmless: only one
    worker can claim the run."""
    run_id = run.pk
    transaction.on_commit(lambda: ingest_run_execute_task.delay(run_id))


def ingest_run_claim(*, run_id: int, worker: str) -> bool:
    """Compare-and-set PENDING -> RUNNING for ``worker``; ``False`` if the run was not
    pending (someone else holds it, or it is finished). Counts the attempt."""
    now = timezone.now()
    changed = IngestRun.objects.filter(
        pk=run_id, status=IngestRun.Status.PENDING
    ).update(
        status=IngestRun.Status.RUNNING,
        claimed_by=worker[:200],
        started_at=Coalesce(F("started_at"), now),
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    return changed == 1


def ingest_run_fail(*, run_id: int, error: str, worker: str | None = None) -> bool:
    """Mark an active run FAILED with ``error``. Idempotent: a finished run is left
    alone. With ``worker``, only if that worker still holds the run."""
    now = timezone.now()
    runs = IngestRun.objects.filter(pk=run_id, status__in=IngestRun.ACTIVE)
    if worker is not None:
        runs = runs.filter(claimed_by=worker[:200])
    return (
        runs.update(
            status=IngestRun.Status.FAILED,
            error=error[:10_000],
            finished_at=now,
            updated_at=now,
        )
        == 1
    )


def _run_release(*, run_id: int, worker: str, error: str) -> None:
    """RUNNING -> PENDING after a transient error, so the task's retry can claim it."""
    for attempt in range(2):
        try:
            IngestRun.objects.filter(
                pk=run_id, status=IngestRun.Status.RUNNING, claimed_by=worker[:200]
            ).update(
                status=IngestRun.Status.PENDING,
                claimed_by="",
                error=error[:10_000],
                updated_at=timezone.now(),
            )
            return
        except (OperationalError, InterfaceError):
            if attempt:
                logger.exception(
                    "could not release run %s; stale recovery will", run_id
                )
                return
            connection.close()  # the error may have broken the connection


def _run_pages(run: IngestRun) -> Iterator[PageItem]:
    """The pages of ``run`` after its cursor: a recording's lines or a live fetch."""
    source = run.source
    if source.kind in (Source.Kind.RECORDING, Source.Kind.FILE_IMPORT):
        # File imports (CSV/JSONL rows) are read as one envelope per row.
        return recording_pages(
            Path(source.path),
            run.cursor,
            file_import=source.kind == Source.Kind.FILE_IMPORT,
            page_delay=_page_delay(),
        )
    if not (source.live and getattr(settings, "LISTENING_LIVE_CALLS", False)):
        raise LiveCallsDisabled(
            f"source {source.name!r} is live but live calls are off "
            "(set Source.live and LISTENING_LIVE_CALLS=true)"
        )
    credentials: dict[str, str] = {}
    for key, env_name in (source.credentials_env or {}).items():
        value = os.environ.get(env_name)
        if not value:
            raise CredentialsError(
                f"source {source.name!r} needs the environment variable {env_name}"
            )
        credentials[key] = value
    connector = pipeline.connector_lookup(source.platform)
    fetched = connector.fetch(
        targets=list(source.targets or []),
        kind=source.kind,
        cursor=dict(run.cursor or {}),
        credentials=credentials,
    )
    return fetched_pages(fetched)


def _run_batches(
    run: IngestRun, batches: Callable[[], Iterator[tuple[Batch, dict[str, Any]]]]
) -> Iterator[tuple[Batch, dict[str, Any]]]:
    """Where the parsing happens: a recording is split between
    ``LISTENING_PARSE_PROCESSES`` forked parsers (default 2); other sources use one
    forked parser, or a thread when ``LISTENING_PARSE_IN_CHILD`` is off."""
    if not getattr(settings, "LISTENING_PARSE_IN_CHILD", True) or not hasattr(
        os, "fork"
    ):
        return prefetch(batches())
    shards = int(getattr(settings, "LISTENING_PARSE_PROCESSES", c.DEFAULT_PARSERS))
    if run.source.kind == Source.Kind.RECORDING and shards > 1:
        path, cursor = Path(run.source.path), dict(run.cursor or {})
        pipeline.recording_files(path)  # a missing file fails here, not in a child
        chunk = int(getattr(settings, "LISTENING_PARSE_CHUNK_BYTES", c.CHUNK_BYTES))

        def shard(index: int, count: int) -> Iterator[tuple[int, Any]]:
            return parallel.recording_shard(
                path,
                cursor,
                shard=index,
                shards=count,
                batch_size=_batch_size(),
                chunk_bytes=chunk,
                page_delay=_page_delay(),
            )

        return parallel.sharded_batches(shard, shards)
    return parallel.prefetch_best(batches)


def _run_lock(*, run_id: int, worker: str) -> None:
    """Lock the run row for this batch's transaction, or raise ``ClaimLost``.

    Holding the row lock while the batch is written makes stale recovery (which uses
    SKIP LOCKED) pass over a live worker, and stops a worker whose run was recovered
    from committing anything.
    """
    held = (
        IngestRun.objects.select_for_update()
        .filter(pk=run_id, status=IngestRun.Status.RUNNING, claimed_by=worker[:200])
        .values_list("pk", flat=True)
    )
    if not list(held):
        raise ClaimLost(f"run {run_id} is no longer held by {worker}")


def _run_progress_save(
    *, run_id: int, cursor: dict[str, Any], counts: BatchCounts, now: datetime
) -> None:
    IngestRun.objects.filter(pk=run_id).update(
        cursor=cursor,
        pages=F("pages") + counts.pages,
        received=F("received") + counts.received,
        created=F("created") + counts.created,
        updated=F("updated") + counts.updated,
        unchanged=F("unchanged") + counts.unchanged,
        quarantined=F("quarantined") + counts.quarantined,
        interactions=F("interactions") + counts.interactions_created,
        heartbeat_at=now,
        updated_at=now,
    )


@contextlib.contextmanager
def _heap_frozen() -> Iterator[None]:
    """Keep the objects that exist now out of the cyclic GC until the block ends.

    A run allocates a batch's worth of rows at a time; every few batches that
    triggers a full collection, which would rescan the whole process heap (Django,
    the app, the worker) each time (measured: 0.6-1.4 s per 200,000 posts). Objects
    that become garbage meanwhile are still freed by reference counting; cycles
    among the frozen ones wait for ``gc.unfreeze``.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def ingest_run_execute(*, run_id: int, worker: str) -> IngestRun:
    """Claim and run one ingest run; return it as it ended.

    Steps: claim (CAS; if another worker holds the run, return at once); read pages
    after the saved cursor (recording lines, or ``connector.fetch`` for live sources);
    parse, validate and batch them; for each batch, in ONE transaction: lock the run
    row, upsert accounts/posts/interactions/snapshots/quarantine, save cursor, counts
    and heartbeat. So a worker killed between batches loses and duplicates nothing,
    and a retry resumes after the last committed page. Finish as SUCCEEDED, PARTIAL
    (records quarantined) or FAILED, and queue the post-ingest hooks on commit.

    Transient errors (rate limits, upstream or database outages, the soft time limit)
    put the run back to PENDING and are re-raised for the task to retry. Credential
    and configuration errors fail the run with their message. Idempotent: re-running
    a finished run's input changes nothing.
    """
    if not ingest_run_claim(run_id=run_id, worker=worker):
        return IngestRun.objects.get(pk=run_id)
    run = IngestRun.objects.select_related("source").get(pk=run_id)
    live = run.source.kind not in (Source.Kind.RECORDING, Source.Kind.FILE_IMPORT)

    def batches() -> Iterator[tuple[Batch, dict[str, Any]]]:
        return iter_batches(
            _run_pages(run),
            batch_size=_batch_size(),
            max_pages=1 if live else None,
            max_seconds=MAX_BATCH_SECONDS,
        )

    state = RunState()  # hints from batch to batch (speed only, never content)
    try:
        with _heap_frozen():
            for batch, cursor in _run_batches(run, batches):
                with transaction.atomic():
                    _run_lock(run_id=run_id, worker=worker)
                    now = timezone.now()
                    counts = batch_upsert(
                        batch,
                        now=now,
                        run_id=run_id,
                        source_id=run.source_id,
                        state=state,
                    )
                    _run_progress_save(
                        run_id=run_id, cursor=cursor, counts=counts, now=now
                    )
                    committing = time.perf_counter()
                TIMINGS["commit"] += time.perf_counter() - committing  # FK checks
    except ClaimLost:
        logger.warning("run %s was taken over; worker %s stops", run_id, worker)
    except TRANSIENT_ERRORS as exc:
        _run_release(run_id=run_id, worker=worker, error=f"{type(exc).__name__}: {exc}")
        raise
    except ConnectorError as exc:  # credentials, live calls off: never retried
        ingest_run_fail(
            run_id=run_id, worker=worker, error=f"{type(exc).__name__}: {exc}"
        )
    except Exception as exc:
        ingest_run_fail(
            run_id=run_id, worker=worker, error=f"{type(exc).__name__}: {exc}"
        )
        raise
    else:
        _run_finish(run_id=run_id, worker=worker)
    return IngestRun.objects.get(pk=run_id)


def _run_finish(*, run_id: int, worker: str) -> None:
    with transaction.atomic():
        run = (
            IngestRun.objects.select_for_update()
            .filter(pk=run_id, status=IngestRun.Status.RUNNING, claimed_by=worker[:200])
            .first()
        )
        if run is None:
            return
        now = timezone.now()
        run.status = (
            IngestRun.Status.PARTIAL if run.quarantined else IngestRun.Status.SUCCEEDED
        )
        run.finished_at = now
        run.heartbeat_at = now
        run.error = ""
        run.save(
            update_fields=[
                "status",
                "finished_at",
                "heartbeat_at",
                "error",
                "updated_at",
            ]
        )
        Source.objects.filter(pk=run.source_id).update(last_run_at=now, updated_at=now)
        if run.created or run.updated:
            post_ingest_hooks_queue(run_id=run.pk)


def post_ingest_hooks_queue(*, run_id: int) -> list[str]:
    """Send every task named in ``LISTENING_POST_INGEST_TASKS`` with ``run_id`` once
    the current transaction commits; return the names.

    Tasks are sent by name, so listening never imports the apps that consume new
    posts (compliance scans, scoring). Not idempotent: each call sends again (the
    consumers must be idempotent per run).
    """
    names = list(getattr(settings, "LISTENING_POST_INGEST_TASKS", []) or [])
    for name in names:
        transaction.on_commit(
            functools.partial(celery_app.send_task, name, kwargs={"run_id": run_id})
        )
    return names


def ingest_runs_recover_stale(
    *, now: datetime | None = None, stale_after: timedelta | None = None
) -> list[int]:
    """Queue again the runs whose worker is gone; return their ids.

    A RUNNING run whose heartbeat is older than ``stale_after`` (default
    ``LISTENING_STALE_RUN_MINUTES``) goes back to PENDING and is queued on commit; so
    does a PENDING run untouched for that long (its message was lost). Runs that a
    live worker holds are skipped (their row is locked during each batch). A run that
    already used ``MAX_RUN_ATTEMPTS`` claims is failed instead. Idempotent.
    """
    now = now or timezone.now()
    cutoff = now - (stale_after if stale_after is not None else _stale_after())
    requeued: list[int] = []
    with transaction.atomic():
        stale = (
            IngestRun.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=IngestRun.Status.RUNNING, heartbeat_at__lt=cutoff)
                | Q(status=IngestRun.Status.RUNNING, heartbeat_at__isnull=True)
                | Q(status=IngestRun.Status.PENDING, updated_at__lt=cutoff)
            )
            .order_by("pk")
        )
        for run in stale:
            if run.attempts >= MAX_RUN_ATTEMPTS:
                ingest_run_fail(
                    run_id=run.pk,
                    error=f"gave up after {run.attempts} attempts "
                    f"(last worker: {run.claimed_by or '-'})",
                )
                continue
            if run.status == IngestRun.Status.RUNNING:
                logger.warning(
                    "run %s: worker %s stopped at %s; queued again from %s",
                    run.pk,
                    run.claimed_by,
                    run.heartbeat_at,
                    run.cursor,
                )
                run.error = (
                    f"recovered: worker {run.claimed_by} stopped heartbeating "
                    f"at {run.heartbeat_at:%Y-%m-%d %H:%M:%S}"
                    if run.heartbeat_at
                    else f"recovered: worker {run.claimed_by} never heartbeated"
                )
            run.status = IngestRun.Status.PENDING
            run.claimed_by = ""
            run.save(update_fields=["status", "claimed_by", "error", "updated_at"])
            ingest_run_enqueue(run=run)
            requeued.append(run.pk)
    return requeued


def schedule_window(now: datetime, minutes: int) -> tuple[datetime, datetime]:
    """The ``[start, end)`` window of ``minutes`` that contains ``now`` (aligned to
    the Unix epoch, so every beat computes the same window)."""
    step = minutes * 60
    start = int(now.timestamp()) // step * step
    window_start = datetime.fromtimestamp(start, tz=UTC)
    return window_start, window_start + timedelta(seconds=step)


def ingest_runs_schedule_due(*, now: datetime | None = None) -> list[IngestRun]:
    """Create and queue a run for every enabled scheduled source whose current window
    has none; return the new runs.

    Two guards stop two beats from starting one window twice: a transaction-level
    advisory lock (a second concurrent call returns ``[]`` at once) and the unique
    ``(source, window_start)`` constraint. A source whose previous run is still
    active is skipped for this window. Idempotent per window.
    """
    now = now or timezone.now()
    created: list[IngestRun] = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(%s)", [c.SCHEDULE_LOCK_KEY]
            )
            if not cursor.fetchone()[0]:
                return []
        sources = Source.objects.filter(enabled=True, schedule_minutes__gt=0)
        for source in sources.order_by("pk"):
            window_start, window_end = schedule_window(now, source.schedule_minutes)
            try:
                with transaction.atomic():
                    run = IngestRun.objects.create(
                        source=source, window_start=window_start, window_end=window_end
                    )
            except IntegrityError:
                continue  # this window exists, or the previous run is still active
            ingest_run_enqueue(run=run)
            created.append(run)
    return created


# --- quarantine ----------------------------------------------------------------------


def _replay_page(record: QuarantinedRecord, payload: Any) -> ParsedPage:
    """Parse a reviewer's fixed payload: an envelope, or a normalised interaction."""
    if isinstance(payload, dict) and "endpoint" in payload and "body" in payload:
        envelope = Envelope(
            platform=str(payload.get("platform") or record.platform),
            endpoint=str(payload["endpoint"]),
            body=payload["body"],
            params=payload.get("params") or {},
            recorded_at=str(payload.get("recorded_at") or ""),
        )
        return parse_envelope(envelope)
    if (
        isinstance(payload, dict)
        and "actor_external_id" in payload
        and "kind" in payload
    ):
        occurred = payload.get("occurred_at")
        interaction = InteractionRecord(
            platform=payload.get("platform") or record.platform,
            kind=payload["kind"],
            actor_external_id=payload["actor_external_id"],
            target_external_id=payload.get("target_external_id") or "",
            post_external_id=payload.get("post_external_id") or "",
            occurred_at=datetime.fromisoformat(occurred) if occurred else None,
        )
        return ParsedPage(interactions=[interaction])
    wrap = getattr(pipeline.connector_lookup(record.platform), "parse_record", None)
    if wrap is None:
        raise ValidationError(
            "give the fixed record inside its envelope "
            '({"platform", "endpoint", "body"}) so the connector can parse it'
        )
    return wrap(payload)


def _quarantine_state(record: QuarantinedRecord) -> dict[str, Any]:
    """The fields a quarantine decision changes, as the audit trail records them."""
    return {
        "status": record.status,
        "resolved_by": record.resolved_by.get_username()
        if record.resolved_by_id
        else None,
        "resolved_at": record.resolved_at,
        "resolution_note": record.resolution_note,
    }


def _quarantine_audit(
    record: QuarantinedRecord, *, user: Any, before: dict[str, Any], reason: str
) -> None:
    audit_record(
        actor=user,
        action="quarantine.resolved",
        obj=record,
        before=before,
        after=_quarantine_state(record),
        reason=reason,
    )


def quarantine_replay(
    *, record_id: int, fixed_payload: str | bytes | dict, user: Any
) -> QuarantinedRecord:
    """Parse a reviewer's fixed payload through the connector and ingest it.

    Steps: lock the OPEN record; decode the JSON; parse it (an envelope, a normalised
    interaction, or a bare native record if the connector offers ``parse_record``);
    refuse (``ValidationError``, nothing written) if anything is still invalid;
    upsert the records; mark the quarantined record REPLAYED by ``user``; write a
    ``quarantine.resolved`` audit event. One transaction. Not repeatable: a replayed
    record is no longer open.
    """
    with transaction.atomic():
        record = QuarantinedRecord.objects.select_for_update().get(pk=record_id)
        if record.status != QuarantinedRecord.Status.OPEN:
            raise ValidationError(f"record {record_id} is {record.status}, not open")
        before = _quarantine_state(record)
        try:
            payload = (
                orjson.loads(fixed_payload)
                if isinstance(fixed_payload, str | bytes)
                else fixed_payload
            )
        except orjson.JSONDecodeError as exc:
            raise ValidationError(f"the fixed payload is not JSON: {exc}") from exc
        batch = Batch()
        batch.add_page(_replay_page(record, payload))
        if batch.quarantine:
            reasons = "; ".join(
                f"{item.reason}: {item.detail}" for item in batch.quarantine
            )
            raise ValidationError(f"the fixed payload is still invalid: {reasons}")
        if not (batch.posts or batch.interactions or batch.accounts):
            raise ValidationError("the fixed payload holds no records")
        now = timezone.now()
        counts = batch_upsert(batch, now=now, source_id=record.source_id)
        record.status = QuarantinedRecord.Status.REPLAYED
        record.resolved_by = user
        record.resolved_at = now
        record.resolution_note = (
            f"replayed: {counts.created} created, {counts.updated} updated, "
            f"{counts.interactions_created} interactions"
        )
        record.save(
            update_fields=[
                "status",
                "resolved_by",
                "resolved_at",
                "resolution_note",
                "updated_at",
            ]
        )
        _quarantine_audit(
            record, user=user, before=before, reason=record.resolution_note
        )
    return record


def quarantine_discard(*, record_id: int, user: Any, note: str) -> QuarantinedRecord:
    """Mark an OPEN quarantined record DISCARDED by ``user`` with ``note``. Raises
    ``ValidationError`` if it is no longer open or the note is blank (a discard must
    say why, for the audit trail). The payload is kept. Writes a
    ``quarantine.resolved`` audit event in the same transaction."""
    if not note or not note.strip():
        raise ValidationError("a discard needs a note saying why")
    with transaction.atomic():
        record = QuarantinedRecord.objects.select_for_update().get(pk=record_id)
        if record.status != QuarantinedRecord.Status.OPEN:
            raise ValidationError(f"record {record_id} is {record.status}, not open")
        before = _quarantine_state(record)
        record.status = QuarantinedRecord.Status.DISCARDED
        record.resolved_by = user
        record.resolved_at = timezone.now()
        record.resolution_note = note
        record.full_clean()
        record.save(
            update_fields=[
                "status",
                "resolved_by",
                "resolved_at",
                "resolution_note",
                "updated_at",
            ]
        )
        _quarantine_audit(record, user=user, before=before, reason=note)
    return record


def ingest_run_for_recording(
    *, path: Path, platform: str | None = None, requested_by: Any = None
) -> IngestRun:
    """Create a PENDING run that replays the recording at ``path`` (creating its
    source on first use). Raises ``ValidationError`` if that source is busy."""
    source = recording_source_get_or_create(path=path, platform=platform)
    return ingest_run_create(source=source, requested_by=requested_by)


def ingest_run_account_ids(*, run_id: int) -> list[int]:
    """Accounts a run created or changed: rows written between its start and end."""
    from influencers.models import SocialAccount

    run = IngestRun.objects.filter(pk=run_id).first()
    if run is None or run.started_at is None:
        return []
    written = SocialAccount.objects.filter(updated_at__gte=run.started_at)
    if run.finished_at is not None:
        written = written.filter(updated_at__lte=run.finished_at)
    return list(written.values_list("pk", flat=True))
