"""The load_* management commands: what they print, where, and when they refuse."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from influencers.models import Clinician, MedicareSpecialtyCrosswalk, Specialty
from tests.influencers.test_nppes_client import FakeRegistry

pytestmark = pytest.mark.django_db

NPPES_DIR = Path(settings.REFERENCE_DATA_DIR) / "nppes-npi-api-fixtures"


def _run(name: str, *args, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_load_nucc_prints_the_counts_and_is_idempotent():
    first, first_err = _run("load_nucc")
    second, _ = _run("load_nucc")

    assert first.strip() == (
        "nucc: received 883, created 883, updated 0, unchanged 0, skipped 0, rejected 0"
    )
    assert first_err == ""
    assert "created 0, updated 0, unchanged 883" in second
    assert Specialty.objects.count() == 883


def test_load_nucc_writes_rejected_rows_to_stderr(tmp_path):
    path = tmp_path / "nucc.csv"
    path.write_text(
        "Code,Grouping,Classification,Specialization,Definition,Notes,Display Name,Section\n"
        "207R00000X,Allopathic,Internal Medicine,,,,Internist,Individual\n"
        "BAD,Allopathic,Internal Medicine,,,,Internist,Individual\n"
    )

    out, err = _run("load_nucc", str(path))

    assert "created 1" in out and "rejected 1" in out
    assert err.strip().startswith("nucc.csv:3: taxonomy code 'BAD' does not match")


def test_load_medicare_crosswalk_lists_each_rejected_row_on_stderr():
    _run("load_nucc")

    out, err = _run("load_medicare_crosswalk")

    assert out.splitlines()[0] == (
        "medicare_crosswalk: received 509, created 500, updated 0, unchanged 0, "
        "skipped 3, rejected 6"
    )
    lines = err.strip().splitlines()
    assert len(lines) == 6
    assert (
        "medicare_specialty_to_nucc_crosswalk_2019_clean.csv:457: "
        "taxonomy code '2843000000X' is not 10 characters"
    ) in lines
    assert (
        "note: medicare_specialty_to_nucc_crosswalk_2019_clean.csv:451: duplicate"
        in out
    )
    assert (
        MedicareSpecialtyCrosswalk.objects.filter(specialty__isnull=False).count()
        == 495
    )


def test_load_nppes_api_loads_the_bundled_responses():
    out, err = _run("load_nppes_api")

    assert out.splitlines()[0] == (
        "nppes_api: received 49, created 40, updated 0, unchanged 0, skipped 9, rejected 0"
    )
    assert "note: api-8d2d52.json: NPI Registry error" in out
    assert err == ""
    assert Clinician.objects.count() == 40

    again, _ = _run("load_nppes_api")
    assert "created 0, updated 0, unchanged 40" in again


def test_load_nppes_api_reports_an_invalid_npi_as_file_line_reason(tmp_path):
    record = json.loads((NPPES_DIR / "api-b2f594.json").read_text())["results"][0]
    record["number"] = 1720377295
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"result_count": 1, "results": [record]}, indent=4))

    out, err = _run("load_nppes_api", str(path))

    assert "rejected 1" in out
    lines = [text.strip() for text in path.read_text().splitlines()]
    line = lines.index('"number": 1720377295,') + 1
    assert err.strip() == (
        f"bad.json:{line}: NPI '1720377295' fails the Luhn check digit (prefix 80840)"
    )


@pytest.mark.parametrize(
    "command", ["load_nucc", "load_medicare_crosswalk", "load_nppes_api"]
)
def test_a_missing_file_is_a_command_error(command, tmp_path):
    with pytest.raises(CommandError, match="not found"):
        _run(command, str(tmp_path / "missing.file"))


def test_live_lookups_say_how_to_enable_them_when_off(settings):
    settings.NPPES_API_ENABLED = False

    with pytest.raises(CommandError, match="NPPES_API_ENABLED=true"):
        _run("load_nppes_api", "--npi", "1720377294")

    assert not Clinician.objects.exists()


def test_live_lookups_load_what_the_registry_returns(settings):
    settings.NPPES_API_ENABLED = True
    with FakeRegistry() as fake:
        settings.NPPES_API_URL = fake.url
        fake.respond(200, json.loads((NPPES_DIR / "api-b2f594.json").read_text()))

        out, err = _run("load_nppes_api", "--npi", "1720377294", "1234567890")

    assert "received 2, created 1" in out and "rejected 1" in out
    assert err.strip() == (
        "NPI Registry: NPI '1234567890' fails the Luhn check digit (prefix 80840)"
    )
    assert fake.requests == [{"number": "1720377294", "version": "2.1"}]
    hiza = Clinician.objects.get(npi="1720377294")
    assert hiza.source == "nppes_api"
    assert hiza.identity_status == "verified"
