"""Alert emails (issue 8): a new alert is emailed once, after commit, to the members
of its program whose role acts on it, through Django's email backend."""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction

from tests.reports import world
from vetting import emails, tasks, workflow
from vetting.constants import (
    ROLE_ADMIN,
    ROLE_ANALYST,
    ROLE_LEGAL,
    ROLE_MEDICAL,
    ROLE_PHARMACOVIGILANCE,
    ROLE_REGULATORY,
)
from vetting.models import Alert

pytestmark = pytest.mark.django_db

Kind, Level = Alert.Kind, Alert.Level


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://peerproof.example.org"
    settings.DEFAULT_FROM_EMAIL = "alerts@peerproof.example.org"


@pytest.fixture
def team():
    """A program with one member per role (and a second admin), plus people who
    must not be emailed: a medical reviewer of another program, an inactive legal
    reviewer, and a regulatory reviewer without an address."""
    program = world.program("Anticoagulation educators")
    other = world.program("Another program")
    people = {
        name: world.user(role, username=name, programs=[program], email=f"{name}@x.org")
        for name, role in (
            ("analyst", ROLE_ANALYST),
            ("medical", ROLE_MEDICAL),
            ("legal", ROLE_LEGAL),
            ("regulatory", ROLE_REGULATORY),
            ("pv", ROLE_PHARMACOVIGILANCE),
            ("admin", ROLE_ADMIN),
            ("admin2", ROLE_ADMIN),
        )
    }
    people["outsider"] = world.user(
        ROLE_MEDICAL, username="outsider", programs=[other], email="outsider@x.org"
    )
    people["inactive"] = world.user(
        ROLE_LEGAL, username="inactive", programs=[program], email="inactive@x.org"
    )
    people["inactive"].is_active = False
    people["inactive"].save()
    people["noaddress"] = world.user(
        ROLE_REGULATORY, username="noaddress", programs=[program], email=""
    )
    return program, people


def raise_alert(program, kind=Kind.SCORE_DRIFT, key="k1", **extra) -> tuple:
    return workflow.alert_raise(
        kind=kind,
        level=extra.pop("level", Level.WARNING),
        key=key,
        message=extra.pop("message", "Dr. Who: composite moved +0.210."),
        program=program,
        **extra,
    )


def sent_to(message) -> set[str]:
    return set(message.to) | set(message.cc) | set(message.bcc)


# --- dispatch: after commit, once -----------------------------------------------------


def test_a_new_alert_queues_the_email_after_commit(
    team, django_capture_on_commit_callbacks
):
    program, _ = team
    with mock.patch.object(workflow.alert_email_send_task, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            alert, created = raise_alert(program)
        assert created and len(callbacks) == 1
        delay.assert_called_once_with(alert.pk)

        # the same cause again: no new alert, nothing queued
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            again, created = raise_alert(program)
        assert not created and again.pk == alert.pk
        assert callbacks == []
        delay.assert_called_once()


def test_no_email_when_the_transaction_rolls_back(
    team, django_capture_on_commit_callbacks
):
    program, _ = team
    with (
        mock.patch.object(workflow.alert_email_send_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        raise_alert(program)
        raise RuntimeError("the caller fails after raising the alert")
    assert callbacks == []
    delay.assert_not_called()
    assert not Alert.objects.exists()
    assert mail.outbox == []


def test_a_broker_outage_does_not_fail_the_caller(
    team, django_capture_on_commit_callbacks, caplog
):
    program, _ = team
    with (
        mock.patch.object(
            workflow.alert_email_send_task, "delay", side_effect=OSError("no broker")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        alert, created = raise_alert(program)
    assert created and Alert.objects.filter(pk=alert.pk).exists()
    assert "no broker" in caplog.text


def test_alert_raise_twice_sends_one_email_end_to_end(
    team, django_capture_on_commit_callbacks
):
    program, _ = team
    # the queue stands in for a worker: the task runs when .delay is called
    with mock.patch.object(
        workflow.alert_email_send_task,
        "delay",
        side_effect=lambda alert_id: tasks.alert_email_send(alert_id),
    ):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                alert, _ = raise_alert(program)

    assert len(mail.outbox) == 1
    alert.refresh_from_db()
    assert alert.emailed_at is not None


# --- recipients by role and membership --------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (Kind.SCORE_DRIFT, {"medical", "legal", "regulatory", "admin", "admin2"}),
        (Kind.CRITICAL_FINDING, {"medical", "legal", "regulatory", "admin", "admin2"}),
        (Kind.AE_CLOCK, {"pv", "admin", "admin2"}),
        (Kind.NEW_PAYMENT, {"legal", "admin", "admin2"}),
    ],
)
def test_recipients_are_the_members_whose_role_acts(team, kind, expected):
    program, _ = team
    alert, _ = raise_alert(program, kind=kind)

    sent = tasks.alert_email_send(alert.pk)

    assert len(mail.outbox) == 1
    assert sent_to(mail.outbox[0]) == {f"{name}@x.org" for name in expected}
    assert sent == len(expected)
    # never: the analyst, a member of another program, an inactive user, no address
    assert not sent_to(mail.outbox[0]) & {
        "analyst@x.org",
        "outsider@x.org",
        "inactive@x.org",
        "",
    }


def test_members_without_an_address_are_skipped_and_logged(team, caplog):
    program, _ = team
    alert, _ = raise_alert(program, kind=Kind.SCORE_DRIFT)

    with caplog.at_level(logging.WARNING, logger="vetting.emails"):
        tasks.alert_email_send(alert.pk)

    assert "noaddress" in caplog.text
    assert "noaddress" in [u.username for u in emails.alert_recipients(alert)]
    assert len(mail.outbox) == 1


def test_an_alert_without_a_program_or_recipients_is_not_emailed(team, caplog):
    program, people = team
    orphan, _ = raise_alert(None, kind=Kind.AE_CLOCK, key="ae_clock:1:0:overdue")
    lonely = world.program("Nobody here")
    unheard, _ = raise_alert(lonely, kind=Kind.NEW_PAYMENT, key="p1")

    with caplog.at_level(logging.WARNING, logger="vetting.emails"):
        assert tasks.alert_email_send(orphan.pk) == 0
        assert tasks.alert_email_send(unheard.pk) == 0

    assert mail.outbox == []
    orphan.refresh_from_db()
    assert orphan.emailed_at is None
    assert "nobody to email" in caplog.text


# --- idempotent -------------------------------------------------------------------------


def test_the_task_twice_sends_one_email(team):
    program, _ = team
    alert, _ = raise_alert(program)

    assert tasks.alert_email_send(alert.pk) > 0
    assert tasks.alert_email_send(alert.pk) == 0

    assert len(mail.outbox) == 1
    alert.refresh_from_db()
    assert alert.emailed_at is not None


def test_a_send_error_leaves_the_alert_unsent_for_a_retry(team):
    program, _ = team
    alert, _ = raise_alert(program)

    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=ConnectionError),
        pytest.raises(ConnectionError),
    ):
        tasks.alert_email_send(alert.pk)

    alert.refresh_from_db()
    assert alert.emailed_at is None
    tasks.alert_email_send(alert.pk)  # the retry
    assert len(mail.outbox) == 1


def test_a_deleted_alert_is_a_clean_no_op(team):
    program, _ = team
    alert, _ = raise_alert(program)
    Alert.objects.filter(pk=alert.pk).delete()

    assert tasks.alert_email_send(alert.pk) == 0
    assert mail.outbox == []


# --- the message ------------------------------------------------------------------------


def test_the_message_is_plain_text_with_links(team):
    program, _ = team
    case = world.vetting_case(program, "approved")
    alert, _ = raise_alert(
        program,
        kind=Kind.CRITICAL_FINDING,
        level=Level.CRITICAL,
        case=case,
        message="New critical finding OFF_LABEL on a post by <b>Dr. Who</b>.",
    )

    tasks.alert_email_send(alert.pk)

    message = mail.outbox[0]
    assert message.subject == (
        "[PeerProof] Critical: New critical finding · Anticoagulation educators"
    )
    assert message.from_email == "alerts@peerproof.example.org"
    assert message.content_subtype == "plain"
    assert not getattr(message, "alternatives", None)
    assert "<b>Dr. Who</b>" in message.body  # plain text: nothing to escape or render
    base = "https://peerproof.example.org"
    assert f"Vetting case: {base}/programs/cases/{case.pk}/" in message.body
    assert f"Program dashboard: {base}/dashboards/{program.slug}/" in message.body
    assert message.extra_headers["X-PeerProof-Alert"] == str(alert.pk)


def test_an_ae_clock_links_to_the_ae_case(team):
    program, _ = team
    alert, _ = raise_alert(
        program, kind=Kind.AE_CLOCK, key="ae_clock:7:1:overdue", detail={"ae_case": 7}
    )

    tasks.alert_email_send(alert.pk)

    assert "Adverse-event case: https://peerproof.example.org/" in mail.outbox[0].body
    assert "/7/" in mail.outbox[0].body


def test_the_task_is_routed_and_retries_only_transient_errors():
    task = tasks.alert_email_send
    assert task.name == "vetting.tasks.alert_email_send"
    assert ConnectionError in task.autoretry_for
    assert ValueError not in task.autoretry_for
    assert task.max_retries == 5
