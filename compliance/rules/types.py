"""The plain data the rules take and return. Pure: no ORM, no settings, no I/O.

``compliance.knowledge`` builds ``ProductInfo``/``LabelInfo``/``PaymentInfo`` from
database rows (or from parsed SPL files); the rules never see a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

SEVERITY_CRITICAL = "critical"
SEVERITY_MAJOR = "major"
SEVERITY_MINOR = "minor"
SEVERITY_INFO = "info"  # PRODUCT_MENTION only: not a finding


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the ORIGINAL post text: ``text == post_text[start:end]``."""

    start: int
    end: int
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class RuleHit:
    """One rule firing on one post (what a ``Finding`` row stores)."""

    code: str
    version: str
    severity: str
    evidence: tuple[Evidence, ...]
    explanation: str
    basis: str
    product_key: str = ""  # ProductInfo.key (SPL set id) when about a product
    product_name: str = ""
    label_version: int | None = None
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def is_finding(self) -> bool:
        """PRODUCT_MENTION feeds the other rules and is never stored as a finding."""
        return self.severity != SEVERITY_INFO

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_code": self.code,
            "rule_version": self.version,
            "severity": self.severity,
            "evidence": [e.as_dict() for e in self.evidence],
            "explanation": self.explanation,
            "basis": self.basis,
            "product": self.product_name,
            "label_version": self.label_version,
            "details": self.details,
        }


@dataclass(frozen=True)
class LabelInfo:
    """One version of a product's label, reduced to what the rules read."""

    version: int
    effective_date: date | None
    indications: tuple[str, ...]  # canonical conditions (compliance.labels.conditions)
    boxed_warning: str = ""
    adverse_reaction_terms: tuple[str, ...] = ()
    indications_mention_children: bool = False
    document_id: str = ""
    label_id: int | None = None  # ProductLabel pk, when built from the database

    @property
    def has_boxed_warning(self) -> bool:
        return bool(self.boxed_warning.strip())


@dataclass(frozen=True)
class ProductInfo:
    """A labelled product: the names a post may use and its label versions."""

    key: str  # SPL set id
    brand_name: str
    generic_name: str = ""
    sponsor: str = ""
    aliases: tuple[str, ...] = ()  # lower-case, without '#'
    labels: tuple[LabelInfo, ...] = ()  # any order
    product_id: int | None = None
    is_otc: bool = False

    def label_in_force(self, at: date | datetime | None) -> LabelInfo | None:
        """The label version in force on ``at``: the newest with effective_date <=
        at; the earliest when ``at`` predates them all; the newest when ``at`` is
        None. Labels without a date sort by version."""
        if not self.labels:
            return None
        ordered = sorted(
            self.labels, key=lambda lab: (lab.effective_date or date.min, lab.version)
        )
        if at is None:
            return ordered[-1]
        day = at.date() if isinstance(at, datetime) else at
        in_force = [
            lab
            for lab in ordered
            if lab.effective_date is None or lab.effective_date <= day
        ]
        return in_force[-1] if in_force else ordered[0]


@dataclass(frozen=True)
class PaymentInfo:
    """One Open Payments record to the post's author."""

    manufacturer_name: str
    amount_usd: float
    date: date | None = None
    nature: str = ""
    products: tuple[str, ...] = ()
    record_id: str = ""


@dataclass(frozen=True)
class PostInput:
    """What the rules read about one post (or one draft)."""

    text: str
    posted_at: datetime | date | None = None
    author_npi: str = ""
    payments: tuple[PaymentInfo, ...] = ()
    # Products the context names although the text may not (a drug review's drug).
    context_products: tuple[str, ...] = ()
