"""A worker SIGKILLed mid-run loses and duplicates nothing (real worker, no eager mode).

A real ``celery worker`` process ingests a Bluesky recording of many pages, slowed
down by a per-page sleep (a test-only setting) and small batches so the run takes a
few seconds. Once the run's cursor has advanced, the worker is killed with SIGKILL:
no warm shutdown, no ack, no cleanup. A second worker is started, stale-run recovery
queues the run again, and the run resumes from its cursor. The final rows must equal
those of a clean, uninterrupted run of the same recording.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction

from influencers.models import SocialAccount
from listening import services
from listening.models import IngestRun, Interaction, MetricSnapshot, Post, Source
from tests.listening.factories import (
    bsky_author_feed_envelopes,
    bsky_likes_envelope,
    write_jsonl,
)
from tests.workers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PAGES = 80
PER_PAGE = 50
SLOW_WORKER = {
    "LISTENING_BATCH_SIZE": 100,  # about two feed pages per transaction
    "LISTENING_PAGE_DELAY_SECONDS": 0.05,
}
MEASUREMENTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _recording(path: Path) -> Path:
    """80 getAuthorFeed pages (4,000 posts), with a getLikes page after every 8th."""
    envelopes = []
    feed = bsky_author_feed_envelopes(pages=PAGES, per_page=PER_PAGE, authors=40)
    for i, page in enumerate(feed):
        envelopes.append(page)
        if i % 8 == 7:
            post = page["body"]["feed"][0]["post"]
            envelopes.append(bsky_likes_envelope(post, likers=list(range(i, i + 12))))
    return write_jsonl(path, envelopes)


def _counts() -> dict[str, int]:
    return {
        "posts": Post.objects.count(),
        "interactions": Interaction.objects.count(),
        "accounts": SocialAccount.objects.count(),
        "snapshots": MetricSnapshot.objects.count(),
    }


def _processes_named(name: str) -> list[int]:
    """Live processes whose command line mentions ``name`` (the worker and its
    forked parser share the worker's command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if name.encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def test_a_killed_worker_loses_and_duplicates_nothing(celery_worker_factory, tmp_path):
    path = _recording(tmp_path / "big.jsonl")
    source = services.source_create(
        name="big", platform="bluesky", kind=Source.Kind.RECORDING, path=str(path)
    )
    first = celery_worker_factory(**SLOW_WORKER)
    with transaction.atomic():
        run = services.ingest_run_create(source=source)
        services.ingest_run_enqueue(run=run)
    started = time.monotonic()

    def advanced():
        run.refresh_from_db()
        return run.status == IngestRun.Status.RUNNING and run.pages >= 12

    assert wait_for(advanced, timeout=60), f"the run never got going: {run.status}"
    first.kill()
    killed = time.monotonic()
    run.refresh_from_db()
    at_kill = {"pages": run.pages, "cursor": run.cursor, "created": run.created}
    posts_at_kill = Post.objects.count()
    assert run.status == IngestRun.Status.RUNNING  # nobody finished it
    assert posts_at_kill == run.created < PAGES * PER_PAGE  # committed == counted
    time.sleep(0.5)
    assert not _processes_named(first.name), "the killed worker left a process"

    second = celery_worker_factory(**SLOW_WORKER)
    # stale-run recovery (beat runs it every few minutes in production)
    stale_after = timedelta(seconds=2)
    assert wait_for(
        lambda: services.ingest_runs_recover_stale(stale_after=stale_after), timeout=30
    ), "the run was never found stale"
    recovered = time.monotonic()

    def finished():
        run.refresh_from_db()
        return run.status not in IngestRun.ACTIVE

    assert wait_for(finished, timeout=120), f"the run did not finish: {run.status}"
    done = time.monotonic()
    assert run.status == IngestRun.Status.SUCCEEDED, run.error
    assert run.claimed_by.startswith(second.name)
    assert run.attempts == 2
    killed_run = _counts()
    assert run.created == killed_run["posts"] == PAGES * PER_PAGE

    # A clean, uninterrupted run of the same recording, in this process.
    for model in (Interaction, MetricSnapshot, Post, SocialAccount):
        model.objects.all().delete()
    clean = services.ingest_run_execute(
        run_id=services.ingest_run_create(source=source).pk, worker="clean"
    )
    assert clean.status == IngestRun.Status.SUCCEEDED
    assert _counts() == killed_run  # nothing lost, nothing duplicated
    assert (clean.created, clean.interactions) == (run.created, run.interactions)

    measured = {
        "pages_in_recording": PAGES + PAGES // 8,
        "pages_done_before_kill": at_kill["pages"],
        "cursor_at_kill": at_kill["cursor"],
        "posts_committed_before_kill": posts_at_kill,
        "seconds_from_start_to_kill": round(killed - started, 2),
        "seconds_from_kill_to_requeue": round(recovered - killed, 2),
        "seconds_from_requeue_to_success": round(done - recovered, 2),
        "final_counts": killed_run,
    }
    MEASUREMENTS.mkdir(exist_ok=True)
    (MEASUREMENTS / "worker-kill.json").write_text(json.dumps(measured, indent=2))
    print("\nworker kill:", json.dumps(measured))  # noqa: T201
