"""Link social accounts to clinicians: the best clinician (or none) per account, with a
method, a confidence in [0, 1] and the evidence of every signal.

Methods, strongest first (the values of ``SocialAccount.LinkMethod``):

1. ``npi_in_bio``: a Luhn-valid NPI in the bio, display name or url that belongs to a
   known clinician, corroborated (or contradicted) by the name.
2. ``license_in_bio``: a licence number named as such ("TX Lic. #Q1234") that matches a
   clinician's licence (and state, when given).
3. ``name_specialty``: the display name (or the handle) matches a clinician's name, and
   the bio's specialty words, place and credentials fit that clinician better than
   any other clinician of the same name.

Scale: clinicians are indexed by NPI, licence number and last name + first initial,
so each account is compared with a handful of namesakes, never with everyone.
Pure: no ORM, no settings, no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from influencers.linking import specialty as sp
from influencers.linking.text import (
    DOCTOR_KINDS,
    city_key,
    credential_kinds,
    fold,
    handle_letters,
    letters,
    license_mentions,
    license_number_key,
    npi_mentions,
    person_name,
    phrase_key,
    places,
)

MATCHER_VERSION = "1"

NPI_IN_BIO = "npi_in_bio"
LICENSE_IN_BIO = "license_in_bio"
NAME_SPECIALTY = "name_specialty"

MIN_LINK_CONFIDENCE = 0.5  # below this the account stays unlinked (evidence kept)
AMBIGUITY_MARGIN = 0.15  # a namesake this close to the best one: no name link
NAME_LINK_CAP = 0.9  # a name match never reaches the certainty of an NPI

# Name agreement levels.
FULL = "full"  # first and last name (or a known nickname, or the middle name)
FUZZY = "fuzzy"  # last name, first name spelt a little differently
INITIAL = "initial"  # last name and first initial ("J. Roe")
LAST_ONLY = "last_only"  # last name only ("Dr. Roe")
UNKNOWN = "unknown"  # the account gives no person's name (a nickname)
NAME_CONFLICT = "conflict"  # a person's name that is not the clinician's

# Common given-name variants whose first letter differs (same-initial variants are
# caught by the fuzzy comparison).
NICKNAMES: dict[str, str] = {
    "bill": "william", "will": "william", "billy": "william", "liam": "william",
    "bob": "robert", "rob": "robert", "bobby": "robert",
    "dick": "richard", "rick": "richard", "rich": "richard",
    "peggy": "margaret", "maggie": "margaret", "meg": "margaret",
    "jack": "john", "johnny": "john", "ted": "edward", "ned": "edward",
    "hank": "henry", "chuck": "charles", "charlie": "charles",
    "liz": "elizabeth", "beth": "elizabeth", "betty": "elizabeth",
    "lisa": "elizabeth", "eliza": "elizabeth",
    "sally": "sarah", "polly": "mary", "molly": "mary", "patty": "patricia",
    "trish": "patricia", "tony": "anthony", "kate": "katherine",
    "kathy": "katherine", "katie": "katherine", "jim": "james", "jimmy": "james",
    "mike": "michael", "dave": "david", "steve": "steven", "tom": "thomas",
    "joe": "joseph", "dan": "daniel", "sam": "samuel", "alex": "alexander",
    "andy": "andrew", "drew": "andrew", "sandy": "sandra", "becky": "rebecca",
    "jen": "jennifer", "jenny": "jennifer", "chris": "christopher",
    "matt": "matthew", "nick": "nicholas", "ben": "benjamin", "greg": "gregory",
    "jeff": "jeffrey", "larry": "lawrence", "ray": "raymond", "ron": "ronald",
    "tim": "timothy", "vicky": "victoria", "wendy": "gwendolyn", "sue": "susan",
}  # fmt: skip


def _given(name: str) -> str:
    return NICKNAMES.get(name, name)


# --- inputs and outputs ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountInput:
    """What the matcher reads of one social account."""

    key: Hashable  # the caller's id (primary key, external id...)
    handle: str
    display_name: str = ""
    bio: str = ""  # Mastodon profile fields appended ("NPI: 1234567893")
    url: str = ""
    platform: str = ""


@dataclass(frozen=True, slots=True)
class ClinicianInput:
    """What the matcher reads of one clinician (an NPPES record)."""

    key: Hashable  # the caller's id
    npi: str
    first_name: str = ""
    last_name: str = ""
    middle_name: str = ""
    credential: str = ""
    entity_type: int = 1
    organization_name: str = ""
    taxonomies: tuple[sp.Taxonomy, ...] = ()  # primary first
    licenses: tuple[tuple[str, str], ...] = ()  # (state, number)
    practice_city: str = ""
    practice_state: str = ""


@dataclass(slots=True)
class LinkResult:
    """The matcher's answer for one account. ``clinician_key`` is None when no
    clinician is linked; ``evidence`` then still says what was seen and why not."""

    account_key: Hashable
    clinician_key: Hashable | None = None
    npi: str = ""
    method: str = ""
    confidence: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def linked(self) -> bool:
        return self.clinician_key is not None


# --- the index ------------------------------------------------------------------------


@dataclass(slots=True)
class _Clin:
    """A clinician with its comparison keys computed once."""

    input: ClinicianInput
    first: str
    given: str
    middle: str
    last: str  # letters only, parts joined ("delacruz")
    last_parts: tuple[str, ...]
    kinds: frozenset[str]
    city: str
    states: frozenset[str]


class ClinicianIndex:
    """Clinicians by NPI, by licence number and by (last-name token, first initial)."""

    def __init__(self, clinicians: Iterable[ClinicianInput]) -> None:
        self.by_npi: dict[str, _Clin] = {}
        self.by_license: dict[str, list[_Clin]] = defaultdict(list)
        self.by_name: dict[str, dict[str, list[_Clin]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for clinician in clinicians:
            self.add(clinician)
        self.by_license = dict(self.by_license)
        self.by_name = {k: dict(v) for k, v in self.by_name.items()}
        self.min_last = min((len(k) for k in self.by_name), default=2)

    def __len__(self) -> int:
        return len(self.by_npi)

    def add(self, clinician: ClinicianInput) -> None:
        last_words = [
            letters(w) for w in fold(clinician.last_name).replace("-", " ").split()
        ]
        last_words = [w for w in last_words if w]
        first = (
            letters(clinician.first_name.split(" ")[0]) if clinician.first_name else ""
        )
        clin = _Clin(
            input=clinician,
            first=first,
            given=_given(first),
            middle=letters(clinician.middle_name.split(" ")[0])
            if clinician.middle_name
            else "",
            last="".join(last_words),
            last_parts=tuple(last_words),
            kinds=credential_kinds(clinician.credential),
            city=city_key(clinician.practice_city),
            states=frozenset(
                s.upper()
                for s in (
                    clinician.practice_state,
                    *(state for state, _ in clinician.licenses),
                )
                if s
            ),
        )
        self.by_npi[clinician.npi] = clin
        for _, number in clinician.licenses:
            key = license_number_key(number)
            if key:
                self.by_license[key].append(clin)
        if clinician.entity_type != 1 or not clin.last:
            return
        initials = {first[:1], clin.given[:1], clin.middle[:1]} - {""} or {""}
        for token in {clin.last, *(p for p in last_words if len(p) > 1)}:
            for initial in initials:
                self.by_name[token][initial].append(clin)


def clinician_index_build(clinicians: Iterable[ClinicianInput]) -> ClinicianIndex:
    """The blocking index ``accounts_match`` needs (build once, match many)."""
    return ClinicianIndex(clinicians)


# --- per-account signals --------------------------------------------------------------


@dataclass(slots=True)
class _Account:
    input: AccountInput
    name: Any  # PersonName
    handle: str
    bio_key: str
    terms: list[str]
    places: list[Any]


def _account_read(account: AccountInput) -> _Account:
    bio_key = phrase_key(account.bio)
    return _Account(
        input=account,
        name=person_name(account.display_name),
        handle=handle_letters(account.handle),
        bio_key=bio_key,
        terms=sp.specialty_terms(bio_key),
        places=places(account.bio),
    )


def _name_level(acc: _Account, clin: _Clin) -> tuple[str, int]:
    """How the account's name fits the clinician: (level, 0-100 score)."""
    if clin.input.entity_type != 1:
        org = fold(clin.input.organization_name)
        score = int(round(fuzz.token_set_ratio(fold(acc.input.display_name), org)))
        if score >= 90:
            return FULL, score
        return (NAME_CONFLICT if acc.name.looks_personal else UNKNOWN), score
    tokens = acc.name.tokens
    joined = "".join(tokens)
    last_hit = bool(clin.last) and (
        clin.last in tokens
        or (len(clin.last_parts) > 1 and clin.last in joined)
        or any(p in tokens for p in clin.last_parts if len(p) > 2)
    )
    if last_hit:
        others = [t for t in tokens if t != clin.last and t not in clin.last_parts]
        full_name = f"{clin.first} {clin.last}"
        score = int(round(fuzz.token_sort_ratio(" ".join(tokens), full_name)))
        names = [t for t in others if len(t) > 1]
        if any(t == clin.first or _given(t) == clin.given for t in names):
            return FULL, max(score, 95)
        if clin.middle and len(clin.middle) > 1 and clin.middle in names:
            return FULL, max(score, 90)
        best = max((fuzz.ratio(t, clin.first) for t in names), default=0)
        if best >= 85 and min(len(clin.first), *(len(t) for t in names)) >= 4:
            return FUZZY, score
        if names:
            return NAME_CONFLICT, score
        if any(len(t) == 1 and t == clin.first[:1] for t in others):
            return INITIAL, score
        if any(len(t) == 1 for t in others):
            return NAME_CONFLICT, score
        return LAST_ONLY, score
    # The handle: "drjaneroe", "janeroe", "roejane", "jroe".
    if (
        len(clin.last) >= 3
        and clin.first
        and (
            f"{clin.first}{clin.last}" in acc.handle
            or f"{clin.last}{clin.first}" in acc.handle
        )
    ):
        return FULL, 90
    if acc.name.looks_personal:
        return NAME_CONFLICT, int(
            round(fuzz.token_sort_ratio(" ".join(tokens), f"{clin.first} {clin.last}"))
        )
    return UNKNOWN, 0


def _location(acc: _Account, clin: _Clin) -> tuple[str, str]:
    """(level, the place text): ``city`` > ``state`` > ``none`` > ``conflict``."""
    if not acc.places:
        return "none", ""
    for place in acc.places:
        if place.city and place.city == clin.city and place.state in clin.states:
            return "city", place.text
    for place in acc.places:
        if not place.ambiguous and place.state in clin.states:
            return "state", place.text
    firm = [p for p in acc.places if not p.ambiguous]
    if firm and clin.states:
        return "conflict", firm[0].text
    return "none", ""


def _credential(acc: _Account, clin: _Clin) -> str:
    """``consistent``, ``conflict`` or ``none``: the display name's credentials (and
    its "Dr.") against the clinician's NPPES credential."""
    kinds = acc.name.kinds
    if kinds and clin.kinds:
        return "consistent" if kinds & clin.kinds else "conflict"
    if acc.name.titled and clin.kinds & DOCTOR_KINDS:
        return "consistent"
    return "none"


@dataclass(slots=True)
class _Scored:
    clin: _Clin
    confidence: float
    evidence: dict[str, Any]
    linkable: bool
    raw: float = 0.0  # before the cap: namesakes are told apart on this


_NAME_BASE = {FULL: 0.45, FUZZY: 0.32, INITIAL: 0.2, LAST_ONLY: 0.15}
_SPECIALTY_BONUS = {sp.SPECIALTY: 0.3, sp.CLASSIFICATION: 0.12, sp.CONFLICT: -0.4}
_LOCATION_BONUS = {"city": 0.2, "state": 0.08, "conflict": -0.25}
_CREDENTIAL_BONUS = {"consistent": 0.05, "conflict": -0.3}


def _signals(acc: _Account, clin: _Clin) -> dict[str, Any]:
    level, score = _name_level(acc, clin)
    spec_level, spec_terms = sp.specialty_match(
        acc.bio_key, acc.terms, clin.input.taxonomies
    )
    location, place = _location(acc, clin)
    return {
        "name_match": level,
        "name_score": score,
        "specialty_match": spec_level,
        "specialty_terms": spec_terms or acc.terms,
        "location_match": location,
        "location": place,
        "credential_match": _credential(acc, clin),
        "handle_has_last_name": bool(clin.last)
        and len(clin.last) >= 3
        and clin.last in acc.handle,
    }


def _name_specialty_score(acc: _Account, clin: _Clin) -> _Scored:
    ev = _signals(acc, clin)
    confidence = _NAME_BASE.get(ev["name_match"], 0.0)
    confidence += _SPECIALTY_BONUS.get(ev["specialty_match"], 0.0)
    confidence += _LOCATION_BONUS.get(ev["location_match"], 0.0)
    confidence += _CREDENTIAL_BONUS.get(ev["credential_match"], 0.0)
    if ev["handle_has_last_name"] and ev["name_match"] in (FULL, FUZZY, INITIAL):
        confidence += 0.05
    # A name alone is never enough: the bio (specialty) or the credentials must agree,
    # and nothing may contradict.
    linkable = (
        ev["name_match"] in _NAME_BASE
        and clin.input.entity_type == 1
        and ev["specialty_match"] != sp.CONFLICT
        and ev["credential_match"] != "conflict"
        and (
            ev["specialty_match"] in (sp.SPECIALTY, sp.CLASSIFICATION)
            or ev["credential_match"] == "consistent"
        )
    )
    return _Scored(
        clin, _clamp(min(confidence, NAME_LINK_CAP)), ev, linkable, raw=confidence
    )


def _clamp(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 3)


def _corroborated(base: float, ev: dict[str, Any]) -> float:
    bonus = {FULL: 0.08, FUZZY: 0.05, INITIAL: 0.03, LAST_ONLY: 0.02}
    value = base + bonus.get(ev["name_match"], 0.0)
    if ev["specialty_match"] == sp.CONFLICT:
        value -= 0.15
    elif ev["specialty_match"] == sp.SPECIALTY:
        value += 0.01
    if ev["location_match"] == "conflict":
        value -= 0.05
    elif ev["location_match"] in ("city", "state"):
        value += 0.01
    if ev["credential_match"] == "conflict":
        value -= 0.1
    return value


def _npi_link(acc: _Account, index: ClinicianIndex, evidence: dict) -> _Scored | None:
    mentions = npi_mentions(
        {
            "bio": acc.input.bio,
            "display_name": acc.input.display_name,
            "url": acc.input.url,
        }
    )
    if not mentions:
        return None
    known = [(m, index.by_npi[m.npi]) for m in mentions if m.npi in index.by_npi]
    unknown = [m.npi for m in mentions if m.npi not in index.by_npi]
    if unknown:
        evidence["npi_in_bio_unknown"] = unknown
    if not known:
        return None
    scored = []
    for mention, clin in known:
        ev = _signals(acc, clin)
        ev = {NPI_IN_BIO: mention.npi, "npi_labeled": mention.labeled, **ev}
        if ev["name_match"] == NAME_CONFLICT:
            confidence, linkable = (0.4 if mention.labeled else 0.2), False
        elif mention.labeled:
            confidence, linkable = _corroborated(0.9, ev), True
        else:
            # A bare number that happens to pass the check digit: the name or the
            # specialty has to say it is this clinician.
            linkable = ev["name_match"] in (FULL, FUZZY) or (
                ev["specialty_match"] == sp.SPECIALTY
            )
            confidence = _corroborated(0.6, ev) + (0.2 if linkable else -0.15)
        scored.append(_Scored(clin, _clamp(min(confidence, 0.99)), ev, linkable))
    scored.sort(key=lambda s: -s.confidence)
    if len(scored) > 1:
        evidence["npi_in_bio_others"] = [s.clin.input.npi for s in scored[1:]]
    return scored[0]


def _license_link(
    acc: _Account, index: ClinicianIndex, evidence: dict
) -> _Scored | None:
    mentions = license_mentions(acc.input.bio)
    if not mentions:
        return None
    scored = []
    for mention in mentions:
        for clin in index.by_license.get(mention.number, ()):
            states = {
                s.upper()
                for s, n in clin.input.licenses
                if license_number_key(n) == mention.number
            }
            if mention.state and mention.state not in states:
                continue
            ev = _signals(acc, clin)
            label = f"{mention.state} {mention.number}".strip()
            ev = {LICENSE_IN_BIO: label, **ev}
            named = ev["name_match"] in (FULL, FUZZY, INITIAL)
            if ev["name_match"] == NAME_CONFLICT:
                confidence, linkable = 0.35, False
            elif mention.state:
                confidence, linkable = _corroborated(0.8, ev) + 0.04 * named, True
            else:
                # A number without its state is not unique: the name must agree.
                linkable = ev["name_match"] in (FULL, FUZZY)
                confidence = _corroborated(0.65, ev) + (0.1 if linkable else -0.2)
            scored.append(_Scored(clin, _clamp(min(confidence, 0.97)), ev, linkable))
    if not scored:
        evidence["license_in_bio_unknown"] = [
            f"{m.state} {m.number}".strip() for m in mentions
        ]
        return None
    scored.sort(key=lambda s: -s.confidence)
    if len(scored) > 1 and scored[1].confidence >= scored[0].confidence - 0.05:
        evidence["license_in_bio_ambiguous"] = [s.clin.input.npi for s in scored[:5]]
        scored[0].linkable = False
    return scored[0]


def _name_candidates(acc: _Account, index: ClinicianIndex) -> dict[str, _Clin]:
    """Namesakes from the (last-name token, first initial) blocks, then the handle."""
    tokens = acc.name.tokens
    found: dict[str, _Clin] = {}
    keys = set(tokens) | {a + b for a, b in zip(tokens, tokens[1:], strict=False)}
    for token in keys:
        block = index.by_name.get(token)
        if not block:
            continue
        others = [t for t in tokens if t != token]
        initials = {t[:1] for t in others} | {
            _given(t)[:1] for t in others if len(t) > 1
        }
        if not others:  # "Dr. Roe": every initial
            initials = set(block)
        for initial in initials:
            for clin in block.get(initial, ()):
                found[clin.input.npi] = clin
    if found or not acc.handle:
        return found
    # No name in the display name: look for "firstlast" in the handle.
    handle = acc.handle[2:] if acc.handle.startswith("dr") else acc.handle
    for start in range(len(handle)):
        for end in range(
            start + max(index.min_last, 3), min(len(handle), start + 24) + 1
        ):
            block = index.by_name.get(handle[start:end])
            if not block:
                continue
            for clins in block.values():
                for clin in clins:
                    if clin.first and (
                        f"{clin.first}{clin.last}" in handle
                        or f"{clin.last}{clin.first}" in handle
                    ):
                        found[clin.input.npi] = clin
    return found


def _name_link(acc: _Account, index: ClinicianIndex, evidence: dict) -> _Scored | None:
    candidates = _name_candidates(acc, index)
    if not candidates:
        return None
    scored = sorted(
        (_name_specialty_score(acc, clin) for clin in candidates.values()),
        key=lambda s: (-s.raw, s.clin.input.npi),
    )
    best = scored[0]
    evidence["name_candidates"] = len(scored)
    # Namesakes are compared before the cap, so that "cardiologist in Austin" still
    # separates the Austin cardiologist from an Austin internist of the same name.
    rivals = [
        s
        for s in scored[1:]
        if s.raw >= best.raw - AMBIGUITY_MARGIN
        and s.raw >= MIN_LINK_CONFIDENCE - AMBIGUITY_MARGIN
    ]
    if rivals and best.linkable:
        best.linkable = False
        best.evidence["ambiguous_with"] = [
            {"npi": s.clin.input.npi, "confidence": s.confidence} for s in rivals[:5]
        ]
    elif len(scored) > 1:
        runner = scored[1]
        best.evidence["runner_up"] = {
            "npi": runner.clin.input.npi,
            "confidence": runner.confidence,
        }
        if runner.raw >= best.raw - 2 * AMBIGUITY_MARGIN:
            # A namesake not far behind: still the best, but less sure.
            best.confidence = _clamp(best.confidence - 0.1)
    return best


def account_match(account: AccountInput, index: ClinicianIndex) -> LinkResult:
    """The best clinician for one account (see the module docstring)."""
    acc = _account_read(account)
    evidence: dict[str, Any] = {"matcher_version": MATCHER_VERSION}
    for method, finder in (
        (NPI_IN_BIO, _npi_link),
        (LICENSE_IN_BIO, _license_link),
        (NAME_SPECIALTY, _name_link),
    ):
        found = finder(acc, index, evidence)
        if found is None:
            continue
        if found.linkable and found.confidence >= MIN_LINK_CONFIDENCE:
            return LinkResult(
                account_key=account.key,
                clinician_key=found.clin.input.key,
                npi=found.clin.input.npi,
                method=method,
                confidence=found.confidence,
                evidence={**evidence, **found.evidence},
            )
        evidence.setdefault("not_linked", []).append(
            {
                "method": method,
                "npi": found.clin.input.npi,
                "confidence": found.confidence,
                **{k: v for k, v in found.evidence.items() if k != "matcher_version"},
            }
        )
    return LinkResult(account_key=account.key, evidence=evidence)


def accounts_match(
    accounts: Iterable[AccountInput],
    clinicians: ClinicianIndex | Iterable[ClinicianInput],
) -> list[LinkResult]:
    """One ``LinkResult`` per account, in order. ``clinicians`` may be a prebuilt
    ``ClinicianIndex`` (reuse it across batches) or the clinicians themselves."""
    index = (
        clinicians
        if isinstance(clinicians, ClinicianIndex)
        else clinician_index_build(clinicians)
    )
    return [account_match(account, index) for account in accounts]
