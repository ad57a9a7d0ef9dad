"""PRODUCT_MENTION: which labelled products a post names (brand, generic, hashtag,
misspelt brand). It is not a finding by itself; the other rules build on it.

Matching:

* exact: every alias of a product (brand with and without its suffix, the generic
  name of a single-ingredient product, the hashtag form), case-insensitive, with
  spaces and hyphens optional (``#atorvastatincalcium``), never inside a longer word;
* misspelt: a word or hashtag body of 5+ letters that is no alias, starts with the
  same letter as a brand or single generic name of 5+ letters, differs in length by
  at most 2, and scores at least ``FUZZY_THRESHOLD`` with ``rapidfuzz.fuzz.ratio``
  ("lipiter" 85.7 for LIPITOR, "eliquiss" 93.3 for ELIQUIS, "humria" 83.3 for HUMIRA).
  Words that are themselves drug names (the general drug dictionary) never count as
  misspellings of another product.

``FUZZY_THRESHOLD`` was measured on the 14,265 distinct words of 5+ letters in the
SMM4H, PsyTAR and demo tune-split texts and the unlabelled SMM4H task-1 tweets, against
the bundled labels' names under the same first-letter and length filters. The best
ordinary words score 72.7 ("human", "humor", "humid" for HUMIRA), 71.4 ("elicits" for
ELIQUIS), 70.6 ("training" for TRIAMINIC) and 66.7 ("lipid", "limit" for LIPITOR); the
misspellings found in the same texts score 83.3 ("humria", "humera") to 96
("elliquis" 93.3, "lipiter"/"lipator"/"lapitor" 85.7, "liptor" 92.3). 80 leaves a
margin on both sides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from rapidfuzz import fuzz

from compliance.rules.text import Doc
from compliance.rules.types import (
    SEVERITY_INFO,
    Evidence,
    ProductInfo,
    RuleHit,
)

CODE = "PRODUCT_MENTION"
VERSION = "1"
BASIS = "Feeds the other rules; not a finding by itself (DESIGN 6)."
FUZZY_THRESHOLD = 80.0
_FUZZY_MIN_LENGTH = 5


@dataclass(frozen=True, slots=True)
class ProductMention:
    product_key: str
    start: int
    end: int
    text: str
    how: str  # "exact", "hashtag" or "misspelt"
    score: float = 100.0


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def _alias_regex(alias: str) -> str:
    out = []
    for char in alias:
        if char in " -":
            if not out or out[-1] != r"[\s\-]*":
                out.append(r"[\s\-]*")
        else:
            out.append(re.escape(char))
    return "".join(out)


def is_combination(generic_name: str) -> bool:
    return bool(re.search(r",|;|\band\b|/", generic_name or "", re.IGNORECASE))


class Knowledge:
    """The labelled products and their compiled name matchers. Build once per scan
    (``compliance.knowledge.knowledge_build``) and share across posts."""

    def __init__(self, products: tuple[ProductInfo, ...] | list[ProductInfo]) -> None:
        self.products: tuple[ProductInfo, ...] = tuple(products)
        self.by_key: dict[str, ProductInfo] = {p.key: p for p in self.products}
        self._alias_to_key: dict[str, str] = {}
        for product in self.products:
            for alias in product.aliases:
                key = _key(alias)
                if len(key) >= 3:
                    self._alias_to_key.setdefault(key, product.key)

    @cached_property
    def alias_re(self) -> re.Pattern[str] | None:
        aliases = sorted(
            {a.lstrip("#").strip().lower() for p in self.products for a in p.aliases},
            key=len,
            reverse=True,
        )
        aliases = [a for a in aliases if len(_key(a)) >= 3]
        if not aliases:
            return None
        body = "|".join(_alias_regex(a) for a in aliases)
        return re.compile(rf"(?<![\w])#?(?:{body})(?![\w])", re.IGNORECASE)

    @cached_property
    def fuzzy_names(self) -> dict[str, str]:
        """Single-word brand and generic names (5+ letters) -> product key."""
        names: dict[str, str] = {}
        for product in self.products:
            candidates = [product.brand_name.split()[0] if product.brand_name else ""]
            if not is_combination(product.generic_name):
                candidates.append(product.generic_name.split()[0])
            for name in candidates:
                name = name.lower()
                if len(name) >= _FUZZY_MIN_LENGTH and name.isalpha():
                    names.setdefault(name, product.key)
        return names

    def key_for_name(self, name: str) -> str | None:
        """The product a free-text name (an alias, in any case) refers to, if any."""
        return self._alias_to_key.get(_key(name))

    def mentions(self, doc: Doc) -> tuple[ProductMention, ...]:
        """Product mentions in the post, non-overlapping, in text order (cached)."""
        cached = doc.__dict__.get("_product_mentions")
        if cached is not None:
            return cached
        found: list[ProductMention] = []
        if self.alias_re is not None:
            for m in self.alias_re.finditer(doc.text):
                key = self._alias_to_key.get(_key(m[0]))
                if key:
                    how = "hashtag" if m[0].startswith("#") else "exact"
                    found.append(ProductMention(key, m.start(), m.end(), m[0], how))
        if self.fuzzy_names:
            found.extend(self._misspelt(doc, found))
        result = tuple(sorted(found, key=lambda pm: pm.start))
        doc.__dict__["_product_mentions"] = result
        return result

    def _misspelt(self, doc: Doc, exact: list[ProductMention]) -> list[ProductMention]:
        from compliance.rules.drugs import drugs_in

        out: list[ProductMention] = []
        taken = [(pm.start, pm.end) for pm in exact]
        drug_spans: list[tuple[int, int]] | None = None
        names = tuple(self.fuzzy_names.items())
        for word in doc.words:
            norm = word.norm
            if len(norm) < _FUZZY_MIN_LENGTH or not norm.isalpha():
                continue
            if any(s <= word.start < e for s, e in taken):
                continue
            best = _best_fuzzy(norm, names)
            if best is None:
                continue
            if drug_spans is None:
                drug_spans = [(d.start, d.end) for d in drugs_in(doc)]
            if any(s <= word.start < e for s, e in drug_spans):
                continue  # a real (other) drug name, not a misspelling
            key, score = best
            how = "misspelt"
            out.append(ProductMention(key, word.start, word.end, word.text, how, score))
        return out


@lru_cache(maxsize=65536)
def _best_fuzzy(
    word: str, names: tuple[tuple[str, str], ...]
) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for name, key in names:
        if word == name or word[0] != name[0] or abs(len(word) - len(name)) > 2:
            continue
        score = fuzz.ratio(word, name)
        if score >= FUZZY_THRESHOLD and (best is None or score > best[1]):
            best = (key, score)
    return best


def check(doc: Doc, knowledge: Knowledge) -> list[RuleHit]:
    """One PRODUCT_MENTION hit per product named, with every span that names it."""
    by_product: dict[str, list[ProductMention]] = {}
    for mention in knowledge.mentions(doc):
        by_product.setdefault(mention.product_key, []).append(mention)
    hits: list[RuleHit] = []
    for key, mentions in by_product.items():
        product = knowledge.by_key[key]
        forms = sorted({m.how for m in mentions})
        misspelt = [m for m in mentions if m.how == "misspelt"]
        note = (
            f" (read {', '.join(repr(m.text) for m in misspelt)} as a misspelling)"
            if misspelt
            else ""
        )
        hits.append(
            RuleHit(
                code=CODE,
                version=VERSION,
                severity=SEVERITY_INFO,
                evidence=tuple(Evidence(m.start, m.end, m.text) for m in mentions),
                explanation=(
                    f"The post names {product.brand_name}{note}. This feeds the "
                    "off-label, claim, balance, conflict and adverse-event checks."
                ),
                basis=BASIS,
                product_key=key,
                product_name=product.brand_name,
                details={
                    "forms": forms,
                    "scores": [round(m.score, 1) for m in mentions],
                },
            )
        )
    return hits
