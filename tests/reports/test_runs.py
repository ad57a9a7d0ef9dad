"""The runs page: ingest, scan and scoring runs in one table, newest first, filtered
by kind and status, paginated, each linking to its page; running runs refresh
through an htmx partial until they finish."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports import selectors, views
from tests.reports import world
from vetting.constants import ROLE_ANALYST, ROLES
from vetting.models import ScoringRun

pytestmark = pytest.mark.django_db

RUNS = reverse("reports:runs")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "run-rows"}


@pytest.fixture
def programs():
    return world.program("Alpha program"), world.program("Beta program")


@pytest.fixture
def member(client, programs):
    user = world.user(ROLE_ANALYST, programs=[programs[0]])
    client.force_login(user)
    return user


@pytest.fixture
def runs(programs):
    """One run of each kind a minute apart (scoring newest), and a scoring run of
    the other program."""
    now = timezone.now()
    ingest = world.ingest_run(received=50, created=45, updated=5)
    scan = world.scan_run(ingest_run=ingest, posts_scanned=50, findings_created=4)
    scoring = world.scoring_run(programs[0], accounts_scored=30, edges=120)
    other = world.scoring_run(programs[1], accounts_scored=77)
    for i, run in enumerate((ingest, scan, scoring, other)):
        type(run).objects.filter(pk=run.pk).update(
            created_at=now - timedelta(minutes=10 - i)
        )
    return {"ingest": ingest, "scan": scan, "scoring": scoring, "other": other}


def keys_of(response) -> list[str]:
    return [row.key for row in response.context["rows"]]


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(RUNS)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={RUNS}"


def test_every_kind_of_run_is_listed_newest_first(client, member, runs):
    response = client.get(RUNS)

    assert response.status_code == 200
    assert keys_of(response) == [
        f"scoring-{runs['scoring'].pk}",
        f"scan-{runs['scan'].pk}",
        f"ingest-{runs['ingest'].pk}",
    ]


def test_an_outsider_sees_ingest_and_scan_runs_but_no_other_programs_scoring(
    client, runs, programs
):
    outsider = world.user(ROLE_ANALYST, programs=[programs[1]])
    client.force_login(outsider)

    response = client.get(RUNS)

    assert keys_of(response) == [
        f"scoring-{runs['other'].pk}",
        f"scan-{runs['scan'].pk}",
        f"ingest-{runs['ingest'].pk}",
    ]
    html = response.content.decode()
    assert "Alpha program" not in html
    assert 'data-count="accounts_scored">30<' not in html


def test_a_user_without_programs_sees_no_scoring_run(client, runs):
    client.force_login(world.user(ROLE_ANALYST))

    response = client.get(RUNS)

    assert {row.kind for row in response.context["rows"]} == {"ingest", "scan"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "ingest"}, ["ingest"]),
        ({"kind": "scan"}, ["scan"]),
        ({"kind": "scoring"}, ["scoring"]),
        ({"status": "running"}, ["ingest-running"]),
        ({"kind": "scoring", "status": "running"}, []),
        ({"kind": "ingest", "status": "running"}, ["ingest-running"]),
    ],
)
def test_runs_filter_by_kind_and_status(client, member, runs, query, expected):
    running = world.ingest_run(status="running", started_at=timezone.now())
    names = {
        "ingest": f"ingest-{runs['ingest'].pk}",
        "ingest-running": f"ingest-{running.pk}",
        "scan": f"scan-{runs['scan'].pk}",
        "scoring": f"scoring-{runs['scoring'].pk}",
    }
    if query.get("kind") == "ingest" and "status" not in query:
        expected = ["ingest-running", "ingest"]

    response = client.get(RUNS, query)

    assert keys_of(response) == [names[name] for name in expected]


def test_an_unknown_filter_value_is_reported_and_ignored(client, member, runs):
    response = client.get(RUNS, {"kind": "bogus", "status": "succeeded"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in html
    assert len(keys_of(response)) == 3  # status still applies; kind ignored


def test_runs_are_paginated_in_sql(client, member, monkeypatch):
    monkeypatch.setattr(views.RunListView, "paginate_by", 2)
    created = [world.ingest_run() for _ in range(3)] + [world.scan_run()]

    first = client.get(RUNS)
    second = client.get(RUNS, {"page": 2})

    assert first.context["paginator"].count == 4
    assert keys_of(first) + keys_of(second) == [
        f"scan-{created[3].pk}",
        f"ingest-{created[2].pk}",
        f"ingest-{created[1].pk}",
        f"ingest-{created[0].pk}",
    ]
    assert 'rel="next"' in first.content.decode()


def test_rows_link_to_each_runs_page(client, member, runs):
    html = client.get(RUNS).content.decode()

    assert f'href="/listening/runs/{runs["ingest"].pk}/"' in html
    assert f'href="{reverse("vetting:program-detail", args=["alpha-program"])}"' in html
    scan_row = html.split(f'data-run="scan-{runs["scan"].pk}"')[1].split("</tr>")[0]
    assert 'data-count="posts_scanned">50<' in scan_row
    assert 'data-count="findings_created">4<' in scan_row
    assert f'after ingest <a href="/listening/runs/{runs["ingest"].pk}/">' in scan_row
    assert f'href="{reverse("listening:run-list")}"' in html  # ingest-only list


def test_a_running_run_polls_its_rows_until_it_finishes(client, member, programs):
    run = world.scoring_run(
        programs[0],
        status=ScoringRun.Status.RUNNING,
        parts_total=4,
        parts_done=1,
        started_at=timezone.now() - timedelta(seconds=30),
    )

    html = client.get(RUNS).content.decode()
    assert 'hx-trigger="every 2s"' in html and 'data-polling="on"' in html
    assert '<progress max="4" value="1"' in html
    assert "30 s so far" in html

    ScoringRun.objects.filter(pk=run.pk).update(parts_done=3)
    partial = client.get(RUNS, **HTMX)
    body = partial.content.decode()
    assert body.lstrip().startswith('<tbody id="run-rows"')
    assert "<h1>" not in body
    assert '<progress max="4" value="3"' in body
    assert 'hx-trigger="every 2s"' in body

    ScoringRun.objects.filter(pk=run.pk).update(
        status=ScoringRun.Status.SUCCEEDED,
        parts_done=4,
        accounts_scored=12,
        finished_at=timezone.now(),
    )
    body = client.get(RUNS, **HTMX).content.decode()
    assert 'data-polling="off"' in body
    assert "hx-trigger" not in body
    assert "<progress" not in body
    assert 'data-count="accounts_scored">12<' in body
    assert "HX-Target" in partial["Vary"]


def test_a_page_of_finished_runs_does_not_poll(client, member, runs):
    html = client.get(RUNS).content.decode()

    assert 'data-polling="off"' in html
    assert "hx-trigger" not in html


def test_the_nav_links_to_the_runs_page(client, member):
    html = client.get(RUNS).content.decode()

    assert f'href="{RUNS}" aria-current="page">Runs</a>' in html


@pytest.mark.parametrize("role", ROLES)
def test_the_runs_page_renders_for_every_role(client, runs, programs, role):
    client.force_login(world.user(role, programs=[programs[0]]))

    response = client.get(RUNS)

    assert response.status_code == 200
    assert len(keys_of(response)) == 3


def test_the_query_count_does_not_grow_with_the_rows(client, member, programs):
    def grow(n):
        for _ in range(n):
            world.ingest_run()
            world.scan_run()
            world.scoring_run(programs[0], status="failed")
            world.scoring_run(programs[1], status="failed")

    grow(2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(RUNS).status_code == 200
    grow(25)
    with CaptureQueriesContext(connection) as large:
        response = client.get(RUNS)
        assert response.status_code == 200

    assert len(response.context["rows"]) == views.RUNS_PAGE_SIZE
    assert len(large) == len(small)
    # session, user, roles in the nav, the user's programs, count, one page of
    # keys, one query per kind
    assert len(large) <= 9


def test_run_rows_keep_the_order_of_the_keys(programs):
    ingest = world.ingest_run()
    scan = world.scan_run()
    scoring = world.scoring_run(programs[0])
    keys = [
        {"kind": "scan", "id": scan.pk},
        {"kind": "scoring", "id": scoring.pk},
        {"kind": "ingest", "id": ingest.pk},
    ]

    rows = selectors.run_rows(keys)

    assert [row.key for row in rows] == [
        f"scan-{scan.pk}",
        f"scoring-{scoring.pk}",
        f"ingest-{ingest.pk}",
    ]
