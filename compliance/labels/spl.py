"""Parse one FDA Structured Product Label (HL7 SPL XML) into a plain dataclass.

Pure code: no Django, no database, no network. The parser is hardened (no DTD
loading, no entity resolution, no network access, no huge-tree mode) because SPL
files come from outside.

What is read, and from where (all in the ``urn:hl7-org:v3`` namespace):

* ``document/id/@root`` (the version's document id), ``setId/@root`` (the product
  across versions), ``versionNumber/@value``, ``effectiveTime/@value``, ``title``
  (may be empty: older labels have ``<title/>``);
* ``document/code``: the document type LOINC code (34391-3 human Rx, 34390-5 human
  OTC, ...), which decides the market category; the approval (marketing) category of
  the products (NDA, BLA, ANDA, "OTC monograph final", ...) is the fallback;
* ``author/assignedEntity/representedOrganization/name``: the labeler (sponsor);
* every ``manufacturedProduct/manufacturedProduct``: proprietary (brand) name with
  its ``suffix``, and ``asEntityWithGeneric/genericMedicine/name``;
* the body sections by LOINC code, as clean text. Only sections at the top of the
  body count as the label's boxed warning, indications and so on: old labels use
  nested "Boxed Warning" sections as layout boxes inside dosage tables, and those
  are part of their parent's text only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from lxml import etree

from compliance.labels.conditions import indication_conditions

SPL_NAMESPACE = "urn:hl7-org:v3"
_NS = {"v": SPL_NAMESPACE}
_MAX_BYTES = 50 * 1024 * 1024  # the largest DailyMed labels are a few MB

# Document types (LOINC), as in the SPL document-type list.
DOC_HUMAN_RX = "34391-3"
DOC_HUMAN_OTC = "34390-5"
_RX_DOCUMENT_TYPES = {DOC_HUMAN_RX, "53492-5"}  # human Rx; human Rx (bulk ingredient)
_OTC_DOCUMENT_TYPES = {DOC_HUMAN_OTC}

# Section codes (LOINC) the compliance rules read.
SECTION_PRODUCT_DATA = "48780-1"
SECTION_BOXED_WARNING = "34066-1"
SECTION_INDICATIONS = "34067-9"
SECTION_CONTRAINDICATIONS = "34070-3"
SECTION_WARNINGS_AND_PRECAUTIONS = "43685-7"  # PLR format (2006+)
SECTION_WARNINGS = "34071-1"  # older format, and OTC "Warnings"
SECTION_PRECAUTIONS = "42232-9"  # older format
SECTION_ADVERSE_REACTIONS = "34084-4"
SECTION_UNCLASSIFIED = "42229-5"

MARKET_RX = "rx"
MARKET_OTC = "otc"
MARKET_OTHER = "other"

# Elements whose text is laid out on its own line(s).
_BLOCK_TAGS = {"paragraph", "title", "caption", "item", "tr", "list", "table", "text"}
_SKIP_TAGS = {"renderMultiMedia", "observationMedia", "id", "code", "effectiveTime"}


class SplParseError(ValueError):
    """The input is not an SPL document we can use; the message says why."""


@dataclass(frozen=True)
class SplProduct:
    """One ``manufacturedProduct`` listed in the label's product data section."""

    name: str  # proprietary name with its suffix, as printed
    base_name: str  # proprietary name without the suffix
    generic_name: str
    active_moieties: tuple[str, ...]  # e.g. ATORVASTATIN for atorvastatin calcium
    ndc: str
    form: str
    approval_category: str  # NDA, BLA, ANDA, OTC monograph final, ...
    application_number: str  # NDA020702, BLA125057, part341, ...


@dataclass(frozen=True)
class SplLabel:
    """One SPL document (one version of one product's label), parsed."""

    set_id: str
    document_id: str
    version: int
    effective_date: date | None
    title: str
    document_type_code: str
    document_type: str
    market_category: str  # MARKET_RX, MARKET_OTC or MARKET_OTHER
    sponsor: str
    products: tuple[SplProduct, ...]
    brand_names: tuple[str, ...]
    generic_names: tuple[str, ...]
    sections: dict[str, str]  # LOINC code -> clean text
    indications: str = ""
    boxed_warning: str = ""
    contraindications: str = ""
    warnings_precautions: str = ""
    adverse_reactions: str = ""
    indication_conditions: tuple[str, ...] = ()
    adverse_reaction_terms: tuple[str, ...] = ()

    @property
    def brand_name(self) -> str:
        """The first listed proprietary name (the product's display name)."""
        return self.brand_names[0] if self.brand_names else ""

    @property
    def generic_name(self) -> str:
        return self.generic_names[0] if self.generic_names else ""

    @property
    def active_moieties(self) -> tuple[str, ...]:
        return _unique(m for p in self.products for m in p.active_moieties)

    @property
    def approval_categories(self) -> tuple[str, ...]:
        return _unique(
            p.approval_category for p in self.products if p.approval_category
        )

    @property
    def application_numbers(self) -> tuple[str, ...]:
        return _unique(
            p.application_number for p in self.products if p.application_number
        )

    def as_dict(self) -> dict:
        """JSON-safe content (dates as ISO text), stable for hashing."""
        data = asdict(self)
        data["effective_date"] = (
            self.effective_date.isoformat() if self.effective_date else None
        )
        return data


# --------------------------------------------------------------------------- parsing


def spl_parse(source: bytes | str | Path) -> SplLabel:
    """Parse SPL XML given as bytes or a file path; raise ``SplParseError`` if unusable."""
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SplParseError(f"cannot read {path}: {exc.strerror or exc}") from exc
    else:
        data = source
    if len(data) > _MAX_BYTES:
        raise SplParseError(f"file is larger than {_MAX_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        raise SplParseError("file is empty")
    root = _parse_xml(data)
    return _label_from_root(root)


def _parse_xml(data: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SplParseError(f"not well-formed XML: {exc}") from exc
    if root is None:
        raise SplParseError("not well-formed XML: no root element")
    return root


def _label_from_root(root: etree._Element) -> SplLabel:
    qname = etree.QName(root)
    if qname.namespace != SPL_NAMESPACE or qname.localname != "document":
        found = (
            f"{{{qname.namespace}}}{qname.localname}"
            if qname.namespace
            else qname.localname
        )
        raise SplParseError(
            f"not an SPL document: root element is <{found}>, "
            f"expected <document> in namespace {SPL_NAMESPACE}"
        )
    document_id = _attr(root, "v:id", "root")
    set_id = _attr(root, "v:setId", "root")
    version_text = _attr(root, "v:versionNumber", "value")
    missing = [
        name
        for name, value in (
            ("id/@root (document id)", document_id),
            ("setId/@root", set_id),
            ("versionNumber/@value", version_text),
        )
        if not value
    ]
    if missing:
        raise SplParseError(f"SPL document lacks {', '.join(missing)}")
    try:
        version = int(version_text)
    except ValueError as exc:
        raise SplParseError(
            f"versionNumber {version_text!r} is not a whole number"
        ) from exc
    if version < 0:
        raise SplParseError(f"versionNumber {version} is negative")

    code_el = root.find("v:code", _NS)
    document_type_code = (
        (code_el.get("code") or "").strip() if code_el is not None else ""
    )
    document_type = (
        (code_el.get("displayName") or "").strip() if code_el is not None else ""
    )
    title_el = root.find("v:title", _NS)
    title = _inline_text(title_el) if title_el is not None else ""
    effective_date = _parse_hl7_date(_attr(root, "v:effectiveTime", "value"))
    sponsor = _text(
        root.find("v:author/v:assignedEntity/v:representedOrganization/v:name", _NS)
    )

    products = tuple(_products(root))
    brand_names = _unique(p.name for p in products if p.name)
    generic_names = _unique(p.generic_name for p in products if p.generic_name)
    if not brand_names:
        if not title:
            raise SplParseError(
                "SPL document names no product: no manufacturedProduct/name and no title"
            )
        brand_names = (_brand_from_title(title),)

    sections = _sections(root)
    warnings_precautions = sections.get(SECTION_WARNINGS_AND_PRECAUTIONS, "")
    if not warnings_precautions:
        # Pre-2006 labels keep WARNINGS and PRECAUTIONS as two sections.
        warnings_precautions = "\n\n".join(
            sections[c]
            for c in (SECTION_WARNINGS, SECTION_PRECAUTIONS)
            if sections.get(c)
        )
    indications = sections.get(SECTION_INDICATIONS, "")
    adverse_reactions = sections.get(SECTION_ADVERSE_REACTIONS, "")

    return SplLabel(
        set_id=set_id,
        document_id=document_id,
        version=version,
        effective_date=effective_date,
        title=title,
        document_type_code=document_type_code,
        document_type=document_type,
        market_category=_market_category(document_type_code, document_type, products),
        sponsor=sponsor,
        products=products,
        brand_names=brand_names,
        generic_names=generic_names,
        sections=sections,
        indications=indications,
        boxed_warning=sections.get(SECTION_BOXED_WARNING, ""),
        contraindications=sections.get(SECTION_CONTRAINDICATIONS, ""),
        warnings_precautions=warnings_precautions,
        adverse_reactions=adverse_reactions,
        indication_conditions=tuple(indication_conditions(indications)),
        adverse_reaction_terms=tuple(_adverse_reaction_terms(root)),
    )


def _market_category(code: str, display: str, products: Iterable[SplProduct]) -> str:
    """Rx or OTC from the document type; the approval category decides otherwise."""
    if code in _OTC_DOCUMENT_TYPES:
        return MARKET_OTC
    if code in _RX_DOCUMENT_TYPES:
        return MARKET_RX
    upper = display.upper()
    if "OTC" in upper:
        return MARKET_OTC
    if "PRESCRIPTION" in upper:
        return MARKET_RX
    categories = {p.approval_category.upper() for p in products if p.approval_category}
    if any("OTC" in c for c in categories):
        return MARKET_OTC
    if categories & {"NDA", "BLA", "ANDA", "NDA AUTHORIZED GENERIC"}:
        return MARKET_RX
    return MARKET_OTHER


def _products(root: etree._Element) -> Iterator[SplProduct]:
    for outer in root.iterfind(".//v:subject/v:manufacturedProduct", _NS):
        inner = outer.find("v:manufacturedProduct", _NS)
        if inner is None:
            continue
        name_el = inner.find("v:name", _NS)
        base_name = _clean_inline(name_el.text or "") if name_el is not None else ""
        name = _inline_text(name_el) if name_el is not None else ""
        code_el = inner.find("v:code", _NS)
        form_el = inner.find("v:formCode", _NS)
        approval = outer.find("v:subjectOf/v:approval", _NS)
        approval_code = approval.find("v:code", _NS) if approval is not None else None
        approval_id = approval.find("v:id", _NS) if approval is not None else None
        yield SplProduct(
            name=name,
            base_name=base_name or name,
            generic_name=_text(
                inner.find("v:asEntityWithGeneric/v:genericMedicine/v:name", _NS)
            ),
            active_moieties=_unique(
                _text(n)
                for n in inner.iterfind(
                    "v:ingredient/v:ingredientSubstance/v:activeMoiety/v:activeMoiety/v:name",
                    _NS,
                )
                if _text(n)
            ),
            ndc=(code_el.get("code") or "") if code_el is not None else "",
            form=(form_el.get("displayName") or "") if form_el is not None else "",
            approval_category=(approval_code.get("displayName") or "").strip()
            if approval_code is not None
            else "",
            application_number=(approval_id.get("extension") or "").strip()
            if approval_id is not None
            else "",
        )


def _brand_from_title(title: str) -> str:
    """'... use ELIQUIS safely ...' -> 'ELIQUIS' (only when no product name is given)."""
    match = re.search(r"use (.+?) safely", title)
    return match.group(1).strip() if match else title.split("\n")[0][:200]


# ------------------------------------------------------------------------- sections


def _sections(root: etree._Element) -> dict[str, str]:
    """Text of the coded sections, keyed by LOINC code.

    Top-level sections come first (repeated codes, like several package panels,
    are joined). A nested section is added under its own code only when no
    top-level section has that code and it is neither unclassified nor a boxed
    warning (nested boxes are layout), e.g. "8.4 Pediatric Use" (34081-0).
    """
    body = root.find("v:component/v:structuredBody", _NS)
    if body is None:
        return {}
    texts: dict[str, list[str]] = {}
    top_level = body.findall("v:component/v:section", _NS)
    for section in top_level:
        code = _section_code(section)
        if not code or code == SECTION_PRODUCT_DATA:
            continue
        text = _section_text(section)
        if text:
            texts.setdefault(code, []).append(text)
    top_codes = set(texts)
    for section in top_level:
        for nested in section.iterfind(".//v:section", _NS):
            code = _section_code(nested)
            if (
                not code
                or code in top_codes
                or code in (SECTION_UNCLASSIFIED, SECTION_BOXED_WARNING)
                or _has_ancestor_with_code(nested, code)
            ):
                continue
            text = _section_text(nested)
            if text:
                texts.setdefault(code, []).append(text)
    return {code: "\n\n".join(parts) for code, parts in texts.items()}


def _section_code(section: etree._Element) -> str:
    code = section.find("v:code", _NS)
    return (code.get("code") or "").strip() if code is not None else ""


def _has_ancestor_with_code(section: etree._Element, code: str) -> bool:
    return any(
        etree.QName(a).localname == "section" and _section_code(a) == code
        for a in section.iterancestors()
    )


def _section_text(section: etree._Element) -> str:
    """Title, text and subsections as clean text; the Highlights excerpt is skipped
    unless it is all the section has (e.g. Recent Major Changes)."""
    lines: list[str] = []
    _render_section(section, lines, with_excerpt=False)
    text = _finish(lines)
    title = _inline_text(section.find("v:title", _NS))
    if text == title or not text:
        lines = []
        _render_section(section, lines, with_excerpt=True)
        text = _finish(lines)
    return text


def _render_section(
    section: etree._Element, lines: list[str], *, with_excerpt: bool
) -> None:
    for child in section:
        if not isinstance(child.tag, str):
            continue
        tag = etree.QName(child).localname
        if tag == "title":
            lines.append(_inline_text(child))
        elif tag == "text":
            _render_block(child, lines)
        elif tag == "excerpt" and with_excerpt:
            for text_el in child.iterfind(".//v:text", _NS):
                _render_block(text_el, lines)
        elif tag == "component":
            for sub in child.iterfind("v:section", _NS):
                lines.append("")
                _render_section(sub, lines, with_excerpt=with_excerpt)


def _render_block(element: etree._Element, lines: list[str]) -> None:
    """Append the element's text: paragraphs and list items on their own lines,
    table rows as cells joined by ' | '."""
    tag = etree.QName(element).localname
    if tag in _SKIP_TAGS:
        return
    if tag == "tr":
        cells = [
            _inline_text(cell)
            for cell in element
            if isinstance(cell.tag, str) and etree.QName(cell).localname in ("td", "th")
        ]
        if any(cells):
            lines.append(" | ".join(cells))
        return
    if tag == "item":
        buffer: list[str] = []
        _render_mixed(element, lines, buffer, bullet="- ")
        return
    if tag in ("paragraph", "caption", "title"):
        buffer = []
        _render_mixed(element, lines, buffer, bullet="")
        return
    if element.text and element.text.strip():
        lines.append(_clean_inline(element.text))
    for child in element:
        if isinstance(child.tag, str):
            _render_block(child, lines)
        if child.tail and child.tail.strip():
            lines.append(_clean_inline(child.tail))


def _render_mixed(
    element: etree._Element, lines: list[str], buffer: list[str], *, bullet: str
) -> None:
    """A paragraph or list item: inline content joined; nested lists/tables break out."""

    def flush() -> None:
        text = _clean_inline("".join(buffer))
        if bullet:
            text = text.lstrip("•●▪◦‣∙· ")
        if text:
            lines.append(bullet + text)
        buffer.clear()

    buffer.append(element.text or "")
    for child in element:
        if isinstance(child.tag, str):
            tag = etree.QName(child).localname
            if tag in ("list", "table", "paragraph"):
                flush()
                _render_block(child, lines)
            elif tag == "br":
                flush()
            elif tag not in _SKIP_TAGS:
                buffer.append(_inline_raw(child))
        buffer.append(child.tail or "")
    flush()


def _inline_raw(element: etree._Element | None) -> str:
    """All text under an element, <br/> as a space, media skipped."""
    if element is None:
        return ""
    parts: list[str] = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            tag = etree.QName(child).localname
            if tag == "br":
                parts.append(" ")
            elif tag not in _SKIP_TAGS:
                if tag == "suffix":
                    parts.append(" ")
                parts.append(_inline_raw(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _inline_text(element: etree._Element | None) -> str:
    """Clean one-line text of an element; for titles, <br/> becomes a line break."""
    if element is None:
        return ""
    pieces: list[str] = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            tag = etree.QName(child).localname
            if tag == "br":
                pieces.append("\n")
            elif tag not in _SKIP_TAGS:
                if tag == "suffix":
                    pieces.append(" ")
                pieces.append(_inline_raw(child))
        pieces.append(child.tail or "")
    lines = (_clean_inline(line) for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)


_WS = re.compile(r"\s+")


def _clean_inline(text: str) -> str:
    return _WS.sub(" ", text.replace("\u00a0", " ")).strip()


def _finish(lines: list[str]) -> str:
    """Join lines, dropping repeated blank lines and leading/trailing blanks."""
    out: list[str] = []
    for line in lines:
        for part in line.split("\n"):
            part = part.strip()
            if not part and (not out or not out[-1]):
                continue
            out.append(part)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


# ---------------------------------------------------------------- adverse reactions

# Row and item heads that are not reactions: column/group headers, severity
# grades and organ-system groupings (Eliquis bleeding tables: "Major", "Fatal",
# "Intracranial"; HUMIRA: "Respiratory").
_AR_NOISE_WORDS = frozenset(
    " ".join(
        (
            "all any total overall other others number patients subjects treated",
            "placebo major minor fatal serious severe mild moderate nonserious",
            "non-serious crnm clinically relevant events event reactions reaction",
            "adverse intracranial non-intracranial extracranial gastrointestinal",
            "respiratory cardiovascular hepatic renal dermatologic hematologic",
            "neurologic psychiatric musculoskeletal metabolic nutritional skin",
            "nervous system body whole general disorders disorder laboratory site",
            "including and or of the a in at to with",
        )
    ).split(" ")
)
_AR_MAX_WORDS = 6
_BULLETS = "•●▪◦‣∙·-–—*"


def _adverse_reaction_terms(root: etree._Element) -> Iterator[str]:
    """Best-effort reaction terms from the top-level Adverse Reactions section.

    Taken from the first cell of table rows that carry data in other cells (tables
    list one reaction per row, e.g. "Nausea | 4.0 | 3.4") and from short list items
    ("Serious Infections [see Warnings and Precautions (5.1)]"). Group headers,
    severity grades, figures and cross-references are dropped. Deduplicated
    case-insensitively, in document order. Prose-only sections (older labels) give
    no terms: the text itself is kept in ``adverse_reactions``.
    """
    body = root.find("v:component/v:structuredBody", _NS)
    if body is None:
        return
    seen: set[str] = set()
    for section in body.findall("v:component/v:section", _NS):
        if _section_code(section) != SECTION_ADVERSE_REACTIONS:
            continue
        candidates: list[str] = []
        for table in section.iterfind(".//v:table", _NS):
            rows = table.findall("v:tbody/v:tr", _NS) or table.findall(".//v:tr", _NS)
            for row in rows:
                cells = [_inline_raw(c).strip() for c in row if isinstance(c.tag, str)]
                if len(cells) < 2 or not any(cells[1:]):
                    continue  # a spanning group header ("Gastrointestinal disorders")
                candidates.append(cells[0])
        for item in section.iterfind(".//v:item", _NS):
            candidates.append(_inline_raw(item))
        for raw in candidates:
            term = _clean_term(raw)
            if term and term.casefold() not in seen:
                seen.add(term.casefold())
                yield term


def _clean_term(raw: str) -> str:
    term = _clean_inline(raw).lstrip(_BULLETS + " ")
    term = re.sub(r"\[\s*see [^\]]*\]|\(\s*see [^)]*\)", "", term, flags=re.IGNORECASE)
    term = re.sub(r"\s*\((?:including|excluding|e\.g\.|i\.e\.)[^)]*\)", "", term)
    term = re.sub(r"^other\s+", "", term, flags=re.IGNORECASE)
    term = re.sub(r"[*†‡§¶#]+|\[\d+\]", "", term)
    term = re.sub(r"\s*\(\s*[A-Z]{2,5}\s*\)$", "", term)  # "Intracranial (ICH)"
    term = re.sub(r"\s*\d+(?:\.\d+)?\s*%?$", "", term).strip(" :;,.")
    if len(term) < 3 or not re.search(r"[A-Za-z]{3}", term):
        return ""
    words = term.split()
    if len(words) > _AR_MAX_WORDS:
        return ""
    if all(w.strip("(),").casefold() in _AR_NOISE_WORDS for w in words):
        return ""
    if re.search(r"\d{2,}|[≥≤<>=+%]|\bmg\b|\bvs\.?\b", term, re.IGNORECASE):
        return ""
    return term


# ----------------------------------------------------------------------- small helpers


def _attr(root: etree._Element, path: str, name: str) -> str:
    element = root.find(path, _NS)
    return (element.get(name) or "").strip() if element is not None else ""


def _text(element: etree._Element | None) -> str:
    return _clean_inline(_inline_raw(element)) if element is not None else ""


def _parse_hl7_date(value: str) -> date | None:
    """HL7 TS 'YYYYMMDD[hhmmss...]' -> date; None when absent or not a date."""
    match = re.match(r"^(\d{4})(\d{2})(\d{2})", value or "")
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        key = value.casefold()
        if key not in seen:
            seen.add(key)
            out.append(value)
    return tuple(out)
