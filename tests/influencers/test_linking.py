"""Identity resolution, pure code: extraction, matching, the identity gate, and the
link quality against the demo world's truth."""

import random
import time

import pytest

from influencers.linking import (
    LICENSE_IN_BIO,
    NAME_SPECIALTY,
    NPI_IN_BIO,
    AccountInput,
    ClinicianInput,
    Taxonomy,
    account_match,
    accounts_match,
    clinician_index_build,
    identity_gate,
    license_mentions,
    npi_mentions,
    person_name,
)
from influencers.linking import specialty as sp
from influencers.linking.text import places
from influencers.verification.npi import npi_with_check_digit

CARDIO = Taxonomy.of("Internal Medicine", "Cardiovascular Disease")
INTERNIST = Taxonomy.of("Internal Medicine")
DERM = Taxonomy.of("Dermatology")
PHARMACIST = Taxonomy.of("Pharmacist")
FNP = Taxonomy.of("Nurse Practitioner", "Family")
NPI_A = npi_with_check_digit("123456789")  # 1234567893
NPI_B = npi_with_check_digit("198765432")
NPI_C = npi_with_check_digit("155555555")


def clinician(npi=NPI_A, first="Jane", last="Roe", **kw) -> ClinicianInput:
    kw.setdefault("credential", "MD")
    kw.setdefault("taxonomies", (CARDIO,))
    kw.setdefault("practice_city", "AUSTIN")
    kw.setdefault("practice_state", "TX")
    return ClinicianInput(key=npi, npi=npi, first_name=first, last_name=last, **kw)


def account(display_name="", bio="", handle="someone.bsky.social", **kw):
    return AccountInput(
        key="acct", handle=handle, display_name=display_name, bio=bio, **kw
    )


# --- extraction ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"Cardiologist | NPI {NPI_A} | Austin, TX",
        f"NPI: {NPI_A}",
        f"npi#{NPI_A}",
        f"NPI number {NPI_A}.",
        f"NPI:\u00a0{NPI_A}",
    ],
)
def test_it_finds_a_labelled_npi(text):
    assert [(m.npi, m.labeled) for m in npi_mentions({"bio": text})] == [(NPI_A, True)]


def test_it_ignores_numbers_that_fail_the_check_digit():
    assert npi_mentions({"bio": "NPI 1234567890"}) == []
    assert npi_mentions({"bio": "call 512-555-0101 or 5125550101"}) == []


def test_a_bare_valid_number_is_found_but_not_labelled():
    (mention,) = npi_mentions({"bio": f"Cardiology. {NPI_A}"})
    assert (mention.npi, mention.labeled) == (NPI_A, False)


def test_an_npi_registry_link_counts_as_labelled():
    url = f"https://npiregistry.cms.hhs.gov/provider-view/{NPI_A}"
    assert npi_mentions({"url": url})[0].labeled


@pytest.mark.parametrize(
    ("text", "state", "number"),
    [
        ("TX Lic. #Q1234", "TX", "Q1234"),
        ("License: CA A12345", "CA", "A12345"),
        ("licensed in TX #P5678", "TX", "P5678"),
        ("Lic# MD12345", "", "MD12345"),
        ("GA medical license no. 045678", "GA", "45678"),
    ],
)
def test_it_reads_licence_numbers(text, state, number):
    (mention,) = license_mentions(text)
    assert (mention.state, mention.number) == (state, number)


def test_it_does_not_read_a_licence_without_the_word():
    assert license_mentions("Call TX 512-555-0101") == []


@pytest.mark.parametrize(
    ("display", "tokens", "credentials", "titled"),
    [
        ("Dr. Jane Roe", ["jane", "roe"], [], True),
        ("Jane Roe, MD, FACC", ["jane", "roe"], ["md", "facc"], False),
        ("Roe, Jane", ["jane", "roe"], [], False),
        ("Jane Q. Roe PA-C", ["jane", "q", "roe"], ["pac"], False),
        ("José García-López, PharmD", ["jose", "garcia", "lopez"], ["pharmd"], False),
        ("Jane Do", ["jane", "do"], [], False),
    ],
)
def test_it_reads_a_display_name_as_a_person(display, tokens, credentials, titled):
    name = person_name(display)
    assert (name.tokens, name.credentials, name.titled) == (tokens, credentials, titled)
    assert name.looks_personal


def test_a_nickname_does_not_look_like_a_person():
    assert not person_name("HeartDoc 🩺").looks_personal


def test_it_reads_places_and_distrusts_credential_state_codes():
    (place,) = places("Cardiologist in San Antonio, TX. Views my own.")
    assert (place.city, place.state, place.ambiguous) == ("san antonio", "TX", False)
    assert places("Atlanta, Georgia")[0].state == "GA"
    assert places("Jane Roe, MD")[0].ambiguous


@pytest.mark.parametrize(
    ("bio", "taxonomy", "level"),
    [
        ("Cardiologist in Austin", CARDIO, sp.SPECIALTY),
        ("Rheumatologist", INTERNIST, sp.CLASSIFICATION),
        ("Internist and teacher", CARDIO, sp.CLASSIFICATION),
        ("Internal medicine physician", INTERNIST, sp.SPECIALTY),
        ("Dermatologist", CARDIO, sp.CONFLICT),
        ("Coffee and long shifts", CARDIO, sp.NO_TERMS),
        ("Family nurse practitioner", FNP, sp.SPECIALTY),
        ("Clinical pharmacist", PHARMACIST, sp.SPECIALTY),
        ("Massage Therapist", Taxonomy.of("Massage Therapist"), sp.SPECIALTY),
    ],
)
def test_specialty_words_against_the_taxonomy(bio, taxonomy, level):
    key = sp.phrase_key(bio)
    assert sp.specialty_match(key, sp.specialty_terms(key), [taxonomy])[0] == level


# --- matching --------------------------------------------------------------------------


def test_an_npi_in_the_bio_links_with_high_confidence():
    result = account_match(
        account("Dr. Jane Roe", f"Cardiologist | NPI {NPI_A} | Austin, TX"),
        clinician_index_build([clinician()]),
    )
    assert (result.npi, result.method) == (NPI_A, NPI_IN_BIO)
    assert result.confidence >= 0.95
    assert result.evidence[NPI_IN_BIO] == NPI_A
    assert result.evidence["specialty_terms"] == ["cardiologist"]
    assert result.evidence["location"] == "Austin, TX"
    assert result.evidence["name_score"] >= 90


def test_a_mastodon_npi_field_links_like_the_bio():
    bio = f"Views my own.\n\nNPI: {NPI_A}"
    result = account_match(
        account("HeartDoc", bio), clinician_index_build([clinician()])
    )
    assert result.method == NPI_IN_BIO
    assert 0.85 <= result.confidence < 0.95  # no name to corroborate


def test_an_npi_whose_name_contradicts_the_account_is_not_linked():
    result = account_match(
        account("Dr. John Smith", f"NPI {NPI_A}"),
        clinician_index_build([clinician()]),
    )
    assert not result.linked
    assert result.evidence["not_linked"][0]["name_match"] == "conflict"


def test_an_npi_we_do_not_hold_is_reported_not_linked():
    result = account_match(
        account("Dr. Jane Roe", f"NPI {NPI_C}"), clinician_index_build([clinician()])
    )
    assert result.evidence["npi_in_bio_unknown"] == [NPI_C]
    assert result.method != NPI_IN_BIO


def test_a_bare_number_needs_the_name_to_agree():
    index = clinician_index_build([clinician()])
    assert not account_match(account("Pat Doe", f"call {NPI_A}"), index).linked
    assert account_match(account("Jane Roe", f"Austin {NPI_A}"), index).linked


def test_name_specialty_and_place_link_below_npi_certainty():
    index = clinician_index_build([clinician(), clinician(NPI_B, "John", "Smith")])
    result = account_match(
        account("Dr. Jane Roe", "Cardiologist in Austin, TX. Views my own."), index
    )
    assert (result.npi, result.method) == (NPI_A, NAME_SPECIALTY)
    assert 0.8 <= result.confidence <= 0.9
    assert result.evidence["name_match"] == "full"
    assert result.evidence["location_match"] == "city"


def test_the_specialty_tells_namesakes_apart():
    index = clinician_index_build(
        [clinician(), clinician(NPI_B, taxonomies=(DERM,), practice_city="DALLAS")]
    )
    result = account_match(
        account("Jane Roe, MD", "Dermatologist in Dallas, TX"), index
    )
    assert result.npi == NPI_B


def test_indistinguishable_namesakes_are_not_linked():
    index = clinician_index_build([clinician(), clinician(NPI_B)])
    result = account_match(account("Dr. Jane Roe", "Cardiologist in Austin, TX"), index)
    assert not result.linked
    assert result.evidence["not_linked"][0]["ambiguous_with"][0]["npi"] == NPI_B


def test_a_name_alone_is_not_enough():
    index = clinician_index_build([clinician()])
    assert not account_match(account("Jane Roe", "Runner. Mom of two."), index).linked


def test_a_contradicting_specialty_blocks_the_link():
    index = clinician_index_build([clinician()])
    result = account_match(
        account("Dr. Jane Roe", "Dermatologist in Austin, TX"), index
    )
    assert not result.linked


def test_a_nickname_account_is_not_linked():
    index = clinician_index_build([clinician()])
    result = account_match(account("HeartDoc 🩺", "Prevention, lipids, AF."), index)
    assert not result.linked


def test_the_handle_can_carry_the_name():
    index = clinician_index_build([clinician()])
    result = account_match(
        account("", "Cardiologist in Austin, TX", handle="drjaneroe42.bsky.social"),
        index,
    )
    assert (result.npi, result.method) == (NPI_A, NAME_SPECIALTY)


def test_a_nickname_for_the_first_name_matches():
    index = clinician_index_build([clinician(first="William", last="Stone")])
    result = account_match(account("Dr. Bill Stone", "Cardiologist, Austin, TX"), index)
    assert result.linked and result.evidence["name_match"] == "full"


def test_a_licence_with_its_state_links():
    index = clinician_index_build([clinician(licenses=(("TX", "Q-01234"),))])
    result = account_match(account("Jane Roe", "TX Lic. #Q1234. Cardiology."), index)
    assert (result.npi, result.method) == (NPI_A, LICENSE_IN_BIO)
    assert result.evidence[LICENSE_IN_BIO] == "TX Q1234"
    assert result.confidence >= 0.9


def test_a_licence_in_another_state_does_not_link():
    index = clinician_index_build([clinician(licenses=(("TX", "Q1234"),))])
    result = account_match(account("HeartDoc", "CA Lic. #Q1234"), index)
    assert result.method != LICENSE_IN_BIO


def test_an_organization_npi_links_but_never_passes_the_gate():
    org = ClinicianInput(
        key="org", npi=NPI_C, entity_type=2, organization_name="Austin Heart Clinic"
    )
    result = account_match(
        account("Austin Heart Clinic", f"NPI {NPI_C}"), clinician_index_build([org])
    )
    assert result.method == NPI_IN_BIO
    passed, reasons = identity_gate(
        npi=NPI_C,
        npi_status="active",
        entity_type=2,
        credential="",
        link_status="unreviewed",
        link_confidence=result.confidence,
    )
    assert not passed and "organization" in reasons[0]


def test_matching_uses_a_blocking_index_not_all_pairs():
    rng = random.Random(3)

    def word() -> str:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7))

    firsts = [word() for _ in range(300)]
    lasts = [word() for _ in range(3000)]
    clinicians = [
        ClinicianInput(
            key=i,
            npi=npi_with_check_digit(f"1{i:08d}"),
            first_name=rng.choice(firsts),
            last_name=rng.choice(lasts),
            credential="MD",
            taxonomies=(CARDIO,),
            practice_city="Austin",
            practice_state="TX",
        )
        for i in range(40_000)
    ]
    accounts = [
        AccountInput(
            key=i,
            handle=f"user{i}.bsky.social",
            display_name=f"Dr. {c.first_name.title()} {c.last_name.title()}",
            bio="Cardiologist in Austin, TX",
        )
        for i, c in enumerate(clinicians[:10_000])
    ]
    started = time.perf_counter()
    results = accounts_match(accounts, clinicians)
    elapsed = time.perf_counter() - started
    assert len(results) == 10_000
    assert elapsed < 30  # all pairs would be 400 million comparisons


# --- the identity gate -----------------------------------------------------------------


def gate(**kw):
    values = {
        "npi": NPI_A,
        "npi_status": "active",
        "entity_type": 1,
        "credential": "MD",
        "link_status": "unreviewed",
        "link_confidence": 0.95,
        "taxonomy_code": "207RC0000X",
    }
    return identity_gate(**{**values, **kw})


def test_the_gate_passes_a_sure_link_to_an_active_individual():
    assert gate() == (True, [])


def test_a_rejected_link_never_passes():
    passed, reasons = gate(link_status="rejected", link_confidence=1.0)
    assert not passed and "rejected" in reasons[0]


def test_a_confirmed_link_passes_whatever_its_confidence():
    assert gate(link_status="confirmed", link_confidence=0.3)[0]
    assert gate(link_status="confirmed", link_confidence=None)[0]


def test_an_unreviewed_link_needs_the_threshold():
    assert not gate(link_confidence=0.79)[0]
    assert gate(link_confidence=0.8)[0]
    assert gate(link_confidence=0.6, threshold=0.5)[0]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"npi": "1234567890"}, "Luhn"),
        ({"npi_status": "deactivated"}, "deactivated"),
        ({"entity_type": 2}, "organization"),
        ({"credential": "RN"}, "credential"),
        ({"npi": None}, "no clinician"),
    ],
)
def test_the_gate_names_each_failure(change, words):
    passed, reasons = gate(**change)
    assert not passed
    assert any(words in reason for reason in reasons)


def test_a_nurse_practitioner_credential_fits_a_nurse_practitioner_taxonomy():
    assert gate(credential="FNP-C", taxonomy_code="363LF0000X")[0]


# --- quality against the demo world ----------------------------------------------------


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    from demoworld import generate_world

    out = tmp_path_factory.mktemp("world")
    generate_world(out_dir=out, size="small", seed=7)
    return out


def test_link_quality_on_the_small_demo_world(small_world):
    from bench.link_quality import world_link_quality

    quality = world_link_quality(small_world)
    assert quality["precision"] >= 0.97, quality["wrong_links"][:5]
    assert quality["recall_linkable"] >= 0.9
    for method in ("npi-in-bio", "name+specialty"):
        assert quality["recall_by_expected"][method]["recall"] >= 0.9
