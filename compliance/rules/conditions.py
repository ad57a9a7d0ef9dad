"""Conditions a post talks about, and whether a label's indications cover them.

The label lexicon (``compliance.labels.conditions.CONDITIONS``, which turns label
INDICATIONS text into canonical conditions) is extended here with ``POST_CONDITIONS``:
conditions clinicians post about, many of them off-label for the products we hold
labels for. Each entry is a canonical name, its phrases (matched case-insensitively;
a space or hyphen matches any run of spaces/hyphens or none, so ``#LongCOVID``
matches "long covid") and its capital-only abbreviations. Documented term list:

* anticoagulation, off-label: mechanical heart valve, left ventricular (LV) thrombus,
  superficial vein thrombosis, cerebral venous thrombosis, portal/splanchnic vein
  thrombosis, antiphospholipid syndrome, heparin-induced thrombocytopenia, ESUS /
  cryptogenic stroke, peripheral artery disease, coronary artery disease;
* trends: long COVID, COVID-19, weight loss, longevity / anti-aging;
* dermatology and immunology: alopecia (and hair loss/regrowth), atopic dermatitis
  (eczema), acne, vitiligo, lupus, sarcoidosis, pyoderma gangrenosum, Behçet's,
  giant cell arteritis, osteoarthritis, gout, fibromyalgia, asthma;
* metabolic, neuro, psych and others: type 1 diabetes, prediabetes, fatty liver
  (NAFLD/MASLD/NASH/MASH), chronic kidney disease, Alzheimer's disease / dementia,
  Parkinson's disease, ALS, migraine, depression, anxiety, insomnia, PCOS, erectile
  dysfunction, cancer, sepsis.

``condition_covered`` decides whether an approved list covers a condition: the same
canonical name, a related one (``_RELATED``: VTE = DVT + PE; "stroke" under "stroke
risk reduction"; the lipid disorders; obesity and weight loss), and for "pediatric X"
only a pediatric approval ("pediatric venous thromboembolism" in ELIQUIS v30), or an
unrestricted approval on a label whose indications text itself speaks of children
(an OTC "adults and children 6 years and over").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from compliance.labels.conditions import CONDITIONS, Condition
from compliance.rules.text import Doc

POST_CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "mechanical heart valve",
        (
            "mechanical heart valve",
            "mechanical heart valves",
            "mechanical valve",
            "mechanical valves",
            "mechanical mitral valve",
            "mechanical aortic valve",
            "mechanical prosthetic valve",
            "metal heart valve",
            "On-X valve",
        ),
        ("MHV",),
    ),
    Condition(
        "left ventricular thrombus",
        (
            "left ventricular thrombus",
            "LV thrombus",
            "LV thrombi",
            "LV clot",
            "LV clots",
            "apical thrombus",
            "ventricular thrombus",
            "LV thrombosis",
        ),
        ("LVT",),
    ),
    Condition(
        "superficial vein thrombosis",
        (
            "superficial vein thrombosis",
            "superficial venous thrombosis",
            "superficial thrombophlebitis",
            "thrombophlebitis",
        ),
    ),
    Condition(
        "cerebral venous thrombosis",
        ("cerebral venous thrombosis", "cerebral venous sinus thrombosis"),
        ("CVT", "CVST"),
    ),
    Condition(
        "splanchnic vein thrombosis",
        (
            "portal vein thrombosis",
            "splanchnic vein thrombosis",
            "mesenteric vein thrombosis",
        ),
        ("PVT",),
    ),
    Condition(
        "antiphospholipid syndrome",
        ("antiphospholipid syndrome", "antiphospholipid antibody syndrome"),
        ("APS", "APLS"),
    ),
    Condition(
        "heparin-induced thrombocytopenia", ("heparin-induced thrombocytopenia",)
    ),
    Condition(
        "embolic stroke of undetermined source",
        ("embolic stroke of undetermined source", "cryptogenic stroke"),
        ("ESUS",),
    ),
    Condition(
        "peripheral artery disease",
        ("peripheral artery disease", "peripheral arterial disease"),
        ("PAD",),
    ),
    Condition(
        "coronary artery disease",
        ("coronary artery disease", "coronary heart disease"),
        ("CAD", "CHD"),
    ),
    Condition(
        "long COVID",
        (
            "long covid",
            "long-haul covid",
            "long haul covid",
            "post-covid",
            "post covid syndrome",
            "long haulers",
            "long-haulers",
        ),
        ("PASC",),
    ),
    Condition(
        "COVID-19", ("covid", "covid-19", "covid19", "sars-cov-2", "coronavirus")
    ),
    Condition(
        "weight loss",
        (
            "weight loss",
            "lose weight",
            "losing weight",
            "weight-loss",
            "slimming",
            "shed pounds",
            "drop pounds",
        ),
    ),
    Condition(
        "longevity",
        ("longevity", "anti-aging", "anti-ageing", "healthy aging", "lifespan"),
    ),
    Condition(
        "alopecia",
        (
            "alopecia",
            "alopecia areata",
            "hair loss",
            "hair regrowth",
            "regrow hair",
            "hair regrow",
            "balding",
        ),
    ),
    Condition("atopic dermatitis", ("atopic dermatitis", "eczema")),
    Condition("acne", ("acne",)),
    Condition("vitiligo", ("vitiligo",)),
    Condition("lupus", ("lupus", "systemic lupus erythematosus"), ("SLE",)),
    Condition("sarcoidosis", ("sarcoidosis", "sarcoid")),
    Condition("pyoderma gangrenosum", ("pyoderma gangrenosum",)),
    Condition("Behçet's disease", ("behcet's", "behçet's", "behcet's disease")),
    Condition("giant cell arteritis", ("giant cell arteritis",), ("GCA",)),
    Condition("osteoarthritis", ("osteoarthritis",), ("OA",)),
    Condition("gout", ("gout",)),
    Condition("fibromyalgia", ("fibromyalgia",)),
    Condition("asthma", ("asthma",)),
    Condition("type 1 diabetes", ("type 1 diabetes", "type I diabetes"), ("T1D",)),
    Condition("prediabetes", ("prediabetes", "pre-diabetes")),
    Condition(
        "fatty liver disease",
        ("fatty liver", "fatty liver disease"),
        ("NAFLD", "MASLD", "NASH", "MASH"),
    ),
    Condition("chronic kidney disease", ("chronic kidney disease",), ("CKD",)),
    Condition(
        "Alzheimer's disease", ("alzheimer's", "alzheimer's disease", "dementia")
    ),
    Condition("Parkinson's disease", ("parkinson's", "parkinson's disease")),
    Condition(
        "amyotrophic lateral sclerosis", ("amyotrophic lateral sclerosis",), ("ALS",)
    ),
    Condition("migraine", ("migraine", "migraines")),
    Condition("depression", ("depression",)),
    Condition(
        "anxiety", ("anxiety", "anxiety disorder", "generalized anxiety disorder")
    ),
    Condition("insomnia", ("insomnia",)),
    Condition("polycystic ovary syndrome", ("polycystic ovary syndrome",), ("PCOS",)),
    Condition("erectile dysfunction", ("erectile dysfunction",)),
    Condition(
        "cancer", ("cancer", "cancers", "tumor", "tumors", "tumour", "malignancy")
    ),
    Condition("sepsis", ("sepsis",)),
    Condition("osteoporosis", ("osteoporosis", "osteopenia", "bone loss")),
    Condition("rosacea", ("rosacea",)),
    Condition("hypothyroidism", ("hypothyroidism",)),
    Condition("endometriosis", ("endometriosis",)),
    Condition("infertility", ("infertility",)),
    Condition("autism", ("autism", "autism spectrum disorder"), ("ASD",)),
    Condition(
        "attention deficit hyperactivity disorder",
        ("attention deficit hyperactivity disorder",),
        ("ADHD",),
    ),
    Condition("bipolar disorder", ("bipolar disorder", "bipolar")),
    Condition(
        "post-traumatic stress disorder",
        ("post-traumatic stress disorder", "posttraumatic stress disorder"),
        ("PTSD",),
    ),
    Condition("chronic obstructive pulmonary disease", ("emphysema",), ("COPD",)),
    Condition("glaucoma", ("glaucoma",)),
    Condition("macular degeneration", ("macular degeneration",), ("AMD",)),
    Condition("HIV infection", ("hiv",), ("HIV",)),
    Condition("chronic pain", ("chronic pain",)),
)

# Canonical condition -> canonical conditions that cover it when approved.
_RELATED: dict[str, tuple[str, ...]] = {
    "venous thromboembolism": ("deep vein thrombosis", "pulmonary embolism"),
    "deep vein thrombosis": ("venous thromboembolism",),
    "pulmonary embolism": ("venous thromboembolism",),
    "stroke": ("stroke risk reduction",),
    "stroke risk reduction": ("stroke",),
    "myocardial infarction": ("cardiovascular risk reduction",),
    "coronary artery disease": ("cardiovascular risk reduction",),
    "hyperlipidemia": (
        "hypercholesterolemia",
        "mixed dyslipidemia",
        "heterozygous familial hypercholesterolemia",
    ),
    "hypercholesterolemia": (
        "hyperlipidemia",
        "heterozygous familial hypercholesterolemia",
    ),
    "heterozygous familial hypercholesterolemia": ("hypercholesterolemia",),
    "weight loss": ("obesity",),
    "obesity": ("weight loss",),
    "psychotic disorders": ("schizophrenia",),
    "schizophrenia": ("psychotic disorders",),
    "depression": ("major depressive disorder",),
    "major depressive disorder": ("depression",),
    "common cold": ("nasal congestion", "cough", "rhinorrhea", "sneezing"),
}

PEDIATRIC_CONTEXT = re.compile(
    r"(?<![\w])(?:pediatric|paediatric|peds|kids?|children|child|childhood|"
    r"adolescents?|teens?|teenagers?|infants?|toddlers?|neonates?|newborns?|babies|"
    r"my (?:son|daughter)|boys|girls|(?:[1-9]|1[0-7])[- ]?(?:year|yr)s?[- ]?old|"
    r"(?:[1-9]|1[0-7]) ?y/?o)(?![\w])",
    re.IGNORECASE,
)
_CHILDREN_IN_LABEL = re.compile(
    r"\b(?:pediatric|children|child|adolescents?|infants?|years of age and older)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ConditionMention:
    condition: str
    start: int
    end: int
    text: str


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-zà-ÿ]", "", text.casefold().replace("’", "'"))


def _phrase_regex(phrase: str) -> str:
    out = []
    for char in phrase:
        if char in " -":
            if not out or out[-1] != r"[\s\-]*":
                out.append(r"[\s\-]*")
        elif char == "'":
            out.append("['’]?")
        else:
            out.append(re.escape(char))
    return "".join(out)


@cache
def _matchers() -> tuple[
    re.Pattern[str], dict[str, str], re.Pattern[str], dict[str, str]
]:
    phrases: dict[str, str] = {}
    abbreviations: dict[str, str] = {}
    for condition in (*CONDITIONS, *POST_CONDITIONS):
        for phrase in condition.phrases:
            phrases.setdefault(_key(phrase), condition.name)
        for abbreviation in condition.abbreviations:
            abbreviations.setdefault(abbreviation, condition.name)
    # Every phrase, also the ones the label lexicon has (same canonical names).
    all_phrases = sorted(
        {p for c in (*CONDITIONS, *POST_CONDITIONS) for p in c.phrases},
        key=len,
        reverse=True,
    )
    phrase_re = re.compile(
        r"(?<![\w])#?(?:"
        + "|".join(_phrase_regex(p) for p in all_phrases)
        + r")(?![\w])",
        re.IGNORECASE,
    )
    abbreviation_re = re.compile(
        r"(?<![\w\-])#?(?:"
        + "|".join(re.escape(a) for a in sorted(abbreviations, key=len, reverse=True))
        + r")(?![\w\-])"
    )
    return phrase_re, phrases, abbreviation_re, abbreviations


def conditions_in(doc: Doc) -> tuple[ConditionMention, ...]:
    """Every condition the post names (phrases, hashtags, capital abbreviations),
    non-overlapping, in text order; cached on the ``Doc``."""
    cached = doc.__dict__.get("_conditions")
    if cached is not None:
        return cached
    phrase_re, phrases, abbreviation_re, abbreviations = _matchers()
    found: list[ConditionMention] = []
    for m in phrase_re.finditer(doc.text):
        name = phrases.get(_key(m[0].lstrip("#")))
        if name:
            found.append(ConditionMention(name, m.start(), m.end(), m[0]))
    for m in abbreviation_re.finditer(doc.text):
        if any(f.start < m.end() and m.start() < f.end for f in found):
            continue
        name = abbreviations.get(m[0].lstrip("#"))
        if name:
            found.append(ConditionMention(name, m.start(), m.end(), m[0]))
    result = tuple(sorted(found, key=lambda c: c.start))
    doc.__dict__["_conditions"] = result
    return result


def label_mentions_children(indications_text: str) -> bool:
    return bool(_CHILDREN_IN_LABEL.search(indications_text or ""))


def condition_covered(
    condition: str, approved: tuple[str, ...], *, label_mentions_children: bool = False
) -> bool:
    """Whether ``condition`` (possibly "pediatric X") is within ``approved``."""
    approved_set = set(approved)
    if condition in approved_set:
        return True
    pediatric = condition.startswith("pediatric ")
    base = condition.removeprefix("pediatric ")
    family = {base, *_RELATED.get(base, ())}
    if pediatric:
        if any(f"pediatric {name}" in approved_set for name in family):
            return True
        by_name = {c.name for c in CONDITIONS if c.pediatric_by_name}
        if family & by_name & approved_set:
            return True
        # An unrestricted approval covers children only where the label makes no
        # pediatric distinction and its indications speak of children (an OTC
        # "adults and children 6 years and over").
        if any(name.startswith("pediatric ") for name in approved_set):
            return False
        return label_mentions_children and bool(family & approved_set)
    return bool(family & approved_set)
