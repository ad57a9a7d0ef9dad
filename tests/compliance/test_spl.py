"""The pure SPL parser and the condition lexicon: no database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from compliance.labels.conditions import conditions_match, indication_conditions
from compliance.labels.spl import (
    MARKET_OTC,
    MARKET_RX,
    SplLabel,
    SplParseError,
    spl_parse,
)

SPL_DIR = Path(settings.REFERENCE_DATA_DIR) / "spl-labels"


@pytest.fixture(scope="module")
def labels() -> dict[str, SplLabel]:
    return {path.stem: spl_parse(path) for path in sorted(SPL_DIR.glob("*.xml"))}


def _minimal_spl(
    *,
    body: str = "",
    doc_code: str = "34391-3",
    title: str = "<title>Test label</title>",
    approval: str = "NDA",
) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<document xmlns="urn:hl7-org:v3">
  <id root="11111111-2222-3333-4444-555555555555"/>
  <code code="{doc_code}" codeSystem="2.16.840.1.113883.6.1" displayName="X"/>
  {title}
  <effectiveTime value="20240102"/>
  <setId root="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"/>
  <versionNumber value="3"/>
  <author><assignedEntity><representedOrganization>
    <name>Acme Pharma</name>
  </representedOrganization></assignedEntity></author>
  <component><structuredBody>
    <component><section>
      <code code="48780-1" codeSystem="2.16.840.1.113883.6.1"/>
      <subject><manufacturedProduct><manufacturedProduct>
        <name>Zapitor<suffix>XR</suffix></name>
        <asEntityWithGeneric><genericMedicine><name>zapistatin</name>
        </genericMedicine></asEntityWithGeneric>
      </manufacturedProduct>
      <subjectOf><approval><id extension="NDA000001"/>
        <code code="C1" displayName="{approval}"/></approval></subjectOf>
      </manufacturedProduct></subject>
    </section></component>
    {body}
  </structuredBody></component>
</document>""".encode()


# ------------------------------------------------------------------ bundled labels


def test_humira_boxed_warning_mentions_serious_infections_and_malignancy(labels):
    boxed = labels["humira"].boxed_warning

    assert boxed.startswith("WARNING: SERIOUS INFECTIONS AND MALIGNANCY")
    assert "serious infections" in boxed.lower()
    assert "malignanc" in boxed.lower()


def test_humira_indication_conditions_are_its_seven_approved_uses(labels):
    assert list(labels["humira"].indication_conditions) == [
        "rheumatoid arthritis",
        "juvenile idiopathic arthritis",
        "psoriatic arthritis",
        "ankylosing spondylitis",
        "Crohn's disease",
        "ulcerative colitis",
        "plaque psoriasis",
    ]


def test_humira_header_fields_come_from_the_document(labels):
    humira = labels["humira"]

    assert humira.set_id == "608d4f0d-b19f-46d3-749a-7159aa5f933d"
    assert humira.document_id == "2c9fb32d-4b1b-b5da-4bdf-6b06908ba8b3"
    assert humira.version == 1560
    assert humira.effective_date == date(2013, 9, 30)
    assert humira.document_type_code == "34391-3"
    assert humira.market_category == MARKET_RX
    assert humira.brand_names == ("Humira",)
    assert humira.generic_names == ("Adalimumab",)
    assert humira.sponsor == "AbbVie Inc."
    assert humira.approval_categories == ("BLA",)
    assert humira.title.startswith("These highlights do not include")


def test_indications_text_skips_the_highlights_excerpt(labels):
    text = labels["humira"].indications

    assert text.startswith("1 INDICATIONS AND USAGE\n")
    assert "1.5 Crohn’s Disease" in text
    # The Highlights summary ("HUMIRA is a tumor necrosis factor (TNF) blocker
    # indicated for ...") is an <excerpt>, not part of section 1.
    assert "TNF) blocker indicated for treatment of" not in text


def test_lipitor_indications_are_lipids_and_cardiovascular_risk_reduction(labels):
    lipitor = labels["lipitor-orig"]

    assert "1.2 Hyperlipidemia" in lipitor.indications
    assert "Reduce the risk of myocardial infarction" in lipitor.indications
    assert {
        "hyperlipidemia",
        "cardiovascular risk reduction",
        "stroke risk reduction",
        "mixed dyslipidemia",
        "homozygous familial hypercholesterolemia",
        "pediatric heterozygous familial hypercholesterolemia",
    } <= set(lipitor.indication_conditions)
    assert lipitor.boxed_warning == ""


def test_lipitor_population_words_are_not_read_as_indications(labels):
    # "In patients with type 2 diabetes ... or hypertension, LIPITOR is indicated to:"
    conditions = labels["lipitor-orig"].indication_conditions

    assert "type 2 diabetes" not in conditions
    assert "hypertension" not in conditions


def test_eliquis_v29_has_no_pediatric_indication(labels):
    v29 = labels["eliquis-apixaban-v29-2021"]

    assert v29.version == 29
    assert list(v29.indication_conditions) == [
        "stroke risk reduction",
        "atrial fibrillation",
        "deep vein thrombosis",
        "pulmonary embolism",
    ]
    assert "pediatric" not in v29.indications.lower()


def test_eliquis_v30_adds_pediatric_venous_thromboembolism(labels):
    v30 = labels["eliquis-apixaban"]

    assert v30.version == 30
    assert "pediatric venous thromboembolism" in v30.indication_conditions
    assert "1.6 Treatment of Venous Thromboembolism" in v30.indications


def test_both_eliquis_versions_share_the_set_id_but_not_the_document_id(labels):
    v29, v30 = labels["eliquis-apixaban-v29-2021"], labels["eliquis-apixaban"]

    assert v29.set_id == v30.set_id == "e9481622-7cc6-418a-acb6-c5450daae9b0"
    assert v29.document_id != v30.document_id
    assert v30.brand_names == ("ELIQUIS", "ELIQUIS 30-Day Starter Pack")
    assert v30.sponsor == "E.R. Squibb & Sons, L.L.C."


def test_eliquis_boxed_warning_and_contraindications_are_clean_text(labels):
    v30 = labels["eliquis-apixaban"]

    assert "SPINAL/EPIDURAL HEMATOMA" in v30.boxed_warning
    assert "- Active pathological bleeding" in v30.contraindications
    assert "<" not in v30.contraindications and "•" not in v30.contraindications


def test_cough_drug_facts_label_is_otc(labels):
    cough = labels["cough"]

    assert cough.document_type_code == "34390-5"
    assert cough.market_category == MARKET_OTC
    assert cough.brand_name == "TRIAMINIC Childrens Night Time Cold and Cough"
    assert cough.approval_categories == ("OTC monograph final",)
    assert {"cough", "allergic rhinitis", "nasal congestion"} <= set(
        cough.indication_conditions
    )


def test_a_boxed_warning_nested_inside_another_section_is_not_the_labels(labels):
    # cough.xml and no-title.xml use "Boxed Warning" sections as layout boxes inside
    # other sections (a tamper-evident notice, dosage tables).
    assert labels["cough"].boxed_warning == ""
    assert "Moderate Symptomatology" not in labels["no-title"].boxed_warning


def test_no_title_label_parses_with_the_brand_from_manufactured_product(labels):
    label = labels["no-title"]

    assert label.title == ""
    assert label.brand_name == "Haloperidol"
    assert label.generic_name == "haloperidol"
    assert label.market_category == MARKET_RX
    assert label.approval_categories == ("ANDA",)
    assert "Dementia-Related Psychosis" in label.boxed_warning
    assert label.indication_conditions == ("psychotic disorders", "Tourette's disorder")


def test_an_older_label_combines_warnings_and_precautions(labels):
    text = labels["no-title"].warnings_precautions

    assert text.startswith("WARNINGS\n")
    assert "\n\nPRECAUTIONS\n" in text


def test_adverse_reaction_terms_come_from_tables_and_lists(labels):
    lipitor = labels["lipitor-orig"].adverse_reaction_terms
    humira = labels["humira"].adverse_reaction_terms
    eliquis = labels["eliquis-apixaban"].adverse_reaction_terms

    assert {"Nasopharyngitis", "Myalgia", "Arthralgia", "Diarrhea"} <= set(lipitor)
    assert {"Injection site reaction", "Serious Infections", "Malignancies"} <= set(
        humira
    )
    assert {"Epistaxis", "Gingival bleeding", "Bleeding"} <= set(eliquis)
    # Group headers and severity grades are not reactions.
    assert "Respiratory" not in humira
    assert not {"Major", "Minor", "Fatal", "All"} & set(eliquis)


def test_sections_are_keyed_by_loinc_code_including_distinct_nested_ones(labels):
    sections = labels["humira"].sections

    assert sections["34067-9"] == labels["humira"].indications
    assert sections["34081-0"].startswith("8.4 Pediatric Use")
    assert "48780-1" not in sections  # structured product data, not text


# ---------------------------------------------------------------- edge cases


def test_garbage_is_rejected_as_not_well_formed_xml():
    with pytest.raises(SplParseError, match="not well-formed XML"):
        spl_parse(b"this is not <xml")


def test_xml_that_is_not_spl_is_rejected_with_the_root_element():
    with pytest.raises(
        SplParseError, match=r"not an SPL document: root element is <feed>"
    ):
        spl_parse(b"<feed><entry/></feed>")


def test_an_empty_file_is_rejected(tmp_path):
    path = tmp_path / "empty.xml"
    path.write_bytes(b"")

    with pytest.raises(SplParseError, match="file is empty"):
        spl_parse(path)


def test_a_document_without_set_id_is_rejected():
    data = _minimal_spl().replace(
        b'<setId root="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"/>', b""
    )

    with pytest.raises(SplParseError, match=r"lacks setId/@root"):
        spl_parse(data)


def test_external_entities_are_not_resolved():
    data = _minimal_spl(title="<title>&xxe;</title>").replace(
        b"<document",
        b'<!DOCTYPE document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<document',
        1,
    )

    label = spl_parse(data)

    assert "root:" not in label.title


def test_a_label_without_indications_section_parses_with_no_conditions():
    body = """<component><section>
      <code code="34084-4" codeSystem="2.16.840.1.113883.6.1"/>
      <title>6 ADVERSE REACTIONS</title>
      <text><list><item>Headache</item><item>Nausea [see Warnings (5.1)]</item></list>
      </text></section></component>"""

    label = spl_parse(_minimal_spl(body=body))

    assert label.indications == ""
    assert label.indication_conditions == ()
    assert label.brand_names == ("Zapitor XR",)
    assert label.products[0].base_name == "Zapitor"
    assert label.adverse_reaction_terms == ("Headache", "Nausea")
    assert label.sponsor == "Acme Pharma"
    assert label.effective_date == date(2024, 1, 2)


def test_market_category_falls_back_to_the_approval_category():
    label = spl_parse(
        _minimal_spl(doc_code="99999-9", approval="OTC monograph not final")
    )

    assert label.market_category == MARKET_OTC


def test_a_title_only_brand_is_used_when_no_product_is_listed():
    data = _minimal_spl(
        title="<title>...information needed to use ZAPITOR safely and ...</title>"
    )
    start, end = (
        data.index(b"<subject>"),
        data.index(b"</subject>") + len(b"</subject>"),
    )

    label = spl_parse(data[:start] + data[end:])

    assert label.brand_names == ("ZAPITOR",)


# --------------------------------------------------------------- the lexicon


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("stroke prevention in AF", ["stroke risk reduction", "atrial fibrillation"]),
        ("treatment of DVT and PE", ["deep vein thrombosis", "pulmonary embolism"]),
        ("recurrent VTE", ["venous thromboembolism"]),
        ("moderate to severe RA", ["rheumatoid arthritis"]),
        ("Crohns disease and Crohn’s disease", ["Crohn's disease"]),
        ("non-valvular atrial fibrillation", ["atrial fibrillation"]),
    ],
)
def test_lexicon_reads_abbreviations_and_synonyms(text, expected):
    assert indication_conditions(text) == expected


def test_lexicon_prefers_the_longest_phrase():
    matches = conditions_match("active psoriatic arthritis")

    assert [m.condition for m in matches] == ["psoriatic arthritis"]
    assert matches[0].text == "psoriatic arthritis"


def test_lowercase_abbreviations_are_not_conditions():
    assert indication_conditions("as a pe teacher, the ra team") == []


def test_sentences_saying_what_is_not_approved_are_skipped():
    text = (
        "DRUG is indicated for plaque psoriasis. "
        "DRUG is not approved for the treatment of psychosis."
    )

    assert indication_conditions(text) == ["plaque psoriasis"]


def test_a_sentence_for_children_only_gives_pediatric_conditions():
    assert indication_conditions(
        "treatment of VTE in pediatric patients from birth"
    ) == ["pediatric venous thromboembolism"]
    assert indication_conditions("Tourette's Disorder in children and adults") == [
        "Tourette's disorder"
    ]
