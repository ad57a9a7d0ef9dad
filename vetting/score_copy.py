"""A run's ``InfluencerScore`` rows as a PostgreSQL binary COPY stream, built column by
column with numpy (the finish step of a scoring run, ``vetting.services``).

Binary COPY sends numbers as their bytes: nothing to format here and nothing to parse
on the server. A row is a 2-byte field count, then each field as a 4-byte length
(-1 = NULL) and its bytes. Every column is encoded over all rows at once, as
``(data, lens)``: ``data`` a ``(rows, width)`` uint8 matrix for fixed-width values or
a flat byte buffer with one row after another for variable-width ones; the rows are
then assembled by scatter (no per-row Python apart from JSON of the few rows that
carry flags). Measured at 514K rows (bench/README.md, ``score.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np
import orjson
import pandas as pd

from vetting.scoring.weights import COMPONENTS, SCORING_VERSION

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
FLOAT8_OID = 701

# score columns never stored as sub-scores: they have columns of their own
NOT_SUBSCORES = frozenset(
    {
        "gate_failures",
        "gates_passed",
        "rank",
        "specialty_rank",
        "followers",
        "specialty",
        "clinician_id",
        "composite",
        "flags",
    }
)

COLUMNS = (  # the COPY column list, in the order ``score_rows_encode`` encodes
    "run_id",
    "program_id",
    "account_id",
    "as_of",
    "followers",
    "rank",
    "gates_passed",
    "authenticity_flagged",
    "subscores",
    "clinician_id",
    "specialty_rank",
    *COMPONENTS,
    "composite",
    "specialty_code",
    "scoring_version",
    "gate_failures",
    "contributions",
    "flags",
    "subscore_texts",
)


class Column:
    """One encoded column: ``lens`` (rows,) int64, -1 = NULL; ``data`` either a
    ``(rows, width)`` uint8 matrix (row ``i`` = ``data[i, :lens[i]]``) or, with
    ``flat``, one uint8 buffer holding the rows back to back."""

    def __init__(self, data: np.ndarray, lens: np.ndarray, *, flat: bool = False):
        self.data, self.lens, self.flat = data, np.asarray(lens, np.int64), flat


def fixed(values: np.ndarray, dtype: str, nulls: np.ndarray | None = None) -> Column:
    """Numbers as big-endian ``dtype`` (``>i8``, ``>i4``, ``>f8``, ``u1``)."""
    values = np.ascontiguousarray(np.asarray(values).astype(dtype))
    n, width = len(values), np.dtype(dtype).itemsize
    lens = np.full(n, width, np.int64)
    if nulls is not None:
        lens[nulls] = -1
    return Column(values.view(np.uint8).reshape(n, width), lens)


def float_array(matrix: np.ndarray) -> Column:
    """Each row of ``matrix`` (rows, k) as a ``float8[]`` of k elements (NaN stays
    NaN: no NULL elements, so every array has the same width)."""
    n, k = matrix.shape
    if k == 0:
        head = np.array([0, 0, FLOAT8_OID], ">i4").view(np.uint8)
        return Column(np.broadcast_to(head, (n, 12)), np.full(n, 12))
    head = np.array([1, 0, FLOAT8_OID, k, 1], ">i4").view(np.uint8)  # ndim .. lbound
    out = np.empty((n, 20 + 12 * k), np.uint8)
    out[:, :20] = head
    body = out[:, 20:].reshape(n, k, 12)
    body[:, :, :4] = np.array([8], ">i4").view(np.uint8)
    body[:, :, 4:] = (
        np.ascontiguousarray(matrix, dtype=">f8").view(np.uint8).reshape(n, k, 8)
    )
    return Column(out, np.full(n, 20 + 12 * k))


def texts(values: list[bytes]) -> Column:
    """Variable-width values (already encoded) back to back."""
    lens = np.fromiter((len(v) for v in values), np.int64, len(values))
    return Column(np.frombuffer(b"".join(values), np.uint8), lens, flat=True)


def vocabulary(codes: np.ndarray, words: list[bytes]) -> Column:
    """Row ``i`` = ``words[codes[i]]``: few distinct values (specialty codes, JSON of
    gate failures) encoded once each."""
    width = max((len(w) for w in words), default=0)
    table = np.zeros((len(words), max(width, 1)), np.uint8)
    for i, word in enumerate(words):
        table[i, : len(word)] = np.frombuffer(word, np.uint8)
    lens = np.fromiter((len(w) for w in words), np.int64, len(words))
    return Column(table[codes], lens[codes])


def json_lines(frame: pd.DataFrame, *, double_precision: int = 15) -> Column:
    """Each row of ``frame`` as a ``jsonb`` object (pandas' C encoder, one call). The
    binary ``jsonb`` is a version byte (1) and the text: one line each, so every
    newline of the lines output becomes the next row's version byte (JSON escapes
    control characters inside strings, so neither byte occurs in the text)."""
    n = len(frame)
    if n == 0:
        return Column(np.empty(0, np.uint8), np.empty(0, np.int64), flat=True)
    text = frame.to_json(
        orient="records", lines=True, double_precision=double_precision
    )
    raw = np.frombuffer(
        ("\x01" + text.rstrip("\n").replace("\n", "\x01")).encode(), np.uint8
    )
    starts = np.flatnonzero(raw == 1)
    if len(starts) != n:
        raise ValueError(f"{len(starts)} JSON lines for {n} rows")
    lens = np.diff(np.append(starts, len(raw)))
    return Column(raw, lens, flat=True)


def rows(columns: list[Column]) -> bytes:
    """The COPY rows (no header or trailer) of ``columns``.

    Every row is laid out in a zero-padded ``(rows, width)`` matrix, each field at a
    fixed offset with room for its widest value, next to a mask of the bytes in use;
    ``matrix[mask]`` (row-major) then is the stream, rows and fields back to back. A
    variable-width column fills its slots with one masked assignment, in row order:
    no index arrays, about a microsecond a row."""
    n = len(columns[0].lens)
    sizes = [np.maximum(c.lens, 0) for c in columns]
    widths = [
        int(size.max(initial=0)) if c.flat else c.data.shape[1]
        for c, size in zip(columns, sizes, strict=True)
    ]
    matrix = np.zeros((n, 2 + sum(4 + w for w in widths)), np.uint8)
    mask = np.zeros(matrix.shape, bool)
    matrix[:, :2] = np.array([len(columns)], ">i2").view(np.uint8)
    mask[:, :2] = True
    at = 2
    for column, size, width in zip(columns, sizes, widths, strict=True):
        matrix[:, at : at + 4] = column.lens.astype(">i4").view(np.uint8).reshape(n, 4)
        mask[:, at : at + 4] = True
        at += 4
        if width:
            used = np.arange(width) < size[:, None]
            mask[:, at : at + width] = used
            if column.flat:
                matrix[:, at : at + width][used] = column.data
            else:
                matrix[:, at : at + width] = column.data
        at += width
    return matrix[mask].tobytes()


def subscore_columns(scores: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The names of the numeric and of the text sub-scores of ``scores``: every
    column of the scorers that is neither a component value, a contribution nor a
    column of its own (flags included)."""
    numbers, words = [], []
    for name in scores.columns:
        if (
            name in NOT_SUBSCORES
            or name.startswith("value_")
            or name.startswith("contribution_")
        ):
            continue
        (numbers if scores[name].dtype.kind in "biuf" else words).append(name)
    return numbers, words


def score_rows_encode(
    scores: pd.DataFrame,
    *,
    run_id: int,
    program_id: int,
    as_of: datetime,
    numbers: list[str],
    words: list[str],
) -> bytes:
    """The COPY rows of ``scores`` (the output of ``composite_scores``) in the order
    of ``COLUMNS``. ``numbers`` / ``words`` from ``subscore_columns``."""
    n = len(scores)

    def floats(name: str) -> Column:
        values = scores[name].to_numpy(dtype=float)
        return fixed(values, ">f8", np.isnan(values))

    clinician = scores["clinician_id"].to_numpy(dtype=np.int64)
    specialty_rank = pd.array(scores["specialty_rank"], dtype="Int64")
    specialty_codes, specialty_words = pd.factorize(
        scores["specialty"].to_numpy(dtype=object)
    )
    failure_codes, failure_words = pd.factorize(
        pd.Series([tuple(v) for v in scores["gate_failures"].tolist()], dtype=object)
    )
    flags = scores["flags"] if "flags" in scores else pd.Series([[]] * n)
    flagged = (
        scores["flagged"].fillna(False).to_numpy(bool)
        if "flagged" in scores
        else np.zeros(n, bool)
    )
    contributions = scores[[f"contribution_{c}" for c in COMPONENTS]]
    contributions.columns = list(COMPONENTS)
    as_of_us = int(as_of.timestamp() * 1_000_000) - PG_EPOCH_US
    columns = [
        fixed(np.full(n, run_id), ">i8"),
        fixed(np.full(n, program_id), ">i8"),
        fixed(scores.index.to_numpy(dtype=np.int64), ">i8"),
        fixed(np.full(n, as_of_us), ">i8"),
        fixed(scores["followers"].to_numpy(dtype=np.int64), ">i4"),
        fixed(scores["rank"].to_numpy(dtype=np.int64), ">i4"),
        fixed(scores["gates_passed"].to_numpy(bool), "u1"),
        fixed(flagged, "u1"),
        float_array(
            scores[numbers].to_numpy(dtype=float, na_value=np.nan)
            if numbers
            else np.empty((n, 0), float)
        ),
        fixed(np.maximum(clinician, 0), ">i8", clinician < 0),
        fixed(
            specialty_rank.fillna(0).to_numpy(dtype=np.int64),
            ">i4",
            np.asarray(specialty_rank.isna(), bool),
        ),
        *(floats(f"value_{c}") for c in COMPONENTS),
        floats("composite"),
        vocabulary(specialty_codes, [str(s).encode() for s in specialty_words]),
        vocabulary(np.zeros(n, np.int64), [SCORING_VERSION.encode()]),
        vocabulary(
            failure_codes, [b"\x01" + orjson.dumps(list(w)) for w in failure_words]
        ),
        json_lines(contributions, double_precision=6),
        texts(
            [
                b"\x01" + orjson.dumps(v) if isinstance(v, list) and v else b"\x01[]"
                for v in flags.tolist()
            ]
        ),
        json_lines(scores[words])
        if words
        else vocabulary(np.zeros(n, np.int64), [b"\x01{}"]),
    ]
    return rows(columns)


def score_copy_chunks(scores: pd.DataFrame, *, chunk: int, **kwargs) -> Iterator[bytes]:
    """The whole binary COPY stream of ``scores`` (header, rows by ``chunk``,
    trailer), for ``cursor.copy(... FORMAT BINARY).write``."""
    yield SIGNATURE
    for start in range(0, len(scores), chunk):
        yield score_rows_encode(scores.iloc[start : start + chunk], **kwargs)
    yield TRAILER
