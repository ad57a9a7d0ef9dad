"""Services of the vetting workflow (DESIGN 7): cases, electronic sign-off, alerts.

A case moves candidate -> medical review -> legal review -> regulatory review ->
approved. Each review stage is closed by one electronic signature (approve, reject or
return) from a holder of that stage's role who re-enters their password, is shown the
meaning of the signature, and signs a hash of the evidence snapshot they were shown.
One person cannot sign two stages of one case. Every change writes an ``AuditEvent``
in the same transaction. A new critical finding or a composite drift beyond the
program's threshold on an approved clinician raises an ``Alert`` and reopens the case.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from audit.chain import canonical_json, to_json_value
from audit.services import audit_record
from common.roles import user_has_role
from compliance.models import AdverseEventCase, Finding, PaymentRecord
from influencers.models import SocialAccount
from vetting.constants import (
    ROLE_ADMIN,
    ROLE_ANALYST,
    ROLE_LEGAL,
    ROLE_MEDICAL,
    ROLE_REGULATORY,
)
from vetting.models import (
    Alert,
    InfluencerScore,
    Program,
    ScoringRun,
    SignOff,
    VettingCase,
)
from vetting.scoring.weights import COMPONENTS
from vetting.tasks import alert_email_send as alert_email_send_task

State = VettingCase.State
Stage = SignOff.Stage
Decision = SignOff.Decision

OPENER_ROLES = (ROLE_ANALYST, ROLE_MEDICAL, ROLE_ADMIN)
HOLD_ROLES = (ROLE_MEDICAL, ROLE_LEGAL, ROLE_REGULATORY, ROLE_ADMIN)


@dataclass(frozen=True)
class StageRule:
    """What one review stage is: the case state it closes, who may sign it, where
    an approval and a return send the case."""

    stage: str
    state: str
    role: str
    approve_to: str
    return_to: str


STAGES = {
    State.MEDICAL: StageRule(
        Stage.MEDICAL, State.MEDICAL, ROLE_MEDICAL, State.LEGAL, State.CANDIDATE
    ),
    State.LEGAL: StageRule(
        Stage.LEGAL, State.LEGAL, ROLE_LEGAL, State.REGULATORY, State.MEDICAL
    ),
    State.REGULATORY: StageRule(
        Stage.REGULATORY, State.REGULATORY, ROLE_REGULATORY, State.APPROVED, State.LEGAL
    ),
}

# What a signature means, shown to the signer above the password field and stored
# with the signature (21 CFR 11.50: printed name, date and time, meaning).
MEANINGS = {
    (Stage.MEDICAL, Decision.APPROVE): (
        "I, {name}, approve this clinician at medical review. I have reviewed the "
        "evidence shown (identity, scores, findings, payments) and judge the "
        "clinician's content medically accurate and appropriate for this program."
    ),
    (Stage.LEGAL, Decision.APPROVE): (
        "I, {name}, approve this clinician at legal review. I have reviewed the "
        "evidence shown, including sponsorship disclosures and Open Payments "
        "conflicts, and see no legal bar to a collaboration."
    ),
    (Stage.REGULATORY, Decision.APPROVE): (
        "I, {name}, give regulatory approval for this clinician. I have reviewed the "
        "evidence shown against FDA promotional rules (fair balance, off-label, "
        "substantiation) and adverse-event handling, and approve the collaboration."
    ),
}
REJECT_MEANING = (
    "I, {name}, reject this clinician at {stage} review for the reason given, "
    "having reviewed the evidence shown."
)
RETURN_MEANING = (
    "I, {name}, return this case from {stage} review for rework for the reason given; "
    "this is not an approval."
)


class SignatureError(ValidationError):
    """A signature was refused (wrong password, stale evidence, wrong signer)."""


def signature_meaning(*, stage: str, decision: str, name: str) -> str:
    if decision == Decision.APPROVE:
        return MEANINGS[(stage, decision)].format(name=name)
    template = REJECT_MEANING if decision == Decision.REJECT else RETURN_MEANING
    return template.format(name=name, stage=Stage(stage).label.lower())


def evidence_sha256(evidence: dict) -> str:
    return hashlib.sha256(canonical_json(evidence).encode("utf-8")).hexdigest()


def case_evidence(case: VettingCase) -> dict[str, Any]:
    """The evidence snapshot a reviewer signs: identity and link, the latest score
    with every component, every current finding on the clinician's posts (with the
    post's content hash, so "posts as seen" are pinned), AE cases and payments."""
    clinician = case.clinician
    account = case.account
    accounts = list(
        SocialAccount.objects.filter(clinician=clinician).values_list("pk", flat=True)
    )
    score = (
        InfluencerScore.objects.filter(
            program=case.program,
            account=account,
            run__status=ScoringRun.Status.SUCCEEDED,
        )
        .order_by("-run__finished_at", "-run_id")
        .first()
    )
    findings = (
        Finding.objects.filter(post__author_id__in=accounts, is_current=True)
        .order_by("pk")
        .values(
            "pk",
            "rule_code",
            "rule_version",
            "severity",
            "status",
            "post_id",
            "post__content_sha256",
            "evidence",
        )
    )
    payments = PaymentRecord.objects.filter(
        Q(clinician=clinician) | Q(covered_recipient_npi=clinician.npi)
    )
    by_maker = (
        payments.values("manufacturer_name")
        .annotate(total=Sum("amount_usd"), n=Count("pk"))
        .order_by("-total", "manufacturer_name")
    )
    ae_cases = AdverseEventCase.objects.filter(post__author_id__in=accounts).order_by(
        "pk"
    )
    evidence = {
        "case": case.pk,
        "program": case.program.slug,
        "identity": {
            "npi": clinician.npi,
            "name": clinician.display_name,
            "credential": clinician.credential,
            "identity_status": clinician.identity_status,
            "primary_taxonomy": clinician.primary_taxonomy_code,
            "npi_status": clinician.npi_status,
        },
        "account": {
            "id": account.pk,
            "platform": account.platform,
            "handle": account.handle,
            "followers": account.followers_count,
            "link_method": account.link_method,
            "link_confidence": account.link_confidence,
            "link_status": account.link_status,
        },
        "score": None,
        "findings": [
            {
                "id": f["pk"],
                "rule": f["rule_code"],
                "rule_version": f["rule_version"],
                "severity": f["severity"],
                "status": f["status"],
                "post": f["post_id"],
                "post_sha256": f["post__content_sha256"],
                "evidence": [span.get("text", "") for span in f["evidence"]],
            }
            for f in findings
        ],
        "adverse_events": [
            {"id": ae.pk, "post": ae.post_id, "status": ae.status} for ae in ae_cases
        ],
        "payments": {
            "count": sum(row["n"] for row in by_maker),
            "total_usd": str(sum((row["total"] for row in by_maker), 0)),
            "by_manufacturer": [
                {
                    "manufacturer": row["manufacturer_name"],
                    "total_usd": str(row["total"]),
                    "count": row["n"],
                }
                for row in by_maker[:10]
            ],
        },
    }
    if score is not None:
        evidence["score"] = {
            "run": score.run_id,
            "scoring_version": score.scoring_version,
            "as_of": score.as_of,
            "composite": score.composite,
            "rank": score.rank,
            "gates_passed": score.gates_passed,
            "gate_failures": score.gate_failures,
            "authenticity_flagged": score.authenticity_flagged,
            "components": {name: getattr(score, name) for name in COMPONENTS},
            "contributions": score.contributions,
        }
    return to_json_value(evidence)


def _snapshot(case: VettingCase) -> tuple[dict, str]:
    evidence = case_evidence(case)
    return evidence, evidence_sha256(evidence)


def _case_state(case: VettingCase) -> dict[str, Any]:
    return {
        "state": case.state,
        "held_from": case.held_from,
        "assignee": case.assignee_id,
        "evidence_sha256": case.evidence_sha256,
    }


def _require_role(user: Any, roles: tuple[str, ...], what: str) -> None:
    if not user_has_role(user, roles):
        raise PermissionDenied(f"Your role may not {what}.")


def case_open(
    *, program: Program, account: SocialAccount, user: Any
) -> tuple[VettingCase, bool]:
    """Open a case for the account's clinician in ``program`` (or return the one
    already open). The account must be linked to a clinician and scored in the
    program. Returns ``(case, created)``."""
    _require_role(user, OPENER_ROLES, "open a vetting case")
    if account.clinician_id is None:
        raise ValidationError(
            "This account is not linked to an NPI-verified clinician; confirm an "
            "identity link before opening a case."
        )
    if not InfluencerScore.objects.filter(program=program, account=account).exists():
        raise ValidationError("This account has not been scored in this program.")
    with transaction.atomic():
        existing = VettingCase.objects.filter(
            program=program, clinician_id=account.clinician_id
        ).first()
        if existing is not None:
            return existing, False
        case = VettingCase(
            program=program,
            clinician_id=account.clinician_id,
            account=account,
            opened_by=user,
            assignee=None,
        )
        case.full_clean()
        case.save()
        audit_record(
            actor=user,
            action="case.opened",
            obj=case,
            program_id=program.pk,
            after=_case_state(case) | {"account": account.pk},
        )
    return case, True


def _locked(case: VettingCase) -> VettingCase:
    return (
        VettingCase.objects.select_for_update()
        .select_related("program", "clinician", "account")
        .get(pk=case.pk)
    )


def _transition(
    case: VettingCase,
    *,
    user: Any,
    action: str,
    change: Callable[[VettingCase], None],
    reason: str = "",
    extra: dict | None = None,
) -> VettingCase:
    """Lock the case, let ``change`` check and modify it, save it and write the audit
    event with the state before and after, all in one transaction."""
    with transaction.atomic():
        case = _locked(case)
        before = _case_state(case)
        change(case)
        case.full_clean()
        case.save()
        audit_record(
            actor=user,
            action=action,
            obj=case,
            program_id=case.program_id,
            before=before,
            after=_case_state(case) | (extra or {}),
            reason=reason.strip(),
        )
    return case


def _fresh_evidence(case: VettingCase) -> None:
    case.evidence, case.evidence_sha256 = _snapshot(case)
    case.evidence_at = timezone.now()


def case_submit(*, case: VettingCase, user: Any, note: str = "") -> VettingCase:
    """Send a candidate to medical review with a fresh evidence snapshot."""
    _require_role(user, OPENER_ROLES, "submit a case for review")

    def submit(case: VettingCase) -> None:
        if case.state != State.CANDIDATE:
            raise ValidationError(
                "Only a candidate can be submitted; this case is "
                f"{case.get_state_display().lower()}."
            )
        _fresh_evidence(case)
        case.state = State.MEDICAL

    return _transition(
        case, user=user, action="case.submitted", change=submit, reason=note
    )


def signoff_blocker(case: VettingCase, user: Any) -> str:
    """Why ``user`` may not sign the case's current stage now ("" if they may)."""
    rule = STAGES.get(case.state)
    if rule is None:
        return f"A {case.get_state_display().lower()} case has no stage to sign."
    # the stage's role itself: being a superuser or an admin is not enough to sign
    if not user.groups.filter(name=rule.role).exists():
        return f"Only a {rule.role} may sign the {rule.stage} stage."
    other = (
        SignOff.objects.filter(case=case, signer=user).exclude(stage=rule.stage).first()
    )
    if other is not None:
        return (
            f"You signed the {other.get_stage_display().lower()} stage of this case; "
            "separation of duties needs another person for this stage."
        )
    return ""


def case_sign(
    *,
    case: VettingCase,
    user: Any,
    decision: str,
    reason: str,
    password: str,
    evidence_seen: str,
) -> SignOff:
    """Sign the case's current stage. Refused (``SignatureError``) when the password
    is wrong, the signer lacks the stage's role or signed another stage of the case,
    or the evidence changed since the signer was shown ``evidence_seen``. A failed
    password attempt is itself audited."""
    if decision not in Decision.values:
        raise SignatureError({"decision": "Choose approve, reject or return."})
    if not reason.strip():
        raise SignatureError({"reason": "A reason is required for every signature."})
    if not user.check_password(password):
        audit_record(
            actor=user,
            action="signoff.password_failed",
            obj=case,
            program_id=case.program_id,
            after={"state": case.state},
        )
        raise SignatureError(
            {"password": "The password is not correct; the signature was not made."}
        )
    with transaction.atomic():
        case = _locked(case)
        blocker = signoff_blocker(case, user)
        if blocker:
            raise SignatureError(blocker)
        rule = STAGES[case.state]
        evidence, digest = _snapshot(case)
        if digest != evidence_seen:
            raise SignatureError(
                "The evidence changed since this page was opened (a new score, finding "
                "or payment). Review the updated evidence and sign again."
            )
        now = timezone.now()
        name = user.get_full_name() or user.get_username()
        signoff = SignOff(
            case=case,
            stage=rule.stage,
            decision=decision,
            reason=reason.strip(),
            signer=user,
            signer_name=name,
            signed_at=now,
            meaning=signature_meaning(stage=rule.stage, decision=decision, name=name),
            evidence_sha256=digest,
            evidence=evidence,
        )
        signoff.full_clean()
        signoff.save()
        before = _case_state(case)
        case.evidence, case.evidence_sha256, case.evidence_at = evidence, digest, now
        if decision == Decision.APPROVE:
            case.state = rule.approve_to
        elif decision == Decision.REJECT:
            case.state = State.REJECTED
        else:
            case.state = rule.return_to
        if case.state == State.APPROVED:
            case.approved_at = now
            case.approved_composite = (evidence.get("score") or {}).get("composite")
            if case.approved_composite is None:
                raise SignatureError("The case has no score to approve on.")
        case.full_clean()
        case.save()
        audit_record(
            actor=user,
            action=f"case.signed.{decision}",
            obj=case,
            program_id=case.program_id,
            before=before,
            after=_case_state(case)
            | {
                "signoff": signoff.pk,
                "stage": rule.stage,
                "meaning": signoff.meaning,
            },
            reason=signoff.reason,
        )
    return signoff


def case_hold(*, case: VettingCase, user: Any, reason: str) -> VettingCase:
    """Put an open case on hold (it resumes to the state it was in)."""
    _require_role(user, HOLD_ROLES, "put a case on hold")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the case is put on hold."})

    def hold(case: VettingCase) -> None:
        if case.state in (State.APPROVED, State.REJECTED, State.ON_HOLD):
            raise ValidationError(
                f"A {case.get_state_display().lower()} case cannot be put on hold."
            )
        case.held_from, case.state = case.state, State.ON_HOLD

    return _transition(case, user=user, action="case.held", change=hold, reason=reason)


def case_resume(*, case: VettingCase, user: Any, reason: str = "") -> VettingCase:
    _require_role(user, HOLD_ROLES, "resume a case")

    def resume(case: VettingCase) -> None:
        if case.state != State.ON_HOLD:
            raise ValidationError("Only a case on hold can be resumed.")
        case.state, case.held_from = case.held_from, ""

    return _transition(
        case, user=user, action="case.resumed", change=resume, reason=reason
    )


def case_assign(*, case: VettingCase, user: Any, assignee: Any) -> VettingCase:
    """Assign the case to ``assignee`` (a program member), e.g. "assign to me"."""
    _require_role(user, HOLD_ROLES + (ROLE_ANALYST,), "assign cases")
    if assignee is not None and not (
        assignee.is_superuser or case.program.members.filter(pk=assignee.pk).exists()
    ):
        raise ValidationError("The assignee must be a member of the program.")

    def assign(case: VettingCase) -> None:
        case.assignee = assignee

    return _transition(case, user=user, action="case.assigned", change=assign)


def _reopen(case: VettingCase, *, reason: str, alert: Alert) -> None:
    """Send an approved case back to medical review (system action, audited)."""

    def reopen(case: VettingCase) -> None:
        case.state = State.MEDICAL
        case.approved_at = None
        case.approved_composite = None
        case.reopened_count += 1
        _fresh_evidence(case)

    _transition(
        case,
        user=None,
        action="case.reopened",
        change=reopen,
        reason=reason,
        extra={"alert": alert.pk},
    )


def alert_raise(
    *,
    kind: str,
    level: str,
    key: str,
    message: str,
    program: Program | None = None,
    case: VettingCase | None = None,
    clinician_id: int | None = None,
    detail: dict | None = None,
) -> tuple[Alert, bool]:
    """Raise an alert once per ``key`` (re-raising the same cause changes nothing).
    A new alert queues ``alert_email_send`` when the transaction commits (nothing
    is sent if it rolls back)."""
    with transaction.atomic():
        alert, created = Alert.objects.get_or_create(
            key=key,
            defaults={
                "kind": kind,
                "level": level,
                "message": message,
                "program": program,
                "case": case,
                "clinician_id": clinician_id,
                "detail": to_json_value(detail or {}),
            },
        )
        if created:
            alert_id = alert.pk
            # robust: a broker outage is logged, it does not fail the caller (e.g. a
            # scoring run whose scores are already committed)
            transaction.on_commit(
                lambda: alert_email_send_task.delay(alert_id), robust=True
            )
    return alert, created


def alert_acknowledge(*, alert: Alert, user: Any) -> Alert:
    """Mark an alert seen by ``user`` (a member of its program); audited."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            return alert
        alert.acknowledged_by = user
        alert.acknowledged_at = timezone.now()
        alert.full_clean()
        alert.save(update_fields=["acknowledged_by", "acknowledged_at", "updated_at"])
        audit_record(
            actor=user,
            action="alert.acknowledged",
            obj=alert,
            program_id=alert.program_id,
            after={"kind": alert.kind, "key": alert.key},
        )
    return alert


def drift_check(*, run: ScoringRun) -> list[Alert]:
    """After ``run`` succeeded: every approved case of the program whose composite
    moved more than the program's ``drift_threshold`` from the approved composite
    raises a score-drift alert and goes back to medical review."""
    program = run.program
    raised = []
    cases = VettingCase.objects.filter(
        program=program, state=State.APPROVED
    ).select_related("program", "clinician", "account")
    composites = dict(
        InfluencerScore.objects.filter(
            run=run, account_id__in=[c.account_id for c in cases]
        ).values_list("account_id", "composite")
    )
    for case in cases:
        now = composites.get(case.account_id)
        if now is None or case.approved_composite is None:
            continue
        drift = now - case.approved_composite
        if abs(drift) <= program.drift_threshold:
            continue
        with transaction.atomic():
            alert, created = alert_raise(
                kind=Alert.Kind.SCORE_DRIFT,
                level=Alert.Level.WARNING,
                key=f"score_drift:{case.pk}:{run.pk}",
                message=(
                    f"{case.clinician.display_name}: composite moved {drift:+.3f} "
                    f"(from {case.approved_composite:.3f} at approval to {now:.3f}), "
                    f"beyond the program's threshold of {program.drift_threshold:.3f}; "
                    "the case is back in medical review."
                ),
                program=program,
                case=case,
                clinician_id=case.clinician_id,
                detail={"run": run.pk, "approved": case.approved_composite, "now": now},
            )
            if created:
                _reopen(_locked(case), reason=f"Score drift {drift:+.3f}", alert=alert)
                raised.append(alert)
    return raised


def _critical_findings(now: datetime) -> list[Alert]:
    raised = []
    cases = VettingCase.objects.filter(
        state__in=[State.APPROVED, State.MEDICAL, State.LEGAL, State.REGULATORY]
    ).select_related("program", "clinician")
    for case in cases:
        since = case.approved_at if case.state == State.APPROVED else case.created_at
        findings = Finding.objects.filter(
            post__author__clinician_id=case.clinician_id,
            severity=Finding.Severity.CRITICAL,
            is_current=True,
            created_at__gt=since,
        ).exclude(status=Finding.Status.DISMISSED)
        for finding in findings.only("pk", "rule_code", "post_id"):
            with transaction.atomic():
                reopen = case.state == State.APPROVED
                alert, created = alert_raise(
                    kind=Alert.Kind.CRITICAL_FINDING,
                    level=Alert.Level.CRITICAL,
                    key=f"critical_finding:{finding.pk}:{case.pk}",
                    message=(
                        f"New critical finding {finding.rule_code} on a post by "
                        f"{case.clinician.display_name}"
                        + (
                            "; the approved case is back in medical review."
                            if reopen
                            else f" while the case is in {case.get_state_display().lower()}."
                        )
                    ),
                    program=case.program,
                    case=case,
                    clinician_id=case.clinician_id,
                    detail={"finding": finding.pk, "post": finding.post_id},
                )
                if created:
                    raised.append(alert)
                    if reopen:
                        case = _locked(case)
                        _reopen(
                            case,
                            reason=f"New critical finding {finding.rule_code}",
                            alert=alert,
                        )
    return raised


def _ae_clocks(now: datetime, warn_within: timedelta) -> list[Alert]:
    raised = []
    open_cases = AdverseEventCase.objects.filter(
        status=AdverseEventCase.Status.TRIAGE, due_at__lte=now + warn_within
    ).select_related("post__author")
    for ae in open_cases:
        overdue = ae.due_at <= now
        programs = Program.objects.filter(
            scores__account_id=ae.post.author_id
        ).distinct()
        for program in programs or [None]:
            alert, created = alert_raise(
                kind=Alert.Kind.AE_CLOCK,
                level=Alert.Level.CRITICAL if overdue else Alert.Level.WARNING,
                key=f"ae_clock:{ae.pk}:{program.pk if program else 0}:"
                f"{'overdue' if overdue else 'due_soon'}",
                message=(
                    f"Adverse-event case {ae.pk} is "
                    + (
                        f"overdue since {ae.due_at:%Y-%m-%d %H:%M} UTC"
                        if overdue
                        else f"due {ae.due_at:%Y-%m-%d %H:%M} UTC"
                    )
                    + f" (post by @{ae.post.author.handle})."
                ),
                program=program,
                clinician_id=ae.post.author.clinician_id,
                detail={"ae_case": ae.pk, "due_at": ae.due_at},
            )
            if created:
                raised.append(alert)
    return raised


def _new_payments() -> list[Alert]:
    raised = []
    cases = VettingCase.objects.exclude(state=State.REJECTED).select_related(
        "program", "clinician"
    )
    for case in cases:
        payments = PaymentRecord.objects.filter(
            Q(clinician_id=case.clinician_id)
            | Q(covered_recipient_npi=case.clinician.npi),
            created_at__gt=case.created_at,
        )
        for payment in payments:
            alert, created = alert_raise(
                kind=Alert.Kind.NEW_PAYMENT,
                level=Alert.Level.INFO,
                key=f"new_payment:{payment.pk}:{case.pk}",
                message=(
                    f"New Open Payments record for {case.clinician.display_name}: "
                    f"${payment.amount_usd} from {payment.manufacturer_name} "
                    f"({payment.nature_of_payment}, {payment.date_of_payment})."
                ),
                program=case.program,
                case=case,
                clinician_id=case.clinician_id,
                detail={"payment": payment.pk},
            )
            if created:
                raised.append(alert)
    return raised


def alerts_refresh(
    *, now: datetime | None = None, ae_warn_within: timedelta = timedelta(hours=24)
) -> dict[str, int]:
    """Raise the alerts whose cause appeared since the last call (idempotent): new
    critical findings on clinicians with a case, AE clocks due within
    ``ae_warn_within`` or overdue, new payments to clinicians with a case. Score
    drift is raised by ``drift_check`` when a scoring run finishes."""
    now = now or timezone.now()
    return {
        "critical_finding": len(_critical_findings(now)),
        "ae_clock": len(_ae_clocks(now, ae_warn_within)),
        "new_payment": len(_new_payments()),
    }
