"""Load CMS Open Payments general-payments CSV files into ``PaymentRecord``.

Two layouts are recognised from the header (compared case-insensitively, so the
API's lowercase property names work too):

* ``py2021`` - the official CSV from Program Year 2021 on: ``Record_ID``,
  ``Covered_Recipient_NPI``, ``Covered_Recipient_Profile_ID``,
  ``Covered_Recipient_First_Name``, ``Covered_Recipient_Specialty_1``,
  ``Name_of_Drug_or_Biological_or_Device_or_Medical_Supply_1..5``, ...
* ``legacy`` - the pre-2021 layout (PY2013-PY2020, e.g. the Socrata exports):
  ``physician_profile_id``, ``physician_first_name``, ``physician_specialty``,
  ``name_of_associated_covered_drug_or_biological1..5`` and
  ``name_of_associated_covered_device_or_medical_supply1..5``. It has no NPI, so
  those rows are never linked to a clinician.

The file is streamed and written in batches. Each row is keyed by its record id and
carries a SHA-256 of its parsed content; a re-run rewrites only rows whose content
changed. A malformed row (missing record id, bad amount, bad date, bad NPI check
digit, ...) is rejected with its file, line and reason, and the rest of the file
lands. Rows are validated here rather than with ``full_clean()`` per row, which
would cost a uniqueness query per row on multi-million-row files.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from common.loading import LoadReport
from compliance.loaders import display_path
from compliance.models import PaymentRecord
from influencers.models import Clinician
from influencers.services import reference_load_track
from influencers.verification.npi import npi_problem

LOADER_NAME = "open_payments"
BATCH_SIZE = 1000
LAYOUT_PY2021 = "py2021"
LAYOUT_LEGACY = "legacy"

_MAX_AMOUNT = Decimal("999999999999.99")  # amount_usd: max_digits=14, 2 places
_DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f")

# Columns every general-payments file has, whatever its layout (lower-cased).
_COMMON_REQUIRED = (
    "record_id",
    "program_year",
    "total_amount_of_payment_usdollars",
    "date_of_payment",
    "applicable_manufacturer_or_applicable_gpo_making_payment_name",
    "nature_of_payment_or_transfer_of_value",
)


@dataclass(frozen=True)
class Layout:
    """Where each ``PaymentRecord`` field comes from in one CSV layout."""

    name: str
    marker: str  # a column only this layout has
    npi: str | None
    profile_id: str
    first_name: str
    last_name: str
    specialty: str
    product_columns: tuple[str, ...]


LAYOUTS = (
    Layout(
        name=LAYOUT_PY2021,
        marker="covered_recipient_profile_id",
        npi="covered_recipient_npi",
        profile_id="covered_recipient_profile_id",
        first_name="covered_recipient_first_name",
        last_name="covered_recipient_last_name",
        specialty="covered_recipient_specialty_1",
        product_columns=tuple(
            f"name_of_drug_or_biological_or_device_or_medical_supply_{i}"
            for i in range(1, 6)
        ),
    ),
    Layout(
        name=LAYOUT_LEGACY,
        marker="physician_profile_id",
        npi=None,
        profile_id="physician_profile_id",
        first_name="physician_first_name",
        last_name="physician_last_name",
        specialty="physician_specialty",
        product_columns=(
            *(f"name_of_associated_covered_drug_or_biological{i}" for i in range(1, 6)),
            *(
                f"name_of_associated_covered_device_or_medical_supply{i}"
                for i in range(1, 6)
            ),
            # PY2016-2020 files name products in the newer columns.
            *(
                f"name_of_drug_or_biological_or_device_or_medical_supply_{i}"
                for i in range(1, 6)
            ),
        ),
    ),
)


# Values reporters put in the product-name columns when no product is named
# ("Non-Covered Product", "NON-PRODUCT", "NON_BRAND", "None"), compared without
# case or punctuation. They stay in ``raw``; ``products`` holds real names only.
_PRODUCT_PLACEHOLDERS = frozenset(
    {"noncoveredproduct", "nonproduct", "nonbrand", "none", "na", "notapplicable"}
)


def _is_placeholder(name: str) -> bool:
    return re.sub(r"[^a-z]", "", name.lower()) in _PRODUCT_PLACEHOLDERS


class PaymentFileError(ValueError):
    """The file as a whole cannot be read (unknown header, not CSV text)."""


class _RowError(ValueError):
    pass


def payments_layout_detect(header: list[str]) -> Layout:
    """The layout a CSV header belongs to; ``PaymentFileError`` saying what is
    missing when it is neither."""
    columns = {h.strip().lower() for h in header}
    missing = [c for c in _COMMON_REQUIRED if c not in columns]
    for layout in LAYOUTS:
        if layout.marker in columns and not missing:
            return layout
    known = " or ".join(f"{layout.marker!r} ({layout.name})" for layout in LAYOUTS)
    if missing:
        reason = f"missing column(s) {', '.join(missing)}"
    else:
        reason = f"no recipient column: expected {known}"
    raise PaymentFileError(
        f"unknown header: not an Open Payments general-payments file ({reason})"
    )


def payments_load(*, path: str | Path) -> LoadReport:
    """Stream one general-payments CSV into ``PaymentRecord``, in batches.

    Steps: (1) read the header and detect the layout (an unknown header rejects the
    file at line 1); (2) parse each row, rejecting malformed ones with file, line and
    reason; (3) per batch, in one transaction: insert new record ids, rewrite rows
    whose content hash changed, leave identical rows alone, and link ``clinician``
    where a ``Clinician`` with the row's NPI exists (also for unchanged rows not yet
    linked). Records a ``ReferenceLoad``. Idempotent.
    """
    path = Path(path)
    display = display_path(path)
    with reference_load_track(loader=LOADER_NAME, source=str(path)) as report:
        try:
            with path.open("rb") as handle:
                _load_stream(_Lines(handle), display=display, report=report)
        except PaymentFileError as exc:
            report.reject(file=display, line=1, reason=str(exc))
    return report


class _Lines:
    """A binary file decoded as UTF-8 line by line, for ``csv.reader``.

    A line that is not UTF-8 is passed on with replacement characters and its
    number remembered, so only the record containing it is rejected (decoding the
    whole stream would fail a chunk of rows at once, far from the bad byte).
    """

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.bad: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self.handle, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad.add(number)
                yield raw.decode("utf-8", errors="replace")


def _load_stream(lines: _Lines, *, display: str, report: LoadReport) -> None:
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise PaymentFileError("file is empty") from None
    except csv.Error as exc:
        raise PaymentFileError(f"header is not CSV: {exc}") from exc
    if lines.bad:
        raise PaymentFileError("header is not UTF-8 text")
    layout = payments_layout_detect(header)
    report.notes.append(f"{display}: layout {layout.name}")
    names = [h.strip() for h in header]
    index = {name.lower(): i for i, name in enumerate(names)}

    batch: dict[str, PaymentRecord] = {}
    linked = 0
    repeated: list[str] = []
    for line, cells in _rows(reader, report=report, display=display):
        report.received += 1
        bad = sorted(n for n in lines.bad if line <= n <= reader.line_num)
        if bad:
            report.reject(file=display, line=line, reason=f"line {bad[0]} is not UTF-8")
            continue
        if len(cells) != len(names):
            report.reject(
                file=display,
                line=line,
                reason=f"row has {len(cells)} fields, header has {len(names)}",
            )
            continue
        try:
            record = _record_from_row(cells, names=names, index=index, layout=layout)
        except _RowError as exc:
            report.reject(file=display, line=line, reason=str(exc))
            continue
        if record.record_id in batch:
            # The later row wins; repeats across batches count as updates instead.
            repeated.append(f"{record.record_id} (line {line})")
            report.skipped += 1
        batch[record.record_id] = record
        if len(batch) >= BATCH_SIZE:
            linked += _batch_upsert(list(batch.values()), report=report)
            batch = {}
    if batch:
        linked += _batch_upsert(list(batch.values()), report=report)
    if linked:
        report.notes.append(
            f"{display}: linked {linked} unchanged payment(s) to clinicians"
        )
    if repeated:
        shown = ", ".join(repeated[:10]) + (" ..." if len(repeated) > 10 else "")
        report.notes.append(
            f"{display}: {len(repeated)} repeated record id(s), later row kept: {shown}"
        )


def _rows(
    reader: Any, *, report: LoadReport, display: str
) -> Iterator[tuple[int, list[str]]]:
    """(first line of the record, cells) for each non-blank row; a CSV syntax error
    rejects that row and reading goes on. ``reader`` is a ``csv.reader``."""
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.received += 1
            report.reject(file=display, line=start, reason=f"not valid CSV: {exc}")
            continue
        if not any(c.strip() for c in cells):
            continue
        yield start, cells


def _record_from_row(
    cells: list[str], *, names: list[str], index: dict[str, int], layout: Layout
) -> PaymentRecord:
    def get(column: str | None) -> str:
        if column is None or column not in index:
            return ""
        return cells[index[column]].strip()

    def header_name(column: str) -> str:
        return names[index[column]]

    record_id = get("record_id")
    if not record_id:
        raise _RowError(f"missing {header_name('record_id')}")
    if len(record_id) > 32 or not record_id.isdigit():
        raise _RowError(f"{header_name('record_id')} {record_id!r} is not a record id")

    amount_text = get("total_amount_of_payment_usdollars")
    amount = _parse_amount(
        amount_text, header_name("total_amount_of_payment_usdollars")
    )
    payment_date = _parse_date(get("date_of_payment"), header_name("date_of_payment"))
    program_year = _parse_int(get("program_year"), header_name("program_year"))
    if not 2013 <= program_year <= 2100:
        raise _RowError(f"{header_name('program_year')} {program_year} is out of range")
    count_column = "number_of_payments_included_in_total_amount"
    count_text = get(count_column)
    number = _parse_int(count_text, header_name(count_column)) if count_text else 1
    if number < 1:
        raise _RowError(f"{header_name(count_column)} {number} is less than 1")

    manufacturer = get("applicable_manufacturer_or_applicable_gpo_making_payment_name")
    if not manufacturer:
        raise _RowError(
            "missing "
            + header_name(
                "applicable_manufacturer_or_applicable_gpo_making_payment_name"
            )
        )
    nature = get("nature_of_payment_or_transfer_of_value")
    if not nature:
        raise _RowError(
            f"missing {header_name('nature_of_payment_or_transfer_of_value')}"
        )

    npi = get(layout.npi)
    if npi:
        problem = npi_problem(npi)
        if problem:
            raise _RowError(f"{header_name(layout.npi)}: {problem}")

    products: list[str] = []
    for column in layout.product_columns:
        value = get(column)
        if value and value not in products and not _is_placeholder(value):
            products.append(value)

    raw = {name: cells[i] for i, name in enumerate(names) if cells[i].strip()}
    record = PaymentRecord(
        record_id=record_id,
        program_year=program_year,
        covered_recipient_npi=npi,
        covered_recipient_profile_id=get(layout.profile_id)[:32],
        covered_recipient_type=get("covered_recipient_type")[:120],
        recipient_first_name=get(layout.first_name)[:80],
        recipient_last_name=get(layout.last_name)[:80],
        recipient_city=get("recipient_city")[:80],
        recipient_state=get("recipient_state")[:40],
        recipient_specialty=get(layout.specialty)[:400],
        teaching_hospital_name=get("teaching_hospital_name")[:200],
        manufacturer_name=manufacturer[:200],
        manufacturer_id=get(
            "applicable_manufacturer_or_applicable_gpo_making_payment_id"
        )[:32],
        amount_usd=amount,
        date_of_payment=payment_date,
        number_of_payments=number,
        form_of_payment=get("form_of_payment_or_transfer_of_value")[:200],
        nature_of_payment=nature[:200],
        products=products,
        contextual_information=get("contextual_information"),
        raw=raw,
    )
    record.content_sha256 = _content_sha256(record)
    return record


_HASHED_FIELDS = (
    "record_id",
    "program_year",
    "covered_recipient_npi",
    "covered_recipient_profile_id",
    "covered_recipient_type",
    "recipient_first_name",
    "recipient_last_name",
    "recipient_city",
    "recipient_state",
    "recipient_specialty",
    "teaching_hospital_name",
    "manufacturer_name",
    "manufacturer_id",
    "amount_usd",
    "date_of_payment",
    "number_of_payments",
    "form_of_payment",
    "nature_of_payment",
    "products",
    "contextual_information",
    "raw",
)
_UPDATE_FIELDS = [f for f in _HASHED_FIELDS if f != "record_id"] + [
    "clinician",
    "content_sha256",
    "updated_at",
]


def _content_sha256(record: PaymentRecord) -> str:
    payload = {name: getattr(record, name) for name in _HASHED_FIELDS}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _batch_upsert(records: list[PaymentRecord], *, report: LoadReport) -> int:
    """Insert new, rewrite changed, skip identical; returns how many unchanged rows
    were newly linked to a clinician."""
    ids = [r.record_id for r in records]
    npis = {r.covered_recipient_npi for r in records if r.covered_recipient_npi}
    now = timezone.now()
    with transaction.atomic():
        existing = {
            record_id: (pk, sha, clinician_id)
            for record_id, pk, sha, clinician_id in PaymentRecord.objects.filter(
                record_id__in=ids
            ).values_list("record_id", "pk", "content_sha256", "clinician_id")
        }
        clinicians = dict(
            Clinician.objects.filter(npi__in=npis).values_list("npi", "pk")
        )
        to_create: list[PaymentRecord] = []
        to_update: list[PaymentRecord] = []
        to_link: list[PaymentRecord] = []
        for record in records:
            record.clinician_id = clinicians.get(record.covered_recipient_npi)
            found = existing.get(record.record_id)
            if found is None:
                to_create.append(record)
                continue
            pk, sha, clinician_id = found
            record.pk = pk
            record.updated_at = now
            if sha != record.content_sha256:
                to_update.append(record)
            elif record.clinician_id and record.clinician_id != clinician_id:
                to_link.append(record)
            else:
                report.unchanged += 1
        if to_create:
            PaymentRecord.objects.bulk_create(to_create)
        if to_update:
            PaymentRecord.objects.bulk_update(to_update, _UPDATE_FIELDS)
        if to_link:
            PaymentRecord.objects.bulk_update(to_link, ["clinician", "updated_at"])
    report.created += len(to_create)
    report.updated += len(to_update)
    report.unchanged += len(to_link)
    return len(to_link)


def payments_link_clinicians() -> int:
    """Link every unlinked payment whose NPI belongs to a known ``Clinician``.

    Run after loading clinicians (NPPES) that arrived after the payments. One
    UPDATE; returns the number of payments linked. Idempotent.
    """
    matching = Clinician.objects.filter(npi=OuterRef("covered_recipient_npi"))
    return (
        PaymentRecord.objects.filter(clinician__isnull=True)
        .exclude(covered_recipient_npi="")
        .filter(covered_recipient_npi__in=Clinician.objects.values("npi"))
        .update(
            clinician=Subquery(matching.values("pk")[:1]), updated_at=timezone.now()
        )
    )


# ------------------------------------------------------------------------- parsing


def _parse_amount(text: str, column: str) -> Decimal:
    if not text:
        raise _RowError(f"missing {column}")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _RowError(f"{column} {text!r} is not an amount") from None
    if not amount.is_finite():
        raise _RowError(f"{column} {text!r} is not an amount")
    if amount < 0:
        raise _RowError(f"{column} {text!r} is negative")
    if amount > _MAX_AMOUNT:
        raise _RowError(f"{column} {text!r} is too large")
    if amount != amount.quantize(Decimal("0.01")):
        raise _RowError(f"{column} {text!r} has more than 2 decimal places")
    return amount.quantize(Decimal("0.01"))


def _parse_date(text: str, column: str) -> date:
    if not text:
        raise _RowError(f"missing {column}")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise _RowError(f"{column} {text!r} is not a date (expected MM/DD/YYYY)")


def _parse_int(text: str, column: str) -> int:
    if not text:
        raise _RowError(f"missing {column}")
    try:
        return int(text)
    except ValueError:
        raise _RowError(f"{column} {text!r} is not a whole number") from None
