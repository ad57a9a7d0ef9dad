"""Export files: the columns, the rows (read in chunks from the database) and the
CSV and XLSX writers.

Memory stays bounded whatever the number of rows: scores are streamed with
``QuerySet.iterator(chunk_size=...)`` (a server-side cursor), each chunk gets its
compliance flags (and, for a shortlist, today's scores) in one query, the CSV is
written row by row, and the XLSX through openpyxl's ``write_only`` workbook, which
streams each row to a temporary file. No list of every row is ever built.

Every text cell goes through ``cell_text``: a value starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading single quote (the OWASP
advice against CSV/formula injection), and characters a spreadsheet refuses are
dropped. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from influencers.models import Clinician
from reports import selectors
from reports.models import Export, Shortlist
from vetting.filters import SCORE_LABELS
from vetting.scoring.weights import COMPONENTS
from vetting.selectors import program_latest_run

# Rows read (and flagged) per chunk; progress is written after every chunk.
CHUNK_ROWS = 2_000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# characters an XLSX cell cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE)
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
CONTENT_TYPES = {
    Export.Format.CSV: "text/csv; charset=utf-8",
    Export.Format.XLSX: (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
}


@dataclass(frozen=True)
class Column:
    """One column of an export: the key in a row dict, its heading, and what it
    means (the XLSX "About" sheet lists them)."""

    key: str
    header: str
    description: str


def _c(key: str, header: str, description: str) -> Column:
    return Column(key, header, description)


IDENTITY_COLUMNS = (
    _c("program", "Program", "The program the candidate was scored for."),
    _c("clinician_name", "Clinician name", "From the NPI record (empty: not linked)."),
    _c("credential", "Credential", "MD, DO, NP, PharmD... from the NPI record."),
    _c("npi", "NPI", "National Provider Identifier of the linked clinician."),
    _c(
        "identity_status",
        "Identity status",
        "verified / probable / unverified / mismatch / deactivated.",
    ),
    _c("platform", "Platform", "Social platform of the account."),
    _c("handle", "Handle", "The account's handle on the platform."),
    _c("display_name", "Display name", "The account's display name."),
    _c(
        "link_confidence",
        "Link confidence",
        "Confidence (0-1) that the account belongs to the clinician.",
    ),
    _c("link_status", "Link status", "proposed / confirmed / rejected by a reviewer."),
    _c("specialty_code", "Specialty code", "NUCC taxonomy code scored."),
    _c("specialty", "Specialty", "NUCC display name of the specialty."),
    _c("followers", "Followers", "Followers when scored."),
)
SCORE_COLUMNS = (
    *(
        _c(name, SCORE_LABELS[name], f"{SCORE_LABELS[name]} score, 0 to 1.")
        for name in COMPONENTS
    ),
    _c("composite", "Composite", "Weighted composite fit, 0 to 1."),
    _c("rank", "Rank", "Rank by composite within the program's run."),
    _c("specialty_rank", "Specialty rank", "Rank within the specialty."),
    _c("gates_passed", "Gates passed", "yes when every gate of the program passes."),
    _c("gate_failures", "Gate failures", "The gates that fail, separated by ;"),
    _c(
        "authenticity_flagged",
        "Authenticity flagged",
        "yes when the authenticity checks flagged the account.",
    ),
)
FLAG_COLUMNS = (
    _c(
        "open_critical",
        "Open critical findings",
        "Current open findings of critical severity on the account's posts.",
    ),
    _c("open_major", "Open major findings", "Current open findings, major."),
    _c("open_minor", "Open minor findings", "Current open findings, minor."),
    _c(
        "confirmed_or_escalated",
        "Confirmed or escalated findings",
        "Current findings a reviewer confirmed or escalated (any severity).",
    ),
    _c(
        "finding_rules",
        "Finding rules",
        "Rule codes of the current findings that are not dismissed, separated by ;",
    ),
)
RUN_COLUMNS = (
    _c("as_of", "As of", "When the score was computed (UTC, ISO 8601)."),
    _c("scoring_version", "Scoring version", "Version of the scoring code."),
    _c("run_id", "Run", "Id of the scoring run."),
    _c("score_id", "Score id", "Id of the score row (the API's score id)."),
)
DISCOVERY_COLUMNS: tuple[Column, ...] = (
    *IDENTITY_COLUMNS,
    *SCORE_COLUMNS,
    *FLAG_COLUMNS,
    *RUN_COLUMNS,
)
SHORTLIST_COLUMNS: tuple[Column, ...] = (
    _c("shortlist_rank", "Shortlist rank", "The analyst's rank on the shortlist."),
    _c("note", "Note", "The analyst's note."),
    _c("added_at", "Added", "When the candidate was added (UTC, ISO 8601)."),
    _c("added_by", "Added by", "Who added the candidate."),
    *IDENTITY_COLUMNS,
    *SCORE_COLUMNS,
    *FLAG_COLUMNS,
    *RUN_COLUMNS,
    _c(
        "frozen_composite",
        "Frozen composite",
        "The composite when the candidate was added (kept as it was).",
    ),
    _c("frozen_as_of", "Frozen as of", "The date of that frozen score (UTC)."),
    _c("frozen_rank", "Frozen rank", "The rank when added."),
    _c("frozen_run_id", "Frozen run", "The scoring run of the frozen score."),
    _c(
        "frozen_scoring_version",
        "Frozen scoring version",
        "Scoring version of the frozen score.",
    ),
    _c(
        "composite_change",
        "Composite change",
        "Composite today minus the frozen composite.",
    ),
)

# What is read of each score (joined in the same query; ``.values`` skips the
# models and the large JSON columns).
SCORE_VALUES = (
    "pk",
    "run_id",
    "program__name",
    "scoring_version",
    "as_of",
    "account_id",
    "specialty_code",
    "followers",
    *COMPONENTS,
    "composite",
    "rank",
    "specialty_rank",
    "gates_passed",
    "gate_failures",
    "authenticity_flagged",
)
ACCOUNT_VALUES = (
    "account__platform",
    "account__handle",
    "account__display_name",
    "account__link_confidence",
    "account__link_status",
    "clinician__npi",
    "clinician__entity_type",
    "clinician__first_name",
    "clinician__last_name",
    "clinician__organization_name",
    "clinician__credential",
    "clinician__identity_status",
)


@dataclass
class ExportSource:
    """What to write: the columns, how many rows, the rows (a generator over
    chunks) and the lines of the XLSX "About" sheet."""

    columns: tuple[Column, ...]
    total: int
    rows: Callable[[], Iterator[dict[str, Any]]]
    sheet_title: str
    about: list[tuple[str, str]]


# --- cells ---------------------------------------------------------------------------


def cell_text(value: str) -> str:
    """A text cell a spreadsheet shows as text: no formula, no illegal character."""
    value = _ILLEGAL.sub("", value)
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell_value(value: Any) -> Any:
    """A row value as a cell: numbers stay numbers, booleans are yes/no, lists are
    joined with "; ", datetimes are ISO 8601 in UTC, None is empty, text is made
    safe (``cell_text``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return cell_text("; ".join(str(v) for v in value))
    return cell_text(str(value))


# --- rows ----------------------------------------------------------------------------


def _chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _clinician_name(values: dict[str, Any], prefix: str = "clinician__") -> str:
    if values.get(f"{prefix}npi") is None:
        return ""
    if values.get(f"{prefix}entity_type") == Clinician.EntityType.ORGANIZATION:
        return values.get(f"{prefix}organization_name") or ""
    parts = (values.get(f"{prefix}first_name"), values.get(f"{prefix}last_name"))
    return " ".join(p.title() for p in parts if p)


def _identity(values: dict[str, Any], specialty_names: dict[str, str]) -> dict:
    code = values.get("specialty_code") or ""
    return {
        "clinician_name": _clinician_name(values),
        "credential": values.get("clinician__credential") or "",
        "npi": values.get("clinician__npi") or "",
        "identity_status": values.get("clinician__identity_status") or "",
        "platform": values.get("account__platform") or "",
        "handle": values.get("account__handle") or "",
        "display_name": values.get("account__display_name") or "",
        "link_confidence": values.get("account__link_confidence"),
        "link_status": values.get("account__link_status") or "",
        "specialty_code": code,
        "specialty": specialty_names.get(code, ""),
    }


def _score(values: dict[str, Any] | None) -> dict[str, Any]:
    if values is None:
        return {}
    row = {name: values.get(name) for name in (*COMPONENTS, "composite")}
    row.update(
        program=values.get("program__name"),
        followers=values.get("followers"),
        rank=values.get("rank"),
        specialty_rank=values.get("specialty_rank"),
        gates_passed=values.get("gates_passed"),
        gate_failures=values.get("gate_failures") or [],
        authenticity_flagged=values.get("authenticity_flagged"),
        as_of=values.get("as_of"),
        scoring_version=values.get("scoring_version"),
        run_id=values.get("run_id"),
        score_id=values.get("pk"),
    )
    return row


def _flags(flags: selectors.FindingFlags) -> dict[str, Any]:
    return {
        "open_critical": flags.open_critical,
        "open_major": flags.open_major,
        "open_minor": flags.open_minor,
        "confirmed_or_escalated": flags.confirmed_or_escalated,
        "finding_rules": list(flags.rules),
    }


def _specialty_names() -> dict[str, str]:
    """Every NUCC code -> its name (one query, ~900 rows)."""
    from influencers.models import Specialty

    return {
        code: name or classification
        for code, name, classification in Specialty.objects.values_list(
            "code", "display_name", "classification"
        )
    }


def discovery_source(export: Export, *, chunk_rows: int = CHUNK_ROWS) -> ExportSource:
    """The discovery results of ``export`` (its filters, as the requester sees
    them): one row per score, in the page's order."""
    filters = export.filters or {}
    scores = selectors.discovery_export_scores(
        export.requested_by, filters.get("query") or {}, run_ids=filters.get("run_ids")
    )
    total = scores.count()

    def rows() -> Iterator[dict[str, Any]]:
        names = _specialty_names()
        stream = scores.values(*SCORE_VALUES, *ACCOUNT_VALUES).iterator(
            chunk_size=chunk_rows
        )
        for chunk in _chunks(stream, chunk_rows):
            flags = selectors.finding_flags_by_account(v["account_id"] for v in chunk)
            for values in chunk:
                row = _identity(values, names)
                row.update(_score(values))
                row.update(_flags(flags.get(values["account_id"], selectors.NO_FLAGS)))
                yield row

    about = [
        ("Export", f"Discovery results (export {export.pk})"),
        ("Requested by", export.requested_by.get_username()),
        ("Requested at", cell_value(export.created_at)),
        ("Filters", _query_text(filters.get("query") or {}) or "none"),
        ("Scoring runs", ", ".join(str(r) for r in filters.get("run_ids") or [])),
        ("Rows", str(total)),
    ]
    return ExportSource(DISCOVERY_COLUMNS, total, rows, "Discovery", about)


def shortlist_source(export: Export, *, chunk_rows: int = CHUNK_ROWS) -> ExportSource:
    """The members of the export's shortlist in rank order: today's score (the
    program's latest run) and flags, with the frozen composite and its date."""
    shortlist: Shortlist = export.shortlist
    program = shortlist.program
    run = program_latest_run(program)
    members = shortlist.members.order_by("rank", "pk")
    total = members.count()

    def rows() -> Iterator[dict[str, Any]]:
        names = _specialty_names()
        stream = members.values(
            "rank",
            "note",
            "created_at",
            "added_by__username",
            "account_id",
            "frozen_composite",
            "frozen",
            *ACCOUNT_VALUES,
        ).iterator(chunk_size=chunk_rows)
        for chunk in _chunks(stream, chunk_rows):
            ids = [v["account_id"] for v in chunk]
            flags = selectors.finding_flags_by_account(ids)
            today = _latest_values(program, run, ids)
            for values in chunk:
                frozen = values["frozen"] or {}
                score = today.get(values["account_id"])
                values["specialty_code"] = (score or frozen).get("specialty_code")
                row = _identity(values, names)
                row.update(_score(score))
                row["program"] = program.name
                row.update(_flags(flags.get(values["account_id"], selectors.NO_FLAGS)))
                composite = score.get("composite") if score else None
                before = values["frozen_composite"]
                row.update(
                    shortlist_rank=values["rank"],
                    note=values["note"],
                    added_at=values["created_at"],
                    added_by=values["added_by__username"],
                    frozen_composite=before,
                    frozen_as_of=_parse_time(frozen.get("as_of")),
                    frozen_rank=frozen.get("rank"),
                    frozen_run_id=frozen.get("run_id"),
                    frozen_scoring_version=frozen.get("scoring_version"),
                    composite_change=None
                    if composite is None or before is None
                    else round(composite - before, 6),
                )
                if row.get("followers") is None:
                    row["followers"] = frozen.get("followers")
                yield row

    about = [
        ("Export", f"Shortlist {shortlist.name} (export {export.pk})"),
        ("Program", program.name),
        ("Requested by", export.requested_by.get_username()),
        ("Requested at", cell_value(export.created_at)),
        ("Today's scores", f"scoring run {run.pk}" if run else "no scoring run yet"),
        ("Rows", str(total)),
    ]
    return ExportSource(SHORTLIST_COLUMNS, total, rows, "Shortlist", about)


def _latest_values(program, run, account_ids: list[int]) -> dict[int, dict[str, Any]]:
    if run is None or not account_ids:
        return {}
    from vetting.models import InfluencerScore

    return {
        v["account_id"]: v
        for v in InfluencerScore.objects.filter(
            run=run, program=program, account_id__in=account_ids
        ).values(*SCORE_VALUES)
    }


def _parse_time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _query_text(query: dict[str, Any]) -> str:
    parts = []
    for key, values in sorted(query.items()):
        values = [values] if isinstance(values, str) else values
        shown = [str(v) for v in values if str(v) != ""]
        if shown:
            parts.append(f"{key}={','.join(shown)}")
    return "; ".join(parts)


def export_source(export: Export, *, chunk_rows: int = CHUNK_ROWS) -> ExportSource:
    if export.kind == Export.Kind.SHORTLIST:
        return shortlist_source(export, chunk_rows=chunk_rows)
    return discovery_source(export, chunk_rows=chunk_rows)


# --- writers -------------------------------------------------------------------------


class _RowCells:
    """The rows of ``source`` as lists of cells in column order; counts them in
    ``written`` and calls ``progress(written)`` every ``every`` rows."""

    def __init__(
        self, source: ExportSource, *, progress: Callable[[int], None], every: int
    ) -> None:
        self.source, self.progress, self.every = source, progress, every
        self.written = 0

    def __iter__(self) -> Iterator[list[Any]]:
        keys = [c.key for c in self.source.columns]
        for row in self.source.rows():
            yield [cell_value(row.get(key)) for key in keys]
            self.written += 1
            if self.written % self.every == 0:
                self.progress(self.written)


def write_csv(
    path: Path,
    source: ExportSource,
    *,
    progress: Callable[[int], None],
    every: int = CHUNK_ROWS,
) -> int:
    """Write the rows as CSV (UTF-8 with a byte-order mark, so that spreadsheet
    programs read the accents); ``progress(rows)`` every ``every`` rows. Returns
    the number of rows written."""
    rows = _RowCells(source, progress=progress, every=every)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in source.columns])
        for cells in rows:
            writer.writerow(["" if v is None else v for v in cells])
    return rows.written


def write_xlsx(
    path: Path,
    source: ExportSource,
    *,
    progress: Callable[[int], None],
    every: int = CHUNK_ROWS,
) -> int:
    """Write the rows as XLSX with openpyxl's write-only workbook (rows are streamed
    to disk as they come), then an "About" sheet with the filters and what each
    column means. Returns the number of rows written."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(source.sheet_title)
    sheet.freeze_panes = "A2"
    sheet.append([c.header for c in source.columns])
    rows = _RowCells(source, progress=progress, every=every)
    for cells in rows:
        sheet.append(cells)
    about = workbook.create_sheet("About")
    for label, value in source.about:
        about.append([cell_text(label), cell_text(str(value))])
    about.append([])
    about.append(["Column", "Meaning"])
    for column in source.columns:
        about.append([cell_text(column.header), cell_text(column.description)])
    workbook.save(path)
    return rows.written


WRITERS = {Export.Format.CSV: write_csv, Export.Format.XLSX: write_xlsx}
