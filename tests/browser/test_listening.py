"""Runs page with live progress, and fixing a quarantined record, in a real browser."""

import copy
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from listening import constants as c
from listening.models import IngestRun, Post, QuarantinedRecord
from tests.listening.factories import (
    IngestRunFactory,
    SourceFactory,
    bsky_author_feed_envelopes,
)
from vetting.constants import ROLE_ANALYST
from vetting.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 91"


@pytest.fixture
def analyst():
    return user_create(
        username="ana",
        password=PASSWORD,
        role=ROLE_ANALYST,
        first_name="Ana",
        last_name="Lyst",
    )


def log_in(page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("banner")).to_contain_text("Ana Lyst")


def test_the_runs_page_shows_live_progress_until_the_run_ends(
    page, analyst, screenshot
):
    now = timezone.now()
    bluesky = SourceFactory(name="recording bluesky.jsonl", platform="bluesky")
    mastodon = SourceFactory(name="recording mastodon.jsonl", platform="mastodon")
    IngestRunFactory(
        source=mastodon,
        status=IngestRun.Status.PARTIAL,
        pages=12,
        received=600,
        created=590,
        quarantined=10,
        interactions=1400,
        started_at=now - timedelta(minutes=30, seconds=42),
        heartbeat_at=now - timedelta(minutes=30),
        finished_at=now - timedelta(minutes=30),
    )
    IngestRunFactory(
        source=SourceFactory(name="x search statins", platform="x"),
        status=IngestRun.Status.FAILED,
        error="CredentialsError: source 'x search statins' needs X_BEARER_TOKEN",
        started_at=now - timedelta(minutes=20),
        finished_at=now - timedelta(minutes=20),
    )
    run = IngestRunFactory(
        source=bluesky,
        status=IngestRun.Status.RUNNING,
        pages=1,
        received=50,
        created=50,
        claimed_by="listening-1@worker",
        started_at=now - timedelta(seconds=5),
        heartbeat_at=now,
    )

    log_in(page)
    page.get_by_role("link", name="Runs", exact=True).click()
    page.get_by_role("link", name="ingest runs with every count").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ingest runs")
    row = page.locator(f"tr[data-run='{run.pk}']")
    expect(row.locator("[data-count=received]")).to_have_text("50")
    expect(page.locator("#run-rows")).to_have_attribute("hx-trigger", "every 2s")
    screenshot(page, "listening-runs")

    IngestRun.objects.filter(pk=run.pk).update(
        pages=4, received=200, created=180, updated=20, heartbeat_at=timezone.now()
    )
    expect(row.locator("[data-count=received]")).to_have_text("200", timeout=8000)
    expect(row.locator("[data-count=updated]")).to_have_text("20")

    finished = timezone.now()
    IngestRun.objects.filter(pk=run.pk).update(
        status=IngestRun.Status.SUCCEEDED,
        pages=5,
        received=250,
        created=230,
        finished_at=finished,
        heartbeat_at=finished,
    )
    expect(row).to_have_attribute("data-status", "succeeded", timeout=8000)
    expect(row.locator("[data-count=received]")).to_have_text("250")
    expect(page.locator("#run-rows")).to_have_attribute("data-polling", "off")
    expect(page.locator("#run-rows")).not_to_have_attribute("hx-trigger", "every 2s")

    # Polling stopped: a later change is not picked up without a reload.
    IngestRun.objects.filter(pk=run.pk).update(received=999)
    page.wait_for_timeout(3000)
    expect(row.locator("[data-count=received]")).to_have_text("250")
    screenshot(page, "listening-runs-finished")

    page.reload()
    expect(page.locator(f"tr[data-run='{run.pk}'] [data-count=received]")).to_have_text(
        "999"
    )

    page.locator(f"tr[data-run='{run.pk}'] a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Run #{run.pk}")
    expect(page.locator("#run-progress [data-count=received]")).to_have_text("999")
    screenshot(page, "listening-run-detail")


def test_an_analyst_fixes_a_quarantined_record_and_replays_it(
    page, analyst, screenshot
):
    source = SourceFactory(name="recording bluesky.jsonl", platform="bluesky")
    run = IngestRunFactory(
        source=source, status=IngestRun.Status.PARTIAL, quarantined=3
    )
    good = bsky_author_feed_envelopes(pages=1, per_page=1)[0]
    broken = copy.deepcopy(good)
    created_at = broken["body"]["feed"][0]["post"]["record"]["createdAt"]
    broken["body"]["feed"][0]["post"]["record"]["createdAt"] = "yesterday"
    record = QuarantinedRecord.objects.create(
        run=run,
        source=source,
        platform="bluesky",
        payload=json.dumps(broken),
        record_sha256="a" * 64,
        reason=c.BAD_TIMESTAMP,
        detail="app.bsky.feed.getAuthorFeed: feed[0].post.record.createdAt is "
        "'yesterday'",
    )
    QuarantinedRecord.objects.create(
        run=run,
        source=source,
        platform="bluesky",
        payload='{"uri": null, "text": "<script>alert(1)</script>"}',
        record_sha256="b" * 64,
        reason=c.MISSING_ID,
        detail="feed[3].post.uri is missing",
    )
    QuarantinedRecord.objects.create(
        run=run,
        source=source,
        platform="myspace",
        payload='{"platform": "myspace", "endpoint": "feed", "body": {}}',
        record_sha256="c" * 64,
        reason=c.UNKNOWN_PLATFORM,
        detail="platform 'myspace' is not one of ours",
    )
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))

    log_in(page)
    page.get_by_role("link", name="Quarantine").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Quarantine")
    expect(page.locator("[data-reason=bad_timestamp]")).to_contain_text("1")
    expect(page.locator("tbody tr")).to_have_count(3)
    screenshot(page, "listening-quarantine")

    page.locator(f"tr[data-record='{record.pk}'] a").first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Quarantined record #{record.pk}"
    )
    expect(page.locator("[data-payload]")).to_contain_text('"createdAt": "yesterday"')
    screenshot(page, "listening-quarantine-detail")

    textarea = page.get_by_label("Fixed payload (JSON)")
    textarea.fill(textarea.input_value().replace("yesterday", "still not a date"))
    page.get_by_role("button", name="Replay fixed record").click()

    expect(page.get_by_role("alert")).to_contain_text("still invalid: bad_timestamp")
    expect(textarea).to_have_value(re.compile("still not a date"))
    screenshot(page, "listening-quarantine-replay-error")

    textarea.fill(textarea.input_value().replace("still not a date", created_at))
    page.get_by_role("button", name="Replay fixed record").click()

    expect(page.locator(".message--success")).to_contain_text(
        f"Record {record.pk} was replayed (replayed: 1 created"
    )
    expect(page.locator(".badge").first).to_have_text("Fixed and replayed")
    expect(page.get_by_role("button", name="Replay fixed record")).to_have_count(0)
    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.REPLAYED
    assert Post.objects.count() == 1

    page.get_by_role("link", name=f"#{run.pk}").click()
    expect(page.locator(f"tr[data-record='{record.pk}']")).to_contain_text(
        "Fixed and replayed"
    )
    screenshot(page, "listening-run-detail-quarantine")

    # The record with a script in its payload renders it as text.
    other = QuarantinedRecord.objects.get(reason=c.MISSING_ID)
    page.goto(f"/listening/quarantine/{other.pk}/")
    expect(page.locator("[data-payload]")).to_contain_text("<script>alert(1)</script>")
    assert dialogs == []
