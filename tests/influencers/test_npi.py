"""The NPI check digit (Luhn over the 80840 prefix), against every real NPI we hold."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from influencers.verification.npi import (
    npi_is_valid,
    npi_problem,
    npi_with_check_digit,
)
from tests.influencers.factories import ClinicianFactory

FIXTURES = Path(settings.REFERENCE_DATA_DIR)


def _real_npis() -> list[str]:
    npis: set[str] = set()
    for path in (FIXTURES / "nppes-npi-api-fixtures").glob("api-*.json"):
        for record in json.loads(path.read_text()).get("results", []):
            npis.add(str(record["number"]))
    return sorted(npis)


REAL_NPIS = _real_npis()


def test_the_fixtures_hold_forty_distinct_real_npis():
    assert len(REAL_NPIS) == 40


@pytest.mark.parametrize("npi", REAL_NPIS)
def test_every_real_npi_passes(npi):
    assert npi_is_valid(npi)
    assert npi_problem(npi) is None


@pytest.mark.parametrize("npi", REAL_NPIS)
def test_corrupting_any_single_digit_of_a_real_npi_fails(npi):
    for position in range(10):
        for replacement in "0123456789":
            if replacement == npi[position]:
                continue
            corrupted = npi[:position] + replacement + npi[position + 1 :]
            assert not npi_is_valid(corrupted), corrupted
            assert npi_problem(corrupted) is not None


def test_the_cms_example_npi_is_valid():
    assert npi_is_valid("1234567893")
    assert npi_with_check_digit("123456789") == "1234567893"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("123456789", "exactly 10 digits"),
        ("12345678931", "exactly 10 digits"),
        ("3234567893", "must start with 1 or 2"),
        ("0234567893", "must start with 1 or 2"),
        ("12345678X3", "exactly 10 digits"),
        (" 1234567893", "exactly 10 digits"),
        ("1234567890", "Luhn"),
        (1234567893, "must be text"),
        (None, "must be text"),
    ],
)
def test_it_explains_why_a_value_is_not_an_npi(value, words):
    assert not npi_is_valid(value)
    assert words in npi_problem(value)


def test_npi_with_check_digit_refuses_the_wrong_length():
    with pytest.raises(ValueError, match="nine digits"):
        npi_with_check_digit("12345")


def test_the_clinician_factory_generates_valid_distinct_npis():
    npis = [ClinicianFactory.build().npi for _ in range(50)]
    assert len(set(npis)) == 50
    assert all(npi_is_valid(npi) for npi in npis)
