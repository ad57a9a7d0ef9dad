"""The vetting workflow (DESIGN 7): case states, electronic signatures bound to the
evidence hash, separation of duties, immutability, audit events in the same
transaction, and alerts that reopen an approved case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import chain_verify
from compliance.models import Finding, PaymentRecord
from influencers.models import SocialAccount
from vetting import services, workflow
from vetting.constants import (
    ROLE_ADMIN,
    ROLE_ANALYST,
    ROLE_LEGAL,
    ROLE_MEDICAL,
    ROLE_REGULATORY,
)
from vetting.models import Alert, InfluencerScore, SignOff, VettingCase

PASSWORD = "s1gn-Pass-2026"


def _user(django_user_model, name, *roles, program=None):
    user = django_user_model.objects.create_user(
        username=name, password=PASSWORD, first_name=name.title(), last_name="Tester"
    )
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    if program is not None:
        program.members.add(user)
    return user


@pytest.fixture
def team(django_user_model, program):
    program, star = program
    run, _ = services.scoring_run_create(program=program)
    services.scoring_run_inline(run_id=run.pk)
    people = {
        "analyst": _user(django_user_model, "ana", ROLE_ANALYST, program=program),
        "medical": _user(django_user_model, "med", ROLE_MEDICAL, program=program),
        "legal": _user(django_user_model, "leg", ROLE_LEGAL, program=program),
        "regulatory": _user(django_user_model, "reg", ROLE_REGULATORY, program=program),
    }
    return program, star, run, people


def _sign(case, user, decision="approve", password=PASSWORD, reason="Reviewed."):
    seen = workflow.evidence_sha256(workflow.case_evidence(case))
    return workflow.case_sign(
        case=case,
        user=user,
        decision=decision,
        reason=reason,
        password=password,
        evidence_seen=seen,
    )


def _approved_case(team):
    program, star, run, people = team
    case, _ = workflow.case_open(program=program, account=star, user=people["analyst"])
    workflow.case_submit(case=case, user=people["analyst"])
    for stage in ("medical", "legal", "regulatory"):
        _sign(case, people[stage])
    case.refresh_from_db()
    return case


@pytest.mark.django_db
def test_three_signers_approve_and_every_step_is_audited(team):
    program, star, run, people = team
    case = _approved_case(team)
    assert case.state == VettingCase.State.APPROVED
    score = InfluencerScore.objects.get(run=run, account=star)
    assert case.approved_composite == pytest.approx(score.composite)
    signoffs = list(case.signoffs.order_by("signed_at"))
    assert [s.stage for s in signoffs] == ["medical", "legal", "regulatory"]
    assert {s.signer.username for s in signoffs} == {"med", "leg", "reg"}
    # each signature stores its meaning, the printed name and the evidence hash
    assert signoffs[0].meaning.startswith("I, Med Tester, approve this clinician")
    assert signoffs[0].evidence_sha256 == workflow.evidence_sha256(signoffs[0].evidence)
    actions = list(
        AuditEvent.objects.filter(object_id=str(case.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "case.opened",
        "case.submitted",
        "case.signed.approve",
        "case.signed.approve",
        "case.signed.approve",
    ]
    assert chain_verify().ok


@pytest.mark.django_db
def test_wrong_password_makes_no_signature_and_is_audited(team):
    program, star, run, people = team
    case, _ = workflow.case_open(program=program, account=star, user=people["analyst"])
    workflow.case_submit(case=case, user=people["analyst"])
    with pytest.raises(workflow.SignatureError, match="password is not correct"):
        _sign(case, people["medical"], password="wrong")
    case.refresh_from_db()
    assert case.state == VettingCase.State.MEDICAL
    assert not SignOff.objects.exists()
    assert AuditEvent.objects.filter(action="signoff.password_failed").count() == 1


@pytest.mark.django_db
def test_separation_of_duties_and_stage_roles(team, django_user_model):
    program, star, run, people = team
    both = _user(django_user_model, "both", ROLE_MEDICAL, ROLE_LEGAL, program=program)
    admin = _user(django_user_model, "boss", ROLE_ADMIN, program=program)
    case, _ = workflow.case_open(program=program, account=star, user=people["analyst"])
    workflow.case_submit(case=case, user=people["analyst"])
    # an admin, or the wrong role, cannot sign the medical stage
    for user in (admin, people["legal"]):
        with pytest.raises(workflow.SignatureError, match="Only a medical reviewer"):
            _sign(case, user)
    _sign(case, both)
    case.refresh_from_db()
    assert case.state == VettingCase.State.LEGAL
    with pytest.raises(workflow.SignatureError, match="separation of duties"):
        _sign(case, both)
    _sign(case, people["legal"])
    case.refresh_from_db()
    assert case.state == VettingCase.State.REGULATORY


@pytest.mark.django_db
def test_a_signature_binds_to_the_evidence_the_signer_saw(team):
    program, star, run, people = team
    case, _ = workflow.case_open(program=program, account=star, user=people["analyst"])
    workflow.case_submit(case=case, user=people["analyst"])
    seen = workflow.evidence_sha256(workflow.case_evidence(case))
    # a new finding lands after the page was opened: the old hash is refused
    post = star.posts.first()
    Finding.objects.create(
        post=post, rule_code="OFF_LABEL", rule_version="1", severity="major",
        evidence=[{"start": 0, "end": 4, "text": "afib"}], explanation="x",
        fingerprint="f" * 64,
    )  # fmt: skip
    with pytest.raises(workflow.SignatureError, match="evidence changed"):
        workflow.case_sign(case=case, user=people["medical"], decision="approve",
                           reason="ok", password=PASSWORD, evidence_seen=seen)  # fmt: skip
    signoff = _sign(case, people["medical"])
    assert any(f["rule"] == "OFF_LABEL" for f in signoff.evidence["findings"])


@pytest.mark.django_db
def test_reject_and_return_move_the_case(team):
    program, star, run, people = team
    case, _ = workflow.case_open(program=program, account=star, user=people["analyst"])
    workflow.case_submit(case=case, user=people["analyst"])
    _sign(case, people["medical"])
    _sign(case, people["legal"], decision="return", reason="Check disclosures.")
    case.refresh_from_db()
    assert case.state == VettingCase.State.MEDICAL
    _sign(case, people["medical"])  # the same medical reviewer signs again
    _sign(case, people["legal"], decision="reject", reason="Undisclosed sponsor.")
    case.refresh_from_db()
    assert case.state == VettingCase.State.REJECTED
    with pytest.raises(workflow.SignatureError):
        _sign(case, people["regulatory"])


@pytest.mark.django_db
def test_signatures_cannot_be_edited_or_deleted(team):
    case = _approved_case(team)
    signoff = case.signoffs.first()
    signoff.reason = "changed afterwards"
    with pytest.raises(DatabaseError, match="cannot be edited"), transaction.atomic():
        signoff.save()
    with pytest.raises(DatabaseError, match="cannot be edited"), transaction.atomic():
        SignOff.objects.filter(pk=signoff.pk).delete()


@pytest.mark.django_db
def test_roles_that_may_not_open_or_hold(team, django_user_model):
    program, star, run, people = team
    pv = _user(django_user_model, "pvo", "pharmacovigilance officer", program=program)
    with pytest.raises(PermissionDenied):
        workflow.case_open(program=program, account=star, user=people["legal"])
    case, created = workflow.case_open(
        program=program, account=star, user=people["analyst"]
    )
    assert created
    assert workflow.case_open(
        program=program, account=star, user=people["medical"]
    ) == (
        case,
        False,
    )
    workflow.case_submit(case=case, user=people["analyst"])
    with pytest.raises(PermissionDenied):
        workflow.case_hold(case=case, user=pv, reason="x")
    with pytest.raises(ValidationError):
        workflow.case_hold(case=case, user=people["legal"], reason=" ")
    workflow.case_hold(case=case, user=people["legal"], reason="Awaiting contract")
    case.refresh_from_db()
    assert (case.state, case.held_from) == ("on_hold", "medical_review")
    workflow.case_resume(case=case, user=people["legal"])
    case.refresh_from_db()
    assert (case.state, case.held_from) == ("medical_review", "")


@pytest.mark.django_db
def test_unlinked_accounts_cannot_get_a_case(team):
    program, star, run, people = team
    unlinked = SocialAccount.objects.filter(clinician__isnull=True).first()
    with pytest.raises(ValidationError, match="not linked"):
        workflow.case_open(program=program, account=unlinked, user=people["analyst"])


@pytest.mark.django_db
def test_a_new_critical_finding_reopens_an_approved_case_once(team):
    case = _approved_case(team)
    post = case.account.posts.first()
    Finding.objects.create(
        post=post, rule_code="OVERSTATED_EFFICACY", rule_version="1",
        severity="critical", evidence=[{"start": 0, "end": 4, "text": "afib"}],
        explanation="x", fingerprint="c" * 64,
    )  # fmt: skip
    assert workflow.alerts_refresh()["critical_finding"] == 1
    case.refresh_from_db()
    assert case.state == VettingCase.State.MEDICAL
    assert case.reopened_count == 1
    alert = Alert.objects.get(kind=Alert.Kind.CRITICAL_FINDING)
    assert alert.case == case and "back in medical review" in alert.message
    assert AuditEvent.objects.filter(action="case.reopened", actor=None).count() == 1
    # the same cause raises nothing new
    assert workflow.alerts_refresh()["critical_finding"] == 0
    assert Alert.objects.count() == 1


@pytest.mark.django_db
def test_score_drift_beyond_the_threshold_reopens_the_case(team):
    program, star, run, people = team
    case = _approved_case(team)
    # within the threshold: nothing
    VettingCase.objects.filter(pk=case.pk).update(
        approved_composite=case.approved_composite + program.drift_threshold / 2
    )
    assert workflow.drift_check(run=run) == []
    VettingCase.objects.filter(pk=case.pk).update(
        approved_composite=min(1.0, case.approved_composite + 0.5)
    )
    alerts = workflow.drift_check(run=run)
    assert [a.kind for a in alerts] == [Alert.Kind.SCORE_DRIFT]
    case.refresh_from_db()
    assert case.state == VettingCase.State.MEDICAL
    assert workflow.drift_check(run=run) == []  # idempotent per run


@pytest.mark.django_db
def test_new_payment_raises_an_info_alert(team):
    program, star, run, people = team
    case, _ = workflow.case_open(program=program, account=star, user=people["analyst"])
    PaymentRecord.objects.create(
        record_id="R1", program_year=2025, covered_recipient_npi=star.clinician.npi,
        manufacturer_name="Acme Pharma", amount_usd="1200.00",
        date_of_payment=timezone.now().date() - timedelta(days=3),
        nature_of_payment="Consulting Fee", content_sha256="p" * 64,
    )  # fmt: skip
    assert workflow.alerts_refresh()["new_payment"] == 1
    alert = Alert.objects.get()
    assert alert.level == "info" and "Acme Pharma" in alert.message
    workflow.alert_acknowledge(alert=alert, user=people["analyst"])
    alert.refresh_from_db()
    assert alert.acknowledged_by == people["analyst"]


@pytest.mark.django_db
def test_tampering_with_an_audit_row_is_found_by_the_verifier(team):
    _approved_case(team)
    assert chain_verify().ok
    target = AuditEvent.objects.order_by("pk")[2]
    # the application cannot change a row: the trigger refuses it
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=target.pk).update(reason="edited")
    # someone with the owner's rights disables the trigger and edits the row in SQL
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # flush the test's FK checks
        cursor.execute(
            "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only"
        )
        cursor.execute(
            "UPDATE audit_auditevent SET reason = 'approved by phone' WHERE id = %s",
            [target.pk],
        )
        cursor.execute(
            "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only"
        )
    report = chain_verify()
    assert not report.ok
    assert report.broken_id == target.pk
    assert report.checked == 2
    assert "content does not match" in report.problem


@pytest.mark.django_db
def test_an_admin_changes_settings_and_each_change_is_audited(
    team, client, django_user_model
):
    program, star, run, people = team
    admin = _user(django_user_model, "boss", ROLE_ADMIN, program=program)
    url = f"/programs/{program.slug}/settings/"
    client.force_login(people["analyst"])
    assert client.get(url).status_code == 403
    client.force_login(admin)
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "follower_min": 500, "follower_max": 60000, "link_confidence_min": 0.8,
        "block_open_critical": "on", "window_days": 180, "drift_threshold": 0.1,
        "is_active": "on",
        "members": [u.pk for u in program.members.all()],
        **{f"weight_{c}": w for c, w in program.weights.items()},
    }  # fmt: skip
    bad = client.post(url, {**data, "weight_alignment": 0.9})
    assert bad.status_code == 400 and "must add up to 1" in bad.text
    assert client.post(url, data).status_code == 302
    program.refresh_from_db()
    assert (program.follower_min, program.drift_threshold) == (500, 0.1)
    event = AuditEvent.objects.get(action="program.settings_changed")
    assert event.before == {
        "follower_min": 1000,
        "follower_max": 50000,
        "drift_threshold": 0.15,
    }
    assert event.after == {
        "follower_min": 500,
        "follower_max": 60000,
        "drift_threshold": 0.1,
    }
    assert event.actor == admin
    # posting the same values again changes nothing and writes no event
    client.post(url, data)
    assert AuditEvent.objects.filter(action="program.settings_changed").count() == 1


@pytest.mark.django_db
def test_the_case_list_needs_the_same_queries_for_1_or_12_cases(
    team, client, django_user_model
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    program, star, run, people = team
    client.force_login(people["medical"])
    scores = InfluencerScore.objects.filter(
        run__program=program, clinician__isnull=False
    ).select_related("account")
    counts = []
    for limit in (1, 12):
        for score in scores[:limit]:
            workflow.case_open(
                program=program, account=score.account, user=people["analyst"]
            )
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/programs/cases/")
        assert response.status_code == 200
        assert response.text.count('href="/programs/cases/') >= limit
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
