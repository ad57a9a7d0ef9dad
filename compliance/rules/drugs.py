"""Drug names in general (not only the labelled products): the adverse-event rule's
"suspect product" element must recognise any drug a post names.

Two sources, both exact (no fuzzy matching here; misspelt *labelled* brands are
handled by ``compliance.rules.products``):

* ``drug-named-entity-recognition`` (PyPI, MIT, pinned in requirements): an offline
  dictionary of about 107,000 drug-name variants (brand -> generic; Zoloft ->
  sertraline, Ozempic -> semaglutide) used through its public ``find_drugs`` in exact
  mode. Measured here: 1.7 MB package, about 4 s to import once per process (it
  unpickles and indexes its dictionary), then about 9 microseconds per post; it
  covers 95% of the ADR-labelled SMM4H tune-split tweets against 16% for the FAERS
  list below alone. Its fuzzy mode is never used. Matches that are ordinary
  words or non-drugs in this dictionary (``_NOT_DRUGS``) are dropped. When the package
  is missing the rule falls back to the list below (and says so in the hit details).
* ``FAERS_RX_NAMES``: brand and generic names of the prescription products in the
  openFDA product-harmonization sample ``harmonized.small.json`` (FDA/openfda, CC0),
  salts and dosage forms stripped, plus a few names posts use that neither source
  has as such (nicotine replacement products).
* ``MISSPELLINGS``: a short hand-written list of common lay misspellings (trazadone,
  seroquil, ...); and names inside hyphen/slash compounds ("seroquel-induced").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from compliance.rules.text import Doc

_JOINER = re.compile(r"[-/]")

FAERS_RX_NAMES: tuple[str, ...] = (
    "abciximab",
    "abilify",
    "acetaminophen",
    "alendronate",
    "amiodarone",
    "amnesteem",
    "amoxicillin",
    "aripiprazole",
    "armodafinil",
    "atenolol",
    "azathioprine",
    "azithromycin",
    "baclofen",
    "baraclude",
    "bicalutamide",
    "casodex",
    "ceftriaxone",
    "cephalexin",
    "cerisa",
    "ciclopirox",
    "ciprofloxacin",
    "clindamycin",
    "clonidine",
    "clopidogrel",
    "codeine",
    "cyanocobalamin",
    "cyclobenzaprine",
    "dexamethasone",
    "diethylpropion",
    "divalproex",
    "donepezil",
    "doxepin",
    "efavirenz",
    "entecavir",
    "enulose",
    "erythromycin",
    "estradiol",
    "estradiol valerate",
    "ethinyl estradiol",
    "famotidine",
    "finasteride",
    "fluoxetine",
    "flurbiprofen",
    "fluticasone",
    "glipizide",
    "glyburide",
    "granisetron",
    "heparin",
    "hydralazine",
    "hydrochlorothiazide",
    "hydrocodone",
    "hydroxyzine",
    "ibuprofen",
    "imitrex",
    "isoniazid",
    "isotretinoin",
    "labetalol",
    "lactulose",
    "lamotrigine",
    "levothyroxine",
    "lisinopril",
    "meclizine",
    "meloxicam",
    "memantine",
    "metformin",
    "methylphenidate",
    "metoclopramide",
    "minocycline",
    "minoxidil",
    "mirtazapine",
    "morphine",
    "namenda",
    "naproxen",
    "natazia",
    "nisoldipine",
    "nitisinone",
    "nitrofurantoin",
    "norethindrone",
    "nortriptyline",
    "nuvigil",
    "nystatin",
    "olanzapine",
    "omeprazole",
    "ondansetron",
    "orfadin",
    "ortho-novum",
    "pantoprazole",
    "pioglitazone",
    "prandin",
    "prazosin",
    "pred forte",
    "prednisolone",
    "prednisone",
    "promethazine",
    "propafenone",
    "pyridostigmine",
    "quetiapine",
    "remeron",
    "reopro",
    "repaglinide",
    "rifadin",
    "rifampin",
    "sertraline",
    "sildenafil",
    "simvastatin",
    "sucralfate",
    "sulfacetamide",
    "sumatriptan",
    "sustiva",
    "terbinafine",
    "testopel",
    "testosterone",
    "thiothixene",
    "tizanidine",
    "tranexamic acid",
    "triamcinolone",
    "triamterene",
    "venlafaxine",
    "viagra",
    "vivelle dot",
    "voriconazole",
    "warfarin",
    "zoledronic acid",
    # Not in that sample as such; posts name them (SMM4H-style smoking-cessation talk).
    "nicotine",
    "nicotine patch",
    "nicotine patches",
    "nicotine gum",
    "nicotine lozenge",
    "nicotine lozenges",
)

# Dictionary entries that are not drugs a post reports taking, or ordinary words.
_NOT_DRUGS = frozenset(
    [
        "generics",
        "caps",
        "pecans",
        "pecan",
        "diamonds",
        "diamond",
        "sunscreen",
        "colgate",
        "insecticides",
        "ferritin",
        "serotonin",
        "dopamine",
        "norepinephrine",
        "neurotransmitter",
        "neurotransmitters",
        "cipc",
        "flax",
        "seed",
        "special",
        "k",
        "mineral",
        "water",
        "water",
        "oxygen",
        "air",
        "salt",
        "sugar",
        "alcohol",
        "coffee",
        "caffeine",
        "tea",
        "honey",
        "gaba",
        "milk",
        "iron",
        "zinc",
        "fiber",
        "protein",
        "vitamin",
        "vitamins",
        "glucose",
        "fat",
        "estrogen",
        "progesterone",
        "cortisol",
        "adrenaline",
        "histamine",
        "melanin",
        "collagen",
        "keratin",
        "hormone",
        "hormones",
        "enzyme",
        "enzymes",
        "amino",
        "acids",
    ]
)


# Common lay misspellings of frequently discussed drugs, written here from general
# knowledge of how patients spell them (not taken from any corpus): the exact
# dictionary does not know them, and posts about side effects often misspell.
# Misspelt *labelled* brands are left to ``compliance.rules.products`` (fuzzy).
MISSPELLINGS: dict[str, str] = {
    "trazadone": "trazodone",
    "trazedone": "trazodone",
    "seroquil": "quetiapine",
    "seraquel": "quetiapine",
    "seroquell": "quetiapine",
    "topomax": "topiramate",
    "effexer": "venlafaxine",
    "efexor": "venlafaxine",
    "venlafaxin": "venlafaxine",
    "cypro": "ciprofloxacin",
    "lexipro": "escitalopram",
    "zolof": "sertraline",
    "zoloff": "sertraline",
    "prozak": "fluoxetine",
    "welbutrin": "bupropion",
    "wellbutrine": "bupropion",
    "adderal": "amphetamine",
    "aderall": "amphetamine",
    "xanex": "alprazolam",
    "zanax": "alprazolam",
    "klonopen": "clonazepam",
    "klonipin": "clonazepam",
    "clonopin": "clonazepam",
    "ambian": "zolpidem",
    "lamictil": "lamotrigine",
    "lamotrigene": "lamotrigine",
    "vyvance": "lisdexamfetamine",
    "vivance": "lisdexamfetamine",
    "zyprexia": "olanzapine",
    "olanzepine": "olanzapine",
    "resperdal": "risperidone",
    "respirdal": "risperidone",
    "cymbolta": "duloxetine",
    "abilfy": "aripiprazole",
    "pregablin": "pregabalin",
    "gabapenten": "gabapentin",
    "gabapentine": "gabapentin",
    "levaquine": "levofloxacin",
    "paxill": "paroxetine",
    "celexia": "citalopram",
    "tramadal": "tramadol",
    "oxycontine": "oxycodone",
    "metforman": "metformin",
    "xeralto": "rivaroxaban",
    "zarelto": "rivaroxaban",
}


@dataclass(frozen=True, slots=True)
class DrugMention:
    """A drug named in the post: ``name`` as written, ``canonical`` as resolved."""

    name: str
    canonical: str
    start: int
    end: int
    source: str  # "dner", "misspelt", "faers" or "context"


@cache
def _dner() -> Any:
    try:
        from drug_named_entity_recognition import find_drugs
    except ImportError:  # pragma: no cover - the package is pinned
        return None
    return find_drugs


@cache
def _faers_re() -> re.Pattern[str]:
    names = sorted(FAERS_RX_NAMES, key=len, reverse=True)
    body = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
    return re.compile(rf"(?<![\w])#?(?:{body})(?![\w])", re.IGNORECASE)


@cache
def _misspelt_re() -> re.Pattern[str]:
    body = "|".join(re.escape(n) for n in sorted(MISSPELLINGS, key=len, reverse=True))
    return re.compile(rf"(?<![\w])#?(?:{body})(?![\w])", re.IGNORECASE)


def dictionary_available() -> bool:
    return _dner() is not None


def drug_lookup_warm() -> bool:
    """Import the drug dictionary now (workers call this before timing a batch)."""
    return dictionary_available()


def drugs_in(doc: Doc) -> tuple[DrugMention, ...]:
    """Drug names in the post, non-overlapping, in text order; cached on the Doc."""
    cached = doc.__dict__.get("_drugs")
    if cached is not None:
        return cached
    found: list[DrugMention] = []
    words = doc.words
    find = _dner()
    if find is not None and words:
        norms = [w.norm for w in words]
        for data, first, last in find(norms, is_ignore_case=True):
            matched = " ".join(norms[first:last])
            if matched in _NOT_DRUGS or len(matched) < 4:
                continue
            start, end = words[first].start, words[last - 1].end
            found.append(
                DrugMention(
                    doc.text[start:end],
                    str(data.get("name") or matched),
                    start,
                    end,
                    "dner",
                )
            )
        # A drug name glued to other words by a hyphen or slash ("seroquel-induced",
        # "effexor-xr"): look up the parts too.
        for word in words:
            if not _JOINER.search(word.norm):
                continue
            at = word.start
            for part in _JOINER.split(word.norm):
                offset = doc.text.lower().find(part, at, word.end) if part else -1
                if offset < 0 or len(part) < 4 or part in _NOT_DRUGS:
                    continue
                at = offset + len(part)
                if any(f.start <= offset < f.end for f in found):
                    continue
                for data, _first, _last in find([part], is_ignore_case=True):
                    found.append(
                        DrugMention(
                            doc.text[offset : offset + len(part)],
                            str(data.get("name") or part),
                            offset,
                            offset + len(part),
                            "dner",
                        )
                    )
                    break
    for m in _misspelt_re().finditer(doc.text):
        if not any(f.start < m.end() and m.start() < f.end for f in found):
            canonical = MISSPELLINGS[m[0].lstrip("#").lower()]
            found.append(DrugMention(m[0], canonical, m.start(), m.end(), "misspelt"))
    for m in _faers_re().finditer(doc.text):
        if not any(f.start < m.end() and m.start() < f.end for f in found):
            name = m[0].lstrip("#")
            found.append(DrugMention(m[0], name.lower(), m.start(), m.end(), "faers"))
    result = tuple(sorted(found, key=lambda d: d.start))
    doc.__dict__["_drugs"] = result
    return result
