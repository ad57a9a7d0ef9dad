"""A small, hand-written condition lexicon: phrase -> canonical condition.

Used to turn a label's INDICATIONS & USAGE text into a list of approved conditions,
and (by the rules) to find conditions named in a post. It is deliberately small and
explainable: a condition is found only when one of its phrases below occurs in the
text, and every result can be traced back to the phrase that matched.

Matching:

* phrases match case-insensitively on word boundaries; a space or hyphen in a
  phrase matches any run of spaces/hyphens or none ("non-valvular" matches
  "nonvalvular"), and an apostrophe is optional and may be curly ("Crohn's",
  "Crohn’s", "Crohns");
* abbreviations (RA, DVT, PE, ...) match only in capitals, as whole words. "AS"
  (ankylosing spondylitis) is left out: it collides with the word "AS" in all-caps
  label headings;
* the longest match wins where phrases overlap, so "psoriatic arthritis" is not
  also read as "rheumatoid arthritis", and "risk of stroke" is a risk reduction,
  not a stroke treatment.

What ``indication_conditions`` adds for label text (one sentence or list item at a
time):

* a sentence that restricts the use to children ("pediatric patients", "children",
  "boys and ... girls", "from birth") and does not also name adults gives
  "pediatric <condition>" (ELIQUIS v30 1.6 -> "pediatric venous thromboembolism");
  conditions that are pediatric by name (juvenile idiopathic arthritis) are left
  as they are;
* sentences that say what is *not* approved or studied ("has not been studied",
  "not recommended", "not indicated", "not established") are skipped;
* in "In patients with X, PRODUCT is indicated to: ..." the X part describes the
  population, not the indication (LIPITOR: type 2 diabetes, hypertension), so only
  the text from "indicated" on is read.

Qualifiers the lexicon does not keep: severity ("moderately to severely active"),
line of therapy, and "nonvalvular" (atrial fibrillation). The label text is kept
next to the list for a human to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Condition:
    """One canonical condition and the words that name it."""

    name: str
    phrases: tuple[str, ...]
    abbreviations: tuple[str, ...] = ()
    pediatric_by_name: bool = False


CONDITIONS: tuple[Condition, ...] = (
    # Immunology / rheumatology / gastroenterology / dermatology
    Condition("rheumatoid arthritis", ("rheumatoid arthritis",), ("RA",)),
    Condition(
        "juvenile idiopathic arthritis",
        (
            "juvenile idiopathic arthritis",
            "polyarticular juvenile idiopathic arthritis",
            "juvenile rheumatoid arthritis",
        ),
        ("JIA", "pJIA"),
        pediatric_by_name=True,
    ),
    Condition("psoriatic arthritis", ("psoriatic arthritis",), ("PsA",)),
    Condition("ankylosing spondylitis", ("ankylosing spondylitis",)),
    Condition("Crohn's disease", ("crohn's disease", "crohn's"), ("CD",)),
    Condition("ulcerative colitis", ("ulcerative colitis",), ("UC",)),
    Condition(
        "plaque psoriasis",
        ("plaque psoriasis", "chronic plaque psoriasis", "psoriasis"),
        ("PsO",),
    ),
    Condition("hidradenitis suppurativa", ("hidradenitis suppurativa",), ("HS",)),
    Condition("uveitis", ("uveitis",)),
    # Anticoagulation
    Condition(
        "atrial fibrillation",
        (
            "atrial fibrillation",
            "nonvalvular atrial fibrillation",
            "non-valvular atrial fibrillation",
            "afib",
            "a-fib",
        ),
        ("AF", "NVAF"),
    ),
    Condition(
        "deep vein thrombosis",
        ("deep vein thrombosis", "deep venous thrombosis"),
        ("DVT",),
    ),
    Condition("pulmonary embolism", ("pulmonary embolism",), ("PE",)),
    Condition(
        "venous thromboembolism",
        ("venous thromboembolism", "venous thromboembolic events"),
        ("VTE",),
    ),
    # Cardiovascular outcomes and lipids
    Condition(
        "stroke risk reduction",
        (
            "risk of stroke",
            "risk of fatal and non-fatal stroke",
            "stroke prevention",
            "prevention of stroke",
        ),
    ),
    Condition(
        "cardiovascular risk reduction",
        (
            "prevention of cardiovascular disease",
            "cardiovascular risk reduction",
            "risk of cardiovascular events",
            "risk of myocardial infarction",
            "risk of non-fatal myocardial infarction",
            "risk for revascularization procedures",
            "risk of hospitalization for CHF",
            "risk of angina",
        ),
    ),
    Condition("stroke", ("stroke", "strokes")),
    Condition(
        "myocardial infarction", ("myocardial infarction", "heart attack"), ("MI",)
    ),
    Condition(
        "heart failure", ("heart failure", "congestive heart failure"), ("CHF", "HFrEF")
    ),
    Condition("hypertension", ("hypertension", "high blood pressure")),
    Condition(
        "hyperlipidemia",
        ("hyperlipidemia", "hyperlipidaemia", "high cholesterol"),
    ),
    Condition(
        "hypercholesterolemia",
        ("hypercholesterolemia", "primary hypercholesterolemia"),
    ),
    Condition(
        "heterozygous familial hypercholesterolemia",
        ("heterozygous familial hypercholesterolemia",),
        ("HeFH",),
    ),
    Condition(
        "homozygous familial hypercholesterolemia",
        ("homozygous familial hypercholesterolemia",),
        ("HoFH",),
    ),
    Condition("mixed dyslipidemia", ("mixed dyslipidemia",)),
    Condition(
        "hypertriglyceridemia",
        (
            "hypertriglyceridemia",
            "elevated serum TG levels",
            "elevated serum triglyceride levels",
        ),
    ),
    Condition(
        "dysbetalipoproteinemia",
        ("dysbetalipoproteinemia", "primary dysbetalipoproteinemia"),
    ),
    # Metabolic
    Condition(
        "type 2 diabetes",
        ("type 2 diabetes", "type 2 diabetes mellitus", "type II diabetes"),
        ("T2D", "T2DM"),
    ),
    Condition("obesity", ("obesity", "chronic weight management")),
    # Psychiatry / neurology
    Condition(
        "psychotic disorders",
        ("psychotic disorders", "psychotic disorder", "psychosis"),
    ),
    Condition("schizophrenia", ("schizophrenia",)),
    Condition(
        "Tourette's disorder",
        ("tourette's disorder", "tourette's syndrome", "tourette syndrome"),
    ),
    Condition("major depressive disorder", ("major depressive disorder",), ("MDD",)),
    Condition("multiple sclerosis", ("multiple sclerosis",), ("MS",)),
    # OTC cough / cold / allergy "Uses"
    Condition(
        "allergic rhinitis",
        ("allergic rhinitis", "hay fever", "upper respiratory allergies"),
    ),
    Condition(
        "nasal congestion",
        ("nasal congestion", "nasal and sinus congestion", "sinus congestion"),
    ),
    Condition("cough", ("cough", "coughs")),
    Condition("common cold", ("common cold", "a cold")),
    Condition("rhinorrhea", ("runny nose", "rhinorrhea")),
    Condition("sneezing", ("sneezing",)),
)


@dataclass(frozen=True)
class ConditionMatch:
    """One place in a text where a lexicon phrase names a condition."""

    condition: str
    start: int
    end: int
    text: str


@cache
def _matchers() -> tuple[tuple[re.Pattern[str], Condition], ...]:
    out: list[tuple[re.Pattern[str], Condition]] = []
    for condition in CONDITIONS:
        for phrase in condition.phrases:
            out.append((re.compile(_phrase_pattern(phrase), re.IGNORECASE), condition))
        for abbreviation in condition.abbreviations:
            pattern = rf"(?<![\w-]){re.escape(abbreviation)}(?![\w-])"
            out.append((re.compile(pattern), condition))
    return tuple(out)


def _phrase_pattern(phrase: str) -> str:
    parts: list[str] = []
    for char in phrase:
        if char in " -":
            if not parts or parts[-1] != r"[\s\-]*":
                parts.append(r"[\s\-]*")
        elif char == "'":
            parts.append("['’]?")
        else:
            parts.append(re.escape(char))
    return r"(?<![\w])" + "".join(parts) + r"(?![\w])"


def conditions_match(text: str) -> list[ConditionMatch]:
    """Every non-overlapping condition mention in ``text``, longest match first, in
    text order. Pure; no context rules (see ``indication_conditions``)."""
    candidates: list[ConditionMatch] = []
    for pattern, condition in _matchers():
        for m in pattern.finditer(text):
            candidates.append(ConditionMatch(condition.name, m.start(), m.end(), m[0]))
    # Longest first, then leftmost: a match overlapping a longer one is dropped.
    candidates.sort(key=lambda c: (-(c.end - c.start), c.start))
    chosen: list[ConditionMatch] = []
    for candidate in candidates:
        if all(candidate.end <= c.start or candidate.start >= c.end for c in chosen):
            chosen.append(candidate)
    return sorted(chosen, key=lambda c: c.start)


_PEDIATRIC = re.compile(
    r"\b(?:pediatric|paediatric|children|child|adolescents?|infants?|neonates?|"
    r"boys|girls|from birth|\d+ to 1[0-7] years of age)\b",
    re.IGNORECASE,
)
_ADULT = re.compile(r"\badults?\b", re.IGNORECASE)
_NOT_APPROVED = re.compile(
    r"\bnot (?:been )?(?:studied|established|recommended|indicated|approved)\b|"
    r"\bshould not be used\b|\blimitations? of use\b",
    re.IGNORECASE,
)
_POPULATION_LEAD = re.compile(
    r"^\W*in (?:adult |pediatric )?(?:patients|individuals|adults|children)\b",
    re.IGNORECASE,
)
_SENTENCE_SPLIT = re.compile(r"\n+|(?<=[.;])\s+(?=[A-Z(])")


def indication_conditions(text: str) -> list[str]:
    """Canonical conditions a label's indications text approves, in text order,
    without duplicates; "pediatric <condition>" where the sentence limits the use to
    children. See the module docstring for the rules. Pure."""
    by_name = {c.name: c for c in CONDITIONS}
    found: list[str] = []
    for sentence in _SENTENCE_SPLIT.split(text or ""):
        if not sentence.strip() or _NOT_APPROVED.search(sentence):
            continue
        if _POPULATION_LEAD.match(sentence):
            at = sentence.lower().find("indicated")
            sentence = sentence[at:] if at >= 0 else ""
        pediatric = bool(_PEDIATRIC.search(sentence)) and not _ADULT.search(sentence)
        for match in conditions_match(sentence):
            name = match.condition
            if pediatric and not by_name[name].pediatric_by_name:
                name = f"pediatric {name}"
            if name not in found:
                found.append(name)
    return found
