"""The dashboard: open work in the user's programs (findings by rule and severity,
adverse-event clocks, vetting cases by state, alerts, recent runs), scoped by
program membership, in a fixed number of queries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.models import AdverseEventCase, Finding
from reports import selectors, views
from tests.reports import world
from vetting.constants import ROLE_ANALYST, ROLE_MEDICAL, ROLES
from vetting.models import Alert, VettingCase

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("reports:home")
CRITICAL, MAJOR, MINOR = "critical", "major", "minor"


@pytest.fixture
def two_programs():
    """Program A (ours) and program B (someone else's), each with scored accounts,
    open work and a scoring run."""
    a, b = world.program("Alpha program"), world.program("Beta program")
    return {
        "a": a,
        "b": b,
        "a_account": world.scored_account(a),
        "b_account": world.scored_account(b),
    }


@pytest.fixture
def member(client, two_programs):
    user = world.user(ROLE_MEDICAL, programs=[two_programs["a"]])
    client.force_login(user)
    return user


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- access ---------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


@pytest.mark.parametrize("role", ROLES)
def test_the_dashboard_renders_for_every_role(client, two_programs, role):
    a_account = two_programs["a_account"]
    world.finding(a_account, "OFF_LABEL", CRITICAL)
    world.ae_case(a_account, due_in=timedelta(days=3))
    world.vetting_case(two_programs["a"], VettingCase.State.MEDICAL)
    world.alert(two_programs["a"])
    client.force_login(world.user(role, programs=[two_programs["a"]]))

    html = html_of(client.get(DASHBOARD))

    assert "<h1>Dashboard</h1>" in html
    assert 'data-rule="OFF_LABEL"' in html
    assert "data-ae=" in html
    assert 'data-state="medical_review"' in html
    assert "data-alert=" in html


# --- findings -------------------------------------------------------------------------


def test_open_findings_are_counted_by_rule_and_severity(client, member, two_programs):
    mine = two_programs["a_account"]
    for _ in range(3):
        world.finding(mine, "OFF_LABEL", MAJOR)
    world.finding(mine, "OFF_LABEL", CRITICAL)
    world.finding(mine, "FAIR_BALANCE", MINOR)
    world.finding(mine, "FAIR_BALANCE", MINOR)
    # not counted: decided, superseded, another program's account
    world.finding(
        mine, "OFF_LABEL", MAJOR, status=Finding.Status.DISMISSED, decided_by=member
    )
    world.finding(mine, "OFF_LABEL", MAJOR, is_current=False)
    world.finding(two_programs["b_account"], "OFF_LABEL", CRITICAL)

    response = client.get(DASHBOARD)

    counts = response.context["findings"]
    assert counts.total == 6
    assert counts.severity_totals == (1, 3, 2)
    assert [(rule.rule_code, rule.counts) for rule in counts.rules] == [
        ("OFF_LABEL", (1, 3, 0)),
        ("FAIR_BALANCE", (0, 0, 2)),
    ]
    html = html_of(response)
    assert 'data-tile="findings"' in html and ">6</span>" in html
    off_label = html.split('data-rule="OFF_LABEL"')[1].split("</tr>")[0]
    assert 'data-severity="major"><a href=' in off_label
    assert "severity=major" in off_label and ">3</a>" in off_label


def test_the_findings_chart_has_its_data_and_a_table_alternative(
    client, member, two_programs
):
    mine = two_programs["a_account"]
    world.finding(mine, "OFF_LABEL", CRITICAL)
    world.finding(mine, "OFF_LABEL", MAJOR)
    world.finding(mine, "COI", MINOR)

    html = html_of(client.get(DASHBOARD))

    data = json.loads(
        html.split('id="findings-chart-data" type="application/json">')[1].split(
            "</script>"
        )[0]
    )
    assert data["rules"] == ["OFF_LABEL", "COI"]
    assert [(s["key"], s["data"]) for s in data["series"]] == [
        ("critical", [1, 0]),
        ("major", [1, 0]),
        ("minor", [0, 1]),
    ]
    assert data["url"] == views.reverse_first(views.FINDING_LIST_URLS)
    assert 'data-chart="findings"' in html and 'aria-hidden="true"' in html
    assert 'data-table="findings"' in html
    assert "js/vendor/echarts-5.6.0.min.js" in html
    assert "js/dashboard.js" in html


def test_without_findings_or_cases_no_chart_script_is_loaded(client, member):
    html = html_of(client.get(DASHBOARD))

    assert 'data-empty="findings"' in html
    assert 'data-empty="cases"' in html
    assert "echarts" not in html


def test_links_go_to_the_first_url_name_that_resolves():
    assert views.reverse_first(("nowhere:list", "reports:runs")) == "/runs/"
    assert views.reverse_first(("nowhere:list",)) == ""
    assert views.reverse_first(("listening:run-detail",), pk=4) == (
        "/listening/runs/4/"
    )
    # the findings queue is under its new name or its old one
    assert views.reverse_first(views.FINDING_LIST_URLS) == "/compliance/findings/"
    assert views.reverse_first(views.AE_INBOX_URLS) == "/compliance/ae/"


# --- adverse-event clocks -------------------------------------------------------------


def test_ae_clocks_are_soonest_first_with_overdue_ones_in_red(
    client, member, two_programs
):
    mine = two_programs["a_account"]
    later = world.ae_case(mine, due_in=timedelta(days=9))
    overdue = world.ae_case(mine, due_in=timedelta(hours=-5))
    soon = world.ae_case(mine, due_in=timedelta(hours=6))
    world.ae_case(
        mine, due_in=timedelta(days=1), status=AdverseEventCase.Status.FORWARDED
    )
    world.ae_case(two_programs["b_account"], due_in=timedelta(hours=-1))

    response = client.get(DASHBOARD)

    clocks = response.context["clocks"]
    assert [case.pk for case in clocks.cases] == [overdue.pk, soon.pk, later.pk]
    assert (clocks.total, clocks.overdue, clocks.due_soon) == (3, 1, 1)
    html = html_of(response)
    row = html.split(f'data-ae="{overdue.pk}"')[1].split("</tr>")[0]
    assert "time-left--overdue" in row and "overdue by 5 h 0 min" in row
    row = html.split(f'data-ae="{soon.pk}"')[1].split("</tr>")[0]
    assert "time-left--urgent" in row and "6 h 0 min left" in row
    row = html.split(f'data-ae="{later.pk}"')[1].split("</tr>")[0]
    assert "time-left--" not in row and "9 d 0 h left" in row


def test_time_left_reads_as_days_hours_or_overdue():
    from django.utils import timezone

    now = timezone.now()
    assert views.time_left(now + timedelta(days=3, hours=4, minutes=1), now) == (
        "3 d 4 h left",
        False,
        False,
    )
    assert views.time_left(now + timedelta(hours=2, minutes=5), now) == (
        "2 h 5 min left",
        False,
        True,
    )
    assert views.time_left(now - timedelta(minutes=90), now) == (
        "overdue by 1 h 30 min",
        True,
        True,
    )


# --- vetting cases --------------------------------------------------------------------


def test_cases_are_counted_by_state_and_yours_come_first(client, member, two_programs):
    a = two_programs["a"]
    world.vetting_case(a, VettingCase.State.CANDIDATE)
    world.vetting_case(a, VettingCase.State.CANDIDATE)
    assigned = world.vetting_case(a, VettingCase.State.LEGAL, assignee=member)
    world.vetting_case(a, VettingCase.State.APPROVED)
    world.vetting_case(two_programs["b"], VettingCase.State.MEDICAL)

    response = client.get(DASHBOARD)

    counts = response.context["case_counts"]
    assert dict((state, n) for state, _, n in counts.by_state) == {
        "candidate": 2,
        "medical_review": 0,
        "legal_review": 1,
        "regulatory_review": 0,
        "approved": 1,
        "rejected": 0,
        "on_hold": 0,
    }
    assert (counts.total, counts.open) == (4, 3)
    cases = response.context["cases"]
    assert cases[0].pk == assigned.pk and len(cases) == 3
    html = html_of(response)
    data = json.loads(
        html.split('id="cases-chart-data" type="application/json">')[1].split(
            "</script>"
        )[0]
    )
    assert data["counts"] == [2, 0, 1, 0, 1, 0, 0]
    assert "assigned to you" in html


def test_a_case_links_to_its_page_only_when_that_page_exists(
    client, member, two_programs, monkeypatch
):
    case = world.vetting_case(two_programs["a"])
    monkeypatch.setattr(views, "CASE_DETAIL_URLS", ("listening:run-detail",))

    html = html_of(client.get(DASHBOARD))
    assert f'<a href="/listening/runs/{case.pk}/">' in html

    monkeypatch.setattr(views, "CASE_DETAIL_URLS", ("vetting:no-such-page",))
    html = html_of(client.get(DASHBOARD))
    item = html.split(f'data-case="{case.pk}"')[1].split("</li>")[0]
    assert "<a " not in item.split("<span")[0]


# --- alerts ---------------------------------------------------------------------------


def test_unacknowledged_alerts_are_listed_most_severe_first(
    client, member, two_programs
):
    a = two_programs["a"]
    info = world.alert(a, "New payment", level=Alert.Level.INFO)
    critical = world.alert(a, "Critical finding", level=Alert.Level.CRITICAL)
    world.alert(
        a, "Seen", acknowledged_by=member, acknowledged_at=info.created_at
    )  # acknowledged
    world.alert(two_programs["b"], "Not yours", level=Alert.Level.CRITICAL)
    world.alert(None, "No program")

    response = client.get(DASHBOARD)

    alerts = response.context["alerts"]
    assert [alert.pk for alert in alerts.alerts] == [critical.pk, info.pk]
    assert alerts.total == 2
    html = html_of(response)
    assert "Not yours" not in html and "No program" not in html and "Seen" not in html


def test_the_acknowledge_button_is_shown_only_when_its_view_exists(
    client, member, two_programs, monkeypatch
):
    alert = world.alert(two_programs["a"], "<b>drift</b>")
    monkeypatch.setattr(views, "ALERT_ACK_URLS", ("listening:run-detail",))

    html = html_of(client.get(DASHBOARD))
    assert f'action="/listening/runs/{alert.pk}/"' in html
    assert 'name="next" value="/"' in html
    assert "Acknowledge</button>" in html
    assert "&lt;b&gt;drift&lt;/b&gt;" in html  # alert text is escaped

    monkeypatch.setattr(views, "ALERT_ACK_URLS", ("vetting:no-such-view",))
    html = html_of(client.get(DASHBOARD))
    assert "Acknowledge</button>" not in html


# --- scoping ----------------------------------------------------------------------------


def test_an_outsider_sees_none_of_another_programs_work(client, two_programs):
    b_account = two_programs["b_account"]
    world.finding(b_account, "OFF_LABEL", CRITICAL)
    world.ae_case(b_account, due_in=timedelta(hours=-3))
    world.vetting_case(two_programs["b"], VettingCase.State.MEDICAL)
    world.alert(two_programs["b"], "Beta alert")
    world.ingest_run(received=12)
    world.scan_run(posts_scanned=7)
    outsider = world.user(ROLE_ANALYST, programs=[two_programs["a"]])
    client.force_login(outsider)

    response = client.get(DASHBOARD)

    html = html_of(response)
    assert response.context["findings"].total == 0
    assert response.context["clocks"].total == 0
    assert response.context["case_counts"].total == 0
    assert response.context["alerts"].total == 0
    runs = response.context["runs"]
    assert {row.kind for row in runs} == {"ingest", "scan", "scoring"}
    # ingest and scan runs are not program data; scoring runs are the member's only
    assert {row.run.program for row in runs if row.kind == "scoring"} == {
        two_programs["a"]
    }
    assert "Beta" not in html
    assert "@" + b_account.handle not in html


def test_a_user_without_programs_sees_the_empty_state(client, two_programs):
    world.finding(two_programs["a_account"], "OFF_LABEL", MAJOR)
    client.force_login(world.user(ROLE_ANALYST))

    response = client.get(DASHBOARD)

    html = html_of(response)
    assert 'data-empty="programs"' in html
    assert response.context["findings"].total == 0


def test_a_superuser_sees_every_program(client, two_programs):
    world.finding(two_programs["a_account"], "OFF_LABEL", MAJOR)
    world.finding(two_programs["b_account"], "COI", MINOR)
    world.vetting_case(two_programs["b"])
    admin = get_user_model().objects.create_superuser("root", password="x" * 20)
    client.force_login(admin)

    response = client.get(DASHBOARD)

    assert response.context["findings"].total == 2
    assert response.context["case_counts"].total == 1


# --- recent runs ----------------------------------------------------------------------


def test_recent_runs_show_each_kind_with_counts(client, member, two_programs):
    ingest = world.ingest_run(received=40, created=30, updated=10, interactions=5)
    scan = world.scan_run(ingest_run=ingest, posts_scanned=40, findings_created=3)
    scoring = world.scoring_run(two_programs["a"], accounts_scored=25, edges=90)
    world.scoring_run(two_programs["b"], accounts_scored=99)

    response = client.get(DASHBOARD)

    rows = {row.key: row for row in response.context["runs"]}
    assert set(rows) == {
        f"ingest-{ingest.pk}",
        f"scan-{scan.pk}",
        f"scoring-{two_programs['a_account'].scores.first().run_id}",
        f"scoring-{scoring.pk}",
    }
    html = html_of(response)
    assert f'href="/listening/runs/{ingest.pk}/"' in html
    assert 'data-count="received">40<' in html
    assert 'data-count="findings_created">3<' in html
    assert 'data-count="accounts_scored">25<' in html
    assert 'data-count="accounts_scored">99<' not in html
    assert f'href="{reverse("vetting:program-detail", args=["alpha-program"])}"' in html
    assert f'href="{reverse("reports:runs")}"' in html


def test_recent_runs_are_limited_per_kind(client, member):
    for _ in range(views.RECENT_RUNS_PER_KIND + 3):
        world.ingest_run()

    response = client.get(DASHBOARD)

    ingest = [row for row in response.context["runs"] if row.kind == "ingest"]
    assert len(ingest) == views.RECENT_RUNS_PER_KIND


# --- queries --------------------------------------------------------------------------


def _grow(two_programs, member, n: int) -> None:
    """``n`` more of every kind of row the dashboard shows, in both programs."""
    for prog, account in (
        (two_programs["a"], two_programs["a_account"]),
        (two_programs["b"], two_programs["b_account"]),
    ):
        for i in range(n):
            world.finding(account, f"RULE_{i % 4}", (CRITICAL, MAJOR, MINOR)[i % 3])
            world.ae_case(account, due_in=timedelta(hours=i - 2))
            world.vetting_case(prog, VettingCase.State.values[i % 5], assignee=member)
            world.alert(prog, f"alert {i}")
            world.ingest_run()
            world.scan_run()
        world.scoring_run(prog, status="failed")


def test_the_query_count_does_not_grow_with_the_rows(client, member, two_programs):
    _grow(two_programs, member, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(DASHBOARD).status_code == 200

    _grow(two_programs, member, 10)
    with CaptureQueriesContext(connection) as large:
        response = client.get(DASHBOARD)
        assert response.status_code == 200

    assert len(large) == len(small)
    assert len(large) <= 16
    # the lists stay short however many rows there are
    assert len(response.context["clocks"].cases) == views.DASHBOARD_LIST_LIMIT
    assert len(response.context["alerts"].alerts) == views.DASHBOARD_LIST_LIMIT
    assert response.context["alerts"].total == 12


def test_the_finding_counts_are_one_group_by_query(member, two_programs):
    world.finding(two_programs["a_account"], "OFF_LABEL", MAJOR)
    scope = selectors.program_scope(member)

    with CaptureQueriesContext(connection) as queries:
        counts = selectors.open_finding_counts(scope)

    assert counts.total == 1
    assert len(queries) == 1
    assert "GROUP BY" in queries[0]["sql"]


def test_an_account_put_forward_by_a_case_counts_for_its_program(
    client, member, two_programs
):
    cased = world.vetting_case(two_programs["a"]).account  # never scored
    world.finding(cased, "COI", MINOR)
    world.ae_case(cased, due_in=timedelta(days=1))

    response = client.get(DASHBOARD)

    assert response.context["findings"].total == 1
    assert response.context["clocks"].total == 1
