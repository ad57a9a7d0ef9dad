"""Reference-data loaders against the bundled real files and small hand-made ones."""

import copy
import csv
import json
from pathlib import Path

import pytest
from django.conf import settings

from influencers.loaders import ReferenceFileError
from influencers.loaders.crosswalk import medicare_crosswalk_load
from influencers.loaders.nppes_api import clinicians_load_from_api_responses
from influencers.loaders.nucc import HEADER as NUCC_HEADER
from influencers.loaders.nucc import specialties_load
from influencers.models import (
    Clinician,
    ClinicianTaxonomy,
    MedicareSpecialtyCrosswalk,
    ReferenceLoad,
    Specialty,
)

pytestmark = pytest.mark.django_db

REFERENCE = Path(settings.REFERENCE_DATA_DIR)
NUCC_CSV = REFERENCE / "nucc-taxonomy" / "nucc_taxonomy_251.csv"
CROSSWALK_CSV = (
    REFERENCE
    / "medicare-specialty-taxonomy-crosswalk"
    / "medicare_specialty_to_nucc_crosswalk_2019_clean.csv"
)
NPPES_DIR = REFERENCE / "nppes-npi-api-fixtures"
NPPES_FILES = sorted(NPPES_DIR.glob("api-*.json"))


def _counts(report) -> tuple[int, int, int, int, int, int]:
    return (
        report.received,
        report.created,
        report.updated,
        report.unchanged,
        report.skipped,
        report.rejected,
    )


def _nucc_row(code: str, classification: str = "Internal Medicine", **extra) -> list:
    values = {
        "Code": code,
        "Grouping": "Allopathic & Osteopathic Physicians",
        "Classification": classification,
        "Specialization": extra.get("specialization", ""),
        "Definition": extra.get("definition", "A physician."),
        "Notes": "",
        "Display Name": extra.get("display_name", f"{classification} Physician"),
        "Section": "Individual",
    }
    return list(values.values())


def _csv_write(path: Path, header, rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _b2f594_record() -> dict:
    return json.loads((NPPES_DIR / "api-b2f594.json").read_text())["results"][0]


def _response_write(path: Path, records: list[dict]) -> Path:
    path.write_text(
        json.dumps({"result_count": len(records), "results": records}, indent=4)
    )
    return path


# --- NUCC -----------------------------------------------------------------------------


def test_it_loads_all_883_nucc_specialties():
    report = specialties_load(path=NUCC_CSV)

    assert _counts(report) == (883, 883, 0, 0, 0, 0)
    assert Specialty.objects.count() == 883
    cardio = Specialty.objects.get(code="207RC0000X")
    assert cardio.classification == "Internal Medicine"
    assert cardio.specialization == "Cardiovascular Disease"
    assert cardio.display_name == "Cardiovascular Disease Physician"
    assert cardio.section == "Individual"
    assert len(cardio.content_sha256) == 64
    assert Specialty.objects.filter(section="Non-Individual").count() == 185


def test_a_second_nucc_run_creates_and_updates_nothing():
    specialties_load(path=NUCC_CSV)
    stamps = dict(Specialty.objects.values_list("code", "updated_at"))

    report = specialties_load(path=NUCC_CSV)

    assert _counts(report) == (883, 0, 0, 883, 0, 0)
    assert dict(Specialty.objects.values_list("code", "updated_at")) == stamps


def test_it_updates_only_the_nucc_row_that_changed(tmp_path):
    rows = [_nucc_row("207R00000X"), _nucc_row("207RC0000X", specialization="Cardio")]
    specialties_load(path=_csv_write(tmp_path / "v1.csv", NUCC_HEADER, rows))
    rows[1] = _nucc_row("207RC0000X", specialization="Cardiovascular Disease")
    rows.append(_nucc_row("208D00000X", "General Practice"))

    report = specialties_load(path=_csv_write(tmp_path / "v2.csv", NUCC_HEADER, rows))

    assert _counts(report) == (3, 1, 1, 1, 0, 0)
    assert Specialty.objects.get(code="207RC0000X").specialization == (
        "Cardiovascular Disease"
    )


def test_it_rejects_a_malformed_nucc_row_with_its_line_and_loads_the_rest(tmp_path):
    path = _csv_write(
        tmp_path / "nucc.csv",
        NUCC_HEADER,
        [
            _nucc_row("207R00000X", definition="Spans\ntwo lines"),  # lines 2-3
            _nucc_row("207rc0000x"),  # line 4: lower case
            _nucc_row("207RC0000X", classification=""),  # line 5
            _nucc_row("2084P0800X")[:7],  # line 6: seven columns
            _nucc_row("20843000000X"),  # line 7: too long
            _nucc_row("208D00000X", "General Practice"),  # line 8
        ],
    )

    report = specialties_load(path=path)

    assert _counts(report) == (6, 2, 0, 0, 0, 4)
    problems = {error.line: error.reason for error in report.errors}
    assert set(problems) == {4, 5, 6, 7}
    assert "'207rc0000x' does not match the NUCC format" in problems[4]
    assert "classification is missing" in problems[5]
    assert problems[6] == "expected 8 columns, found 7"
    assert all(error.file == "nucc.csv" for error in report.errors)
    assert set(Specialty.objects.values_list("code", flat=True)) == {
        "207R00000X",
        "208D00000X",
    }
    assert Specialty.objects.get(code="207R00000X").definition == "Spans\ntwo lines"


def test_it_keeps_the_first_of_a_repeated_nucc_code(tmp_path):
    path = _csv_write(
        tmp_path / "nucc.csv",
        NUCC_HEADER,
        [_nucc_row("207R00000X"), _nucc_row("207R00000X", "Something Else")],
    )

    report = specialties_load(path=path)

    assert _counts(report) == (2, 1, 0, 0, 1, 0)
    assert Specialty.objects.get().classification == "Internal Medicine"
    assert "nucc.csv:3: taxonomy code 207R00000X repeated" in report.notes[0]


def test_a_nucc_file_with_the_wrong_header_fails_the_run_and_records_it(tmp_path):
    path = _csv_write(tmp_path / "bad.csv", ["code", "name"], [["207R00000X", "x"]])

    with pytest.raises(ReferenceFileError, match="unexpected header"):
        specialties_load(path=path)

    run = ReferenceLoad.objects.get(loader="nucc")
    assert run.status == ReferenceLoad.Status.FAILED
    assert "unexpected header" in run.error
    assert Specialty.objects.count() == 0


def test_a_nucc_file_that_is_not_utf8_fails_with_a_clear_error(tmp_path):
    path = tmp_path / "latin1.csv"
    _csv_write(path, NUCC_HEADER, [_nucc_row("207R00000X", definition="caf\u00e9")])
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1"))

    with pytest.raises(ReferenceFileError, match="latin1.csv: not UTF-8"):
        specialties_load(path=path)

    assert Specialty.objects.count() == 0
    assert ReferenceLoad.objects.get(loader="nucc").status == "failed"


def test_each_nucc_run_is_recorded_as_a_reference_load():
    specialties_load(path=NUCC_CSV)
    specialties_load(path=NUCC_CSV)

    runs = list(ReferenceLoad.objects.filter(loader="nucc").order_by("started_at"))
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    assert [(r.created, r.unchanged) for r in runs] == [(883, 0), (0, 883)]
    assert runs[0].source == str(NUCC_CSV)
    assert all(r.finished_at for r in runs)


# --- Medicare crosswalk ---------------------------------------------------------------


def test_it_loads_the_crosswalk_and_rejects_the_known_defective_rows():
    specialties_load(path=NUCC_CSV)

    report = medicare_crosswalk_load(path=CROSSWALK_CSV)

    assert _counts(report) == (509, 500, 0, 0, 3, 6)
    assert MedicareSpecialtyCrosswalk.objects.count() == 500
    problems = {error.line: error.reason for error in report.errors}
    assert set(problems) == {266, 267, 289, 342, 457, 461}
    assert problems[457] == "taxonomy code '2843000000X' is not 10 characters"
    assert "columns look shifted" in problems[289]
    assert "'229N00000X' is not a two-character code" in problems[266]
    assert not MedicareSpecialtyCrosswalk.objects.filter(
        taxonomy_code="2843000000X"
    ).exists()


def test_crosswalk_rows_without_a_taxonomy_code_are_kept_blank():
    medicare_crosswalk_load(path=CROSSWALK_CSV)

    blank = MedicareSpecialtyCrosswalk.objects.filter(taxonomy_code="")
    assert sorted(blank.values_list("medicare_specialty_code", flat=True)) == [
        "73",
        "88",
        "95",
        "A9",
        "C9",
    ]
    assert blank.get(medicare_specialty_code="73").medicare_provider_supplier_type == (
        "Mass Immunizer Roster Biller"
    )


def test_crosswalk_footnote_markers_are_stripped_from_codes():
    medicare_crosswalk_load(path=CROSSWALK_CSV)

    codes = set(
        MedicareSpecialtyCrosswalk.objects.values_list(
            "medicare_specialty_code", flat=True
        )
    )
    assert {"A0", "B4", "87", "96"} <= codes
    assert not [code for code in codes if "[" in code]
    # 121 first-column values in the file, less two that are shifted text
    # ("229N00000X", "Respiratory") and 68, whose only row is shifted.
    assert len(codes) == 118
    assert "68" not in codes


def test_crosswalk_duplicates_keep_the_first_row_and_are_noted():
    report = medicare_crosswalk_load(path=CROSSWALK_CSV)

    row = MedicareSpecialtyCrosswalk.objects.get(
        medicare_specialty_code="A0", taxonomy_code="282N00000X"
    )
    assert row.medicare_provider_supplier_type == "Hospital-General"
    duplicates = [note for note in report.notes if "duplicate of line" in note]
    assert len(duplicates) == 3
    assert any(":451: duplicate of line 450" in note for note in duplicates)


def test_crosswalk_links_specialties_and_a_replay_after_nucc_fills_them_in():
    first = medicare_crosswalk_load(path=CROSSWALK_CSV)
    assert not MedicareSpecialtyCrosswalk.objects.filter(
        specialty__isnull=False
    ).exists()
    assert any("not in the loaded NUCC set" in note for note in first.notes)

    specialties_load(path=NUCC_CSV)
    second = medicare_crosswalk_load(path=CROSSWALK_CSV)

    assert (second.created, second.updated, second.unchanged) == (0, 495, 5)
    gp = MedicareSpecialtyCrosswalk.objects.get(
        medicare_specialty_code="01", taxonomy_code="208D00000X"
    )
    assert gp.specialty.classification == "General Practice"


def test_a_second_crosswalk_run_creates_and_updates_nothing():
    specialties_load(path=NUCC_CSV)
    medicare_crosswalk_load(path=CROSSWALK_CSV)

    report = medicare_crosswalk_load(path=CROSSWALK_CSV)

    assert _counts(report) == (509, 0, 0, 500, 3, 6)
    run = ReferenceLoad.objects.filter(loader="medicare_crosswalk").latest()
    assert run.status == ReferenceLoad.Status.PARTIAL
    assert run.rejected == 6
    assert "2843000000X" in " ".join(run.errors)


# --- NPPES API responses --------------------------------------------------------------


def test_it_loads_the_forty_distinct_npis_from_the_recorded_responses():
    report = clinicians_load_from_api_responses(paths=NPPES_FILES)

    assert _counts(report) == (49, 40, 0, 0, 9, 0)
    assert Clinician.objects.count() == 40
    assert set(Clinician.objects.values_list("source", flat=True)) == {"nppes_api"}
    notes = " ".join(report.notes)
    assert "api-8d2d52.json: NPI Registry error: No valid search criteria" in notes
    assert "api-c85286.json" in notes
    assert "api-a2f836.json: empty result" in notes
    assert "result_count says 200 but the file holds 2 records" in notes


def test_organizations_are_loaded_as_entity_type_2_and_stay_unverified():
    clinicians_load_from_api_responses(paths=NPPES_FILES)

    organizations = Clinician.objects.filter(entity_type=2)
    assert organizations.count() == 12
    assert set(organizations.values_list("identity_status", flat=True)) == {
        "unverified"
    }
    csp = Clinician.objects.get(npi="1568946812")
    assert csp.organization_name == "CSP ANESTHESIA LLC"
    assert (csp.first_name, csp.last_name) == ("", "")
    assert csp.identity_evidence["enumeration_type"] == "NPI-2"


def test_active_individuals_are_verified_with_evidence():
    clinicians_load_from_api_responses(paths=NPPES_FILES)

    individuals = Clinician.objects.filter(entity_type=1)
    assert individuals.count() == 28
    assert set(individuals.values_list("identity_status", flat=True)) == {"verified"}
    evidence = individuals.get(npi="1720377294").identity_evidence
    assert evidence["source"] == "nppes_api"
    assert evidence["npi_luhn_valid"] is True
    assert evidence["status"] == "A"
    assert evidence["checked_at"].startswith("20")


def test_the_orthopaedic_surgeon_who_is_also_a_student_has_two_taxonomies():
    specialties_load(path=NUCC_CSV)
    clinicians_load_from_api_responses(paths=[NPPES_DIR / "api-b2f594.json"])

    hiza = Clinician.objects.get(npi="1720377294")
    taxonomies = list(hiza.taxonomies.order_by("position"))
    assert [(t.position, t.taxonomy_code, t.is_primary) for t in taxonomies] == [
        (1, "207X00000X", True),
        (2, "390200000X", False),
    ]
    assert (taxonomies[0].license_number, taxonomies[0].license_state) == (
        "2017-01132",
        "NC",
    )
    assert taxonomies[1].specialty.classification.startswith("Student")
    assert hiza.primary_taxonomy_code == "207X00000X"
    assert hiza.primary_specialty.classification == "Orthopaedic Surgery"
    assert (hiza.license_state, hiza.license_number) == ("NC", "2017-01132")
    assert hiza.nppes_payload["number"] == 1720377294


def test_a_state_spelled_georgia_is_stored_as_ga():
    clinicians_load_from_api_responses(paths=NPPES_FILES)

    sprang = Clinician.objects.get(npi="1053975268")
    assert sprang.nppes_payload["addresses"][0]["state"] == "GEORGIA"
    assert sprang.practice_state == "GA"
    assert sprang.practice_address == "12 EXECUTIVE PARK DRIVE NE, RM 388"


def test_a_reactivated_npi_is_active():
    clinicians_load_from_api_responses(paths=[NPPES_DIR / "api-a769af.json"])

    rowell = Clinician.objects.get(npi="1003142399")
    assert str(rowell.deactivation_date) == "2015-01-14"
    assert str(rowell.reactivation_date) == "2019-02-13"
    assert (rowell.npi_status, rowell.identity_status) == ("active", "verified")


def test_a_deactivated_npi_is_marked_deactivated(tmp_path):
    record = _b2f594_record()
    record["basic"]["deactivation_date"] = "2020-03-01"
    path = _response_write(tmp_path / "deactivated.json", [record])

    clinicians_load_from_api_responses(paths=[path])

    hiza = Clinician.objects.get(npi="1720377294")
    assert (hiza.npi_status, hiza.identity_status) == ("deactivated", "deactivated")


def test_replaying_the_nppes_responses_creates_and_updates_nothing():
    specialties_load(path=NUCC_CSV)
    clinicians_load_from_api_responses(paths=NPPES_FILES)
    before = {
        c.npi: (c.updated_at, c.identity_evidence, c.content_sha256)
        for c in Clinician.objects.all()
    }
    taxonomy_ids = set(ClinicianTaxonomy.objects.values_list("id", flat=True))

    report = clinicians_load_from_api_responses(paths=NPPES_FILES)

    assert _counts(report) == (49, 0, 0, 40, 9, 0)
    after = {
        c.npi: (c.updated_at, c.identity_evidence, c.content_sha256)
        for c in Clinician.objects.all()
    }
    assert after == before
    assert set(ClinicianTaxonomy.objects.values_list("id", flat=True)) == taxonomy_ids


def test_a_changed_record_is_updated_and_its_taxonomies_replaced(tmp_path):
    clinicians_load_from_api_responses(paths=[NPPES_DIR / "api-b2f594.json"])
    record = _b2f594_record()
    record["basic"]["last_name"] = "HIZA-SMITH"
    record["taxonomies"] = record["taxonomies"][:1]
    path = _response_write(tmp_path / "changed.json", [record])

    report = clinicians_load_from_api_responses(paths=[path])

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    hiza = Clinician.objects.get(npi="1720377294")
    assert hiza.last_name == "HIZA-SMITH"
    assert list(hiza.taxonomies.values_list("taxonomy_code", flat=True)) == [
        "207X00000X"
    ]


def test_the_most_recently_updated_copy_of_a_repeated_npi_wins(tmp_path):
    newer = _b2f594_record()
    newer["last_updated_epoch"] += 1000
    newer["basic"]["credential"] = "MD, PHD"
    older_path = _response_write(tmp_path / "a.json", [_b2f594_record()])
    newer_path = _response_write(tmp_path / "b.json", [newer])

    report = clinicians_load_from_api_responses(paths=[older_path, newer_path])

    assert (report.received, report.created, report.skipped) == (2, 1, 1)
    assert Clinician.objects.get(npi="1720377294").credential == "MD, PHD"


def test_an_invalid_npi_in_a_response_file_is_rejected_with_the_reason(tmp_path):
    bad = copy.deepcopy(_b2f594_record())
    bad["number"] = 1720377295  # last digit changed: fails the check digit
    path = _response_write(tmp_path / "bad.json", [_b2f594_record(), bad])

    report = clinicians_load_from_api_responses(paths=[path])

    assert (report.received, report.created, report.rejected) == (2, 1, 1)
    error = report.errors[0]
    assert error.file == "bad.json"
    assert error.reason == "NPI '1720377295' fails the Luhn check digit (prefix 80840)"
    assert (
        path.read_text().splitlines()[error.line - 1].strip() == '"number": 1720377295,'
    )
    assert not Clinician.objects.filter(npi="1720377295").exists()
    run = ReferenceLoad.objects.get(loader="nppes_api")
    assert run.status == ReferenceLoad.Status.PARTIAL
    assert (run.received, run.created, run.rejected) == (2, 1, 1)


def test_a_broken_json_file_is_rejected_not_crashed(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"result_count": 1,\n "results": [\n')

    report = clinicians_load_from_api_responses(
        paths=[broken, NPPES_DIR / "api-b2f594.json"]
    )

    assert report.rejected == 1
    assert report.errors[0].file == "broken.json"
    assert "not valid JSON" in report.errors[0].reason
    assert report.created == 1


def test_a_successful_nppes_run_is_recorded():
    clinicians_load_from_api_responses(paths=NPPES_FILES)

    run = ReferenceLoad.objects.get(loader="nppes_api")
    assert run.status == ReferenceLoad.Status.SUCCEEDED
    assert (run.received, run.created, run.skipped, run.rejected) == (49, 40, 9, 0)
