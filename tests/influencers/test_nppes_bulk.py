"""The NPPES bulk-file loader, on generated files in the real layout and hand-made rows."""

import csv
import io
import random
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from influencers.loaders import ReferenceFileError
from influencers.loaders.npidata_generator import MALFORMED_KINDS, npidata_write
from influencers.loaders.nppes_bulk import (
    COL,
    NCOLS,
    NPIDATA_COLUMNS,
    _npi_luhn_ok,
    clinicians_load_from_npidata,
    npidata_records,
)
from influencers.loaders.nucc import specialties_load
from influencers.models import Clinician, ClinicianTaxonomy, ReferenceLoad
from influencers.verification.npi import npi_is_valid, npi_with_check_digit

pytestmark = pytest.mark.django_db

REFERENCE = Path(settings.REFERENCE_DATA_DIR)
HEADER_FILE = (
    REFERENCE / "nppes-file-layout" / "npidata_pfile_20050523-20250608_FileHeader.csv"
)
ROWS = 2_000
SEED = 7
BATCH = 600  # several batches per file, and a short last one


@pytest.fixture
def specialties():
    specialties_load(path=REFERENCE / "nucc-taxonomy" / "nucc_taxonomy_251.csv")


def _generate(tmp_path: Path, name: str = "npidata.csv", **options):
    options.setdefault("rows", ROWS)
    options.setdefault("seed", SEED)
    return npidata_write(tmp_path / name, **options)


def _load(path: Path, batch_size: int = BATCH):
    return clinicians_load_from_npidata(path=path, batch_size=batch_size)


def _counts(report) -> tuple[int, int, int, int, int, int]:
    return (
        report.received,
        report.created,
        report.updated,
        report.unchanged,
        report.skipped,
        report.rejected,
    )


def _row_versions() -> dict[int, tuple]:
    """Each clinician's physical row version: any rewrite changes ctid and xmin."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, ctid::text, xmin::text, updated_at FROM influencers_clinician"
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def _record(values: dict[str, str]) -> list[str]:
    fields = [""] * NCOLS
    for name, value in values.items():
        fields[COL[name]] = value
    return fields


def _individual(npi_body: str, **values: str) -> dict[str, str]:
    record = {
        "NPI": npi_with_check_digit(npi_body),
        "Entity Type Code": "1",
        "Provider Last Name (Legal Name)": "SMITH",
        "Provider First Name": "ANNA",
        "Provider Credential Text": "MD",
        "Provider First Line Business Practice Location Address": "1 MAIN ST",
        "Provider Business Practice Location Address City Name": "ATLANTA",
        "Provider Business Practice Location Address State Name": "GA",
        "Provider Business Practice Location Address Postal Code": "303011234",
        "Provider Enumeration Date": "05/23/2007",
        "Last Update Date": "07/08/2024",
        "Provider Sex Code": "F",
        "Healthcare Provider Taxonomy Code_1": "207Q00000X",
        "Provider License Number_1": "A12345",
        "Provider License Number State Code_1": "GA",
        "Healthcare Provider Primary Taxonomy Switch_1": "Y",
    }
    record.update(values)
    return record


def _write(path: Path, records, *, header=NPIDATA_COLUMNS, line_ending="\r\n") -> Path:
    """A file as CMS writes it: every value quoted, ISO-8859-1."""
    lines = [",".join(f'"{name}"' for name in header)]
    for record in records:
        fields = record if isinstance(record, list) else _record(record)
        lines.append(",".join(f'"{value}"' for value in fields))
    path.write_bytes((line_ending.join(lines) + line_ending).encode("latin-1"))
    return path


# --- the layout and the generator ---------------------------------------------------


def test_the_layout_is_the_real_330_column_header():
    with HEADER_FILE.open(encoding="latin-1", newline="") as handle:
        header = next(csv.reader(handle))
    assert list(NPIDATA_COLUMNS) == header
    assert NCOLS == 330


def test_the_generator_writes_the_exact_layout_deterministically(tmp_path):
    summary = _generate(tmp_path, rows=300)
    again = _generate(tmp_path, "again.csv", rows=300)
    data = summary.path.read_bytes()
    assert data == again.path.read_bytes()
    assert data.startswith(HEADER_FILE.read_bytes())  # header line, CRLF included
    lines = data.split(b"\r\n")
    assert lines[-1] == b"" and len(lines) == 302
    for line in lines[1:-1]:
        assert line.startswith(b'"') and line.endswith(b'"')
        assert line.count(b'","') == NCOLS - 1  # every value quoted
    records = list(npidata_records(summary.path))
    assert len(records) == 300
    assert all(npi_is_valid(r[0]) for r in records)
    assert len({r[0] for r in records}) == 300
    kinds = [r[COL["Entity Type Code"]] for r in records]
    assert kinds.count("1") == summary.individuals
    assert kinds.count("2") == summary.organizations
    assert kinds.count("") == summary.deactivated_stubs


def test_the_generator_writes_latin1_names(tmp_path):
    summary = _generate(tmp_path, rows=3_000)
    text = summary.path.read_bytes().decode("latin-1")
    assert "MÜLLER" in text or "PEÑA" in text
    with pytest.raises(UnicodeDecodeError):
        summary.path.read_bytes().decode("utf-8")


def test_the_fast_luhn_check_agrees_with_npi_is_valid():
    rng = random.Random(3)
    samples = [npi_with_check_digit(f"{rng.randrange(10**9):09d}") for _ in range(2000)]
    samples += [f"{rng.randrange(10**10):010d}" for _ in range(5000)]
    samples += ["", "123", "12345678901", "abcdefghij", "0123456789", "3123456789"]
    for value in samples:
        assert _npi_luhn_ok(value) == npi_is_valid(value), value


# --- loading a generated file --------------------------------------------------------


def test_it_loads_a_generated_file_and_the_counts_match_the_generator(
    tmp_path, specialties
):
    summary = _generate(tmp_path)
    report = _load(summary.path)

    people = summary.individuals + summary.organizations
    assert _counts(report) == (ROWS, people, 0, 0, summary.deactivated_stubs, 0)
    assert Clinician.objects.filter(entity_type=1).count() == summary.individuals
    assert Clinician.objects.filter(entity_type=2).count() == summary.organizations
    assert not Clinician.objects.exclude(source="nppes_bulk").exists()
    assert not Clinician.objects.filter(npi_status="deactivated").exists()
    assert Clinician.objects.filter(identity_status="verified").count() == (
        summary.individuals
    )
    assert Clinician.objects.filter(identity_status="unverified").count() == (
        summary.organizations
    )
    reactivated = Clinician.objects.exclude(reactivation_date=None)
    assert reactivated.count() == summary.reactivated > 0
    assert not reactivated.exclude(npi_status="active").exists()
    run = ReferenceLoad.objects.get(loader="nppes_bulk")
    assert run.status == ReferenceLoad.Status.SUCCEEDED
    assert (run.received, run.created, run.skipped) == (ROWS, people, report.skipped)
    assert any("not in the table" in note for note in report.notes)


def test_taxonomies_licences_and_the_primary_specialty_are_set(tmp_path, specialties):
    summary = _generate(tmp_path)
    _load(summary.path)

    assert ClinicianTaxonomy.objects.count() == summary.taxonomies
    assert not Clinician.objects.filter(primary_specialty=None).exists()  # real codes
    assert not ClinicianTaxonomy.objects.filter(specialty=None).exists()
    for clinician in Clinician.objects.prefetch_related("taxonomies")[:200]:
        taxonomies = list(clinician.taxonomies.all())
        primary = [t for t in taxonomies if t.is_primary]
        assert len(primary) == 1
        assert clinician.primary_taxonomy_code == primary[0].taxonomy_code
        assert clinician.primary_specialty.code == primary[0].taxonomy_code
        assert clinician.license_number == primary[0].license_number

    # One record, field by field, against the file.
    record = next(
        r
        for r in npidata_records(summary.path)
        if r[COL["Entity Type Code"]] == "1"
        and r[COL["Provider Second Line Business Practice Location Address"]]
    )
    clinician = Clinician.objects.get(npi=record[0])
    assert clinician.last_name == record[COL["Provider Last Name (Legal Name)"]]
    assert clinician.first_name == record[COL["Provider First Name"]]
    assert clinician.credential == record[COL["Provider Credential Text"]]
    assert clinician.gender == record[COL["Provider Sex Code"]]
    assert clinician.practice_address == (
        f"{record[COL['Provider First Line Business Practice Location Address']]}, "
        f"{record[COL['Provider Second Line Business Practice Location Address']]}"
    )
    assert (
        clinician.practice_state
        == record[COL["Provider Business Practice Location Address State Name"]]
    )
    month, day, year = record[COL["Provider Enumeration Date"]].split("/")
    assert clinician.enumeration_date.isoformat() == f"{year}-{month}-{day}"
    assert clinician.nppes_payload == {
        name: value
        for name, value in zip(NPIDATA_COLUMNS, record, strict=True)
        if value
    }
    assert clinician.identity_evidence["source"] == "nppes_bulk"
    assert clinician.identity_evidence["enumeration_type"] == "NPI-1"
    assert clinician.identity_evidence["status"] == "A"
    assert clinician.identity_evidence["npi_luhn_valid"] is True
    assert len(clinician.content_sha256) == 64


def test_a_replay_creates_and_updates_nothing_and_rewrites_no_row(
    tmp_path, specialties
):
    summary = _generate(tmp_path)
    first = _load(summary.path)
    versions = _row_versions()
    taxonomy_ids = set(ClinicianTaxonomy.objects.values_list("id", flat=True))

    again = _load(summary.path)

    people = summary.individuals + summary.organizations
    assert _counts(again) == (ROWS, 0, 0, people, summary.deactivated_stubs, 0)
    assert _row_versions() == versions
    assert set(ClinicianTaxonomy.objects.values_list("id", flat=True)) == taxonomy_ids
    assert first.created == people
    # Batch size does not change the outcome.
    assert _counts(_load(summary.path, batch_size=50_000)) == _counts(again)


def test_a_changed_record_updates_exactly_that_clinician_and_its_taxonomies(
    tmp_path, specialties
):
    summary = _generate(tmp_path)
    _load(summary.path)
    line, record = next(
        (number, r)
        for number, r in enumerate(npidata_records(summary.path), start=2)
        if r[COL["Entity Type Code"]] == "1"
        and r[COL["Healthcare Provider Taxonomy Code_2"]]
    )
    before = _row_versions()
    changed = Clinician.objects.get(npi=record[0])
    old_taxonomy_ids = set(changed.taxonomies.values_list("id", flat=True))
    assert len(old_taxonomy_ids) >= 2

    second = _generate(tmp_path, "next.csv", mutate_lines={line})
    report = _load(second.path)

    assert _counts(report)[1:4] == (
        0,
        1,
        summary.individuals + summary.organizations - 1,
    )
    after = _row_versions()
    assert {pk for pk in before if before[pk] != after[pk]} == {changed.pk}
    changed.refresh_from_db()
    new = next(r for r in npidata_records(second.path) if r[0] == record[0])
    new_code = new[COL["Healthcare Provider Taxonomy Code_1"]]
    assert new_code != record[COL["Healthcare Provider Taxonomy Code_1"]]
    taxonomies = list(changed.taxonomies.all())
    assert [(t.position, t.taxonomy_code, t.is_primary) for t in taxonomies] == [
        (1, new_code, True)
    ]
    assert not old_taxonomy_ids & {t.id for t in taxonomies}
    assert changed.primary_taxonomy_code == new_code
    assert changed.primary_specialty.code == new_code
    # On a refresh the server builds the payload from the raw record: same result.
    assert changed.nppes_payload == {
        name: value for name, value in zip(NPIDATA_COLUMNS, new, strict=True) if value
    }


def test_deactivation_rows_deactivate_known_clinicians_and_skip_unknown_npis(
    tmp_path, specialties
):
    summary = _generate(tmp_path)
    _load(summary.path)
    lines = [
        number
        for number, r in enumerate(npidata_records(summary.path), start=2)
        if r[COL["Entity Type Code"]] in ("1", "2")
    ][10:13]
    second = _generate(tmp_path, "next.csv", deactivate_lines=lines)
    report = _load(second.path)

    npis = [second.npis[line] for line in lines]
    assert report.updated == 3 and report.created == 0
    assert report.skipped == summary.deactivated_stubs  # the NPIs never loaded
    deactivated = Clinician.objects.filter(npi_status="deactivated")
    assert sorted(deactivated.values_list("npi", flat=True)) == sorted(npis)
    for clinician in deactivated:
        assert clinician.identity_status == "deactivated"
        assert clinician.deactivation_date is not None
        assert clinician.last_name or clinician.organization_name  # identity kept
        assert clinician.taxonomies.exists()
        assert clinician.identity_evidence["status"] == "D"
        assert clinician.nppes_payload["NPI Deactivation Date"]
    assert _counts(_load(second.path))[1:3] == (0, 0)  # the stubs replay as unchanged


def test_malformed_rows_are_rejected_with_their_line_and_reason_and_the_rest_lands(
    tmp_path, specialties
):
    malformed = dict(zip((5, 17, 600, 601, 1999), MALFORMED_KINDS, strict=True))
    summary = _generate(tmp_path, malformed=malformed)
    report = _load(summary.path)

    assert report.rejected == 5
    assert report.created == summary.individuals + summary.organizations
    name = summary.path.name
    by_line = {error.line: error for error in report.errors}
    assert set(by_line) == set(malformed)
    assert all(error.file == name for error in report.errors)
    assert "fails the Luhn check digit" in by_line[5].reason
    assert by_line[17].reason == (
        "Provider Enumeration Date '02/30/2019' is not a valid MM/DD/YYYY date"
    )
    assert by_line[600].reason == "expected 330 columns, found 300"
    assert by_line[601].reason == "NUL byte in the record"
    assert "Entity Type Code '3'" in by_line[1999].reason
    assert str(by_line[17]).startswith(f"{name}:17: ")
    bad = [summary.npis[line] for line in malformed]
    assert not Clinician.objects.filter(npi__in=bad).exists()
    assert ReferenceLoad.objects.get(loader="nppes_bulk").status == "partial"


def test_a_nul_byte_row_is_rejected_and_its_neighbours_load(tmp_path, specialties):
    rows = [
        _individual("100000001"),
        _individual("100000002", **{"Provider First Name": "AN\x00NA"}),
        _individual("100000003"),
    ]
    report = _load(_write(tmp_path / "nul.csv", rows))
    assert [(e.line, e.reason) for e in report.errors] == [
        (3, "NUL byte in the record")
    ]
    assert report.created == 2


def test_a_wrong_header_is_refused_with_a_clear_error(tmp_path, specialties):
    renamed = list(NPIDATA_COLUMNS)
    renamed[6] = "First Name"
    path = _write(tmp_path / "renamed.csv", [_individual("100000001")], header=renamed)
    with pytest.raises(ReferenceFileError, match="column 7 is 'First Name', expected"):
        _load(path)
    nucc = REFERENCE / "nucc-taxonomy" / "nucc_taxonomy_251.csv"
    with pytest.raises(
        ReferenceFileError, match="header has 8 columns, the NPPES layout"
    ):
        _load(nucc)
    assert not Clinician.objects.exists()
    runs = ReferenceLoad.objects.filter(loader="nppes_bulk")
    assert list(runs.values_list("status", flat=True)) == ["failed", "failed"]
    assert "column 7 is 'First Name'" in runs.last().error


def test_the_older_gender_code_header_is_accepted(tmp_path, specialties):
    older = list(NPIDATA_COLUMNS)
    older[COL["Provider Sex Code"]] = "Provider Gender Code"
    path = _write(tmp_path / "older.csv", [_individual("100000001")], header=older)
    assert _load(path).created == 1
    assert Clinician.objects.get().gender == "F"


# --- hand-made rows: encoding, status rules, odd values ---------------------------


def test_latin1_names_round_trip(tmp_path, specialties):
    rows = [
        {
            **_individual("100000001"),
            "Provider Last Name (Legal Name)": "MÜLLER",
            "Provider First Name": "JOSÉ",
        },
        {
            **_individual("100000002"),
            "Provider Last Name (Legal Name)": "PEÑA",
            "Provider First Name": "ZOË",
            "Provider Business Practice Location Address City Name": "SAN JOSÉ",
        },
    ]
    _load(_write(tmp_path / "latin1.csv", rows))
    muller = Clinician.objects.get(last_name="MÜLLER")
    assert muller.first_name == "JOSÉ"
    assert muller.nppes_payload["Provider Last Name (Legal Name)"] == "MÜLLER"
    pena = Clinician.objects.get(last_name="PEÑA")
    assert (pena.first_name, pena.practice_city) == ("ZOË", "SAN JOSÉ")
    assert _counts(_load(tmp_path / "latin1.csv"))[1:3] == (0, 0)


def test_the_status_rules_match_the_api_loader(tmp_path, specialties):
    deactivated = {**_individual("100000001"), "NPI Deactivation Date": "03/01/2020"}
    reactivated = {
        **_individual("100000002"),
        "NPI Deactivation Date": "03/01/2020",
        "NPI Reactivation Date": "03/01/2020",  # on the same day counts (identity.py)
    }
    earlier = {
        **_individual("100000003"),
        "NPI Deactivation Date": "03/01/2020",
        "NPI Reactivation Date": "01/01/2019",
    }
    organization = {
        **_individual("100000004"),
        "Entity Type Code": "2",
        "Provider Organization Name (Legal Business Name)": "ACME CLINIC, LLC",
        "Healthcare Provider Taxonomy Code_1": "261QP2300X",
    }
    closed = {**organization, "NPI": npi_with_check_digit("100000005")}
    closed["NPI Deactivation Date"] = "01/02/2021"
    rows = [deactivated, reactivated, earlier, organization, closed]
    _load(_write(tmp_path / "status.csv", rows))

    def state(body):
        c = Clinician.objects.get(npi=npi_with_check_digit(body))
        return c.npi_status, c.identity_status, c.identity_evidence["status"]

    assert state("100000001") == ("deactivated", "deactivated", "D")
    assert state("100000002") == ("active", "verified", "A")
    assert state("100000003") == ("deactivated", "deactivated", "D")
    assert state("100000004") == ("active", "unverified", "A")
    assert state("100000005") == ("deactivated", "deactivated", "D")
    org = Clinician.objects.get(npi=npi_with_check_digit("100000004"))
    assert org.organization_name == "ACME CLINIC, LLC"
    assert (org.first_name, org.last_name, org.credential, org.gender) == (
        "",
        "",
        "",
        "",
    )
    assert org.identity_evidence["enumeration_type"] == "NPI-2"


def test_odd_but_valid_values_are_normalized_or_escaped(tmp_path, specialties):
    spaced = {
        **_individual("100000001"),
        "Provider Last Name (Legal Name)": " O'BRIEN  SMITH ",
        "Provider Name Prefix Text": "--",
        "Provider Business Practice Location Address State Name": "GEORGIA",
        "Healthcare Provider Primary Taxonomy Switch_1": "N",  # none flagged: first
    }
    escaped = {
        **_individual("100000002"),
        "Provider Other Organization Name": "A\\B\tC",
        "Provider First Name": "MARY\\ANN",
    }
    _load(_write(tmp_path / "odd.csv", [spaced, escaped]))
    first = Clinician.objects.get(npi=spaced["NPI"])
    assert first.last_name == "O'BRIEN SMITH"
    assert first.name_prefix == ""
    assert first.practice_state == "GA"
    assert first.primary_taxonomy_code == "207Q00000X"
    assert first.nppes_payload["Provider Last Name (Legal Name)"] == " O'BRIEN  SMITH "
    second = Clinician.objects.get(npi=escaped["NPI"])
    assert second.first_name == "MARY\\ANN"
    assert second.nppes_payload["Provider Other Organization Name"] == "A\\B\tC"


def test_a_quoted_value_over_two_lines_and_a_repeated_npi(tmp_path, specialties):
    path = _write(
        tmp_path / "multi.csv",
        [
            _individual("100000001", **{"Provider First Name": "OLD"}),
            {
                **_individual("100000002"),
                "Provider Other Organization Name": "TWO\r\nLINES",
            },
            _individual("100000003"),
            _individual("100000001", **{"Provider First Name": "NEW"}),
        ],
    )
    report = _load(path)
    assert _counts(report) == (4, 3, 0, 0, 1, 0)  # the older copy of NPI 1 is skipped
    assert (
        Clinician.objects.get(npi=npi_with_check_digit("100000001")).first_name == "NEW"
    )
    payload = Clinician.objects.get(npi=npi_with_check_digit("100000002")).nppes_payload
    assert payload["Provider Other Organization Name"] == "TWO\r\nLINES"


def test_an_unterminated_quote_is_rejected_and_loading_resumes(tmp_path, specialties):
    path = _write(
        tmp_path / "broken.csv", [_individual(f"10000000{i}") for i in range(1, 8)]
    )
    lines = path.read_bytes().split(b"\r\n")
    lines[2] = lines[2].replace(b'"SMITH"', b'"SMI"TH"', 1)  # line 3: a stray quote
    path.write_bytes(b"\r\n".join(lines))
    report = _load(path)
    assert [e.line for e in report.errors] == [3]
    assert report.created == 6


def test_an_over_long_value_is_rejected_not_truncated(tmp_path, specialties):
    long_name = {
        **_individual("100000001"),
        "Provider Last Name (Legal Name)": "X" * 81,
    }
    report = _load(_write(tmp_path / "long.csv", [long_name, _individual("100000002")]))
    assert [(e.line, e.reason) for e in report.errors] == [
        (2, "Provider Last Name (Legal Name) is 81 characters, longer than 80")
    ]
    assert report.created == 1


# --- the management commands ---------------------------------------------------------


def test_the_commands_generate_and_load_a_file(tmp_path, specialties):
    path = tmp_path / "cmd.csv"
    out = io.StringIO()
    call_command(
        "generate_npidata",
        rows=300,
        seed=1,
        out=path,
        inject=["9:bad_date"],
        stdout=out,
    )
    assert "300 rows" in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    call_command("load_nppes_bulk", str(path), batch_size=100, stdout=out, stderr=err)
    assert "nppes_bulk: received 300" in out.getvalue()
    assert "rows/s" in out.getvalue()
    assert err.getvalue().strip() == (
        "cmd.csv:9: Provider Enumeration Date '02/30/2019' is not a valid MM/DD/YYYY date"
    )


def test_lf_line_ends_load_like_crlf(tmp_path, specialties):
    crlf = _generate(tmp_path, "crlf.csv", rows=200)
    lf = _generate(tmp_path, "lf.csv", rows=200, line_ending="\n")
    first = _load(crlf.path)
    again = _load(lf.path)  # same records, other line ends: nothing changes
    assert first.created == crlf.individuals + crlf.organizations
    assert _counts(again)[1:3] == (0, 0)


def test_a_file_without_a_header_line_is_refused(tmp_path, specialties):
    path = tmp_path / "blob.csv"
    path.write_bytes(b"x" * 70_000)
    with pytest.raises(ReferenceFileError, match="no header line"):
        _load(path)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ReferenceFileError, match="the file is empty"):
        _load(empty)
