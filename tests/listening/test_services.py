"""Services of the listening app, against the real database: runs, quarantine, hooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import orjson
import psycopg
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection
from django.utils import timezone

from listening import constants as c
from listening import services
from listening.connectors.base import RateLimited
from listening.models import (
    IngestRun,
    Interaction,
    MetricSnapshot,
    Post,
    QuarantinedRecord,
    Source,
)
from tests.listening.factories import (
    AccountRecordFactory,
    IngestRunFactory,
    InteractionRecordFactory,
    PostRecordFactory,
    SourceFactory,
    records_envelope,
    write_jsonl,
)

pytestmark = pytest.mark.django_db


def _post(i: int, **kwargs):
    kwargs.setdefault("text", f"Post {i}: statins and #cardiology")
    return PostRecordFactory.build(
        external_id=f"at://did:plc:doc/app.bsky.feed.post/{i}",
        author_external_id="did:plc:doc",
        **kwargs,
    )


def _mixed_recording(path, *, pages: int = 4, per_page: int = 5):
    """Pages of good posts and likes, with malformed records mixed in."""
    envelopes = []
    for p in range(pages):
        posts = [_post(p * per_page + i) for i in range(per_page)]
        likes = [
            InteractionRecordFactory.build(
                actor_external_id=f"did:plc:fan{p}",
                post_external_id=posts[0].external_id,
            )
        ]
        envelopes.append(
            records_envelope(
                accounts=[AccountRecordFactory.build(external_id="did:plc:doc")],
                posts=posts,
                interactions=likes,
                extra_posts=[
                    {
                        "platform": "bluesky",
                        "external_id": f"bad-time-{p}",
                        "author_external_id": "did:plc:doc",
                        "text": "when?",
                        "created_at": "not a date",
                    }
                ],
            )
        )
    envelopes.insert(2, "{broken json")
    envelopes.append(
        records_envelope(
            posts=[
                _post(900, text="nul \x00 inside"),
                _post(901, text="x" * (c.MAX_TEXT_CHARS + 1)),
                PostRecordFactory.build(external_id="", text="no id"),
            ],
            interactions=[
                InteractionRecordFactory.build(kind="poke", target_external_id="did:t")
            ],
        )
    )
    return write_jsonl(path, envelopes)


def _run(source: Source, **kwargs) -> IngestRun:
    run = services.ingest_run_create(source=source, **kwargs)
    return services.ingest_run_execute(run_id=run.pk, worker="test")


@pytest.fixture
def recording_source(tmp_path, records_connector):
    path = _mixed_recording(tmp_path / "mixed.jsonl")
    return services.source_create(
        name="mixed", platform="bluesky", kind=Source.Kind.RECORDING, path=str(path)
    )


def test_a_recording_lands_and_malformed_records_are_quarantined(recording_source):
    run = _run(recording_source)

    assert run.status == IngestRun.Status.PARTIAL
    assert (run.created, run.updated, run.unchanged) == (20, 0, 0)
    assert run.pages == 6 and run.interactions == 4
    assert run.cursor == {"file": "mixed.jsonl", "line": 6}
    assert Post.objects.count() == 20
    assert Interaction.objects.count() == 4
    reasons = sorted(QuarantinedRecord.objects.values_list("reason", flat=True))
    assert reasons == sorted(
        [c.BAD_JSON]
        + [c.BAD_TIMESTAMP] * 4
        + [c.NUL_BYTE, c.OVERSIZED_TEXT, c.MISSING_ID, c.UNKNOWN_KIND]
    )
    assert run.quarantined == 9
    broken = QuarantinedRecord.objects.get(reason=c.BAD_JSON)
    assert broken.payload.strip() == "{broken json"
    assert broken.run_id == run.pk and broken.source_id == recording_source.pk
    late = QuarantinedRecord.objects.filter(reason=c.BAD_TIMESTAMP).first()
    assert orjson.loads(late.payload)["created_at"] == "not a date"
    assert late.detail == "created_at is str, not a datetime"


def test_ingesting_the_same_input_twice_changes_nothing(recording_source):
    first = _run(recording_source)
    snapshots = MetricSnapshot.objects.count()
    quarantined = QuarantinedRecord.objects.count()

    second = _run(recording_source)

    assert (second.created, second.updated, second.unchanged) == (0, 0, 20)
    assert second.interactions == 0
    assert second.status == IngestRun.Status.PARTIAL  # the input is still malformed
    assert second.quarantined == first.quarantined
    assert MetricSnapshot.objects.count() == snapshots
    assert QuarantinedRecord.objects.count() == quarantined
    assert Post.objects.count() == 20


def test_a_second_claim_of_the_same_run_fails():
    run = IngestRunFactory()
    assert services.ingest_run_claim(run_id=run.pk, worker="a") is True
    assert services.ingest_run_claim(run_id=run.pk, worker="b") is False
    run.refresh_from_db()
    assert (run.status, run.claimed_by, run.attempts) == ("running", "a", 1)


def test_a_run_held_by_another_worker_is_left_alone(recording_source):
    run = services.ingest_run_create(source=recording_source)
    services.ingest_run_claim(run_id=run.pk, worker="other")
    result = services.ingest_run_execute(run_id=run.pk, worker="me")
    assert result.status == IngestRun.Status.RUNNING and result.claimed_by == "other"
    assert Post.objects.count() == 0


def test_a_source_has_one_active_run_at_a_time(recording_source):
    services.ingest_run_create(source=recording_source)
    with pytest.raises(ValidationError):
        services.ingest_run_create(source=recording_source)


@pytest.mark.parametrize("chunk_bytes", [c.CHUNK_BYTES, 300])
def test_a_retry_resumes_after_the_last_committed_batch(
    recording_source, settings, chunk_bytes
):
    """A crash between batches: the retry neither repeats nor skips a page (with
    one parser, and with the recording shared out between parsers in small chunks)."""
    settings.LISTENING_BATCH_SIZE = 1  # one page per batch
    settings.LISTENING_PARSE_CHUNK_BYTES = chunk_bytes
    run = services.ingest_run_create(source=recording_source)
    real = services.batch_upsert
    calls = {"n": 0}

    def crash_on_third_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    with (
        mock.patch.object(services, "batch_upsert", crash_on_third_batch),
        pytest.raises(OperationalError),
    ):
        services.ingest_run_execute(run_id=run.pk, worker="w1")
    run.refresh_from_db()
    assert run.status == IngestRun.Status.PENDING  # released for the retry
    assert run.cursor == {"file": "mixed.jsonl", "line": 2}
    assert run.pages == 2 and Post.objects.count() == run.created == 10

    run = services.ingest_run_execute(run_id=run.pk, worker="w2")

    assert run.status == IngestRun.Status.PARTIAL and run.attempts == 2
    assert (run.created, run.updated, run.unchanged) == (20, 0, 0)
    assert run.pages == 6 and Post.objects.count() == 20
    assert Interaction.objects.count() == 4


def _other_connection() -> psycopg.Connection:
    """A second database session, as another process would have."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_run_was_taken_over_commits_nothing_more(
    recording_source, settings
):
    settings.LISTENING_BATCH_SIZE = 1
    run = services.ingest_run_create(source=recording_source)
    real_lock = services._run_lock
    calls = {"n": 0}

    def lock(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # between batches, stale recovery + a new claim
            with _other_connection() as other:
                other.execute(
                    "UPDATE listening_ingestrun SET claimed_by = 'new' WHERE id = %s",
                    [run.pk],
                )
        return real_lock(**kwargs)

    with mock.patch.object(services, "_run_lock", lock):
        result = services.ingest_run_execute(run_id=run.pk, worker="old")

    assert result.claimed_by == "new" and result.status == IngestRun.Status.RUNNING
    assert result.pages == 1 and Post.objects.count() == 5


def test_rate_limits_release_the_run_for_a_retry(tmp_path, records_connector):
    source = SourceFactory(path=str(write_jsonl(tmp_path / "r.jsonl", [])))
    run = services.ingest_run_create(source=source)
    with (
        mock.patch.object(
            services, "_run_batches", side_effect=RateLimited("slow", 30)
        ),
        pytest.raises(RateLimited),
    ):
        services.ingest_run_execute(run_id=run.pk, worker="w")
    run.refresh_from_db()
    assert run.status == IngestRun.Status.PENDING and "RateLimited" in run.error


def test_missing_credentials_fail_the_run_at_once(settings, monkeypatch):
    settings.LISTENING_LIVE_CALLS = True
    monkeypatch.delenv("PP_TEST_X_TOKEN", raising=False)
    source = SourceFactory(
        kind=Source.Kind.AUTHOR_FEED,
        platform="x",
        live=True,
        credentials_env={"bearer_token": "PP_TEST_X_TOKEN"},
    )
    run = _run(source)
    assert run.status == IngestRun.Status.FAILED
    assert "CredentialsError" in run.error and "PP_TEST_X_TOKEN" in run.error


def test_a_live_source_fails_clearly_when_live_calls_are_off(settings):
    settings.LISTENING_LIVE_CALLS = False
    run = _run(SourceFactory(kind=Source.Kind.AUTHOR_FEED, live=True))
    assert run.status == IngestRun.Status.FAILED
    assert "LISTENING_LIVE_CALLS" in run.error


def test_a_missing_recording_fails_the_run_with_the_path():
    run = services.ingest_run_create(source=SourceFactory(path="/nope/rec.jsonl"))
    with pytest.raises(FileNotFoundError):
        services.ingest_run_execute(run_id=run.pk, worker="w")
    run.refresh_from_db()
    assert run.status == IngestRun.Status.FAILED and "/nope/rec.jsonl" in run.error


# --- hooks -------------------------------------------------------------------------------


def test_post_ingest_hooks_are_sent_by_name_after_commit(
    recording_source, settings, django_capture_on_commit_callbacks
):
    settings.LISTENING_POST_INGEST_TASKS = ["compliance.tasks.posts_scan"]
    with mock.patch.object(services.celery_app, "send_task") as send_task:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            run = _run(recording_source)
        send_task.assert_not_called()  # nothing before the commit
        for callback in callbacks:
            callback()
    send_task.assert_called_once_with(
        "compliance.tasks.posts_scan", kwargs={"run_id": run.pk}
    )


def test_no_hooks_when_a_run_changed_no_posts(
    recording_source, settings, django_capture_on_commit_callbacks
):
    settings.LISTENING_POST_INGEST_TASKS = ["compliance.tasks.posts_scan"]
    _run(recording_source)
    with (
        mock.patch.object(services.celery_app, "send_task") as send_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        _run(recording_source)
    send_task.assert_not_called()


# --- scheduling and recovery -----------------------------------------------------------------


def test_two_schedule_calls_for_one_window_create_one_run(
    django_capture_on_commit_callbacks,
):
    source = SourceFactory(schedule_minutes=60)
    SourceFactory(schedule_minutes=None)  # not scheduled
    SourceFactory(schedule_minutes=60, enabled=False)
    now = datetime(2025, 5, 19, 12, 34, tzinfo=UTC)
    with (
        mock.patch.object(services.ingest_run_execute_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = services.ingest_runs_schedule_due(now=now)
        second = services.ingest_runs_schedule_due(now=now + timedelta(minutes=5))
    assert [r.source_id for r in first] == [source.pk] and second == []
    run = IngestRun.objects.get()
    assert run.window_start == datetime(2025, 5, 19, 12, 0, tzinfo=UTC)
    assert run.window_end == datetime(2025, 5, 19, 13, 0, tzinfo=UTC)
    delay.assert_called_once_with(run.pk)


def test_the_next_window_gets_its_own_run_once_the_last_one_finished():
    source = SourceFactory(schedule_minutes=15)
    now = datetime(2025, 5, 19, 12, 0, tzinfo=UTC)
    (run,) = services.ingest_runs_schedule_due(now=now)
    IngestRun.objects.filter(pk=run.pk).update(status=IngestRun.Status.SUCCEEDED)
    (later,) = services.ingest_runs_schedule_due(now=now + timedelta(minutes=15))
    assert later.window_start == now + timedelta(minutes=15)
    assert IngestRun.objects.filter(source=source).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_beat_that_cannot_take_the_advisory_lock_creates_nothing():
    SourceFactory(schedule_minutes=60)
    with _other_connection() as other, other.transaction():
        other.execute("SELECT pg_advisory_xact_lock(%s)", [c.SCHEDULE_LOCK_KEY])
        assert services.ingest_runs_schedule_due() == []
    assert IngestRun.objects.count() == 0
    assert len(services.ingest_runs_schedule_due()) == 1


def test_a_stale_running_run_is_queued_again(django_capture_on_commit_callbacks):
    now = timezone.now()
    stale = IngestRunFactory(
        status=IngestRun.Status.RUNNING,
        claimed_by="dead-worker",
        heartbeat_at=now - timedelta(minutes=30),
        attempts=1,
        cursor={"file": "r.jsonl", "line": 7},
    )
    alive = IngestRunFactory(
        status=IngestRun.Status.RUNNING,
        claimed_by="live-worker",
        heartbeat_at=now - timedelta(seconds=10),
    )
    with (
        mock.patch.object(services.ingest_run_execute_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.ingest_runs_recover_stale(now=now) == [stale.pk]
    delay.assert_called_once_with(stale.pk)
    stale.refresh_from_db()
    alive.refresh_from_db()
    assert stale.status == IngestRun.Status.PENDING and stale.claimed_by == ""
    assert stale.cursor == {"file": "r.jsonl", "line": 7}  # resumes from here
    assert "dead-worker" in stale.error
    assert alive.status == IngestRun.Status.RUNNING
    assert services.ingest_run_claim(run_id=stale.pk, worker="new") is True


def test_a_run_that_keeps_dying_is_failed_instead_of_requeued():
    run = IngestRunFactory(
        status=IngestRun.Status.RUNNING,
        claimed_by="w",
        heartbeat_at=timezone.now() - timedelta(hours=1),
        attempts=services.MAX_RUN_ATTEMPTS,
    )
    assert services.ingest_runs_recover_stale() == []
    run.refresh_from_db()
    assert run.status == IngestRun.Status.FAILED and "gave up" in run.error


# --- quarantine ---------------------------------------------------------------------------


@pytest.fixture
def reviewer():
    return get_user_model().objects.create_user("reviewer", password="pw-reviewer-1")


def test_a_fixed_record_can_be_replayed(recording_source, reviewer):
    _run(recording_source)
    record = QuarantinedRecord.objects.filter(reason=c.BAD_TIMESTAMP).first()
    fixed = orjson.loads(record.payload)
    fixed["created_at"] = "2025-05-01T12:00:00+00:00"
    envelope = records_envelope(extra_posts=[fixed])

    services.quarantine_replay(
        record_id=record.pk, fixed_payload=orjson.dumps(envelope), user=reviewer
    )

    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.REPLAYED
    assert record.resolved_by == reviewer and record.resolved_at
    assert "1 created" in record.resolution_note
    assert Post.objects.filter(external_id=fixed["external_id"]).exists()


def test_a_replay_that_is_still_invalid_is_refused(recording_source, reviewer):
    _run(recording_source)
    record = QuarantinedRecord.objects.filter(reason=c.BAD_TIMESTAMP).first()
    still_bad = records_envelope(extra_posts=[orjson.loads(record.payload)])
    with pytest.raises(ValidationError, match="bad_timestamp"):
        services.quarantine_replay(
            record_id=record.pk, fixed_payload=orjson.dumps(still_bad), user=reviewer
        )
    with pytest.raises(ValidationError, match="not JSON"):
        services.quarantine_replay(
            record_id=record.pk, fixed_payload="{nope", user=reviewer
        )
    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.OPEN


def test_a_fixed_interaction_can_be_replayed_in_its_normalised_form(
    recording_source, reviewer
):
    _run(recording_source)
    record = QuarantinedRecord.objects.get(reason=c.UNKNOWN_KIND)
    fixed = orjson.loads(record.payload) | {"kind": "like"}
    services.quarantine_replay(record_id=record.pk, fixed_payload=fixed, user=reviewer)
    assert Interaction.objects.filter(kind="like", target__external_id="did:t").exists()


def test_a_discard_needs_a_note(recording_source, reviewer):
    _run(recording_source)
    record = QuarantinedRecord.objects.get(reason=c.BAD_JSON)
    with pytest.raises(ValidationError, match="note"):
        services.quarantine_discard(record_id=record.pk, user=reviewer, note="  ")
    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.OPEN


def test_a_record_can_be_discarded_once(recording_source, reviewer):
    _run(recording_source)
    record = QuarantinedRecord.objects.get(reason=c.BAD_JSON)
    services.quarantine_discard(record_id=record.pk, user=reviewer, note="junk line")
    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.DISCARDED
    assert record.resolution_note == "junk line" and record.resolved_by == reviewer
    with pytest.raises(ValidationError, match="not open"):
        services.quarantine_discard(record_id=record.pk, user=reviewer, note="again")
    # a discarded record stays discarded when the same input is ingested again
    _run(recording_source)
    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.DISCARDED


def test_recording_sources_are_reused_per_path(tmp_path, records_connector):
    path = write_jsonl(tmp_path / "r.jsonl", [records_envelope()])
    first = services.recording_source_get_or_create(path=path)
    again = services.recording_source_get_or_create(path=path)
    assert first == again and first.platform == "bluesky"
    assert first.kind == Source.Kind.RECORDING


# --- management commands (thin shells over these services) ----------------------------


def test_the_ingest_command_replays_a_recording_and_prints_counts(
    tmp_path, records_connector
):
    from io import StringIO

    from django.core.management import call_command

    path = _mixed_recording(tmp_path / "cmd.jsonl")
    out = StringIO()
    call_command("ingest", recording=str(path), stdout=out)
    assert "partial" in out.getvalue() and "20 created" in out.getvalue()
    out = StringIO()
    call_command("ingest", recording=str(path), stdout=out)
    assert "0 created, 0 updated, 20 unchanged" in out.getvalue()
    assert Source.objects.count() == 1  # the recording's source is reused

    out = StringIO()
    call_command("quarantine_list", reason=c.BAD_TIMESTAMP, stdout=out)
    text = out.getvalue()
    assert text.startswith("9 quarantined (open):")
    assert text.count("bad_timestamp: created_at is str") == 4


def test_the_ingest_command_names_an_unknown_source():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no source named 'nope'"):
        call_command("ingest", source="nope")


SOCIAL_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "social"
REAL_RECORDINGS = [
    "bluesky.jsonl",
    "mastodon.jsonl",
    "x.jsonl",
    "malformed.jsonl",
    "file-import-sample.csv",
]


def _ingest_all() -> list[IngestRun]:
    runs = []
    for name in REAL_RECORDINGS:
        source = services.recording_source_get_or_create(path=SOCIAL_FIXTURES / name)
        runs.append(_run(source))
    return runs


def _state() -> dict:
    return {
        "posts": Post.objects.count(),
        "interactions": Interaction.objects.count(),
        "snapshots": MetricSnapshot.objects.count(),
        "reasons": sorted(QuarantinedRecord.objects.values_list("reason", flat=True)),
    }


def test_real_recordings_with_malformed_records_ingest_twice_to_the_same_rows():
    first = _ingest_all()
    assert all(run.status in ("succeeded", "partial") for run in first)
    assert sum(run.created for run in first) > 600
    state = _state()
    assert {"bad_json", "nul_byte", "unknown_platform", "missing_id"} <= set(
        state["reasons"]
    )
    xmins = {model: _xmin_sum(model) for model in (Post, Interaction, MetricSnapshot)}

    second = _ingest_all()

    assert [(r.created, r.updated, r.interactions) for r in second] == [
        (0, 0, 0)
    ] * len(REAL_RECORDINGS)
    assert [r.quarantined for r in second] == [r.quarantined for r in first]
    assert _state() == state
    assert {m: _xmin_sum(m) for m in (Post, Interaction, MetricSnapshot)} == xmins


def _xmin_sum(model) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT md5(string_agg(id::text || ':' || xmin::text, ',' ORDER BY id)) "
            f"FROM {model._meta.db_table}"
        )
        return cursor.fetchone()[0]


def test_a_reviewer_fixes_a_real_bluesky_record_and_replays_it(reviewer):
    source = services.recording_source_get_or_create(
        path=SOCIAL_FIXTURES / "malformed.jsonl"
    )
    _run(source)
    record = QuarantinedRecord.objects.get(
        platform="bluesky", reason=c.BAD_TIMESTAMP, source=source
    )
    item = orjson.loads(record.payload)  # the native feed item, as recorded
    assert item["post"]["record"]["createdAt"] == "yesterday"
    item["post"]["record"]["createdAt"] = "2025-05-01T09:30:00.000Z"

    services.quarantine_replay(record_id=record.pk, fixed_payload=item, user=reviewer)

    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.REPLAYED
    assert Post.objects.filter(external_id=item["post"]["uri"]).exists()
