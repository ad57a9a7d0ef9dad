"""Load an NPPES bulk file in batches: COPY into stage tables, then a guarded upsert."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from time import perf_counter
from typing import TextIO

from django.db import connection, transaction
from django.utils import timezone

from common.loading import LoadReport
from influencers.loaders.nppes_bulk.layout import (
    _CHANGED,
    _STAGE,
    _TAX_STAGE,
    _WRITTEN,
    COL,
    ENCODING,
    LOADER,
    NCOLS,
    NPIDATA_COLUMNS,
    RAW_PAYLOAD_SHARE,
    STAGE_COLUMNS,
    TAXONOMY_STAGE_COLUMNS,
)
from influencers.loaders.nppes_bulk.parser import (
    _BatchEnd,
    _header_check,
    _RecordParser,
    npidata_records,
)
from influencers.models import Clinician, Specialty
from influencers.services import reference_load_track

__all__ = [
    "COL",
    "ENCODING",
    "NCOLS",
    "NPIDATA_COLUMNS",
    "clinicians_load_from_npidata",
    "npidata_records",
]


def _stage_ddl(name: str, columns: tuple[tuple[str, str], ...]) -> str:
    cols = ", ".join(f"{col} {kind}" for col, kind in columns)
    # ON COMMIT DROP: nothing is left behind by a finished or failed batch.
    return f"CREATE TEMP TABLE IF NOT EXISTS {name} ({cols}) ON COMMIT DROP"


# The newest row per NPI (DISTINCT ON: a key twice in one INSERT would fail), minus
# the rows whose hash is already stored: those are neither parsed as jsonb nor locked.
# The ON CONFLICT guard repeats the hash test for rows written concurrently.
_UPSERT_SQL = f"""
WITH latest AS (
    SELECT DISTINCT ON (npi) npi, line, content_sha256
    FROM {_STAGE} WHERE NOT stub ORDER BY npi, line DESC
), todo AS (
    SELECT l.line FROM latest l
    WHERE NOT EXISTS (
        SELECT 1 FROM influencers_clinician c
        WHERE c.npi = l.npi AND c.content_sha256 = l.content_sha256
    )
), src AS (
    SELECT s.* FROM {_STAGE} s JOIN todo ON todo.line = s.line
), up AS (
    INSERT INTO influencers_clinician (
        created_at, updated_at, npi, {", ".join(_WRITTEN)}, source, nppes_payload,
        identity_evidence
    )
    SELECT now(), now(), npi, {", ".join(_WRITTEN)}, %(source)s,
        COALESCE(
            nppes_payload::jsonb,
            jsonb_strip_nulls(jsonb_object(%(columns)s, string_to_array(raw, '","', '')))
        ),
        identity_evidence::jsonb
    FROM src ORDER BY npi
    ON CONFLICT (npi) DO UPDATE SET
        updated_at = EXCLUDED.updated_at,
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _WRITTEN)},
        source = EXCLUDED.source,
        nppes_payload = EXCLUDED.nppes_payload,
        identity_evidence = EXCLUDED.identity_evidence
    WHERE influencers_clinician.content_sha256 IS DISTINCT FROM EXCLUDED.content_sha256
    RETURNING id, npi, (xmax = 0) AS inserted
), changed AS (
    INSERT INTO {_CHANGED} (id, line, inserted)
    SELECT up.id, src.line, up.inserted FROM up JOIN src ON src.npi = up.npi
)
SELECT (SELECT count(*) FROM latest),
       count(*) FILTER (WHERE inserted),
       count(*) FILTER (WHERE NOT inserted)
FROM up
"""
# A stub (deactivated NPI) keeps what we know about the clinician and only changes
# the status; its payload keys are merged into the stored payload.
_STUB_SQL = f"""
WITH src AS (
    SELECT DISTINCT ON (npi) npi, deactivation_date, nppes_payload, content_sha256
    FROM {_STAGE} WHERE stub ORDER BY npi, line DESC
), up AS (
    UPDATE influencers_clinician c SET
        updated_at = now(),
        npi_status = %(deactivated)s,
        identity_status = %(deactivated)s,
        deactivation_date = src.deactivation_date,
        reactivation_date = NULL,
        nppes_payload = (c.nppes_payload - 'NPI Reactivation Date')
            || src.nppes_payload::jsonb,
        identity_evidence = jsonb_build_object(
            'source', %(source)s, 'checked_at', %(checked_at)s, 'npi_luhn_valid', true,
            'enumeration_type', 'NPI-' || c.entity_type, 'status', 'D'),
        source = %(source)s,
        content_sha256 = src.content_sha256
    FROM src
    WHERE c.npi = src.npi AND c.content_sha256 IS DISTINCT FROM src.content_sha256
    RETURNING c.id
)
SELECT (SELECT count(*) FROM src),
       (SELECT count(*) FROM up),
       (SELECT count(*) FROM src JOIN influencers_clinician c ON c.npi = src.npi)
"""
_TAXONOMY_DELETE_SQL = f"""
DELETE FROM influencers_cliniciantaxonomy t USING {_CHANGED} c
WHERE t.clinician_id = c.id AND NOT c.inserted
"""
_TAXONOMY_INSERT_SQL = f"""
INSERT INTO influencers_cliniciantaxonomy (
    created_at, updated_at, clinician_id, position, taxonomy_code, specialty_id,
    is_primary, license_number, license_state
)
SELECT now(), now(), c.id, t.position, t.taxonomy_code, t.specialty_id, t.is_primary,
    t.license_number, t.license_state
FROM {_TAX_STAGE} t JOIN {_CHANGED} c ON c.line = t.line
"""


def clinicians_load_from_npidata(*, path: Path, batch_size: int = 50_000) -> LoadReport:
    """Stream an NPPES ``npidata_pfile`` CSV into ``Clinician`` and ``ClinicianTaxonomy``.

    Steps: check the 330-column header (``ReferenceFileError`` if it is not the NPPES
    layout); parse and validate each record in a parser thread (NPI Luhn check, entity
    type, MM/DD/YYYY dates, column count, NUL bytes, field lengths), rejecting bad
    records with file, line and reason; upsert each batch (see the module docstring)
    and replace the taxonomies of created and updated clinicians.
    Idempotent: a replay of the same file creates and updates nothing and rewrites no
    row. One transaction per batch, so an interrupted load keeps its finished batches
    (run it again). Memory stays at about two batches of text whatever the file size.
    Records a ``ReferenceLoad`` row (loader ``nppes_bulk``).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    with (
        reference_load_track(loader=LOADER, source=str(path)) as report,
        path.open(encoding=ENCODING, newline="") as handle,
    ):
        _header_check(handle, path)
        specialty_ids = dict(Specialty.objects.values_list("code", "id"))
        checked_at = timezone.now()
        parser = _RecordParser(
            file=path.name,
            report=report,
            specialty_ids=specialty_ids,
            checked_at=checked_at,
            batch_size=batch_size,
        )
        # A table that already holds a batch worth of clinicians is most likely being
        # refreshed: start with raw records (the first batches then show which way).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM influencers_clinician LIMIT %s) t",
                [batch_size],
            )
            parser.raw_payloads = cursor.fetchone()[0] >= batch_size
        _pipeline_run(parser, handle, report, checked_at=checked_at)
    return report


def _pipeline_run(
    parser: _RecordParser, handle: TextIO, report: LoadReport, *, checked_at: datetime
) -> None:
    """Run the parser thread and apply its batches on this thread's connection."""
    chunks_per_batch = -(-parser.batch_size // parser.chunk_rows)
    out: queue.Queue = queue.Queue(maxsize=chunks_per_batch + 2)
    stop = threading.Event()
    thread = threading.Thread(
        target=parser.run, args=(handle, out, stop), name="npidata-parser", daemon=True
    )
    thread.start()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                "WHERE name = 'default_toast_compression'"
            )
            row = cursor.fetchone()
            lz4 = bool(row and row[0])
            unknown_stubs = 0
            clock: dict[str, float] = defaultdict(float)
            while True:
                kind, payload = out.get()
                if kind == "eof":
                    break
                if kind == "error":
                    raise payload
                unknown_stubs += _batch_apply(
                    cursor,
                    out,
                    kind,
                    payload,
                    report,
                    parser=parser,
                    checked_at=checked_at,
                    lz4=lz4,
                    clock=clock,
                )
        report.notes.append(
            "database thread seconds: "
            + ", ".join(f"{step} {seconds:.1f}" for step, seconds in clock.items())
        )
        if unknown_stubs:
            report.notes.append(
                f"{unknown_stubs} deactivated NPI(s) are not in the table and were "
                "skipped (a deactivation row has no name or entity type to store)"
            )
    finally:
        stop.set()
        while thread.is_alive():  # unblock a parser waiting on a full queue
            with contextlib.suppress(queue.Empty):
                out.get(timeout=0.1)
        thread.join()


def _batch_apply(
    cursor,
    out: queue.Queue,
    kind: str,
    payload: object,
    report: LoadReport,
    *,
    parser: _RecordParser,
    checked_at: datetime,
    lz4: bool,
    clock: dict[str, float],
) -> int:
    """COPY one batch (the messages up to its ``batch`` end) into the stage and upsert
    it, in one transaction; add the counts to ``report`` and the seconds spent per step
    to ``clock``. Returns how many stubs named an NPI that is not in the table."""
    with transaction.atomic():
        started = perf_counter()
        cursor.execute(_stage_ddl(_STAGE, STAGE_COLUMNS))
        cursor.execute(_stage_ddl(_TAX_STAGE, TAXONOMY_STAGE_COLUMNS))
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_CHANGED} "
            "(id bigint, line integer, inserted boolean) ON COMMIT DROP"
        )
        # Empty when the tables were just created; needed when an outer transaction
        # (tests) keeps them across batches.
        cursor.execute(f"TRUNCATE {_STAGE}, {_TAX_STAGE}, {_CHANGED}")
        # Sorts and hashes of one batch stay in memory; JIT compiling costs more than
        # it saves on these statements; lz4 compresses long payloads far faster than
        # the default pglz (only values written in this transaction).
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("SET LOCAL jit = off")
        if lz4:
            cursor.execute("SET LOCAL default_toast_compression = 'lz4'")
        # Every character comes from an ISO-8859-1 file: sending the COPY data in that
        # encoding spares the client a UTF-8 encode (the server converts in C).
        cursor.execute("SET LOCAL client_encoding = 'LATIN1'")
        names = ", ".join(name for name, _ in STAGE_COLUMNS)
        waited = 0.0
        with cursor.copy(f"COPY {_STAGE} ({names}) FROM STDIN") as copy:
            while kind == "rows":
                copy.write(payload)
                wait = perf_counter()
                kind, payload = out.get()
                waited += perf_counter() - wait
            if kind == "error":
                raise payload
        end = payload
        assert isinstance(end, _BatchEnd), kind
        if end.taxonomy_text:
            tax_names = ", ".join(name for name, _ in TAXONOMY_STAGE_COLUMNS)
            with cursor.copy(f"COPY {_TAX_STAGE} ({tax_names}) FROM STDIN") as copy:
                copy.write(end.taxonomy_text)
        cursor.execute("SET LOCAL client_encoding = 'UTF8'")
        now = perf_counter()
        clock["waiting for the parser"] += waited
        clock["COPY to the stage"] += now - started - waited
        params = {
            "source": Clinician.Source.NPPES_BULK.value,
            "deactivated": Clinician.NpiStatus.DEACTIVATED.value,
            "checked_at": checked_at.isoformat(),
            "columns": list(NPIDATA_COLUMNS),
        }
        full_rows = end.rows - end.stubs
        unknown = 0
        if full_rows:
            cursor.execute(_UPSERT_SQL, params)
            distinct, created, updated = cursor.fetchone()
            report.created += created
            report.updated += updated
            report.unchanged += distinct - created - updated
            report.skipped += full_rows - distinct  # an NPI repeated in the batch
            parser.raw_payloads = (created + updated) * RAW_PAYLOAD_SHARE < distinct
            now = _tick(clock, "clinician upsert", now)
            if updated:
                cursor.execute(_TAXONOMY_DELETE_SQL)
            if (created or updated) and end.taxonomy_text:
                cursor.execute(_TAXONOMY_INSERT_SQL)
            now = _tick(clock, "taxonomies", now)
        if end.stubs:
            cursor.execute(_STUB_SQL, params)
            distinct, updated, known = cursor.fetchone()
            report.updated += updated
            report.unchanged += known - updated
            report.skipped += end.stubs - known
            unknown = distinct - known
            now = _tick(clock, "deactivations", now)
    _tick(clock, "commit (deferred FK checks)", now)
    return unknown


def _tick(clock: dict[str, float], step: str, since: float) -> float:
    now = perf_counter()
    clock[step] += now - since
    return now
