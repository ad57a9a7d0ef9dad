"""Compliance rules: pure, versioned detectors over one post (DESIGN 6).

``rules_run(post, knowledge)`` runs every rule and returns ``RuleHit``s with evidence
spans into the ORIGINAL text, a plain-English explanation and the regulation it
rests on. No ORM, no settings, no I/O: ``compliance.knowledge`` builds the inputs
and ``compliance.services`` stores the results.

Versions. Each rule has its own ``VERSION``; the version written on a hit (and
into a finding's fingerprint) is ``f"{RULES_VERSION}.{VERSION}"``. Bump a rule's
``VERSION`` when only that rule's behaviour changes; bump ``RULES_VERSION`` when
shared code changes what rules find (tokenising, ConText triggers, the condition,
drug or event lexicons): every rule then gets a new version and the next scan
re-scans and supersedes.
"""

from __future__ import annotations

from dataclasses import replace

from compliance.rules import adverse_event, claims, disclosure, off_label, products
from compliance.rules.products import Knowledge
from compliance.rules.text import Doc
from compliance.rules.types import (
    Evidence,
    LabelInfo,
    PaymentInfo,
    PostInput,
    ProductInfo,
    RuleHit,
)

RULES_VERSION = "1"

_RULES = (
    (products.CODE, products.VERSION),
    (off_label.CODE, off_label.VERSION),
    (claims.OVERSTATEMENT, claims.OVERSTATEMENT_VERSION),
    (claims.FAIR_BALANCE, claims.FAIR_BALANCE_VERSION),
    (disclosure.SPONSORSHIP, disclosure.SPONSORSHIP_VERSION),
    (disclosure.COI, disclosure.COI_VERSION),
    (adverse_event.CODE, adverse_event.VERSION),
)
RULE_CODES: tuple[str, ...] = tuple(code for code, _ in _RULES)
RULE_VERSIONS: dict[str, str] = {
    code: f"{RULES_VERSION}.{version}" for code, version in _RULES
}
FINDING_CODES: tuple[str, ...] = tuple(c for c in RULE_CODES if c != products.CODE)

__all__ = [
    "FINDING_CODES",
    "RULES_VERSION",
    "RULE_CODES",
    "RULE_VERSIONS",
    "Evidence",
    "Knowledge",
    "LabelInfo",
    "PaymentInfo",
    "PostInput",
    "ProductInfo",
    "RuleHit",
    "rules_run",
]


def rules_run(post: PostInput, knowledge: Knowledge) -> list[RuleHit]:
    """Every rule over one post. Deterministic: the same input gives the same hits
    in the same order. PRODUCT_MENTION hits are included (``hit.is_finding`` is
    False for them)."""
    doc = Doc(post.text)
    mentions = knowledge.mentions(doc)
    hits: list[RuleHit] = []
    hits.extend(products.check(doc, knowledge))
    hits.extend(off_label.check(doc, post, knowledge, mentions))
    hits.extend(claims.check_overstatement(doc, post, knowledge, mentions))
    hits.extend(claims.check_fair_balance(doc, post, knowledge, mentions))
    hits.extend(disclosure.check_sponsorship(doc, post, knowledge, mentions))
    hits.extend(disclosure.check_coi(doc, post, knowledge, mentions))
    hits.extend(adverse_event.check(doc, post, knowledge, mentions))
    return [replace(hit, version=RULE_VERSIONS[hit.code]) for hit in hits]
