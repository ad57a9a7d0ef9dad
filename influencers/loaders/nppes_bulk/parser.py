"""Streaming parser: one NPPES record -> one text-format COPY line (+ taxonomies)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from hashlib import sha256
from itertools import compress
from operator import add, itemgetter
from pathlib import Path
from typing import TextIO

from common.loading import LoadReport
from influencers.loaders import ReferenceFileError
from influencers.loaders.nppes_bulk.layout import (
    _CLEAN_QUOTES,
    _DATE_CACHE_MAX,
    _DATE_RE,
    _HEADER_MAX_CHARS,
    _MAPPED,
    _NULLABLE_VALUES,
    _SEP,
    _TAXONOMY_SLOTS,
    ADDRESS_LIMIT,
    DATE_COLUMNS,
    ENCODING,
    HEADER_ALIASES,
    I_ADDR1,
    I_ADDR2,
    I_CITY,
    I_CRED,
    I_FIRST,
    I_LAST,
    I_MIDDLE,
    I_NPI,
    I_ORG,
    I_PHONE,
    I_POSTAL,
    I_PREFIX,
    I_SEX,
    I_STATE,
    I_SUFFIX,
    I_TAX1,
    I_TYPE,
    LENGTH_CHECKS,
    LICENSE_NUMBER_LIMIT,
    LOADER,
    NCOLS,
    NPIDATA_COLUMNS,
    NULL,
    TAXONOMY_CODE_LIMIT,
)
from influencers.verification.identity import (
    identity_evidence_build,
    npi_is_deactivated,
    npi_status_and_identity,
)
from influencers.verification.npi import npi_problem, npi_with_check_digit
from influencers.verification.nppes_client import US_STATE_CODES, state_normalize


class _RecordParser:
    """Turns npidata records into COPY text; runs in its own thread.

    Touches only ``received``, ``rejected`` and the errors of the report (the database
    thread owns the other counts).
    """

    # Rows per message to the database thread: each hand-over costs it a wait for the
    # GIL, so fewer, larger chunks (a few MB) keep the COPY streaming.
    chunk_rows = 4000
    max_record_lines = 5  # a quoted field may span lines; more means broken quoting

    def __init__(
        self,
        *,
        file: str,
        report: LoadReport,
        specialty_ids: dict[str, int],
        checked_at: datetime,
        batch_size: int,
    ) -> None:
        self.file = file
        self.report = report
        self.specialty_ids = {code: str(pk) for code, pk in specialty_ids.items()}
        self.batch_size = batch_size
        self.dates: dict[str, str] = {"": NULL}
        self.states: dict[str, str] = {}
        self.rows: list[str] = []
        self.taxonomies: list[str] = []
        self.in_batch = 0
        self.stubs = 0
        self.pending: list[str] = []
        self.pending_start = 0
        # Set by the database thread: when most rows of the last batch were unchanged,
        # send raw records and let the server build the payload of the few rows it
        # writes (building it here is a quarter of the parse time; on the server it
        # costs more per row, so not while most rows are new).
        self.raw_payloads = False
        # (entity type, deactivated) -> npi_status, identity_status, evidence JSON:
        # the rules are the API loader's (influencers.verification.identity).
        sample_npi = npi_with_check_digit("100000000")
        self.status: dict[tuple[str, bool], tuple[str, str, str]] = {}
        for kind in ("1", "2"):
            for deactivated in (False, True):
                code = "D" if deactivated else "A"
                npi_status, identity_status = npi_status_and_identity(
                    kind, code, None, None
                )
                evidence = identity_evidence_build(
                    source=LOADER,
                    npi=sample_npi,  # every NPI that gets this far passed the Luhn test
                    entity_type=kind,
                    status_code=code,
                    checked_at=checked_at,
                )
                self.status[kind, deactivated] = (
                    npi_status,
                    identity_status,
                    _copy_escape(json.dumps(evidence, separators=(",", ":"))),
                )

    # -- thread body -----------------------------------------------------------------

    def run(self, handle: TextIO, out: queue.Queue, stop: threading.Event) -> None:
        """Parse every record after the header and put messages on ``out``:
        ``("rows", text)`` chunks, ``("batch", _BatchEnd)`` after each batch, then
        ``("eof", None)``; or ``("error", exception)``."""
        self._out = out
        self._stop = stop
        try:
            self._parse(handle)
            if self.pending:
                self._reject(
                    self.pending_start, "unterminated quoted field at end of file"
                )
                self.pending = []
            self._batch_close()
            self._put(("eof", None))
        except _Stop:
            return
        except BaseException as exc:  # handed to the database thread, which raises it
            with contextlib.suppress(_Stop):
                self._put(("error", exc))

    def _put(self, message: tuple) -> None:
        while True:
            if self._stop.is_set():
                raise _Stop
            try:
                self._out.put(message, timeout=0.2)
                return
            except queue.Full:
                continue

    def _parse(self, handle: TextIO) -> None:
        """The hot loop: one physical line at a time, the common case inline."""
        record = self._record
        slow = self._slow_line
        number = 1  # the header
        sep = _SEP
        clean_quotes = _CLEAN_QUOTES
        ncols = NCOLS
        for line in handle:
            number += 1
            if line[:1] == '"' and not self.pending:
                if line[-3:] == '"\r\n':
                    body = line[1:-3]
                elif line[-2:] == '"\n':
                    body = line[1:-2]
                else:
                    body = ""
                if body:
                    fields = body.split(sep)
                    # A plain record: 330 quoted values, no stray quote, no control
                    # character (tab, CR, LF, NUL...) and no backslash, so nothing
                    # needs escaping for JSON or COPY.
                    if (
                        len(fields) == ncols
                        and body.count('"') == clean_quotes
                        and "\\" not in body
                        and body.isprintable()
                    ):
                        record(fields, number, True, body)
                        continue
            slow(line, number)

    def _slow_line(self, line: str, number: int) -> None:
        """Lines that are not plain records: quoted fields over several lines, odd
        quoting, control characters, wrong column counts."""
        if self.pending:
            self.pending.append(line)
            text = "".join(self.pending)
            if text.count('"') % 2 == 0:
                self.pending = []
                self._slow_record(text, self.pending_start)
            elif len(self.pending) >= self.max_record_lines:
                start, lines = self.pending_start, self.pending[1:]
                self.pending = []
                self._reject(start, "unbalanced quotes (the record does not end)")
                for offset, again in enumerate(lines, start=start + 1):
                    self._slow_line(again, offset)
            return
        if line.count('"') % 2:
            self.pending = [line]
            self.pending_start = number
            return
        self._slow_record(line, number)

    def _slow_record(self, text: str, number: int) -> None:
        if not text.strip("\r\n"):
            return  # a blank line is not a record
        if "\x00" in text:
            self._reject(number, "NUL byte in the record")
            return
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            self._reject(number, f"not valid CSV: {exc}")
            return
        if len(rows) != 1:
            self._reject(number, "not valid CSV: more than one record")
            return
        fields = rows[0]
        if len(fields) != NCOLS:
            self._reject(number, f"expected {NCOLS} columns, found {len(fields)}")
            return
        self._record(fields, number, False)

    # -- one record ------------------------------------------------------------------

    def _record(self, f: list[str], number: int, clean: bool, body: str = "") -> None:
        """Validate and map one 330-value record to stage lines, or reject it.

        ``clean`` says no value needs escaping (the fast path checked the line);
        ``body`` is then the record's text between its outer quotes.
        """
        self.report.received += 1
        npi = f[I_NPI]
        if not _npi_luhn_ok(npi):
            self._reject(number, npi_problem(npi) or f"NPI {npi!r} is not valid", True)
            return
        try:  # the cache maps "" to NULL and every valid date seen to ISO
            isos = list(map(self.dates.__getitem__, _date_values(f)))
        except KeyError:
            isos = self._dates_parse(f, number)
            if isos is None:
                return
        kind = f[I_TYPE]
        if kind != "1" and kind != "2":
            if kind == "" and isos[2] != NULL:
                self._stub(f, number, npi, isos[2], clean)
                return
            reason = (
                f"Entity Type Code {kind!r} must be 1 (individual) or 2 (organization)"
            )
            self._reject(number, reason, True)
            return
        raw = f
        probe = "\x1f".join(_mapped_values(f))
        if (
            "  " in probe
            or " \x1f" in probe
            or "\x1f " in probe
            or probe[:1] == " "
            or probe[-1:] == " "
        ):
            # Leading, trailing or repeated blanks in a mapped value: normalize those
            # values (the payload keeps them as they are).
            f = list(f)
            for index in _MAPPED:
                if f[index]:
                    f[index] = " ".join(f[index].split())
        if max(map(len, _length_checked(f))) > _SHORTEST_LIMIT:
            for index, limit, name in LENGTH_CHECKS:
                if len(f[index]) > limit:
                    reason = (
                        f"{name} is {len(f[index])} characters, longer than {limit}"
                    )
                    self._reject(number, reason, True)
                    return
        a1, a2 = f[I_ADDR1], f[I_ADDR2]
        address = f"{a1}, {a2}" if a1 and a2 else a1 or a2
        if len(address) > ADDRESS_LIMIT:
            reason = f"practice address is {len(address)} characters, longer than {ADDRESS_LIMIT}"
            self._reject(number, reason, True)
            return

        # Taxonomies 1..15 as in the file; the clinician's primary is the first
        # flagged Y, else the first listed (as the API loader does).
        taxonomy_lines = []
        primary = first = None
        specialty_ids = self.specialty_ids
        for slot in compress(_TAXONOMY_SLOTS, f[I_TAX1 : I_TAX1 + 60 : 4]):
            base = I_TAX1 + 4 * slot
            code = f[base]
            license_number = f[base + 1]
            state = f[base + 2]
            if (
                len(code) > TAXONOMY_CODE_LIMIT
                or len(license_number) > LICENSE_NUMBER_LIMIT
            ):
                reason = (
                    f"Healthcare Provider Taxonomy Code_{slot + 1} or its licence number "
                    f"is longer than {TAXONOMY_CODE_LIMIT}/{LICENSE_NUMBER_LIMIT} "
                    "characters"
                )
                self._reject(number, reason, True)
                return
            entry = (code, license_number, state)
            if first is None:
                first = entry
            is_primary = f[base + 3] == "Y"
            if is_primary and primary is None:
                primary = entry
            if not clean:
                code, license_number = _copy_escape(code), _copy_escape(license_number)
            taxonomy_lines.append(
                f"\t{slot + 1}\t{code}\t{specialty_ids.get(entry[0], NULL)}\t"
                f"{'t' if is_primary else 'f'}\t{license_number}\t"
                f"{state if len(state) == 2 else ''}\n"
            )
        primary = primary or first
        if primary is not None:
            primary_code, license_number, license_state = primary
            primary_specialty = specialty_ids.get(primary_code, NULL)
            license_state = self.states.get(license_state) or self._state(license_state)
            if license_state not in US_STATE_CODES:
                license_state = ""
        else:
            primary_code = license_number = license_state = ""
            primary_specialty = NULL

        deactivated = isos[2] != NULL and npi_is_deactivated(
            None,
            date.fromisoformat(isos[2]),
            date.fromisoformat(isos[3]) if isos[3] != NULL else None,
        )
        npi_status, identity_status, evidence = self.status[kind, deactivated]
        state = f[I_STATE]
        state = self.states.get(state) or self._state(state)
        if kind == "1":
            prefix, suffix = f[I_PREFIX], f[I_SUFFIX]
            if prefix == "--":  # NPPES for "none"
                prefix = ""
            if suffix == "--":
                suffix = ""
            first_name, middle, last, org = f[I_FIRST], f[I_MIDDLE], f[I_LAST], ""
            credential, gender = f[I_CRED], f[I_SEX].upper()[:1]
        else:
            first_name = middle = last = prefix = suffix = credential = gender = ""
            org = f[I_ORG]
        # In STAGE_COLUMNS order, from npi to identity_status.
        values = (
            npi,
            kind,
            first_name,
            middle,
            last,
            prefix,
            suffix,
            org,
            credential,
            gender,
            primary_code,
            primary_specialty,
            license_state,
            license_number,
            address,
            f[I_CITY],
            state,
            f[I_POSTAL],
            f[I_PHONE],
            npi_status,
            isos[0],
            isos[1],
            isos[2],
            isos[3],
            identity_status,
        )
        core = "\t".join(values)
        # The hash covers the stored values (but the evidence, whose time moves) and
        # the whole raw record, which the payload is made of.
        digest = sha256(core.encode(ENCODING))
        digest.update(b"\x1e")
        digest.update((body or _SEP.join(raw)).encode(ENCODING))
        if body and self.raw_payloads:
            core = f"{core}\t{NULL}\t{body}"
        elif clean:
            pairs = map(add, compress(_PAYLOAD_KEYS, raw), compress(raw, raw))
            core = core + "\t{" + '",'.join(pairs) + '"}\t' + NULL
        else:
            escaped = [
                v if i in _NULLABLE_VALUES else _copy_escape(v)
                for i, v in enumerate(values)
            ]
            core = "\t".join(escaped) + f"\t{_copy_escape(_payload_json(raw))}\t{NULL}"
        if taxonomy_lines:
            digest.update("".join(taxonomy_lines).encode(ENCODING))
            self.taxonomies.extend(map(str(number).__add__, taxonomy_lines))
        rows = self.rows
        rows.append(f"{number}\t{core}\tf\t{evidence}\t{digest.hexdigest()}\n")
        self.in_batch += 1
        if len(rows) >= self.chunk_rows or self.in_batch >= self.batch_size:
            self._chunk_send()

    def _dates_parse(self, f: list[str], number: int) -> list[str] | None:
        """The four dates as ISO text (NULL when blank), caching the valid ones; on a
        bad date, reject the record and return None."""
        isos = []
        for index, name in DATE_COLUMNS:
            value = f[index]
            iso = self.dates.get(value)
            if iso is None:
                iso = _iso_date(value)
                if iso is None:
                    reason = f"{name} {value!r} is not a valid MM/DD/YYYY date"
                    self._reject(number, reason, True)
                    return None
                if len(self.dates) < _DATE_CACHE_MAX:
                    self.dates[value] = iso
            isos.append(iso)
        return isos

    def _stub(
        self, f: list[str], number: int, npi: str, deactivated_on: str, clean: bool
    ) -> None:
        """A deactivation stub: NPI and deactivation date only (see ``_STUB_SQL``)."""
        payload = _payload_json(f)
        if not clean:
            payload = _copy_escape(payload)
        digest = sha256(
            f"stub\t{npi}\t{deactivated_on}\t{payload}".encode()
        ).hexdigest()
        # entity_type .. identity_status: blank text, NULL numbers and dates, except
        # the deactivation date.
        cells = (NULL, *[""] * 9, NULL, *[""] * 8, NULL, NULL, deactivated_on, NULL, "")
        self.rows.append(
            f"{number}\t{npi}\t"
            + "\t".join(cells)
            + f"\t{payload}\t{NULL}\tt\t{NULL}\t{digest}\n"
        )
        self.stubs += 1
        self._row_added()

    def _row_added(self) -> None:
        self.in_batch += 1
        if len(self.rows) >= self.chunk_rows or self.in_batch >= self.batch_size:
            self._chunk_send()

    def _chunk_send(self) -> None:
        if len(self.rows) >= self.chunk_rows:
            self._put(("rows", "".join(self.rows)))
            self.rows = []
        if self.in_batch >= self.batch_size:
            self._batch_close()

    def _batch_close(self) -> None:
        if self.rows:
            self._put(("rows", "".join(self.rows)))
            self.rows = []
        if self.in_batch:
            end = _BatchEnd("".join(self.taxonomies), self.in_batch, self.stubs)
            self._put(("batch", end))
        self.taxonomies = []
        self.in_batch = 0
        self.stubs = 0

    def _state(self, value: str) -> str:
        state = self.states.get(value)
        if state is None:
            state = state_normalize(value)
            if len(self.states) < 10_000:
                self.states[value] = state
        return state

    def _reject(self, number: int, reason: str, counted: bool = False) -> None:
        if not counted:
            self.report.received += 1
        self.report.reject(file=self.file, line=number, reason=reason)


_date_values = itemgetter(*(index for index, _ in DATE_COLUMNS))
# The per-field length test runs only when some value is longer than the smallest
# limit (the sex code is cut to one character, not checked).
_length_checked = itemgetter(*(index for index, _, _ in LENGTH_CHECKS))
_SHORTEST_LIMIT = min(limit for _, limit, _ in LENGTH_CHECKS)
_PAYLOAD_KEYS = [json.dumps(name) + ':"' for name in NPIDATA_COLUMNS]
_mapped_values = itemgetter(*_MAPPED)
_DOUBLED = str.maketrans("0123456789", "0246813579")


def _npi_luhn_ok(npi: str) -> bool:
    """Fast form of ``npi_is_valid`` for the hot loop (same rule: Luhn over the NPI
    with prefix 80840, whose digits add 24); ``npi_problem`` words the failures."""
    return (
        len(npi) == 10
        and npi.isdigit()
        and npi[0] in "12"
        and (24 + sum(map(int, npi[0:9:2].translate(_DOUBLED) + npi[1:10:2]))) % 10 == 0
    )


def _payload_json(fields: list[str]) -> str:
    """The non-empty columns of a record as compact JSON, keyed by column name."""
    pairs = compress(zip(NPIDATA_COLUMNS, fields, strict=True), fields)
    return json.dumps(dict(pairs), ensure_ascii=False, separators=(",", ":"))


def _iso_date(value: str) -> str | None:
    """``MM/DD/YYYY`` -> ``YYYY-MM-DD``, or None when it is not a real date."""
    match = _DATE_RE.match(value)
    if not match:
        return None
    month, day, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _copy_escape(value: str) -> str:
    """Escape one value for COPY text format (chained replace is the fast way)."""
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


def npidata_records(path: Path) -> Iterator[list[str]]:
    """Every data record of an npidata file as a list of 330 strings (for tools/tests).

    Checks the header first; no validation of the records. Streams.
    """
    with path.open(encoding=ENCODING, newline="") as handle:
        _header_check(handle, path)
        yield from csv.reader(handle)


@dataclass
class _BatchEnd:
    """The parser's message closing one batch: its taxonomy lines and counts."""

    taxonomy_text: str
    rows: int
    stubs: int


class _Stop(Exception):
    """The database side gave up; the parser thread exits quietly."""


def _header_check(handle: TextIO, path: Path) -> None:
    """Read the header line and raise ``ReferenceFileError`` unless it is the layout."""
    first = handle.readline(_HEADER_MAX_CHARS)
    if not first:
        raise ReferenceFileError(f"{path.name}: the file is empty")
    if not first.endswith("\n"):
        raise ReferenceFileError(
            f"{path.name}: not an NPPES npidata_pfile: no header line in the first "
            f"{_HEADER_MAX_CHARS:,} characters"
        )
    if first.startswith("\ufeff") or first.startswith("ï»¿"):  # a BOM (UTF-8 or not)
        first = first[1:] if first[0] == "\ufeff" else first[3:]
    header = next(csv.reader([first]), [])
    header = [cell.strip() for cell in header]
    if len(header) != NCOLS:
        raise ReferenceFileError(
            f"{path.name}: not an NPPES npidata_pfile: the header has {len(header)} "
            f"columns, the NPPES layout has {NCOLS} (first columns found: "
            f"{header[:3]!r})"
        )
    for i, (found, expected) in enumerate(zip(header, NPIDATA_COLUMNS, strict=True)):
        if found != expected and found not in HEADER_ALIASES.get(i, ()):
            raise ReferenceFileError(
                f"{path.name}: not the NPPES npidata_pfile layout: column {i + 1} is "
                f"{found!r}, expected {expected!r}"
            )
