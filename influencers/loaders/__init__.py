"""Reference-data loaders for the influencers app, and the helpers they share.

One module per source: ``nucc`` (NUCC taxonomy -> ``Specialty``), ``crosswalk`` (CMS
Medicare specialty crosswalk -> ``MedicareSpecialtyCrosswalk``) and ``nppes_api``
(NPI Registry API v2.1 responses -> ``Clinician``). Each loader streams its file,
rejects bad rows into a ``LoadReport`` and upserts in batches with
``INSERT ... ON CONFLICT ... DO UPDATE ... WHERE ... IS DISTINCT FROM``, so an
identical replay writes nothing and reports every row as unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from django.db import connection, models
from django.utils import timezone

# PostgreSQL accepts at most 65,535 bind parameters in one statement.
_MAX_PARAMS = 60_000


class ReferenceFileError(Exception):
    """The file as a whole cannot be loaded (wrong header, not the expected format)."""


class UpsertedRow(NamedTuple):
    """A row the upsert inserted or changed (unchanged rows are not returned)."""

    pk: int
    key: tuple
    created: bool


def content_sha256(values: Any) -> str:
    """SHA-256 of a JSON rendering of ``values`` (stable key order; dates as ISO text)."""
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def csv_records(
    path: Path, *, expected_header: Sequence[str]
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line_number, cells)`` for each data row of a UTF-8 CSV, one at a time.

    The line number is the physical line where the record starts (1 = header), so it
    stays right for quoted fields that span lines. Blank lines are skipped. Raises
    ``ReferenceFileError`` when the header is not ``expected_header``, or when the
    file is not UTF-8 or not parseable CSV (the rows after that point cannot be
    trusted, so the load stops and its transaction rolls back).
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise ReferenceFileError(f"{path.name}: the file is empty")
            found = [cell.strip() for cell in header]
            if found != list(expected_header):
                raise ReferenceFileError(
                    f"{path.name}: unexpected header {found!r}; "
                    f"expected {list(expected_header)!r}"
                )
            start = reader.line_num + 1
            for cells in reader:
                line, start = start, reader.line_num + 1
                if not cells or all(not cell.strip() for cell in cells):
                    continue
                yield line, cells
        except UnicodeDecodeError as exc:
            raise ReferenceFileError(
                f"{path.name}: not UTF-8 after line {reader.line_num} ({exc.reason})"
            ) from exc
        except csv.Error as exc:
            raise ReferenceFileError(
                f"{path.name}:{reader.line_num}: not readable as CSV ({exc})"
            ) from exc


def char_length_problem(
    model: type[models.Model], values: Mapping[str, Any]
) -> str | None:
    """Why one of ``values`` does not fit its ``CharField`` on ``model``; None if all fit."""
    for name, value in values.items():
        field = model._meta.get_field(name)
        limit = getattr(field, "max_length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            return f"{name} is {len(value)} characters, longer than {limit}"
    return None


def rows_upsert(
    model: type[models.Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    unique_fields: Sequence[str],
    compare_fields: Sequence[str] | None = None,
) -> list[UpsertedRow]:
    """Insert ``rows`` or update the existing ones, in one statement per batch.

    ``rows`` are dicts of field attnames (``specialty_id``, not ``specialty``) that all
    have the same keys, with no two rows sharing a natural key. An existing row is only
    rewritten when one of ``compare_fields`` (default: every non-key field) differs, so
    an identical replay touches nothing. ``created_at``/``updated_at`` are set here.
    Returns the inserted and changed rows; the caller counts the rest as unchanged.
    PostgreSQL only (``xmax = 0`` tells an insert from an update).
    """
    if not rows:
        return []
    meta = model._meta
    names = list(rows[0].keys())
    fields = [meta.get_field(name) for name in names]
    columns = [field.column for field in fields]
    key_columns = [meta.get_field(name).column for name in unique_fields]
    update_columns = [c for c in columns if c not in key_columns]
    compared = (
        [meta.get_field(name).column for name in compare_fields]
        if compare_fields is not None
        else update_columns
    )
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    all_columns = [*columns, "created_at", "updated_at"]
    updates = [f"{qn(c)} = EXCLUDED.{qn(c)}" for c in [*update_columns, "updated_at"]]
    sql_head = f"INSERT INTO {table} ({', '.join(qn(c) for c in all_columns)}) VALUES "
    sql_tail = (
        f" ON CONFLICT ({', '.join(qn(c) for c in key_columns)}) DO UPDATE SET "
        f"{', '.join(updates)} WHERE "
        f"({', '.join(f'{table}.{qn(c)}' for c in compared)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{qn(c)}' for c in compared)}) "
        f"RETURNING {table}.{qn(meta.pk.column)}, ({table}.xmax = 0), "
        f"{', '.join(f'{table}.{qn(c)}' for c in key_columns)}"
    )
    placeholder = "(" + ", ".join(["%s"] * len(all_columns)) + ")"
    batch_size = max(1, _MAX_PARAMS // len(all_columns))
    now = timezone.now()
    result: list[UpsertedRow] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            params: list[Any] = []
            for row in batch:
                params.extend(
                    field.get_db_prep_save(row[name], connection)
                    for name, field in zip(names, fields, strict=True)
                )
                params.extend((now, now))
            sql = sql_head + ", ".join([placeholder] * len(batch)) + sql_tail
            cursor.execute(sql, params)
            result.extend(
                UpsertedRow(pk=r[0], created=bool(r[1]), key=tuple(r[2:]))
                for r in cursor.fetchall()
            )
    return result
