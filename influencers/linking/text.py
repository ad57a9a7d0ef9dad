"""What an account's own words say about who is behind it: NPIs, licence numbers, the
person's name and credentials, and the places named in the bio.

Pure functions over strings: no ORM, no settings, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from influencers.verification.npi import npi_is_valid
from influencers.verification.nppes_client import US_STATE_NAMES

US_STATE_CODES = frozenset(US_STATE_NAMES.values())
# State codes that are also credentials ("Jane Roe, MD" is not Maryland): they count as
# a place only when the city next to them is the clinician's city, never as a conflict.
AMBIGUOUS_STATE_CODES = frozenset({"MD", "PA", "DC", "DO", "OT", "PT"}) & US_STATE_CODES


_NON_LETTERS = re.compile(r"[^a-z]")
_WORD_RE = re.compile(r"[a-z]+")


def fold(value: str) -> str:
    """Lower-case ASCII: accents dropped (``José`` -> ``jose``), other text kept."""
    if not value:
        return ""
    if value.isascii():
        return value.lower()
    text = unicodedata.normalize("NFKD", value)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def letters(value: str) -> str:
    """Only the ASCII letters of ``fold(value)`` (``O'Brien-Smith`` -> ``obriensmith``)."""
    return _NON_LETTERS.sub("", fold(value))


def words(value: str) -> list[str]:
    """Folded alphabetic words; apostrophes are dropped inside a word (O'Brien)."""
    return _WORD_RE.findall(fold(value).replace("'", "").replace("\u2019", ""))


def phrase_key(value: str) -> str:
    """A phrase for whole-word search: folded words joined by single spaces, ``&`` as
    ``and`` (``Hematology & Oncology`` -> ``hematology and oncology``)."""
    return " ".join(words(fold(value).replace("&", " and ")))


# --- NPIs -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NpiMention:
    """A Luhn-valid NPI found in an account's text. ``labeled`` when the text calls it
    an NPI ("NPI 1234567893", "npi#...", an NPI Registry link), not a bare number."""

    npi: str
    labeled: bool
    field: str


_NPI_LABELED_RE = re.compile(
    r"\bnpi(?:\s*(?:number|num|no\.?|nbr|id))?[\s#:=.\-]*(\d{10})(?!\d)", re.I
)
_NPI_BARE_RE = re.compile(r"(?<![\d\-/])([12]\d{9})(?![\d\-])")
_NPI_IN_URL_RE = re.compile(r"(?<!\d)([12]\d{9})(?!\d)")


def npi_mentions(fields: dict[str, str]) -> list[NpiMention]:
    """Luhn-valid NPIs in the named text fields (bio, display name, url...), labelled
    ones first, each NPI once. A bare 10-digit number counts only if it passes the NPI
    check digit (a phone number can, by chance: callers weigh bare numbers less)."""
    found: dict[str, NpiMention] = {}
    for name, text in fields.items():
        if not text:
            continue
        url_like = "npi" in text.lower() and "/" in text and " " not in text.strip()
        for match in _NPI_LABELED_RE.finditer(text):
            npi = match.group(1)
            if npi_is_valid(npi):
                found[npi] = NpiMention(npi, True, name)
        for match in (_NPI_IN_URL_RE if url_like else _NPI_BARE_RE).finditer(text):
            npi = match.group(1)
            if npi in found or not npi_is_valid(npi):
                continue
            found[npi] = NpiMention(npi, url_like, name)
    return sorted(
        found.values(), key=lambda m: (not m.labeled, list(found).index(m.npi))
    )


# --- licences -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LicenseMention:
    """A licence number named as such in the text, with its state when one is given."""

    state: str
    number: str  # normalized: upper-case letters and digits only
    text: str


_LICENSE_RE = re.compile(
    r"(?:\b(?P<s1>[A-Z]{2})\s+(?:state\s+)?)?"
    r"(?i:\b(?:medical\s+|nursing\s+|pharmacy\s+|state\s+)?"
    r"lic(?:en[cs]ed?)?\b\.?(?:\s+in)?(?:\s*(?:no|num|number|nbr)\b\.?)?)"
    r"[\s#:.\-]*"
    r"(?:(?P<s2>[A-Z]{2})\b[\s#:.\-]*)?"
    r"(?P<num>(?=[A-Za-z0-9\-]*\d)[A-Za-z]{0,3}[\-]?\d[\d\-]{2,11}[A-Za-z]?)(?![\w])"
)


def license_number_key(value: str) -> str:
    """A licence number as compared: upper-case letters and digits, leading zeros of
    the digits dropped (``md-012345`` -> ``MD12345``)."""
    text = re.sub(r"[^A-Z0-9]", "", (value or "").upper())
    match = re.match(r"^([A-Z]*)0*(\d.*)$", text)
    return f"{match.group(1)}{match.group(2)}" if match else text


def license_mentions(text: str) -> list[LicenseMention]:
    """Licence numbers introduced by "Lic", "License", "Licence" ("TX Lic. #Q1234",
    "License: CA A12345", "licensed in TX #P5678"), each once."""
    found: dict[tuple[str, str], LicenseMention] = {}
    for match in _LICENSE_RE.finditer(text or ""):
        state = ""
        for group in ("s2", "s1"):
            value = match.group(group) or ""
            if value in US_STATE_CODES:
                state = value
                break
        number = license_number_key(match.group("num"))
        if len(re.sub(r"\D", "", number)) < 3:
            continue
        found.setdefault(
            (state, number), LicenseMention(state, number, match.group(0).strip())
        )
    return list(found.values())


# --- names and credentials ------------------------------------------------------------

TITLES = frozenset(
    {"dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "mx", "miss"}
)
SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
# Credential token (letters only, folded) -> what kind of clinician it implies.
CREDENTIAL_KINDS: dict[str, str] = {
    **dict.fromkeys(("md", "do", "mbbs", "mbchb", "dmd", "dds"), "physician"),
    **dict.fromkeys(("pharmd", "rph", "bcps", "bcacp", "bcop"), "pharmacist"),
    **dict.fromkeys(
        (
            "np",
            "fnp",
            "fnpc",
            "fnpbc",
            "aprn",
            "dnp",
            "anp",
            "anpc",
            "anpbc",
            "agnp",
            "agpcnp",
            "gnp",
            "crnp",
            "npc",
            "whnp",
            "pnp",
            "pmhnp",
        ),
        "nurse_practitioner",
    ),
    **dict.fromkeys(("pa", "pac"), "physician_assistant"),
    **dict.fromkeys(("rn", "bsn", "lpn", "lvn", "ccrn"), "nurse"),
}
# Fellowships, degrees and certifications that say nothing about the kind.
OTHER_CREDENTIALS = frozenset(
    {
        "facc", "facp", "facr", "facs", "faap", "fasn", "facg", "fache", "faha",
        "fscai", "fhrs", "fase", "fccp", "fidsa", "facep", "fafp", "aafp", "facoi",
        "frcpc", "frcp", "mph", "mba", "ms", "msc", "ma", "msn", "phd", "psyd", "dc",
        "dpt", "pt", "ot", "otr", "lcsw", "lmt", "mt", "cde", "cdces", "bcpp", "rd",
        "rdn", "ld", "cnm", "crna", "abim", "faan", "faanp", "ccm", "edd", "med",
        "bs", "ba", "mhs", "mpas", "dscn",
    }
)  # fmt: skip
CREDENTIALS = frozenset(CREDENTIAL_KINDS) | OTHER_CREDENTIALS
DOCTOR_KINDS = frozenset({"physician", "pharmacist"})  # "Dr." fits these (and DNPs)


@lru_cache(maxsize=4096)
def credential_kinds(value: str) -> frozenset[str]:
    """Kinds of clinician a credential text implies (``"MD, FACC"`` -> physician)."""
    kinds = set()
    for part in re.split(r"[,;/\s]+", fold(value)):
        kind = CREDENTIAL_KINDS.get(_NON_LETTERS.sub("", part))
        if kind:
            kinds.add(kind)
    return frozenset(kinds)


@dataclass(slots=True)
class PersonName:
    """A display name read as a person's name."""

    tokens: list[str] = field(default_factory=list)  # name words, folded, in order
    credentials: list[str] = field(default_factory=list)  # folded credential tokens
    titled: bool = False  # "Dr." / "Doctor" in front
    looks_personal: bool = False  # shaped like a person's name, not a nickname

    @property
    def kinds(self) -> set[str]:
        return {CREDENTIAL_KINDS[c] for c in self.credentials if c in CREDENTIAL_KINDS}


def _key(piece: str) -> str:
    return _NON_LETTERS.sub("", fold(piece))


def _is_credential(piece: str) -> bool:
    """A credential token as written after a name: ``MD``, ``M.D.``, ``PharmD``,
    ``PA-C`` (not ``Do``, a surname, written like a name)."""
    if _key(piece) not in CREDENTIALS:
        return False
    body = piece.replace(".", "").replace("-", "")
    return body.isupper() or "." in piece or any(c.isupper() for c in body[1:])


def person_name(display_name: str) -> PersonName:
    """Read ``display_name`` as a person's name: drop titles ("Dr."), credentials (MD,
    PharmD, PA-C, FACC...), suffixes and emoji; "Roe, Jane" is reordered."""
    result = PersonName()
    text = re.sub(r"[^\w\s,.'\u2019\-]", " ", display_name or "")
    segments = [s.strip() for s in text.split(",") if s.strip()]
    if not segments:
        return result

    def pieces_of(segment: str) -> list[str]:
        return [p for p in segment.split() if re.search(r"[A-Za-z]", p)]

    name_pieces, rest = pieces_of(segments[0]), segments[1:]
    if rest and len(name_pieces) == 1:
        first_rest = pieces_of(rest[0])
        if first_rest and not _is_credential(first_rest[0]):
            name_pieces = first_rest + name_pieces  # "Roe, Jane" -> "Jane Roe"
            rest = rest[1:]
    for segment in rest:
        result.credentials.extend(
            _key(p) for p in pieces_of(segment) if _key(p) in CREDENTIALS
        )
    while name_pieces and _key(name_pieces[0]) in TITLES:
        result.titled = result.titled or _key(name_pieces[0]) in {"dr", "doctor"}
        name_pieces = name_pieces[1:]
    while len(name_pieces) > 1 and (
        _key(name_pieces[-1]) in SUFFIXES or _is_credential(name_pieces[-1])
    ):
        if _key(name_pieces[-1]) in CREDENTIALS:
            result.credentials.insert(0, _key(name_pieces[-1]))
        name_pieces = name_pieces[:-1]
    for piece in name_pieces:
        for part in piece.split("-"):
            token = _key(part)
            if token:
                result.tokens.append(token)
    result.looks_personal = any(len(t) > 1 for t in result.tokens) and (
        result.titled
        or bool(result.credentials)
        or (
            2 <= len(name_pieces) <= 4
            and all(p[:1].isupper() and not re.search(r"\d", p) for p in name_pieces)
        )
    )
    return result


def handle_letters(handle: str) -> str:
    """The letters of a handle's local part (``drjaneroe1a.bsky.social`` ->
    ``drjaneroea``, ``jane_roe@med.social`` -> ``janeroe``)."""
    local = (handle or "").lstrip("@").split("@")[0]
    if "." in local:
        local = local.split(".")[0]
    return letters(local)


# --- places ---------------------------------------------------------------------------

_STATE_NAME_RE = re.compile(
    r"\b(" + "|".join(sorted((n.title() for n in US_STATE_NAMES), key=len, reverse=True))
    + r")\b"
)  # fmt: skip
_CITY_STATE_RE = re.compile(
    r"\b((?:[A-Z][a-zA-Z'\u2019.\-]+|[Ss]t\.?)(?:[ \-](?:[A-Z][a-zA-Z'\u2019.\-]+|de|la|del)){0,3})"
    r",?\s+([A-Z]{2}|"
    + "|".join(sorted((n.title() for n in US_STATE_NAMES), key=len, reverse=True))
    + r")\b(?![a-z])"
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Place:
    """A place named in the text: ``city`` may be empty (a state on its own)."""

    city: str  # city_key() form
    state: str  # USPS code
    text: str
    ambiguous: bool = False  # the state code is also a credential (MD, PA, DC)


@lru_cache(maxsize=16384)
def city_key(value: str) -> str:
    """A city as compared: folded words, ``Saint``/``St.`` alike."""
    tokens = words(value)
    return " ".join("st" if t == "saint" else t for t in tokens)


def places(text: str) -> list[Place]:
    """Places in ``text``: "Austin, TX", "Atlanta, Georgia", "Austin TX", or a state
    name alone ("Texas"). Bare two-letter codes count only after a city."""
    found: list[Place] = []
    for match in _CITY_STATE_RE.finditer(text or ""):
        city, state = match.group(1), match.group(2)
        if len(state) > 2:
            state = US_STATE_NAMES[state.upper()]
        elif state not in US_STATE_CODES:
            continue
        had_comma = "," in match.group(0)
        if not had_comma and state in AMBIGUOUS_STATE_CODES:
            continue
        words_of_city = city.split()
        # "Cardiologist in Austin, TX": the regex starts at a capital; drop leading
        # words that are the job, not the city.
        while words_of_city and phrase_key(words_of_city[0]) in _NOT_CITY_WORDS:
            words_of_city = words_of_city[1:]
        if not words_of_city:
            continue
        found.append(
            Place(
                city_key(" ".join(words_of_city)),
                state,
                match.group(0).strip(),
                ambiguous=state in AMBIGUOUS_STATE_CODES,
            )
        )
    for match in _STATE_NAME_RE.finditer(text or ""):
        state = US_STATE_NAMES[match.group(1).upper()]
        if not any(p.state == state for p in found):
            found.append(Place("", state, match.group(1)))
    return found


# Capitalised words that start a bio sentence but are never part of a city name.
_NOT_CITY_WORDS = frozenset(
    {
        "cardiologist", "rheumatologist", "oncologist", "internist", "physician",
        "pharmacist", "dermatologist", "endocrinologist", "gastroenterologist",
        "nurse", "practitioner", "doctor", "dr", "views", "based", "in", "from",
        "clinic", "hospital", "the", "my", "and", "at", "pharmd", "md", "do", "np",
    }
)  # fmt: skip
