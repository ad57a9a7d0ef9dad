"""NUCC Health Care Provider Taxonomy CSV -> ``Specialty``.

The file (``nucc_taxonomy_251.csv``, 883 codes) has eight columns: Code, Grouping,
Classification, Specialization, Definition, Notes, Display Name, Section.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.db import transaction

from common.loading import LoadReport
from influencers.loaders import (
    char_length_problem,
    content_sha256,
    csv_records,
    rows_upsert,
)
from influencers.models import Specialty
from influencers.services import reference_load_track

HEADER = (
    "Code",
    "Grouping",
    "Classification",
    "Specialization",
    "Definition",
    "Notes",
    "Display Name",
    "Section",
)
FIELDS = (
    "code",
    "grouping",
    "classification",
    "specialization",
    "definition",
    "notes",
    "display_name",
    "section",
)
CODE_RE = re.compile(r"^[0-9A-Z]{9}X$")
BATCH_SIZE = 500


def specialty_row_parse(cells: list[str]) -> tuple[dict[str, str] | None, str | None]:
    """Turn one CSV row into ``Specialty`` field values, or say why it cannot be loaded.

    Values are stripped of surrounding whitespace; the hash covers those normalized
    values. Pure: no database access.
    """
    if len(cells) != len(HEADER):
        return None, f"expected {len(HEADER)} columns, found {len(cells)}"
    values = {name: cell.strip() for name, cell in zip(FIELDS, cells, strict=True)}
    if not CODE_RE.match(values["code"]):
        return None, (
            f"taxonomy code {values['code']!r} does not match the NUCC format "
            "(9 digits or capital letters, then X)"
        )
    if not values["classification"]:
        return None, f"taxonomy code {values['code']}: classification is missing"
    if not values["grouping"]:
        return None, f"taxonomy code {values['code']}: grouping is missing"
    problem = char_length_problem(Specialty, values)
    if problem:
        return None, f"taxonomy code {values['code']}: {problem}"
    values["content_sha256"] = content_sha256([values[name] for name in FIELDS])
    return values, None


def specialties_load(*, path: Path) -> LoadReport:
    """Load the NUCC taxonomy CSV at ``path`` into ``Specialty``; return the counts.

    Steps: stream the rows; reject malformed ones (file, line, reason) and repeats of
    a code already seen in the file (skipped); upsert the rest in batches of 500, only
    rewriting rows whose values changed. Idempotent: a replay of the same file reports
    every row as unchanged. Codes absent from the file are left in place (clinicians
    may point at them). Records a ``ReferenceLoad`` row; one transaction.
    """
    with (
        reference_load_track(loader="nucc", source=str(path)) as report,
        transaction.atomic(),
    ):
        seen: set[str] = set()
        batch: list[dict[str, str]] = []
        for line, cells in csv_records(path, expected_header=HEADER):
            report.received += 1
            values, problem = specialty_row_parse(cells)
            if problem:
                report.reject(file=path.name, line=line, reason=problem)
                continue
            if values["code"] in seen:
                report.skipped += 1
                report.notes.append(
                    f"{path.name}:{line}: taxonomy code {values['code']} repeated; "
                    "kept the first"
                )
                continue
            seen.add(values["code"])
            batch.append(values)
            if len(batch) >= BATCH_SIZE:
                _batch_upsert(batch, report)
                batch = []
        _batch_upsert(batch, report)
    return report


def _batch_upsert(batch: list[dict[str, str]], report: LoadReport) -> None:
    changed = rows_upsert(Specialty, batch, unique_fields=["code"])
    created = sum(1 for row in changed if row.created)
    report.created += created
    report.updated += len(changed) - created
    report.unchanged += len(batch) - len(changed)
