"""Specialty words in a bio against a clinician's NUCC taxonomies.

A bio says "Cardiologist"; NPPES says ``207RC0000X`` (classification *Internal
Medicine*, specialization *Cardiovascular Disease*). ``SPECIALTY_TERMS`` maps the words
people use to the taxonomy (classification, specialization) pairs they mean; the
clinician's own classification and specialization phrases also count when the bio
uses them verbatim ("Massage Therapist", "Psychologist"). Pure: no ORM, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from influencers.linking.text import phrase_key

ANY = "*"  # any specialization of the classification (or none)
NONE = ""  # the bare classification (no specialization)

# Match levels, best first.
SPECIALTY = "specialty"  # the bio names the clinician's own taxonomy
CLASSIFICATION = "classification"  # same classification, another specialization
NO_TERMS = "none"  # the bio names no specialty
CONFLICT = "conflict"  # the bio names specialties, none of them the clinician's

_IM = "internal medicine"
_PED = "pediatrics"
_CARDIO = (
    (_IM, "cardiovascular disease"),
    (_IM, "interventional cardiology"),
    (_IM, "clinical cardiac electrophysiology"),
    (_IM, "advanced heart failure and transplant cardiology"),
    (_IM, "adult congenital heart disease"),
    (_PED, "pediatric cardiology"),
)
_ONC = (
    (_IM, "medical oncology"),
    (_IM, "hematology and oncology"),
    ("obstetrics and gynecology", "gynecologic oncology"),
    ("radiology", "radiation oncology"),
    ("surgery", "surgical oncology"),
    (_PED, "pediatric hematology oncology"),
)
_HEME = (
    (_IM, "hematology"),
    (_IM, "hematology and oncology"),
    (_PED, "pediatric hematology oncology"),
)
_PRIMARY = (
    ("family medicine", ANY),
    (_IM, NONE),
    ("general practice", NONE),
    (_PED, NONE),
)

# Word or phrase (as phrase_key gives it) -> taxonomy pairs it names.
SPECIALTY_TERMS: dict[str, tuple[tuple[str, str], ...]] = {
    "cardiologist": _CARDIO,
    "cardiology": _CARDIO,
    "interventional cardiologist": ((_IM, "interventional cardiology"),),
    "electrophysiologist": ((_IM, "clinical cardiac electrophysiology"),),
    "rheumatologist": ((_IM, "rheumatology"), (_PED, "pediatric rheumatology")),
    "rheumatology": ((_IM, "rheumatology"), (_PED, "pediatric rheumatology")),
    "oncologist": _ONC,
    "oncology": _ONC,
    "medical oncologist": ((_IM, "medical oncology"), (_IM, "hematology and oncology")),
    "medical oncology": ((_IM, "medical oncology"), (_IM, "hematology and oncology")),
    "hematologist": _HEME,
    "hematology": _HEME,
    "hematologist oncologist": (
        (_IM, "hematology and oncology"),
        (_IM, "medical oncology"),
        (_IM, "hematology"),
    ),
    "hematology oncology": (
        (_IM, "hematology and oncology"),
        (_IM, "medical oncology"),
    ),
    "heme onc": ((_IM, "hematology and oncology"), (_IM, "medical oncology")),
    "hem onc": ((_IM, "hematology and oncology"), (_IM, "medical oncology")),
    "endocrinologist": (
        (_IM, "endocrinology diabetes and metabolism"),
        (_PED, "pediatric endocrinology"),
    ),
    "endocrinology": (
        (_IM, "endocrinology diabetes and metabolism"),
        (_PED, "pediatric endocrinology"),
    ),
    "gastroenterologist": (
        (_IM, "gastroenterology"),
        (_PED, "pediatric gastroenterology"),
    ),
    "gastroenterology": (
        (_IM, "gastroenterology"),
        (_PED, "pediatric gastroenterology"),
    ),
    "hepatologist": ((_IM, "transplant hepatology"), (_IM, "gastroenterology")),
    "nephrologist": ((_IM, "nephrology"), (_PED, "pediatric nephrology")),
    "pulmonologist": ((_IM, "pulmonary disease"), (_PED, "pediatric pulmonology")),
    "infectious disease": (
        (_IM, "infectious disease"),
        (_PED, "pediatric infectious diseases"),
    ),
    "geriatrician": (
        (_IM, "geriatric medicine"),
        ("family medicine", "geriatric medicine"),
    ),
    "hospitalist": (("hospitalist", ANY), (_IM, "hospice and palliative medicine")),
    "internist": ((_IM, NONE),),
    "internal medicine": ((_IM, NONE),),
    "internal medicine physician": ((_IM, NONE),),
    "family physician": (("family medicine", ANY),),
    "family medicine": (("family medicine", ANY),),
    "family doctor": (("family medicine", ANY), ("general practice", NONE)),
    "family practice": (("family medicine", ANY),),
    "general practitioner": (("general practice", NONE), ("family medicine", ANY)),
    "primary care physician": _PRIMARY,
    "dermatologist": (("dermatology", ANY),),
    "dermatology": (("dermatology", ANY),),
    "allergist": (("allergy and immunology", ANY),),
    "neurologist": (("psychiatry and neurology", "neurology"),),
    "psychiatrist": (("psychiatry and neurology", "psychiatry"),),
    "pediatrician": ((_PED, ANY),),
    "obgyn": (("obstetrics and gynecology", ANY),),
    "ob gyn": (("obstetrics and gynecology", ANY),),
    "gynecologist": (("obstetrics and gynecology", ANY),),
    "obstetrician": (("obstetrics and gynecology", ANY),),
    "radiologist": (("radiology", ANY),),
    "anesthesiologist": (("anesthesiology", ANY),),
    "emergency physician": (("emergency medicine", ANY),),
    "emergency medicine": (("emergency medicine", ANY),),
    "urologist": (("urology", ANY),),
    "ophthalmologist": (("ophthalmology", ANY),),
    "orthopedic surgeon": (("orthopaedic surgery", ANY),),
    "pharmacist": (("pharmacist", ANY),),
    "clinical pharmacist": (("pharmacist", ANY),),
    "nurse practitioner": (("nurse practitioner", ANY),),
    "family nurse practitioner": (("nurse practitioner", "family"),),
    "physician assistant": (("physician assistant", ANY),),
    "physician associate": (("physician assistant", ANY),),
    "registered nurse": (("registered nurse", ANY),),
    "psychologist": (("psychologist", ANY),),
    "chiropractor": (("chiropractor", ANY),),
    "dentist": (("dentist", ANY),),
    "optometrist": (("optometrist", ANY),),
    "dietitian": (("dietitian registered", ANY), ("nutritionist", ANY)),
    "physical therapist": (("physical therapist", ANY),),
}
# Longest phrases first, so "family nurse practitioner" wins over "nurse practitioner".
_TERMS_RE = re.compile(
    r"\b("
    + "|".join(re.escape(t) for t in sorted(SPECIALTY_TERMS, key=len, reverse=True))
    + r")\b"
)


def specialty_terms(bio_key: str) -> list[str]:
    """The ``SPECIALTY_TERMS`` named in a bio (``bio_key`` is ``phrase_key(bio)``),
    longest phrase first at each place, each once, in order of appearance."""
    return list(dict.fromkeys(m.group(1) for m in _TERMS_RE.finditer(bio_key)))


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """One of a clinician's taxonomies as words: ``("internal medicine",
    "cardiovascular disease")`` (``phrase_key`` form, specialization may be "")."""

    classification: str
    specialization: str = ""

    @classmethod
    def of(cls, classification: str, specialization: str = "") -> Taxonomy:
        return cls(phrase_key(classification), phrase_key(specialization))


def _target_level(target: tuple[str, str], taxonomy: Taxonomy) -> str | None:
    classification, specialization = target
    if classification != taxonomy.classification:
        return None
    if specialization in (ANY, taxonomy.specialization):
        return SPECIALTY
    return CLASSIFICATION


def specialty_match(
    bio_key: str, terms: list[str], taxonomies: Iterable[Taxonomy]
) -> tuple[str, list[str]]:
    """How the bio's specialty words fit the clinician's taxonomies: ``(level, the
    terms that fit)``. Levels: ``specialty`` > ``classification`` > ``none`` (no
    specialty word at all) > ``conflict`` (specialty words, none of them fits)."""
    taxonomies = list(taxonomies)
    best, fitting = None, []
    padded = f" {bio_key} "
    for taxonomy in taxonomies:
        # The clinician's own words, verbatim ("massage therapist").
        for phrase in (taxonomy.specialization, taxonomy.classification):
            if len(phrase) >= 5 and f" {phrase} " in padded:
                level = (
                    SPECIALTY
                    if phrase == taxonomy.specialization or not taxonomy.specialization
                    else CLASSIFICATION
                )
                if best != SPECIALTY:
                    best = level
                fitting.append(phrase)
    for term in terms:
        for target in SPECIALTY_TERMS[term]:
            for taxonomy in taxonomies:
                level = _target_level(target, taxonomy)
                if level is None:
                    continue
                if best != SPECIALTY:
                    best = level
                if term not in fitting:
                    fitting.append(term)
    if best:
        return best, list(dict.fromkeys(fitting))
    return (CONFLICT if terms else NO_TERMS), []
