"""Actions: start a scoring, ingest or scan run, decide a finding, acknowledge an
alert. Outside the user's programs: 404; a role that may not act: 403; bad input:
400 with field errors. Tasks are queued after commit (checked, not run)."""

from __future__ import annotations

from unittest import mock

import pytest

from audit.models import AuditEvent
from compliance.tasks import posts_scan
from listening.models import IngestRun
from tests.api.world import session_client
from tests.listening.factories import SourceFactory
from vetting.models import ScoringRun
from vetting.tasks import scoring_run_execute

pytestmark = pytest.mark.django_db


# --- scoring runs ----------------------------------------------------------------------


def test_an_analyst_starts_a_scoring_run_queued_after_commit(
    world, django_capture_on_commit_callbacks
):
    slug = world.a.program.slug
    client = session_client(world.analyst)
    with (
        mock.patch.object(scoring_run_execute, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(f"/api/v1/programs/{slug}/score/")
    assert response.status_code == 202
    body = response.json()
    assert body["created"] is True
    run = ScoringRun.objects.get(pk=body["run"]["id"])
    assert run.status == "pending" and run.requested_by == world.analyst
    delay.assert_called_once_with(run_id=run.pk)
    # asking again returns the active run and queues nothing new
    with (
        mock.patch.object(scoring_run_execute, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        again = client.post(f"/api/v1/programs/{slug}/score/")
    assert again.status_code == 202
    assert again.json() == {"created": False, "run": body["run"]}
    delay.assert_not_called()


def test_a_reviewer_may_not_start_a_scoring_run(world):
    slug = world.a.program.slug
    with mock.patch.object(scoring_run_execute, "delay") as delay:
        response = session_client(world.medical).post(f"/api/v1/programs/{slug}/score/")
    assert response.status_code == 403
    delay.assert_not_called()
    assert not ScoringRun.objects.filter(status="pending").exists()


def test_an_outsider_gets_404_on_another_programs_scoring(world):
    slug = world.a.program.slug
    response = session_client(world.outsider).post(f"/api/v1/programs/{slug}/score/")
    assert response.status_code == 404
    assert not ScoringRun.objects.filter(status="pending").exists()


# --- ingest runs -----------------------------------------------------------------------


def test_an_analyst_starts_an_ingest_run_and_a_second_is_a_400(
    world, django_capture_on_commit_callbacks
):
    source = SourceFactory()
    client = session_client(world.analyst)
    from listening import services as listening_services

    with (
        mock.patch.object(listening_services.ingest_run_execute_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(f"/api/v1/sources/{source.pk}/ingest/", {})
    assert response.status_code == 202, response.content
    run = IngestRun.objects.get(pk=response.json()["id"])
    assert run.source == source and run.requested_by == world.analyst
    delay.assert_called_once_with(run.pk)
    again = client.post(f"/api/v1/sources/{source.pk}/ingest/", {})
    assert again.status_code == 400
    assert f"already has a pending run ({run.pk})" in str(
        again.json()["non_field_errors"]
    )


def test_ingest_run_input_and_roles(world):
    source = SourceFactory()
    url = f"/api/v1/sources/{source.pk}/ingest/"
    analyst = session_client(world.analyst)
    bad = analyst.post(
        url,
        {"window_start": "2025-05-02T00:00:00Z", "window_end": "2025-05-01T00:00:00Z"},
        format="json",
    )
    assert bad.status_code == 400 and "window_end" in bad.json()
    garbage = analyst.post(url, {"window_start": "yesterday"}, format="json")
    assert garbage.status_code == 400 and "window_start" in garbage.json()
    assert analyst.post("/api/v1/sources/999999/ingest/").status_code == 404
    assert session_client(world.medical).post(url).status_code == 403
    assert not IngestRun.objects.exists()


# --- compliance scans ------------------------------------------------------------------


def test_an_analyst_starts_a_scan_of_their_posts(
    world, django_capture_on_commit_callbacks
):
    client = session_client(world.analyst)
    post_ids = [p.pk for p in world.a.posts[:2]]
    with (
        mock.patch.object(posts_scan, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post("/api/v1/scan/", {"post_ids": post_ids}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["posts"] == 2
    apply_async.assert_called_once_with(
        kwargs={"post_ids": sorted(post_ids)}, task_id=body["task_id"]
    )


def test_a_scan_of_everything_new(world, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(posts_scan, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = session_client(world.admin).post("/api/v1/scan/", {})
    assert response.status_code == 202
    assert response.json()["posts"] is None
    assert apply_async.call_args.kwargs["kwargs"] == {"post_ids": None}


def test_scan_input_roles_and_scope(world):
    analyst = session_client(world.analyst)
    with mock.patch.object(posts_scan, "apply_async") as apply_async:
        outside = analyst.post(
            "/api/v1/scan/", {"post_ids": [world.b.posts[0].pk]}, format="json"
        )
        assert outside.status_code == 400 and "post_ids" in outside.json()
        for body in ({"post_ids": []}, {"post_ids": ["x"]}, {"post_ids": [0]}):
            assert analyst.post("/api/v1/scan/", body, format="json").status_code == 400
        medical = session_client(world.medical).post("/api/v1/scan/", {})
        assert medical.status_code == 403
    apply_async.assert_not_called()


# --- findings --------------------------------------------------------------------------


def test_a_reviewer_decides_a_finding_with_an_audit_event(world):
    finding = world.a.findings[0]
    response = session_client(world.medical).post(
        f"/api/v1/findings/{finding.pk}/decide/",
        {"status": "confirmed", "reason": "Clearly off-label."},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "confirmed" and body["decided_by"] == "medical"
    finding.refresh_from_db()
    assert finding.status == "confirmed"
    event = AuditEvent.objects.get(action="finding.decided")
    assert event.actor == world.medical and event.reason == "Clearly off-label."


def test_deciding_a_finding_roles_scope_and_input(world):
    finding = world.a.findings[0]
    url = f"/api/v1/findings/{finding.pk}/decide/"
    good = {"status": "dismissed", "reason": "Fine."}
    assert session_client(world.analyst).post(url, good).status_code == 403
    assert session_client(world.outsider).post(url, good).status_code == 404
    assert (
        session_client(world.medical).post("/api/v1/findings/999999/decide/", good)
    ).status_code == 404
    medical = session_client(world.medical)
    bad_status = medical.post(url, {"status": "open", "reason": "x"})
    assert bad_status.status_code == 400 and "status" in bad_status.json()
    no_reason = medical.post(url, {"status": "dismissed", "reason": "   "})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    finding.refresh_from_db()
    assert finding.status == "open"
    assert not AuditEvent.objects.filter(action="finding.decided").exists()


# --- alerts ----------------------------------------------------------------------------


def test_a_member_acknowledges_an_alert_and_an_outsider_gets_404(world):
    alert = world.a.alerts[0]
    url = f"/api/v1/alerts/{alert.pk}/acknowledge/"
    assert session_client(world.outsider).post(url).status_code == 404
    response = session_client(world.medical).post(url)
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "medical"
    assert AuditEvent.objects.filter(action="alert.acknowledged").count() == 1
    again = session_client(world.analyst).post(url)  # idempotent
    assert again.status_code == 200
    assert again.json()["acknowledged_by"] == "medical"
    assert AuditEvent.objects.filter(action="alert.acknowledged").count() == 1


def test_actions_refuse_get(world):
    alert = world.a.alerts[0]
    client = session_client(world.admin)
    assert client.get(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 405
    assert client.get("/api/v1/scan/").status_code == 405
