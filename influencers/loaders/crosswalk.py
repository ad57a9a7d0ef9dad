"""CMS Medicare specialty -> NUCC taxonomy crosswalk (2019) -> ``MedicareSpecialtyCrosswalk``.

Reads the cleaned comma CSV (``medicare_specialty_to_nucc_crosswalk_2019_clean.csv``:
medicare_specialty_code, medicare_provider_supplier_type, provider_taxonomy_code,
provider_taxonomy_description). See its PROVENANCE.md for the known defects.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.db import transaction

from common.loading import LoadReport
from influencers.loaders import char_length_problem, csv_records, rows_upsert
from influencers.models import MedicareSpecialtyCrosswalk, Specialty
from influencers.services import reference_load_track

HEADER = (
    "medicare_specialty_code",
    "medicare_provider_supplier_type",
    "provider_taxonomy_code",
    "provider_taxonomy_description",
)
MEDICARE_CODE_RE = re.compile(r"^[0-9A-Z]{2}$")
TAXONOMY_CODE_RE = re.compile(r"^[0-9A-Z]{9}X$")
# CMS footnote markers such as "A0[7]" or "Mass Immunizer Roster Biller[2]".
FOOTNOTE_RE = re.compile(r"\s*\[\d+\]")
BATCH_SIZE = 500


def _shift_hint(cells: list[str]) -> str:
    # A description that was split on its commas pushes a taxonomy code (or words)
    # into the wrong column: say so, it is the usual cause in this file.
    if any(TAXONOMY_CODE_RE.match(c.strip()[:10]) for c in (cells[0], cells[3])) or any(
        ch.islower() for ch in cells[0] + cells[2]
    ):
        return " (the columns look shifted: a description was split on its commas)"
    return ""


def crosswalk_row_parse(cells: list[str]) -> tuple[dict[str, str] | None, str | None]:
    """Turn one CSV row into crosswalk field values, or say why it cannot be loaded.

    Rules:
    - CMS footnote markers (``[7]``) are removed from the specialty code and the
      supplier type: ``A0[7]`` is specialty ``A0``.
    - The Medicare specialty code must then be two digits or capital letters.
    - An empty taxonomy code is kept (blank ``taxonomy_code``): CMS lists some
      specialties (e.g. 73 Mass Immunizer Roster Biller, 88 Unknown) with no taxonomy,
      and that absence is itself the mapping.
    - A non-empty taxonomy code must be a NUCC code (10 characters, ending in X);
      otherwise the row is rejected rather than loaded with garbage (the upstream
      11-character typo ``2843000000X`` and the rows shifted by split descriptions).
    Pure: no database access.
    """
    if len(cells) != len(HEADER):
        return None, f"expected {len(HEADER)} columns, found {len(cells)}"
    code_raw, supplier_raw, taxonomy, description = (c.strip() for c in cells)
    code = FOOTNOTE_RE.sub("", code_raw)
    supplier = FOOTNOTE_RE.sub("", supplier_raw).strip()
    if not MEDICARE_CODE_RE.match(code):
        return None, (
            f"Medicare specialty code {code_raw!r} is not a two-character code"
            + _shift_hint(cells)
        )
    if not supplier:
        return None, f"Medicare specialty {code}: provider/supplier type is missing"
    if taxonomy:
        if len(taxonomy) != 10:
            return None, (
                f"taxonomy code {taxonomy!r} is not 10 characters" + _shift_hint(cells)
            )
        if not TAXONOMY_CODE_RE.match(taxonomy):
            return None, (
                f"taxonomy code {taxonomy!r} does not match the NUCC format "
                "(9 digits or capital letters, then X)" + _shift_hint(cells)
            )
    values = {
        "medicare_specialty_code": code,
        "medicare_provider_supplier_type": supplier,
        "taxonomy_code": taxonomy,
        "taxonomy_description": description,
    }
    problem = char_length_problem(MedicareSpecialtyCrosswalk, values)
    if problem:
        return None, problem
    return values, None


def medicare_crosswalk_load(*, path: Path) -> LoadReport:
    """Load the Medicare specialty crosswalk CSV at ``path``; return the counts.

    Steps: stream the rows; reject defective ones with the reason (see
    ``crosswalk_row_parse``); keep the first row of each natural key
    (medicare_specialty_code, taxonomy_code) and count later repeats as skipped, with
    a note; link ``specialty`` to the NUCC ``Specialty`` with that code when it is
    loaded (load NUCC first); upsert in batches. Idempotent: a replay reports every
    row unchanged. Records a ``ReferenceLoad`` row; one transaction.
    """
    with (
        reference_load_track(loader="medicare_crosswalk", source=str(path)) as report,
        transaction.atomic(),
    ):
        first_line: dict[tuple[str, str], int] = {}
        batch: list[dict] = []
        unknown_codes: set[str] = set()
        for line, cells in csv_records(path, expected_header=HEADER):
            report.received += 1
            values, problem = crosswalk_row_parse(cells)
            if problem:
                report.reject(file=path.name, line=line, reason=problem)
                continue
            key = (values["medicare_specialty_code"], values["taxonomy_code"])
            if key in first_line:
                report.skipped += 1
                report.notes.append(
                    f"{path.name}:{line}: duplicate of line {first_line[key]} "
                    f"(specialty {key[0]}, taxonomy {key[1] or '-'}); kept the first"
                )
                continue
            first_line[key] = line
            batch.append(values)
            if len(batch) >= BATCH_SIZE:
                unknown_codes |= _batch_upsert(batch, report)
                batch = []
        unknown_codes |= _batch_upsert(batch, report)
        if unknown_codes:
            shown = sorted(unknown_codes)[:10]
            more = (
                f" and {len(unknown_codes) - 10} more"
                if len(unknown_codes) > 10
                else ""
            )
            report.notes.append(
                f"{len(unknown_codes)} taxonomy code(s) not in the loaded NUCC set "
                f"(run load_nucc first?), specialty left empty: {', '.join(shown)}{more}"
            )
    return report


def _batch_upsert(batch: list[dict], report: LoadReport) -> set[str]:
    """Upsert one batch with its ``specialty_id``; return taxonomy codes not found."""
    codes = {row["taxonomy_code"] for row in batch if row["taxonomy_code"]}
    specialty_ids = dict(
        Specialty.objects.filter(code__in=codes).values_list("code", "id")
    )
    rows = [
        {**row, "specialty_id": specialty_ids.get(row["taxonomy_code"])}
        for row in batch
    ]
    changed = rows_upsert(
        MedicareSpecialtyCrosswalk,
        rows,
        unique_fields=["medicare_specialty_code", "taxonomy_code"],
    )
    created = sum(1 for row in changed if row.created)
    report.created += created
    report.updated += len(changed) - created
    report.unchanged += len(batch) - len(changed)
    return codes - specialty_ids.keys()
