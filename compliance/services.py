"""Writes of the compliance app: scans, findings decisions and adverse-event cases.

``posts_scan`` runs the pure rules (``compliance.rules``) over posts and stores the
hits as ``Finding`` rows (PRODUCT_MENTION is not stored: it is not a finding, it
feeds the others and is shown by the draft checker). A finding's fingerprint is the
SHA-256 of post id + post content hash + rule code + rule version + product +
evidence spans, so scanning the same content with the same rule versions again
creates nothing; a new rule version creates new findings and supersedes the old
ones (``is_current=False``, ``superseded_by``). The post id is part of the
fingerprint because ``Finding.fingerprint`` is unique across all posts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from compliance.knowledge import knowledge_build, payments_for_npis
from compliance.models import AdverseEventCase, Finding, ScanRun
from compliance.rules import RULE_VERSIONS, RULES_VERSION, PostInput, RuleHit, rules_run
from compliance.rules.products import Knowledge
from listening.models import IngestRun, Post

SCAN_CHUNK_SIZE = 1000
_DECISIONS = (
    Finding.Status.CONFIRMED,
    Finding.Status.DISMISSED,
    Finding.Status.ESCALATED,
)


def rule_versions_current() -> dict[str, str]:
    """What a ScanRun records: every rule's version and the shared RULES_VERSION."""
    return {**RULE_VERSIONS, "_rules": RULES_VERSION}


def finding_fingerprint(*, post_id: int, content_sha256: str, hit: RuleHit) -> str:
    spans = [[e.start, e.end] for e in hit.evidence]
    payload = json.dumps(
        [post_id, content_sha256, hit.code, hit.version, hit.product_key, spans],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _posts_to_scan(
    *,
    post_ids: Sequence[int] | None,
    ingest_run_id: int | None,
    versions: dict,
    full: bool = False,
) -> tuple[Any, str]:
    """The posts a scan covers, and the run's trigger label."""
    posts = Post.objects.all()
    if full:
        return posts, "all"
    if post_ids is not None:
        return posts.filter(pk__in=list(post_ids)), "posts"
    if ingest_run_id is not None:
        run = IngestRun.objects.filter(pk=ingest_run_id).only("started_at").first()
        posts = posts.filter(last_run_id=ingest_run_id)
        if run is not None and run.started_at is not None:
            # Posts whose counters alone changed in that run need no new scan.
            posts = posts.filter(content_changed_at__gte=run.started_at)
        return posts, f"ingest run {ingest_run_id}"
    # Incremental: since the last complete scan with the same rule versions; all
    # posts when the rules changed (new versions re-scan and supersede).
    previous = (
        ScanRun.objects.filter(
            status=ScanRun.Status.SUCCEEDED,
            trigger__in=("all", "incremental"),
            rule_versions=versions,
        )
        .order_by("-started_at")
        .first()
    )
    if previous is not None and previous.started_at is not None:
        return posts.filter(content_changed_at__gte=previous.started_at), "incremental"
    return posts, "all"


def posts_scan(
    *,
    post_ids: Sequence[int] | None = None,
    ingest_run_id: int | None = None,
    full: bool = False,
    chunk_size: int = SCAN_CHUNK_SIZE,
    knowledge: Knowledge | None = None,
) -> ScanRun:
    """Scan posts with the current rules and store findings; return the ScanRun.

    Which posts: ``post_ids``; else those an ingest run created or changed; else
    every post whose content changed since the last complete scan with the same
    rule versions (all posts when the versions changed, or with ``full``: use it
    after loading new labels or payments, which do not change post hashes).

    Steps, per chunk of ``chunk_size`` posts (keyset by id, so memory stays bounded
    on millions of posts), each chunk in one transaction: (1) load the chunk with
    its authors' NPIs and their Open Payments (two queries); (2) run the rules;
    (3) bulk-insert the findings whose fingerprint is new, carrying a reviewer's
    decision over from a superseded finding with the same evidence; (4) mark the
    post's other current findings superseded; (5) open an ``AdverseEventCase`` for
    each post with an ADVERSE_EVENT finding and no case yet (day 0 = the post's
    ``first_seen_at``, due ``COMPLIANCE_AE_DUE_DAYS`` later). Counts are saved on
    the run after each chunk. Idempotent: a second scan of unchanged posts with the
    same rule versions creates and supersedes nothing. On error the run is marked
    FAILED with the error and the exception propagates.
    """
    versions = rule_versions_current()
    posts, trigger = _posts_to_scan(
        post_ids=post_ids, ingest_run_id=ingest_run_id, versions=versions, full=full
    )
    now = timezone.now()
    run = ScanRun(
        status=ScanRun.Status.RUNNING,
        trigger=trigger,
        ingest_run_id=ingest_run_id
        if ingest_run_id and IngestRun.objects.filter(pk=ingest_run_id).exists()
        else None,
        rule_versions=versions,
        started_at=now,
    )
    run.full_clean()
    run.save()
    try:
        knowledge = knowledge or knowledge_build()
        posts = posts.select_related("author__clinician").only(
            "id",
            "text",
            "posted_at",
            "first_seen_at",
            "content_sha256",
            "author__id",
            "author__clinician__id",
            "author__clinician__npi",
        )
        last_pk = 0
        while True:
            chunk = list(posts.filter(pk__gt=last_pk).order_by("pk")[:chunk_size])
            if not chunk:
                break
            last_pk = chunk[-1].pk
            with transaction.atomic():
                _scan_chunk(chunk, knowledge=knowledge, run=run)
            run.save(
                update_fields=[
                    "posts_scanned",
                    "findings_created",
                    "findings_unchanged",
                    "findings_superseded",
                    "ae_cases_opened",
                    "updated_at",
                ]
            )
    except Exception as exc:
        scan_run_fail(scan_run_id=run.pk, error=f"{type(exc).__name__}: {exc}")
        raise
    run.status = ScanRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at", "updated_at"])
    return run


def _npi(post: Post) -> str:
    clinician = post.author.clinician if post.author_id else None
    return clinician.npi if clinician is not None else ""


def _label_id(knowledge: Knowledge, hit: RuleHit) -> int | None:
    product = knowledge.by_key.get(hit.product_key)
    if product is None or hit.label_version is None:
        return None
    return next(
        (lab.label_id for lab in product.labels if lab.version == hit.label_version),
        None,
    )


def _scan_chunk(chunk: list[Post], *, knowledge: Knowledge, run: ScanRun) -> None:
    payments = payments_for_npis(_npi(p) for p in chunk)
    built: list[Finding] = []
    for post in chunk:
        npi = _npi(post)
        hits = rules_run(
            PostInput(
                text=post.text,
                posted_at=post.posted_at,
                author_npi=npi,
                payments=payments.get(npi, ()),
            ),
            knowledge,
        )
        for hit in hits:
            if not hit.is_finding:
                continue
            product = knowledge.by_key.get(hit.product_key)
            built.append(
                Finding(
                    post=post,
                    scan_run=run,
                    rule_code=hit.code,
                    rule_version=hit.version,
                    severity=hit.severity,
                    evidence=[e.as_dict() for e in hit.evidence],
                    explanation=hit.explanation,
                    basis=hit.basis[:300],
                    product_id=product.product_id if product else None,
                    product_label_id=_label_id(knowledge, hit),
                    details=hit.details,
                    fingerprint=finding_fingerprint(
                        post_id=post.pk, content_sha256=post.content_sha256, hit=hit
                    ),
                )
            )
    run.posts_scanned += len(chunk)
    fingerprints = {f.fingerprint for f in built}
    post_ids = [p.pk for p in chunk]
    existing = {
        fp: current
        for fp, current in Finding.objects.filter(
            fingerprint__in=fingerprints
        ).values_list("fingerprint", "is_current")
    }
    revived = [fp for fp, current in existing.items() if not current]
    if revived:
        Finding.objects.filter(fingerprint__in=revived).update(
            is_current=True, superseded_by=None, updated_at=timezone.now()
        )
    stale = list(
        Finding.objects.filter(post_id__in=post_ids, is_current=True).exclude(
            fingerprint__in=fingerprints
        )
    )
    new = [f for f in built if f.fingerprint not in existing]
    _carry_decisions(new, stale)
    for finding in new:
        finding.full_clean(validate_unique=False, validate_constraints=False)
    Finding.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    run.findings_created += len(new)
    run.findings_unchanged += len(built) - len(new)

    ids = dict(
        Finding.objects.filter(fingerprint__in=fingerprints).values_list(
            "fingerprint", "id"
        )
    )
    if stale:
        replacement = {(f.post_id, f.rule_code): ids.get(f.fingerprint) for f in built}
        now = timezone.now()
        for old in stale:
            old.is_current = False
            old.superseded_by_id = replacement.get((old.post_id, old.rule_code))
            old.updated_at = now
        Finding.objects.bulk_update(
            stale, ["is_current", "superseded_by", "updated_at"], batch_size=500
        )
        run.findings_superseded += len(stale)
    run.ae_cases_opened += _ae_cases_open(chunk, built, ids)


def _carry_decisions(new: list[Finding], stale: list[Finding]) -> None:
    """A reviewer's decision on a superseded finding carries over to its successor
    when the post content and the evidence are the same (only the rule version
    moved), so a version bump does not reopen decided findings."""
    decided = {
        (f.post_id, f.rule_code, json.dumps(f.evidence, sort_keys=True)): f
        for f in stale
        if f.status != Finding.Status.OPEN
    }
    if not decided:
        return
    for finding in new:
        old = decided.get(
            (
                finding.post.pk,
                finding.rule_code,
                json.dumps(finding.evidence, sort_keys=True),
            )
        )
        if old is None:
            continue
        finding.status = old.status
        finding.decided_by_id = old.decided_by_id
        finding.decided_at = old.decided_at
        finding.decision_reason = old.decision_reason
        finding.details = {**finding.details, "decision_from_finding": old.pk}


def _ae_cases_open(chunk: list[Post], built: list[Finding], ids: dict[str, int]) -> int:
    ae = {f.post.pk: f for f in built if f.rule_code == "ADVERSE_EVENT"}
    if not ae:
        return 0
    have = set(
        AdverseEventCase.objects.filter(post_id__in=list(ae)).values_list(
            "post_id", flat=True
        )
    )
    due = timedelta(days=settings.COMPLIANCE_AE_DUE_DAYS)
    cases = []
    for post in chunk:
        finding = ae.get(post.pk)
        if finding is None or post.pk in have:
            continue
        case = AdverseEventCase(
            post=post,
            finding_id=ids.get(finding.fingerprint),
            product_id=finding.product_id,
            elements=finding.details.get("elements", {}),
            awareness_at=post.first_seen_at,
            due_at=post.first_seen_at + due,
        )
        case.full_clean(validate_unique=False, validate_constraints=False)
        cases.append(case)
    AdverseEventCase.objects.bulk_create(cases, ignore_conflicts=True)
    return len(cases)


def scan_run_fail(*, scan_run_id: int, error: str) -> None:
    """Mark a scan run FAILED with its error (outside the failed transaction)."""
    ScanRun.objects.filter(pk=scan_run_id).update(
        status=ScanRun.Status.FAILED,
        error=error[:5000],
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _finding_decision_state(finding: Finding) -> dict[str, Any]:
    """The decision fields of a finding as the audit trail records them."""
    return {
        "status": finding.status,
        "decided_by": _username(finding.decided_by),
        "decided_at": finding.decided_at,
        "decision_reason": finding.decision_reason,
    }


@transaction.atomic
def finding_decide(
    *, finding: Finding, user: AbstractBaseUser, status: str, reason: str
) -> Finding:
    """Confirm, dismiss or escalate a finding with a reason.

    Raises ``ValidationError`` on an unknown status or an empty reason (nothing is
    written). Writes the decision, who made it and when, and a ``finding.decided``
    audit event with the decision fields before and after, in the same transaction.
    Not idempotent: a second call re-decides (and writes a second event).
    """
    if status not in _DECISIONS:
        raise ValidationError(
            {"status": f"Use one of: {', '.join(str(s) for s in _DECISIONS)}."}
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": "A reason is required for the audit trail."})
    finding = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("decided_by")
        .get(pk=finding.pk)
    )
    before = _finding_decision_state(finding)
    finding.status = status
    finding.decided_by = user
    finding.decided_at = timezone.now()
    finding.decision_reason = reason.strip()
    finding.full_clean()
    finding.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "updated_at",
        ]
    )
    audit_record(
        actor=user,
        action="finding.decided",
        obj=finding,
        before=before,
        after=_finding_decision_state(finding),
        reason=finding.decision_reason,
    )
    return finding


_AE_AUDITED_FIELDS = ("status", "assignee", "handled_by", "handled_at", "notes")


def _ae_case_state(case: AdverseEventCase) -> dict[str, Any]:
    """The fields a triage decision changes, as the audit trail records them."""
    return {
        "status": case.status,
        "assignee": _username(case.assignee),
        "handled_by": _username(case.handled_by),
        "handled_at": case.handled_at,
        "notes": case.notes,
    }


@transaction.atomic
def ae_case_update(
    *,
    case: AdverseEventCase,
    user: AbstractBaseUser,
    status: str | None = None,
    assignee: AbstractBaseUser | None = None,
    notes: str | None = None,
) -> AdverseEventCase:
    """Triage an adverse-event case: set its status, assign it (for example to a
    pharmacovigilance officer) and add notes.

    FORWARDED (to pharmacovigilance) and NOT_REPORTABLE record who handled it and
    when; NOT_REPORTABLE needs a note saying why. Raises ``ValidationError``
    (nothing is written). When anything changed, writes an ``ae_case.decided``
    audit event with the changed fields before and after, in the same transaction.
    """
    case = (
        AdverseEventCase.objects.select_for_update(of=("self",))
        .select_related("assignee", "handled_by")
        .get(pk=case.pk)
    )
    before = _ae_case_state(case)
    fields = ["updated_at"]
    if status is not None:
        if status not in AdverseEventCase.Status.values:
            raise ValidationError({"status": f"Unknown status {status!r}."})
        if status == AdverseEventCase.Status.NOT_REPORTABLE and not (
            (notes or "").strip() or case.notes.strip()
        ):
            raise ValidationError({"notes": "Say why the case is not reportable."})
        case.status = status
        fields.append("status")
        if status in (
            AdverseEventCase.Status.FORWARDED,
            AdverseEventCase.Status.NOT_REPORTABLE,
        ):
            case.handled_by = user
            case.handled_at = timezone.now()
            fields += ["handled_by", "handled_at"]
    if assignee is not None:
        case.assignee = assignee
        fields.append("assignee")
    if notes is not None and notes.strip():
        stamp = timezone.now().strftime("%Y-%m-%d %H:%M")
        who = user.get_username()
        case.notes = (
            case.notes + "\n" if case.notes else ""
        ) + f"[{stamp} {who}] {notes.strip()}"
        fields.append("notes")
    case.full_clean()
    case.save(update_fields=fields)
    after = _ae_case_state(case)
    changed = [name for name in _AE_AUDITED_FIELDS if before[name] != after[name]]
    if changed:
        audit_record(
            actor=user,
            action="ae_case.decided",
            obj=case,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
            reason=(notes or "").strip(),
        )
    return case
