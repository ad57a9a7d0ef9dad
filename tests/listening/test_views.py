"""Listening reviewer pages: runs (live progress), quarantine (replay, discard)."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from listening import constants as c
from listening.filters import IngestRunFilterSet, QuarantinedRecordFilterSet
from listening.models import IngestRun, Post, QuarantinedRecord
from listening.views import RESOLVER_ROLES
from tests.listening.factories import (
    IngestRunFactory,
    SourceFactory,
    bsky_author_feed_envelopes,
)
from vetting.constants import ROLE_ADMIN, ROLE_ANALYST, ROLE_MEDICAL
from vetting.services import user_create

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 91"
RUNS = reverse("listening:run-list")
QUARANTINE = reverse("listening:quarantine-list")


@pytest.fixture
def analyst(client):
    user = user_create(
        username="ana", password=PASSWORD, role=ROLE_ANALYST, first_name="Ana"
    )
    client.force_login(user)
    return user


@pytest.fixture
def medical(client):
    user = user_create(username="doc", password=PASSWORD, role=ROLE_MEDICAL)
    client.force_login(user)
    return user


def good_envelope() -> dict:
    """A native Bluesky getAuthorFeed envelope with one valid post."""
    return bsky_author_feed_envelopes(pages=1, per_page=1)[0]


def bad_envelope() -> dict:
    envelope = copy.deepcopy(good_envelope())
    envelope["body"]["feed"][0]["post"]["record"]["createdAt"] = "not a date"
    return envelope


def quarantined(*, payload: str | None = None, **fields) -> QuarantinedRecord:
    fields.setdefault("source", SourceFactory())
    fields.setdefault("platform", "bluesky")
    fields.setdefault("reason", c.BAD_TIMESTAMP)
    fields.setdefault("detail", "feed[0].post.record.createdAt is 'not a date'")
    payload = payload if payload is not None else json.dumps(bad_envelope())
    sha = f"{QuarantinedRecord.objects.count():064d}"
    return QuarantinedRecord.objects.create(
        payload=payload, record_sha256=sha, **fields
    )


def finished_run(**fields) -> IngestRun:
    now = timezone.now()
    fields.setdefault("status", IngestRun.Status.SUCCEEDED)
    return IngestRunFactory(
        started_at=now - timedelta(seconds=75),
        heartbeat_at=now,
        finished_at=now,
        **fields,
    )


# --- access ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        RUNS,
        reverse("listening:run-detail", args=[1]),
        QUARANTINE,
        reverse("listening:quarantine-detail", args=[1]),
    ],
)
def test_anonymous_users_are_sent_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_the_resolver_roles_are_the_vetting_role_names():
    # listening may not import vetting, so the names are literals there.
    assert set(RESOLVER_ROLES) == {ROLE_ANALYST, ROLE_ADMIN}


def test_the_nav_links_to_runs_and_quarantine(client, medical):
    html = client.get(RUNS).content.decode()

    # the nav's "Runs" is every kind of run (reports); it stays current here
    assert f'href="{reverse("reports:runs")}" aria-current="page">Runs</a>' in html
    assert f'href="{QUARANTINE}">Quarantine</a>' in html
    assert 'src="/static/js/htmx.min.js" defer' in html


# --- runs -----------------------------------------------------------------------------


def test_the_runs_page_lists_runs_newest_first_with_their_counts(client, medical):
    old = finished_run(created=7, quarantined=2, status=IngestRun.Status.PARTIAL)
    new = finished_run(error="RateLimited: slow down", status=IngestRun.Status.FAILED)

    response = client.get(RUNS)

    assert response.status_code == 200
    assert [run.pk for run in response.context["runs"]] == [new.pk, old.pk]
    html = response.content.decode()
    assert "RateLimited: slow down" in html
    assert "badge--partial" in html and "badge--failed" in html
    assert "1 min 15 s" in html
    assert f'data-run="{old.pk}"' in html


def test_a_scheduled_run_shows_its_window(client, medical):
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    IngestRunFactory(window_start=start, window_end=start + timedelta(minutes=15))

    html = client.get(RUNS).content.decode()

    assert f"{start:%m-%d} 09:00–09:15" in html


def test_the_runs_page_shows_an_empty_state(client, medical):
    html = client.get(RUNS).content.decode()

    assert "No ingest run yet." in html


def test_runs_filter_by_status_source_and_platform(client, medical):
    mastodon = SourceFactory(platform="mastodon")
    running = IngestRunFactory(status=IngestRun.Status.RUNNING)
    failed = finished_run(status=IngestRun.Status.FAILED, source=mastodon)
    succeeded = finished_run()

    def listed(**params):
        response = client.get(RUNS, params)
        assert response.status_code == 200
        return {run.pk for run in response.context["runs"]}

    assert listed() == {running.pk, failed.pk, succeeded.pk}
    assert listed(status="running") == {running.pk}
    assert listed(source=mastodon.pk) == {failed.pk}
    assert listed(platform="bluesky") == {running.pk, succeeded.pk}
    assert listed(platform="bluesky", status="succeeded") == {succeeded.pk}


def test_the_run_filterset_covers_what_reviewers_filter_by():
    assert set(IngestRunFilterSet.base_filters) >= {"status", "source", "platform"}


def test_the_runs_table_polls_while_a_run_is_active(client, medical):
    finished_run()
    IngestRunFactory(status=IngestRun.Status.RUNNING, received=10)

    html = client.get(RUNS).content.decode()

    assert 'hx-trigger="every 2s"' in html
    assert f'hx-get="{RUNS}"' in html


def test_the_runs_table_polls_while_a_run_is_pending(client, medical):
    IngestRunFactory(status=IngestRun.Status.PENDING)

    assert 'hx-trigger="every 2s"' in client.get(RUNS).content.decode()


def test_the_runs_table_stops_polling_when_every_run_is_finished(client, medical):
    finished_run()
    finished_run(status=IngestRun.Status.FAILED)

    html = client.get(RUNS).content.decode()

    assert "hx-trigger" not in html
    assert 'data-polling="off"' in html


def test_the_poll_keeps_the_filters_and_returns_only_the_table_body(client, medical):
    running = IngestRunFactory(status=IngestRun.Status.RUNNING, received=5)

    html = client.get(RUNS, {"status": "running"}).content.decode()
    assert f'hx-get="{RUNS}?status=running"' in html

    IngestRun.objects.filter(pk=running.pk).update(received=12345)
    response = client.get(
        RUNS,
        {"status": "running"},
        headers={"HX-Request": "true", "HX-Target": "run-rows"},
    )

    body = response.content.decode()
    assert body.startswith('<tbody id="run-rows"')
    assert "<html" not in body
    assert "12,345" in body or "12345" in body
    assert 'hx-trigger="every 2s"' in body
    assert "HX-Request" in response["Vary"]

    IngestRun.objects.filter(pk=running.pk).update(status=IngestRun.Status.SUCCEEDED)
    body = client.get(
        RUNS,
        {"status": ""},
        headers={"HX-Request": "true", "HX-Target": "run-rows"},
    ).content.decode()
    assert "hx-trigger" not in body


def test_the_runs_page_is_paginated_by_fifty(client, medical):
    source = SourceFactory()
    for _ in range(55):
        finished_run(source=source)

    first = client.get(RUNS)
    second = client.get(RUNS, {"page": 2})

    assert len(first.context["runs"]) == 50
    assert len(second.context["runs"]) == 5
    assert "Page 1 of 2" in first.content.decode()


def test_the_runs_page_query_count_is_bounded(
    client, medical, django_assert_max_num_queries
):
    for _ in range(35):
        finished_run()  # 35 sources, one run each
    IngestRunFactory(status=IngestRun.Status.RUNNING)
    # session, user, role groups (nav), count, runs + sources, source options
    with django_assert_max_num_queries(6):
        response = client.get(RUNS)
    assert len(response.context["runs"]) == 36


def test_a_run_detail_shows_counts_cursor_error_and_its_quarantine(client, medical):
    run = finished_run(
        status=IngestRun.Status.PARTIAL,
        received=40,
        created=30,
        quarantined=2,
        cursor={"file": "bluesky.jsonl", "offset": 9876},
        error="one page was odd",
    )
    record = quarantined(run=run, source=run.source)
    other = quarantined()

    response = client.get(reverse("listening:run-detail", args=[run.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-count="received">40<' in html
    assert "&quot;offset&quot;: 9876" in html
    assert "one page was odd" in html
    assert f'data-record="{record.pk}"' in html
    assert f'data-record="{other.pk}"' not in html
    assert "hx-trigger" not in html


def test_a_running_run_detail_polls_its_progress(client, medical):
    run = IngestRunFactory(status=IngestRun.Status.RUNNING, received=3)
    url = reverse("listening:run-detail", args=[run.pk])

    assert 'hx-trigger="every 2s"' in client.get(url).content.decode()

    body = client.get(
        url, headers={"HX-Request": "true", "HX-Target": "run-progress"}
    ).content.decode()
    assert body.startswith('<div id="run-progress"')


def test_a_missing_run_is_404(client, medical):
    assert client.get(reverse("listening:run-detail", args=[999999])).status_code == 404


# --- quarantine list -----------------------------------------------------------------


def test_the_quarantine_lists_open_records_with_counts_per_reason(client, medical):
    a = quarantined(reason=c.BAD_TIMESTAMP)
    b = quarantined(reason=c.BAD_TIMESTAMP)
    c_ = quarantined(reason=c.MISSING_ID)
    quarantined(reason=c.NUL_BYTE, status=QuarantinedRecord.Status.DISCARDED)

    response = client.get(QUARANTINE)

    assert response.status_code == 200
    assert {r.pk for r in response.context["records"]} == {a.pk, b.pk, c_.pk}
    assert response.context["reason_counts"] == [
        (c.BAD_TIMESTAMP, 2),
        (c.MISSING_ID, 1),
    ]
    assert 'data-reason="bad_timestamp"' in response.content.decode()


def test_quarantine_filters_by_reason_status_platform_source_and_run(client, medical):
    mastodon = SourceFactory(platform="mastodon")
    run = IngestRunFactory(source=mastodon)
    late = quarantined(reason=c.BAD_TIMESTAMP)
    nameless = quarantined(reason=c.MISSING_ID, source=mastodon, platform="mastodon")
    in_run = quarantined(reason=c.MISSING_ID, source=mastodon, run=run)
    gone = quarantined(status=QuarantinedRecord.Status.DISCARDED)

    def listed(**params):
        response = client.get(QUARANTINE, params)
        assert response.status_code == 200
        return {record.pk for record in response.context["records"]}

    assert listed(reason=c.MISSING_ID) == {nameless.pk, in_run.pk}
    assert listed(status="discarded") == {gone.pk}
    assert listed(status="") == {late.pk, nameless.pk, in_run.pk, gone.pk}
    assert listed(platform="mastodon") == {nameless.pk}
    assert listed(source=mastodon.pk) == {nameless.pk, in_run.pk}
    assert listed(run=run.pk) == {in_run.pk}
    # counts per reason follow the chosen status
    response = client.get(QUARANTINE, {"status": "discarded"})
    assert response.context["reason_counts"] == [(c.BAD_TIMESTAMP, 1)]


def test_the_quarantine_filterset_covers_what_reviewers_filter_by():
    assert set(QuarantinedRecordFilterSet.base_filters) >= {
        "reason",
        "status",
        "platform",
        "source",
    }


def test_the_quarantine_query_count_is_bounded(
    client, medical, django_assert_max_num_queries
):
    run = IngestRunFactory()
    resolver = get_user_model().objects.create_user("resolver")
    for n in range(32):
        quarantined(
            run=run if n % 2 else None,
            reason=c.QUARANTINE_REASONS[n % 5],
            status=QuarantinedRecord.Status.OPEN,
        )
    QuarantinedRecord.objects.filter(pk__in=QuarantinedRecord.objects.all()[:3]).update(
        resolved_by=resolver
    )
    # session, user, role groups (nav), resolver role check, count, records with
    # source/run/resolver, reason counts, source options
    with django_assert_max_num_queries(8):
        response = client.get(QUARANTINE)
    assert len(response.context["records"]) == 32


# --- quarantine detail ----------------------------------------------------------------


def test_the_detail_shows_reason_detail_and_the_pretty_payload(client, medical):
    record = quarantined()

    response = client.get(reverse("listening:quarantine-detail", args=[record.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "bad_timestamp" in html
    assert "createdAt is &#x27;not a date&#x27;" in html
    assert "\n  &quot;platform&quot;: &quot;bluesky&quot;," in html  # indented JSON


def test_a_payload_that_is_not_json_is_shown_as_received(client, analyst):
    record = quarantined(payload="{broken json", reason=c.BAD_JSON)

    html = client.get(
        reverse("listening:quarantine-detail", args=[record.pk])
    ).content.decode()

    assert "As received (not valid JSON)" in html
    assert ">{broken json</pre>" in html


def test_a_script_in_the_payload_is_escaped(client, analyst):
    script = "<script>alert(1)</script>"
    record = quarantined(
        payload=json.dumps({"text": script}), detail=f"text is {script}"
    )

    html = client.get(
        reverse("listening:quarantine-detail", args=[record.pk])
    ).content.decode()

    assert script not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    list_html = client.get(QUARANTINE).content.decode()
    assert script not in list_html


def test_a_non_analyst_sees_no_forms_and_gets_403_on_post(client, medical):
    record = quarantined()
    url = reverse("listening:quarantine-detail", args=[record.pk])

    html = client.get(url).content.decode()
    assert "Fix and replay" not in html
    assert 'name="action"' not in html

    replay = client.post(
        url, {"action": "replay", "payload": json.dumps(good_envelope())}
    )
    discard = client.post(url, {"action": "discard", "note": "noise"})

    assert replay.status_code == 403
    assert discard.status_code == 403
    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.OPEN
    assert Post.objects.count() == 0


def test_an_analyst_sees_the_forms_with_the_payload_prefilled(client, analyst):
    record = quarantined()

    response = client.get(reverse("listening:quarantine-detail", args=[record.pk]))

    html = response.content.decode()
    assert "Fix and replay" in html and "Discard record" in html
    assert response.context["replay_form"]["payload"].value() == json.dumps(
        bad_envelope(), indent=2
    )


def test_a_fixed_payload_is_replayed_and_the_record_closed(client, analyst):
    record = quarantined()
    url = reverse("listening:quarantine-detail", args=[record.pk])

    response = client.post(
        url, {"action": "replay", "payload": json.dumps(good_envelope())}, follow=True
    )

    assert response.redirect_chain == [(url, 302)]
    assert "was replayed (replayed: 1 created" in response.content.decode()
    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.REPLAYED
    assert record.resolved_by == analyst
    assert Post.objects.count() == 1
    assert "Fix and replay" not in response.content.decode()


def test_a_payload_that_is_still_invalid_shows_the_error_and_keeps_the_text(
    client, analyst
):
    record = quarantined()
    url = reverse("listening:quarantine-detail", args=[record.pk])
    text = json.dumps(bad_envelope()) + "  "

    response = client.post(url, {"action": "replay", "payload": text})

    assert response.status_code == 400
    html = response.content.decode()
    assert "the fixed payload is still invalid: bad_timestamp" in html
    assert response.context["replay_form"]["payload"].value() == text
    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.OPEN
    assert Post.objects.count() == 0


def test_a_payload_that_is_not_json_is_refused(client, analyst):
    record = quarantined()
    url = reverse("listening:quarantine-detail", args=[record.pk])

    response = client.post(url, {"action": "replay", "payload": "{not json"})

    assert response.status_code == 400
    assert "the fixed payload is not JSON" in response.content.decode()
    assert "{not json</textarea>" in response.content.decode()


def test_discarding_needs_a_note(client, analyst):
    record = quarantined()
    url = reverse("listening:quarantine-detail", args=[record.pk])

    response = client.post(url, {"action": "discard", "note": "   "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.OPEN


def test_an_admin_discards_a_record_with_a_note(client):
    admin = user_create(username="boss", password=PASSWORD, role=ROLE_ADMIN)
    client.force_login(admin)
    record = quarantined()
    url = reverse("listening:quarantine-detail", args=[record.pk])

    response = client.post(
        url, {"action": "discard", "note": "test post from a bot"}, follow=True
    )

    assert response.redirect_chain == [(url, 302)]
    record.refresh_from_db()
    assert record.status == QuarantinedRecord.Status.DISCARDED
    assert record.resolution_note == "test post from a bot"
    assert record.resolved_by == admin
    assert "test post from a bot" in response.content.decode()


def test_a_closed_record_cannot_be_resolved_again(client, analyst):
    record = quarantined(status=QuarantinedRecord.Status.DISCARDED)
    url = reverse("listening:quarantine-detail", args=[record.pk])

    response = client.post(url, {"action": "discard", "note": "again"}, follow=True)

    assert "is already discarded" in response.content.decode()
    record.refresh_from_db()
    assert record.resolution_note == ""
