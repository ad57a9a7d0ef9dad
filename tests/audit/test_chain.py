"""The audit trail's hash chain: appends link to the previous event, the verifier
recomputes every hash, and the command names the first broken link when a row is
changed or deleted behind the application's back."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection

from audit.chain import GENESIS, event_hash
from audit.models import AuditEvent
from audit.selectors import chain_verify
from audit.services import audit_record


def _bypass(sql: str, params: list) -> None:
    """Change the table as a DBA would: with the append-only trigger disabled."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only"
        )
        cursor.execute(sql, params)
        cursor.execute(
            "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only"
        )


@pytest.fixture
def events(db, django_user_model):
    user = django_user_model.objects.create_user(username="amy", password="x")
    group = Group.objects.create(name="audited")
    return [
        audit_record(
            actor=user,
            action="test.changed",
            obj=group,
            before={"n": n, "when": None},
            after={"n": n + 1, "ratio": 0.1 + 0.2, "text": "naïve ü"},
            reason=f"step {n}",
            request_id=f"req-{n}",
        )
        for n in range(5)
    ]


def test_events_link_to_the_previous_one(events):
    assert events[0].prev_hash == GENESIS
    for earlier, later in zip(events, events[1:], strict=False):
        assert later.prev_hash == earlier.hash
    # what is read back from the database hashes to what was written
    stored = AuditEvent.objects.order_by("pk").values()
    for row in stored:
        assert event_hash(row) == row["hash"]
    assert chain_verify().ok and chain_verify().checked == 5


def test_an_event_needs_an_action_and_an_object(db):
    with pytest.raises(ValueError):
        audit_record(actor=None, action="", object_type="x", object_id=1)
    with pytest.raises(ValueError):
        audit_record(actor=None, action="a", object_type="", object_id=1)


def test_the_command_names_the_changed_row(events, capsys):
    call_command("audit_verify")
    assert "Audit chain intact: 5 events verified." in capsys.readouterr().out
    _bypass(
        "UPDATE audit_auditevent SET after = '{\"n\": 99}' WHERE id = %s",
        [events[3].pk],
    )
    with pytest.raises(
        CommandError, match=f"broken at event {events[3].pk} after 3 good"
    ):
        call_command("audit_verify")


def test_a_deleted_row_breaks_the_next_link(events):
    _bypass("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    report = chain_verify()
    assert report.broken_id == events[2].pk
    assert "prev_hash does not name the event before it" in report.problem


def test_requests_carry_an_id_into_their_events(client, django_user_model):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="proxy-abc.123")
    assert response["X-Request-ID"] == "proxy-abc.123"
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="bad id; drop")
    assert response["X-Request-ID"] != "bad id; drop"
    assert len(response["X-Request-ID"]) == 32
