"""Every reviewer decision writes exactly one audit event, with the changed fields
before and after, in the transaction of the change (DESIGN 7): finding decisions,
adverse-event triage, link confirmations and rejections, quarantine resolutions.
A decision refused by validation writes none, and the chain stays verifiable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from unittest import mock

import orjson
import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.selectors import chain_verify
from compliance.models import AdverseEventCase, Finding
from compliance.services import ae_case_update, finding_decide
from influencers.linking_services import account_link_decide
from influencers.models import SocialAccount
from listening.models import QuarantinedRecord
from listening.services import quarantine_discard, quarantine_replay
from tests.compliance.test_views import make_case, make_finding
from tests.influencers.factories import ClinicianFactory, SocialAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(django_user_model):
    return django_user_model.objects.create_user(username="rita", password="x")


def only_event() -> AuditEvent:
    events = list(AuditEvent.objects.all())
    assert len(events) == 1, [e.action for e in events]
    return events[0]


def iso(value) -> str:
    """A datetime as the JSON column returns it (DjangoJSONEncoder)."""
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    return text.replace("+00:00", "Z")


def quarantined(**fields) -> QuarantinedRecord:
    fields.setdefault("platform", "bluesky")
    fields.setdefault("payload", '{"kind": "poke"}')
    fields.setdefault("record_sha256", "a" * 64)
    fields.setdefault("reason", "unknown_kind")
    return QuarantinedRecord.objects.create(**fields)


# --- findings --------------------------------------------------------------------------


def test_a_finding_decision_writes_one_event_with_before_and_after(reviewer):
    finding = make_finding()

    finding = finding_decide(
        finding=finding, user=reviewer, status="dismissed", reason=" On label. "
    )

    event = only_event()
    assert event.action == "finding.decided"
    assert (event.object_type, event.object_id) == (
        "compliance.finding",
        str(finding.pk),
    )
    assert event.actor == reviewer and event.actor_username == "rita"
    assert event.reason == "On label."
    assert event.before == {
        "status": "open",
        "decided_by": None,
        "decided_at": None,
        "decision_reason": "",
    }
    assert event.after == {
        "status": "dismissed",
        "decided_by": "rita",
        "decided_at": iso(finding.decided_at),
        "decision_reason": "On label.",
    }
    assert chain_verify().ok


def test_a_second_decision_records_the_first_as_before(reviewer, django_user_model):
    other = django_user_model.objects.create_user(username="omar", password="x")
    finding = make_finding()
    finding_decide(finding=finding, user=reviewer, status="confirmed", reason="yes")

    finding_decide(finding=finding, user=other, status="escalated", reason="legal")

    second = AuditEvent.objects.order_by("-pk").first()
    assert AuditEvent.objects.count() == 2
    assert second.before["status"] == "confirmed"
    assert second.before["decided_by"] == "rita"
    assert second.after["status"] == "escalated"
    assert second.after["decided_by"] == "omar"
    report = chain_verify()
    assert report.ok and report.checked == 2


@pytest.mark.parametrize(
    ("status", "reason"), [("dismissed", "   "), ("open", "reopen"), ("maybe", "x")]
)
def test_a_refused_finding_decision_writes_no_event(reviewer, status, reason):
    finding = make_finding()

    with pytest.raises(ValidationError):
        finding_decide(finding=finding, user=reviewer, status=status, reason=reason)

    assert not AuditEvent.objects.exists()
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN


# --- adverse-event cases ----------------------------------------------------------------


def test_forwarding_a_case_writes_one_event_with_the_changed_fields(reviewer):
    case = make_case(due_in=timedelta(days=2))

    case = ae_case_update(
        case=case, user=reviewer, status="forwarded", notes="Sent to the PV desk."
    )

    event = only_event()
    assert event.action == "ae_case.decided"
    assert event.object_type == "compliance.adverseeventcase"
    assert event.object_id == str(case.pk)
    assert event.reason == "Sent to the PV desk."
    assert event.before == {
        "status": "triage",
        "handled_by": None,
        "handled_at": None,
        "notes": "",
    }
    assert event.after == {
        "status": "forwarded",
        "handled_by": "rita",
        "handled_at": iso(case.handled_at),
        "notes": case.notes,
    }
    assert "Sent to the PV desk." in case.notes
    assert chain_verify().ok


def test_assigning_a_case_records_only_the_assignee(reviewer, django_user_model):
    officer = django_user_model.objects.create_user(username="pat", password="x")
    case = make_case(due_in=timedelta(days=2))

    ae_case_update(case=case, user=reviewer, assignee=officer)

    event = only_event()
    assert event.before == {"assignee": None}
    assert event.after == {"assignee": "pat"}


def test_a_case_update_that_changes_nothing_writes_no_event(reviewer):
    case = make_case(due_in=timedelta(days=2))

    ae_case_update(case=case, user=reviewer, status="triage", notes="  ")

    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("status", "notes"), [("not_reportable", ""), ("closed", "x")])
def test_a_refused_case_update_writes_no_event(reviewer, status, notes):
    case = make_case(due_in=timedelta(days=2))

    with pytest.raises(ValidationError):
        ae_case_update(case=case, user=reviewer, status=status, notes=notes)

    assert not AuditEvent.objects.exists()
    case.refresh_from_db()
    assert case.status == AdverseEventCase.Status.TRIAGE


# --- account links ----------------------------------------------------------------------


def test_confirming_a_link_writes_link_confirmed(reviewer):
    jane = ClinicianFactory()
    account = SocialAccountFactory(clinician=jane, link_confidence=0.55)

    account = account_link_decide(
        account=account, user=reviewer, decision="confirm", note="checked the NPI"
    )

    event = only_event()
    assert event.action == "link.confirmed"
    assert event.object_type == "influencers.socialaccount"
    assert event.object_id == str(account.pk)
    assert event.reason == "checked the NPI"
    assert event.before == {
        "clinician_id": jane.pk,
        "clinician_npi": jane.npi,
        "link_method": "npi_in_bio",
        "link_confidence": 0.55,
        "link_status": "unreviewed",
        "link_reviewed_by": None,
        "link_reviewed_at": None,
    }
    assert event.after == {
        **event.before,
        "link_status": "confirmed",
        "link_reviewed_by": "rita",
        "link_reviewed_at": iso(account.link_reviewed_at),
    }
    assert chain_verify().ok


def test_linking_by_hand_records_the_old_and_the_new_clinician(reviewer):
    jane, john = ClinicianFactory(), ClinicianFactory()
    account = SocialAccountFactory(clinician=jane)

    account_link_decide(
        account=account, user=reviewer, decision="confirm", note="n", clinician=john
    )

    event = only_event()
    assert event.action == "link.confirmed"
    assert (event.before["clinician_npi"], event.after["clinician_npi"]) == (
        jane.npi,
        john.npi,
    )
    assert event.after["link_method"] == "manual"
    assert event.after["link_confidence"] == 1.0


def test_rejecting_a_link_writes_link_rejected_with_the_note(reviewer):
    account = SocialAccountFactory()

    account_link_decide(
        account=account, user=reviewer, decision="reject", note="impostor account"
    )

    event = only_event()
    assert event.action == "link.rejected"
    assert event.reason == "impostor account"
    assert event.before["link_status"] == "unreviewed"
    assert event.after["link_status"] == "rejected"
    assert event.after["clinician_id"] == account.clinician_id


@pytest.mark.parametrize(
    ("decision", "note", "linked"),
    [("reject", " ", True), ("maybe", "n", True), ("confirm", "n", False)],
)
def test_a_refused_link_decision_writes_no_event(reviewer, decision, note, linked):
    account = (
        SocialAccountFactory()
        if linked
        else SocialAccountFactory(clinician=None, link_method="", link_confidence=None)
    )

    with pytest.raises(ValidationError):
        account_link_decide(
            account=account, user=reviewer, decision=decision, note=note
        )

    assert not AuditEvent.objects.exists()
    account.refresh_from_db()
    assert account.link_status == SocialAccount.LinkStatus.UNREVIEWED


# --- quarantine -------------------------------------------------------------------------


def test_discarding_a_quarantined_record_writes_quarantine_resolved(reviewer):
    record = quarantined()

    record = quarantine_discard(record_id=record.pk, user=reviewer, note="junk line")

    event = only_event()
    assert event.action == "quarantine.resolved"
    assert event.object_type == "listening.quarantinedrecord"
    assert event.object_id == str(record.pk)
    assert event.reason == "junk line"
    assert event.before == {
        "status": "open",
        "resolved_by": None,
        "resolved_at": None,
        "resolution_note": "",
    }
    assert event.after == {
        "status": "discarded",
        "resolved_by": "rita",
        "resolved_at": iso(record.resolved_at),
        "resolution_note": "junk line",
    }
    assert chain_verify().ok


def test_replaying_a_fixed_record_writes_quarantine_resolved(reviewer):
    actor = SocialAccountFactory(external_id="did:plc:actor")
    target = SocialAccountFactory(external_id="did:plc:target")
    record = quarantined()
    fixed = {
        "platform": "bluesky",
        "kind": "follow",
        "actor_external_id": actor.external_id,
        "target_external_id": target.external_id,
        "occurred_at": "2025-05-01T12:00:00+00:00",
    }

    record = quarantine_replay(
        record_id=record.pk, fixed_payload=orjson.dumps(fixed), user=reviewer
    )

    event = only_event()
    assert event.action == "quarantine.resolved"
    assert event.before["status"] == "open"
    assert event.after["status"] == "replayed"
    assert event.after["resolved_by"] == "rita"
    assert event.after["resolution_note"] == record.resolution_note
    assert event.reason == record.resolution_note
    assert "replayed" in record.resolution_note
    assert chain_verify().ok


def test_refused_quarantine_resolutions_write_no_event(reviewer):
    record = quarantined()
    done = quarantined(
        record_sha256="b" * 64, status=QuarantinedRecord.Status.DISCARDED
    )

    with pytest.raises(ValidationError):
        quarantine_discard(record_id=record.pk, user=reviewer, note="  ")
    with pytest.raises(ValidationError):
        quarantine_discard(record_id=done.pk, user=reviewer, note="again")
    with pytest.raises(ValidationError):
        quarantine_replay(record_id=record.pk, fixed_payload="{nope", user=reviewer)
    with pytest.raises(ValidationError):
        quarantine_replay(
            record_id=record.pk, fixed_payload={"kind": "poke"}, user=reviewer
        )

    assert not AuditEvent.objects.exists()
    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.OPEN


# --- one transaction ----------------------------------------------------------------------


def _decisions(reviewer) -> dict[str, tuple[str, Callable[[], object], Callable]]:
    """Per service: (module of its audit_record, the call, how to read the state)."""
    finding = make_finding()
    case = make_case(due_in=timedelta(days=2))
    account = SocialAccountFactory()
    record = quarantined()
    return {
        "finding": (
            "compliance.services",
            lambda: finding_decide(
                finding=finding, user=reviewer, status="confirmed", reason="r"
            ),
            lambda: Finding.objects.get(pk=finding.pk).status,
        ),
        "ae_case": (
            "compliance.services",
            lambda: ae_case_update(case=case, user=reviewer, status="reportable"),
            lambda: AdverseEventCase.objects.get(pk=case.pk).status,
        ),
        "link": (
            "influencers.linking_services",
            lambda: account_link_decide(
                account=account, user=reviewer, decision="confirm"
            ),
            lambda: SocialAccount.objects.get(pk=account.pk).link_status,
        ),
        "quarantine": (
            "listening.services",
            lambda: quarantine_discard(record_id=record.pk, user=reviewer, note="n"),
            lambda: QuarantinedRecord.objects.get(pk=record.pk).status,
        ),
    }


DECISIONS = ["finding", "ae_case", "link", "quarantine"]


@pytest.mark.parametrize("name", DECISIONS)
def test_a_failing_audit_write_rolls_the_decision_back(reviewer, name):
    module, decide, state = _decisions(reviewer)[name]
    before = state()

    with (
        mock.patch(f"{module}.audit_record", side_effect=RuntimeError("audit down")),
        pytest.raises(RuntimeError, match="audit down"),
    ):
        decide()

    assert state() == before


@pytest.mark.parametrize("name", DECISIONS)
def test_a_rolled_back_decision_leaves_no_event(reviewer, name):
    _, decide, state = _decisions(reviewer)[name]
    before = state()

    with pytest.raises(RuntimeError), transaction.atomic():
        decide()
        assert AuditEvent.objects.count() == 1
        raise RuntimeError("the caller's transaction fails later")

    assert state() == before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("name", DECISIONS)
def test_the_event_is_the_last_write_of_the_decision(reviewer, name):
    _, decide, _ = _decisions(reviewer)[name]

    with CaptureQueriesContext(connection) as queries:
        decide()

    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes[-1].startswith('INSERT INTO "audit_auditevent"')
    assert len([w for w in writes if "audit_auditevent" in w]) == 1
