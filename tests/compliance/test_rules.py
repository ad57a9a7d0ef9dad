"""Pure rule tests: no database. Knowledge comes from the bundled SPL labels parsed by
``compliance.labels.spl`` (ELIQUIS v29 2021 and v30 2025, HUMIRA, LIPITOR, ...)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.conf import settings

from compliance.knowledge import knowledge_from_spl_files
from compliance.rules import (
    RULE_CODES,
    RULE_VERSIONS,
    RULES_VERSION,
    PaymentInfo,
    PostInput,
    rules_run,
)
from compliance.rules.text import Doc

V29 = datetime(2024, 6, 1, tzinfo=UTC)  # ELIQUIS label v29 (2021-09-30) in force
V30 = datetime(2025, 6, 1, tzinfo=UTC)  # ELIQUIS label v30 (2025-04-17) in force


@pytest.fixture(scope="module")
def knowledge():
    folder = Path(settings.REFERENCE_DATA_DIR) / "spl-labels"
    return knowledge_from_spl_files(sorted(folder.glob("*.xml")))


def run(knowledge, text, *, at=V30, payments=(), npi="", products=()):
    return rules_run(
        PostInput(
            text=text,
            posted_at=at,
            author_npi=npi,
            payments=tuple(payments),
            context_products=tuple(products),
        ),
        knowledge,
    )


def codes(hits):
    return {h.code for h in hits}


def hit(hits, code):
    return next(h for h in hits if h.code == code)


# --- shared properties --------------------------------------------------------------


def test_every_evidence_span_points_into_the_original_text(knowledge):
    texts = [
        "Dr. Lee 🙌 #Eliquis is a MIRACLE for LV thrombus!! No side effects.",
        "Thanks @AbbVie for sponsoring! Humira cured my patients' RA. Code RHEUM20",
        "My patient on Lipiter developed severe muscle pain, admitted to the ER.",
    ]
    for text in texts:
        for h in run(knowledge, text):
            for e in h.evidence:
                assert text[e.start : e.end] == e.text


def test_hits_carry_the_rules_version_and_a_basis(knowledge):
    hits = run(knowledge, "Eliquis is a miracle for LV thrombus.")
    assert hits
    for h in hits:
        assert h.version == RULE_VERSIONS[h.code]
        assert h.version.startswith(f"{RULES_VERSION}.")
        assert h.basis and h.explanation
    assert set(RULE_VERSIONS) == set(RULE_CODES)


def test_text_keeps_urls_hashtags_and_mentions_whole():
    doc = Doc("See www.eliquis.com/pi. Thanks @dr.lee.bsky.social #Eliquis $BMY")
    kinds = {t.text: t.kind for t in doc.tokens}
    assert kinds["www.eliquis.com/pi"] == "url"
    assert kinds["@dr.lee.bsky.social"] == "mention"
    assert kinds["#Eliquis"] == "hashtag"
    assert kinds["$BMY"] == "cashtag"
    assert len(doc.sentences) == 2  # the URL's dot does not end a sentence


# --- PRODUCT_MENTION -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Started ELIQUIS today",
        "apixaban works",
        "#Humira day",
        "#adalimumab",
        "Lipitor 40",
    ],
)
def test_product_mention_finds_brand_generic_and_hashtag(knowledge, text):
    mention = hit(run(knowledge, text), "PRODUCT_MENTION")
    assert not mention.is_finding


@pytest.mark.parametrize(
    ("text", "brand"),
    [
        ("lipiter again", "Lipitor"),
        ("eliquiss is fine", "ELIQUIS"),
        ("humria", "Humira"),
    ],
)
def test_product_mention_reads_misspelt_brands(knowledge, text, brand):
    mention = hit(run(knowledge, text), "PRODUCT_MENTION")
    assert mention.product_name == brand
    assert mention.details["forms"] == ["misspelt"]


@pytest.mark.parametrize(
    "text",
    [
        "Human factors matter, humor helps, humid day.",
        "Set a limit on lipids and elicits no liquids.",
        "Training for a triathlon.",
    ],
)
def test_product_mention_ignores_ordinary_words_near_brand_names(knowledge, text):
    assert "PRODUCT_MENTION" not in codes(run(knowledge, text))


def test_an_ingredient_of_a_combination_product_is_not_that_product(knowledge):
    assert "PRODUCT_MENTION" not in codes(run(knowledge, "diphenhydramine at night"))


# --- OFF_LABEL ---------------------------------------------------------------------------


def test_off_label_flags_a_product_for_an_unapproved_condition(knowledge):
    hits = run(knowledge, "Using Eliquis off-label for LV thrombus, works well.")
    off = hit(hits, "OFF_LABEL")
    assert off.details["condition"] == "left ventricular thrombus"
    assert [e.text for e in off.evidence] == ["Eliquis", "LV thrombus"]
    assert "21 CFR 202.1(e)" in off.explanation


def test_off_label_reads_hashtags(knowledge):
    hits = run(knowledge, "#Humira for #LongCOVID fatigue: we tried it in 3 patients.")
    assert hit(hits, "OFF_LABEL").details["condition"] == "long COVID"


def test_on_label_use_is_not_flagged(knowledge):
    assert "OFF_LABEL" not in codes(run(knowledge, "Eliquis for my AFib patients."))
    assert "OFF_LABEL" not in codes(run(knowledge, "Humira in psoriasis and RA."))


@pytest.mark.parametrize(
    "text",
    [
        "No evidence Eliquis helps LV thrombus.",
        "Eliquis is not approved for mechanical heart valves.",
        "Should I try Humira for alopecia?",
    ],
)
def test_off_label_respects_negation_and_questions(knowledge, text):
    assert "OFF_LABEL" not in codes(run(knowledge, text))


def test_eliquis_pediatric_vte_is_off_label_under_v29_and_on_label_under_v30(knowledge):
    text = "Started my 8yo on Eliquis for VTE last month."
    before = hit(run(knowledge, text, at=V29), "OFF_LABEL")
    assert before.label_version == 29
    assert before.details["condition"] == "pediatric venous thromboembolism"
    assert "OFF_LABEL" not in codes(run(knowledge, text, at=V30))


def test_a_post_older_than_every_label_uses_the_earliest(knowledge):
    text = "Started my 8yo on Eliquis for VTE last month."
    old = hit(run(knowledge, text, at=datetime(2015, 1, 1, tzinfo=UTC)), "OFF_LABEL")
    assert old.label_version == 29


def test_a_condition_that_happened_to_the_patient_is_not_a_use(knowledge):
    text = "45F on Lipitor for mixed dyslipidemia came in today with hair loss."
    assert "OFF_LABEL" not in codes(run(knowledge, text))


# --- EFFICACY_OVERSTATEMENT ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Lipitor is a miracle drug.",
        "Humira: 100% effective, zero side effects.",
        "Eliquis is completely safe.",
        "Atorvastatin is far better than any other statin.",
        "Nothing beats Humira for Crohn's.",
    ],
)
def test_overstatement_flags_absolute_and_superiority_claims(knowledge, text):
    assert "EFFICACY_OVERSTATEMENT" in codes(run(knowledge, text))


@pytest.mark.parametrize(
    "text",
    [
        "Lipitor is not a cure for high cholesterol.",
        "No drug is 100% safe, Eliquis included.",
        "Is Humira a miracle drug? No.",
        "In a head-to-head trial Eliquis was superior to warfarin for bleeding.",
        "This diet is a miracle.",  # no drug
    ],
)
def test_overstatement_ignores_negated_asked_substantiated_or_drugless_claims(
    knowledge, text
):
    assert "EFFICACY_OVERSTATEMENT" not in codes(run(knowledge, text))


# --- FAIR_BALANCE ----------------------------------------------------------------------


def test_fair_balance_flags_benefit_without_risk_major_for_a_boxed_warning(knowledge):
    fb = hit(
        run(knowledge, "Eliquis made anticoagulation so simple. Love it."),
        "FAIR_BALANCE",
    )
    assert fb.severity == "major"
    assert fb.details["boxed_warning"] is True


def test_fair_balance_is_minor_without_boxed_warning_and_critical_with_safety_claim(
    knowledge,
):
    assert (
        hit(run(knowledge, "Lipitor works great."), "FAIR_BALANCE").severity == "minor"
    )
    fb = hit(run(knowledge, "Humira works, completely safe."), "FAIR_BALANCE")
    assert fb.severity == "critical"


@pytest.mark.parametrize(
    "text",
    [
        "Eliquis works well for AF. Main risk is bleeding.",
        "Humira helped my RA patients. Boxed warning: serious infections.",
        "Lipitor lowers LDL. Full PI: https://labeling.pfizer.com/pi?id=587",
    ],
)
def test_fair_balance_accepts_risk_information_or_a_link_to_it(knowledge, text):
    assert "FAIR_BALANCE" not in codes(run(knowledge, text))


def test_ask_your_doctor_is_not_risk_information(knowledge):
    text = "Eliquis works great for AF. Ask your doctor."
    assert "FAIR_BALANCE" in codes(run(knowledge, text))


# --- UNDISCLOSED_SPONSORSHIP ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Thanks @AbbVie for sponsoring today's Humira talk!",
        "Use code RHEUM20 for 20% off the conference.",
        "Partnered with BMS on an Eliquis campaign.",
    ],
)
def test_sponsorship_signals_without_disclosure_are_flagged(knowledge, text):
    assert "UNDISCLOSED_SPONSORSHIP" in codes(run(knowledge, text))


def test_a_disclosure_at_the_start_is_clear_and_conspicuous(knowledge):
    text = (
        "#ad Partnered with BMS: what Eliquis means for AF care. Main risk: bleeding."
    )
    assert "UNDISCLOSED_SPONSORSHIP" not in codes(run(knowledge, text))


def test_a_disclosure_after_a_wall_of_hashtags_is_not_conspicuous(knowledge):
    text = "Great Humira results this year. #rheum #medtwitter #health #ad"
    found = hit(run(knowledge, text), "UNDISCLOSED_SPONSORSHIP")
    assert "hashtags" in found.explanation


def test_a_disclosure_below_the_fold_is_not_conspicuous(knowledge):
    text = "Partnered with Pfizer on this one. " + "Lipitor and LDL, a long story. " * 5
    text += "Paid partnership."
    found = hit(run(knowledge, text), "UNDISCLOSED_SPONSORSHIP")
    assert "below the fold" in found.explanation


# --- COI_UNDISCLOSED ---------------------------------------------------------------------

BMS = PaymentInfo(
    "Bristol-Myers Squibb Company", 1800.0, date(2024, 10, 1), "Consulting Fee"
)


def test_coi_flags_payments_from_the_maker_of_a_discussed_product(knowledge):
    hits = run(
        knowledge,
        "Eliquis in AF: main risk is bleeding.",
        payments=[BMS],
        npi="1234567893",
    )
    coi = hit(hits, "COI_UNDISCLOSED")
    assert "Bristol-Myers Squibb Company" in coi.explanation  # matched to E.R. Squibb
    assert coi.details["total_usd"] == 1800.0
    assert coi.severity == "major"


def test_coi_matches_a_payment_that_names_the_product(knowledge):
    pfizer_eliquis = PaymentInfo(
        "Pfizer Inc.", 40.0, date(2024, 5, 1), "Food", ("Eliquis",)
    )
    hits = run(
        knowledge, "Eliquis update, bleeding risk noted.", payments=[pfizer_eliquis]
    )
    assert hit(hits, "COI_UNDISCLOSED").severity == "minor"


def test_coi_is_answered_by_a_conspicuous_disclosure(knowledge):
    text = "Disclosure: I consult for BMS. Eliquis in AF: main risk is bleeding."
    assert "COI_UNDISCLOSED" not in codes(run(knowledge, text, payments=[BMS]))


def test_coi_ignores_other_makers_and_old_payments(knowledge):
    other = PaymentInfo("AbbVie Inc.", 5000.0, date(2024, 1, 1), "Consulting Fee")
    old = PaymentInfo(
        "Bristol-Myers Squibb", 5000.0, date(2015, 1, 1), "Consulting Fee"
    )
    hits = run(
        knowledge, "Eliquis in AF: main risk is bleeding.", payments=[other, old]
    )
    assert "COI_UNDISCLOSED" not in codes(hits)


# --- ADVERSE_EVENT -----------------------------------------------------------------------


def test_adverse_event_needs_patient_reporter_product_and_event(knowledge):
    text = "My patient on #Humira developed a nasty infection last week."
    ae = hit(run(knowledge, text), "ADVERSE_EVENT")
    assert ae.details["elements"]["patient"].lower() == "my patient"
    assert ae.details["elements"]["product"] == ["Humira"]
    assert "Infection" in ae.details["elements"]["event"]
    assert ae.severity == "major"


def test_a_serious_outcome_makes_the_adverse_event_critical(knowledge):
    text = "A 67-year-old woman on Eliquis had a GI bleed and was hospitalized."
    assert hit(run(knowledge, text), "ADVERSE_EVENT").severity == "critical"


def test_adverse_event_recognises_drugs_beyond_the_labelled_products(knowledge):
    ae = hit(run(knowledge, "zoloft gave me the worst headaches"), "ADVERSE_EVENT")
    assert "zoloft" in [e.text for e in ae.evidence]


@pytest.mark.parametrize(
    "text",
    [
        # a question to others that is also the author's own account
        "Does anyone else get dizzy on Lipitor? I do every morning.",
        # experiential hashtags tell of the event (topic hashtags do not)
        "Took Humira late tonight #cantsleep",
        # plurals of lexicon phrases, and lay words for sedation
        "Those Lipitor hangovers were unshiftable",
        "Humira and now I just want to sleeeep",
    ],
)
def test_adverse_event_reads_own_questions_experiential_hashtags_and_plurals(
    knowledge, text
):
    assert "ADVERSE_EVENT" in codes(run(knowledge, text))


def test_a_topic_hashtag_alone_is_not_an_account(knowledge):
    assert "ADVERSE_EVENT" not in codes(run(knowledge, "#insomnia #humira"))
    assert "ADVERSE_EVENT" not in codes(
        run(knowledge, "Does anyone know if the weight gain is less on Lipitor?")
    )


def test_adverse_event_takes_the_product_from_context(knowledge):
    hits = run(knowledge, "Extreme weight gain and hair loss.", products=["Lexapro"])
    assert hit(hits, "ADVERSE_EVENT").details["elements"]["product"] == ["Lexapro"]


@pytest.mark.parametrize(
    "text",
    [
        "If you get a headache on Lipitor talk to your doctor.",
        "I have had no nausea at all on Lipitor.",
        "Patients on Eliquis can bleed; counsel them about the signs.",
        "Lipitor helped my high cholesterol, no more chest pain.",
        "Side effects can include muscle aches; see the full PI for Lipitor.",
        "My mother has a family history of stroke, she takes Lipitor.",
    ],
)
def test_adverse_event_ignores_negated_hypothetical_generic_and_improved(
    knowledge, text
):
    assert "ADVERSE_EVENT" not in codes(run(knowledge, text))


def test_the_adverse_event_explanation_names_the_four_elements(knowledge):
    ae = hit(run(knowledge, "My mom got dizzy on Eliquis."), "ADVERSE_EVENT")
    for element in ("patient", "reporter", "suspect product", "adverse event"):
        assert element in ae.explanation


# --- ADVERSE_EVENT, rule version 2 (text written for these tests) ------------------


@pytest.mark.parametrize(
    ("text", "term"),
    [
        (
            "Started Lipitor last month and now I have a metallic taste all day.",
            "Dysgeusia",
        ),
        (
            "Two weeks on cipro and I got sunburnt so easily at the beach.",
            "Photosensitivity reaction",
        ),
        ("Since the switch to duloxetine my knees ache every morning.", "Pain"),
        ("On zoloft I am in a constant haze at work.", "Cognitive disorder"),
        ("On venlafaxine and still awake at 4 again.", "Insomnia"),
    ],
)
def test_adverse_event_general_symptom_vocabulary(knowledge, text, term):
    ae = hit(run(knowledge, text), "ADVERSE_EVENT")
    assert any(term in t for t in ae.details["elements"]["event"])


def test_adverse_event_recognises_common_drug_misspellings_and_hyphenated_names(
    knowledge,
):
    ae = hit(run(knowledge, "trazadone gave me the worst hangover"), "ADVERSE_EVENT")
    assert "trazodone" in ae.details["elements"]["product"]
    ae = hit(
        run(knowledge, "this quetiapine-dry-mouth is getting old, I hate it"),
        "ADVERSE_EVENT",
    )
    assert "quetiapine" in [e.text.lower() for e in ae.evidence]


def test_a_first_person_statement_ending_in_a_question_mark_still_counts(knowledge):
    assert "ADVERSE_EVENT" in codes(run(knowledge, "prozac makes me so dizzy ?"))
    assert "ADVERSE_EVENT" not in codes(
        run(knowledge, "does anyone get dizzy on prozac?")
    )


def test_a_first_person_account_of_a_named_drug_is_flagged_for_review(knowledge):
    text = "Three days off sertraline and I am not myself at all."
    ae = hit(run(knowledge, text), "ADVERSE_EVENT")
    assert ae.details["elements"]["patient"] == "the author"


@pytest.mark.parametrize(
    "text",
    [
        "My doctor switched me to sertraline this week.",
        "I love my new sertraline routine, so glad I started.",
        "I'm a paid speaker for the maker of sertraline; I think it is underused.",
        "I put every patient with panic disorder on sertraline.",
    ],
)
def test_a_first_person_account_skips_logistics_praise_and_trade_talk(knowledge, text):
    assert "ADVERSE_EVENT" not in codes(run(knowledge, text))
