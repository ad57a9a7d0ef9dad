"""Reads of the compliance app: findings, adverse-event cases, scan runs, and the
draft checker (which runs the rules on a text and stores nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from compliance.knowledge import knowledge_build, payments_for_npis
from compliance.models import AdverseEventCase, Finding, ScanRun
from compliance.rules import PostInput, RuleHit, rules_run


def finding_list(
    *, current_only: bool = True, post_id: int | None = None
) -> QuerySet[Finding]:
    """Findings, newest first, with post, author and product joined."""
    findings = Finding.objects.select_related(
        "post", "post__author", "product", "product_label", "decided_by"
    )
    if current_only:
        findings = findings.filter(is_current=True)
    if post_id is not None:
        findings = findings.filter(post_id=post_id)
    return findings.order_by("-created_at", "-id")


def ae_case_list(*, open_only: bool = True) -> QuerySet[AdverseEventCase]:
    """Adverse-event cases by time left (earliest due first)."""
    cases = AdverseEventCase.objects.select_related(
        "post", "post__author", "product", "finding", "assignee", "handled_by"
    )
    if open_only:
        cases = cases.filter(
            status__in=[
                AdverseEventCase.Status.TRIAGE,
                AdverseEventCase.Status.REPORTABLE,
            ]
        )
    return cases.order_by("due_at", "id")


def scan_run_list() -> QuerySet[ScanRun]:
    return ScanRun.objects.select_related("ingest_run").order_by("-created_at")


@dataclass(frozen=True)
class DraftCheck:
    """The draft checker's answer: the hits and the text they point into."""

    text: str
    hits: list[RuleHit]

    @property
    def findings(self) -> list[RuleHit]:
        return [h for h in self.hits if h.is_finding]

    @property
    def products(self) -> list[str]:
        return [h.product_name for h in self.hits if not h.is_finding]


def draft_check(
    *,
    text: str,
    author_npi: str = "",
    product: str = "",
    posted_at: datetime | None = None,
) -> DraftCheck:
    """Run every rule on a draft post. Reads products, labels and the author's Open
    Payments; writes nothing. ``product`` names a product the draft is about even if
    the text does not (it is the suspect product of an adverse-event check)."""
    knowledge = knowledge_build()
    payments = payments_for_npis([author_npi]).get(author_npi, ()) if author_npi else ()
    hits = rules_run(
        PostInput(
            text=text,
            posted_at=posted_at,
            author_npi=author_npi,
            payments=payments,
            context_products=(product,) if product else (),
        ),
        knowledge,
    )
    return DraftCheck(text=text, hits=hits)


def finding_get(*, finding_id: int) -> Finding:
    """One finding (current or superseded) with post, author, product and label
    joined. Raises ``Finding.DoesNotExist``."""
    return finding_list(current_only=False).get(pk=finding_id)


def finding_history(*, finding: Finding) -> QuerySet[Finding]:
    """Earlier versions of ``finding`` (same post and rule, superseded), newest
    first, with whoever decided them: the decision trail across re-scans."""
    return (
        Finding.objects.select_related("decided_by")
        .filter(post_id=finding.post_id, rule_code=finding.rule_code)
        .exclude(pk=finding.pk)
        .filter(is_current=False)
        .order_by("-created_at", "-id")
    )


def ae_case_get(*, case_id: int) -> AdverseEventCase:
    """One adverse-event case (any status) with post, author and product joined.
    Raises ``AdverseEventCase.DoesNotExist``."""
    return ae_case_list(open_only=False).get(pk=case_id)
