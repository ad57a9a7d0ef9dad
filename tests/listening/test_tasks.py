"""Tasks of the listening app: wiring, retries, failure, and a real worker process."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import transaction

from listening import services
from listening import tasks as listening_tasks
from listening.connectors.base import RateLimited, UpstreamUnavailable
from listening.models import IngestRun, Interaction, Post, Source
from tests.listening.factories import (
    PostRecordFactory,
    SourceFactory,
    bsky_author_feed_envelopes,
    bsky_likes_envelope,
    records_envelope,
    write_jsonl,
)
from tests.workers import wait_for


@pytest.fixture
def small_source(tmp_path, records_connector):
    posts = [
        PostRecordFactory.build(external_id=f"at://p/{i}", text=f"post {i}")
        for i in range(3)
    ]
    path = write_jsonl(tmp_path / "r.jsonl", [records_envelope(posts=posts)])
    return SourceFactory(path=str(path))


@pytest.mark.django_db
def test_the_task_claims_and_runs_the_service(small_source):
    run = services.ingest_run_create(source=small_source)
    result = listening_tasks.ingest_run_execute.apply(args=[run.pk]).get()
    assert result["status"] == IngestRun.Status.SUCCEEDED
    assert result["created"] == 3
    run.refresh_from_db()
    assert run.claimed_by.startswith("local:") or ":" in run.claimed_by


@pytest.mark.django_db
def test_a_second_delivery_of_a_finished_run_does_nothing(small_source):
    run = services.ingest_run_create(source=small_source)
    listening_tasks.ingest_run_execute.apply(args=[run.pk]).get()
    again = listening_tasks.ingest_run_execute.apply(args=[run.pk]).get()
    assert again["status"] == IngestRun.Status.SUCCEEDED
    run.refresh_from_db()
    assert run.attempts == 1 and Post.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error", [RateLimited("429 from the API", 0), UpstreamUnavailable("502")]
)
def test_transient_errors_are_retried_and_the_last_failure_fails_the_run(
    small_source, error
):
    run = services.ingest_run_create(source=small_source)
    calls = []

    def flaky(*, run_id, worker):
        calls.append(worker)
        services.ingest_run_claim(run_id=run_id, worker=worker)
        services._run_release(run_id=run_id, worker=worker, error=str(error))
        raise error

    with (
        mock.patch.object(services, "ingest_run_execute", flaky),
        mock.patch("listening.tasks.random.uniform", return_value=0),
    ):
        result = listening_tasks.ingest_run_execute.apply(args=[run.pk])
    assert result.failed()
    assert len(calls) == listening_tasks.MAX_RETRIES + 1  # finite retries
    run.refresh_from_db()
    assert run.status == IngestRun.Status.FAILED
    assert type(error).__name__ in run.error


@pytest.mark.django_db
def test_an_unexpected_error_is_not_retried(small_source):
    run = services.ingest_run_create(source=small_source)
    with mock.patch.object(
        services, "batch_upsert", side_effect=ValueError("a bug")
    ) as upsert:
        result = listening_tasks.ingest_run_execute.apply(args=[run.pk])
    assert result.failed() and upsert.call_count == 1
    run.refresh_from_db()
    assert run.status == IngestRun.Status.FAILED and "a bug" in run.error


@pytest.mark.django_db
def test_bad_credentials_fail_at_once_with_a_clear_message(settings):
    settings.LISTENING_LIVE_CALLS = True
    source = SourceFactory(
        kind=Source.Kind.AUTHOR_FEED,
        platform="bluesky",
        live=True,
        targets=["someone.bsky.social"],
        credentials_env={"app_password": "PP_TEST_NOT_SET"},
    )
    run = services.ingest_run_create(source=source)
    result = listening_tasks.ingest_run_execute.apply(args=[run.pk]).get()
    assert result["status"] == IngestRun.Status.FAILED
    assert "PP_TEST_NOT_SET" in result["error"]


@pytest.mark.django_db
def test_the_beat_tasks_call_their_services():
    with mock.patch.object(services, "ingest_runs_schedule_due", return_value=[]) as s:
        assert listening_tasks.ingest_runs_schedule_due.apply().get() == []
    s.assert_called_once_with()
    with mock.patch.object(
        services, "ingest_runs_recover_stale", return_value=[7]
    ) as r:
        assert listening_tasks.ingest_runs_recover_stale.apply().get() == [7]
    r.assert_called_once_with()


def test_ingest_tasks_go_to_the_ingest_queue_and_survive_a_worker_crash():
    from config.celery import app

    task = app.tasks["listening.tasks.ingest_run_execute"]
    assert task.acks_late and task.reject_on_worker_lost
    assert task.max_retries == listening_tasks.MAX_RETRIES
    route = app.amqp.router.route({}, "listening.tasks.ingest_run_execute")
    assert route["queue"].name == "ingest"


# --- a real worker -----------------------------------------------------------------------


def _bluesky_recording(path, *, pages: int):
    envelopes = bsky_author_feed_envelopes(pages=pages, per_page=50)
    first_post = envelopes[0]["body"]["feed"][0]["post"]
    envelopes.append(bsky_likes_envelope(first_post, likers=[1, 2, 3]))
    return write_jsonl(path, envelopes)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_executes_a_run_queued_after_commit(celery_worker, tmp_path):
    path = _bluesky_recording(tmp_path / "bsky.jsonl", pages=6)
    source = services.source_create(
        name="bsky", platform="bluesky", kind=Source.Kind.RECORDING, path=str(path)
    )
    with transaction.atomic():
        run = services.ingest_run_create(source=source)
        services.ingest_run_enqueue(run=run)

    def finished():
        run.refresh_from_db()
        return run.status not in IngestRun.ACTIVE

    assert wait_for(finished, timeout=60), f"run still {run.status}"
    assert run.status == IngestRun.Status.SUCCEEDED, run.error
    assert (run.created, run.pages) == (300, 7)
    assert run.claimed_by.startswith(celery_worker.name)
    assert Post.objects.count() == 300
    assert Interaction.objects.filter(kind="like").count() == 3

    # the same recording again, through the worker: nothing changes
    with transaction.atomic():
        replay = services.ingest_run_create(source=source)
        services.ingest_run_enqueue(run=replay)
    replay = wait_for(
        lambda: (
            IngestRun.objects.exclude(status__in=IngestRun.ACTIVE)
            .filter(pk=replay.pk)
            .first()
        ),
        timeout=60,
    )
    assert replay is not None
    assert (replay.created, replay.updated, replay.unchanged) == (0, 0, 300)

    # and the command line, through the same worker
    from io import StringIO

    from django.core.management import call_command

    other = _bluesky_recording(tmp_path / "other.jsonl", pages=2)
    out = StringIO()
    call_command("ingest", recording=str(other), via_worker=True, stdout=out)
    assert "succeeded" in out.getvalue()
    assert "0 created, 0 updated, 100 unchanged" in out.getvalue()
