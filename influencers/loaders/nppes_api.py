"""NPI Registry API v2.1 records -> ``Clinician`` and ``ClinicianTaxonomy``.

Two entry points share one upsert: recorded response files
(``clinicians_load_from_api_responses``) and live lookups by NPI
(``clinicians_load_from_api_lookup``, only when ``NPPES_API_ENABLED``).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.loading import LoadReport
from influencers.loaders import char_length_problem, content_sha256, rows_upsert
from influencers.models import Clinician, ClinicianTaxonomy, Specialty
from influencers.services import reference_load_track
from influencers.verification.identity import identity_evidence_build
from influencers.verification.npi import npi_problem
from influencers.verification.nppes_client import (
    NppesApiError,
    NppesClient,
    NppesRecordError,
    ParsedClinician,
    parse_npi_record,
    records_from_response,
)

LOADER = "nppes_api"
BATCH_SIZE = 200
# Compared on replay to decide "changed": everything except the evidence, whose
# checked_at moves on every run (it keeps the time the record last changed).
_NOT_COMPARED = {"npi", "identity_evidence"}


@dataclass
class _Candidate:
    """One parsed record and where it came from."""

    file: str
    line: int | None
    record: dict
    parsed: ParsedClinician

    @property
    def last_updated_epoch(self) -> int:
        value = self.record.get("last_updated_epoch")
        return int(value) if str(value or "").isdigit() else 0


def clinicians_load_from_api_responses(*, paths: list[Path]) -> LoadReport:
    """Load recorded NPI Registry API responses (JSON files) into ``Clinician``.

    Steps: read each file; error payloads, empty and trimmed results become notes;
    reject records with an invalid NPI (Luhn) or a broken shape; when an NPI appears
    in several files keep the most recently updated record (the others are skipped);
    then upsert (see ``_clinicians_upsert``). Idempotent: a replay of the same files
    creates and updates nothing. Records a ``ReferenceLoad`` row; one transaction.
    """
    source = ", ".join(str(p) for p in paths)
    with reference_load_track(loader=LOADER, source=source) as report:
        candidates: list[_Candidate] = []
        for path in paths:
            candidates.extend(_response_file_read(path, report))
        kept = _newest_per_npi(candidates, report)
        with transaction.atomic():
            _clinicians_upsert(kept, report, checked_at=timezone.now())
    return report


def clinicians_load_from_api_lookup(
    *, npis: list[str], client: NppesClient | None = None
) -> LoadReport:
    """Look NPIs up live in the NPI Registry and upsert what it returns.

    Raises ``NppesDisabled`` before doing anything when live calls are off. Invalid
    NPIs, unknown NPIs and per-NPI error payloads are rejected; ``NppesUnavailable``
    (the API down after retries) fails the run. Same upsert and idempotency as the
    file loader. Records a ``ReferenceLoad`` row.
    """
    client = client or NppesClient()
    client.ensure_enabled()
    origin = "NPI Registry"
    source = f"{client.base_url or settings.NPPES_API_URL} ({len(npis)} lookups)"
    with reference_load_track(loader=LOADER, source=source) as report:
        candidates: list[_Candidate] = []
        for npi in dict.fromkeys(n.strip() for n in npis):
            report.received += 1
            problem = npi_problem(npi)
            if problem:
                report.reject(file=origin, line=None, reason=problem)
                continue
            try:
                record = client.lookup(npi)
            except NppesApiError as exc:
                report.reject(file=origin, line=None, reason=f"NPI {npi}: {exc}")
                continue
            if record is None:
                report.reject(
                    file=origin,
                    line=None,
                    reason=f"NPI {npi} is not in the NPI Registry",
                )
                continue
            candidate = _candidate_build(record, file=origin, line=None, report=report)
            if candidate:
                candidates.append(candidate)
        with transaction.atomic():
            _clinicians_upsert(candidates, report, checked_at=timezone.now())
    return report


def _response_file_read(path: Path, report: LoadReport) -> list[_Candidate]:
    """Parse one response file into candidates; problems go into ``report``."""
    text = path.read_text(encoding="utf-8")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        report.reject(
            file=path.name, line=exc.lineno, reason=f"not valid JSON: {exc.msg}"
        )
        return []
    try:
        records = records_from_response(payload)
    except NppesApiError as exc:
        report.notes.append(f"{path.name}: {exc}")
        return []
    declared = payload.get("result_count")
    if not records:
        report.notes.append(f"{path.name}: empty result (no records)")
    elif isinstance(declared, int) and declared != len(records):
        report.notes.append(
            f"{path.name}: result_count says {declared} but the file holds "
            f"{len(records)} records (trimmed or paged)"
        )
    candidates = []
    search_from = 0
    for record in records:
        report.received += 1
        line, search_from = _record_line(text, record, search_from)
        candidate = _candidate_build(record, file=path.name, line=line, report=report)
        if candidate:
            candidates.append(candidate)
    return candidates


def _record_line(text: str, record: object, start: int) -> tuple[int | None, int]:
    """Line of the record's ``"number"`` key in the file text (records come in order)."""
    number = record.get("number") if isinstance(record, dict) else None
    if number is None:
        return None, start
    match = re.compile(rf'"number"\s*:\s*"?{re.escape(str(number))}(?!\d)').search(
        text, start
    )
    if not match:
        return None, start
    return text.count("\n", 0, match.start()) + 1, match.end()


def _candidate_build(
    record: object, *, file: str, line: int | None, report: LoadReport
) -> _Candidate | None:
    """Validate the NPI and parse the record; reject it into ``report`` if it fails."""
    number = record.get("number") if isinstance(record, dict) else None
    npi = str(number).strip() if number is not None else ""
    problem = npi_problem(npi) if npi else "record has no 'number' (NPI)"
    if problem:
        report.reject(file=file, line=line, reason=problem)
        return None
    try:
        parsed = parse_npi_record(record)
    except NppesRecordError as exc:
        report.reject(file=file, line=line, reason=str(exc))
        return None
    return _Candidate(file=file, line=line, record=record, parsed=parsed)


def _newest_per_npi(
    candidates: list[_Candidate], report: LoadReport
) -> list[_Candidate]:
    """One candidate per NPI: the most recently updated (first seen on a tie)."""
    kept: dict[str, _Candidate] = {}
    repeats: list[str] = []
    for candidate in candidates:
        npi = candidate.parsed.npi
        current = kept.get(npi)
        if current is not None:
            report.skipped += 1
            repeats.append(f"{npi} ({candidate.file})")
            if candidate.last_updated_epoch <= current.last_updated_epoch:
                continue
        kept[npi] = candidate
    if repeats:
        report.notes.append(
            f"{len(repeats)} record(s) repeat an NPI read earlier; kept the most recently "
            f"updated record of each: {', '.join(repeats)}"
        )
    return list(kept.values())


def _clinicians_upsert(
    candidates: list[_Candidate], report: LoadReport, *, checked_at: datetime
) -> None:
    """Upsert candidates in batches and replace the taxonomies of changed clinicians.

    Each clinician gets source ``nppes_api``, the raw record as ``nppes_payload``, the
    hash of its normalized fields, identity evidence and its primary specialty (when
    that NUCC code is loaded). Unchanged clinicians are not written at all.
    """
    for start in range(0, len(candidates), BATCH_SIZE):
        batch = candidates[start : start + BATCH_SIZE]
        codes = {t.code for c in batch for t in c.parsed.taxonomies}
        specialty_ids = dict(
            Specialty.objects.filter(code__in=codes).values_list("code", "id")
        )
        rows: list[dict] = []
        taxonomies: dict[str, list] = {}
        for candidate in batch:
            row = _clinician_row(candidate, specialty_ids, checked_at)
            problem = _row_problem(row, candidate.parsed)
            if problem:
                report.reject(file=candidate.file, line=candidate.line, reason=problem)
                continue
            rows.append(row)
            taxonomies[row["npi"]] = candidate.parsed.taxonomies
        if not rows:
            continue
        compared = [name for name in rows[0] if name not in _NOT_COMPARED]
        changed = rows_upsert(
            Clinician, rows, unique_fields=["npi"], compare_fields=compared
        )
        created = sum(1 for row in changed if row.created)
        report.created += created
        report.updated += len(changed) - created
        report.unchanged += len(rows) - len(changed)
        ClinicianTaxonomy.objects.filter(
            clinician_id__in=[row.pk for row in changed if not row.created]
        ).delete()
        ClinicianTaxonomy.objects.bulk_create(
            ClinicianTaxonomy(
                clinician_id=row.pk,
                position=taxonomy.position,
                taxonomy_code=taxonomy.code,
                specialty_id=specialty_ids.get(taxonomy.code),
                is_primary=taxonomy.is_primary,
                license_number=taxonomy.license,
                license_state=taxonomy.state if len(taxonomy.state) == 2 else "",
            )
            for row in changed
            for taxonomy in taxonomies[row.key[0]]
        )


def _clinician_row(
    candidate: _Candidate, specialty_ids: dict[str, int], checked_at: datetime
) -> dict:
    parsed = candidate.parsed
    return {
        **parsed.clinician_fields(),
        "primary_specialty_id": specialty_ids.get(parsed.primary_taxonomy_code),
        "source": Clinician.Source.NPPES_API.value,
        "nppes_payload": candidate.record,
        "content_sha256": content_sha256(asdict(parsed)),
        "identity_evidence": identity_evidence_build(
            source=Clinician.Source.NPPES_API.value,
            npi=parsed.npi,
            entity_type=parsed.entity_type,
            status_code=parsed.status_code,
            checked_at=checked_at,
        ),
    }


def _row_problem(row: dict, parsed: ParsedClinician) -> str | None:
    """Field-level validation (lengths, choices, NPI) without touching the database."""
    try:
        Clinician(**row).full_clean(
            exclude=["primary_specialty"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        details = "; ".join(
            f"{name}: {' '.join(messages)}"
            for name, messages in exc.message_dict.items()
        )
        return f"NPI {parsed.npi}: {details}"
    for taxonomy in parsed.taxonomies:
        problem = char_length_problem(
            ClinicianTaxonomy,
            {"taxonomy_code": taxonomy.code, "license_number": taxonomy.license},
        )
        if problem:
            return f"NPI {parsed.npi}, taxonomy {taxonomy.position}: {problem}"
    return None
