"""A reviewer opens the dashboard in a real browser (charts drawn by ECharts on a
canvas, with their tables), then the runs page, where a running scoring run's
progress refreshes until it finishes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.reports import world
from vetting.constants import ROLE_MEDICAL
from vetting.models import Alert, ScoringRun, VettingCase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str, name: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(world.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("banner")).to_contain_text(name)


@pytest.fixture
def open_work():
    """A program with open findings of three rules, adverse-event clocks (one
    overdue), cases in four states, an alert, and runs of every kind."""
    program = world.program("Anticoagulation educators")
    account = world.scored_account(program)
    for rule, severity, n in (
        ("OFF_LABEL", "critical", 2),
        ("OFF_LABEL", "major", 5),
        ("FAIR_BALANCE", "major", 3),
        ("FAIR_BALANCE", "minor", 6),
        ("UNDISCLOSED_SPONSORSHIP", "major", 2),
    ):
        for _ in range(n):
            world.finding(account, rule, severity)
    world.ae_case(account, due_in=timedelta(hours=-4))
    world.ae_case(account, due_in=timedelta(days=6))
    for state, n in (
        (VettingCase.State.CANDIDATE, 4),
        (VettingCase.State.MEDICAL, 2),
        (VettingCase.State.LEGAL, 1),
        (VettingCase.State.APPROVED, 1),
    ):
        for _ in range(n):
            world.vetting_case(program, state)
    world.alert(
        program,
        "A new critical finding on an approved clinician",
        kind=Alert.Kind.CRITICAL_FINDING,
        level=Alert.Level.CRITICAL,
    )
    ingest = world.ingest_run(received=120, created=100, updated=20)
    world.scan_run(ingest_run=ingest, posts_scanned=120, findings_created=18)
    user = world.user(
        ROLE_MEDICAL,
        username="mei",
        programs=[program],
        first_name="Mei",
        last_name="Dical",
    )
    return program, user


def test_the_dashboard_draws_its_charts_and_the_runs_page_follows_a_run(
    page, screenshot, open_work
):
    program, _ = open_work

    log_in(page, "mei", "Mei Dical")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    findings_chart = page.locator("#findings-chart")
    expect(findings_chart).to_have_attribute("data-chart-ready", "true")
    expect(findings_chart.locator("canvas")).to_have_count(1)
    expect(page.locator("#cases-chart canvas")).to_have_count(1)
    box = findings_chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    # the table alternative carries the same figures
    expect(
        page.locator("tr[data-rule=OFF_LABEL] [data-severity=critical]")
    ).to_have_text("2")
    expect(page.locator("[data-total-all]")).to_have_text("18")
    expect(page.locator("tr[data-state=candidate] td")).to_have_text("4")
    expect(page.locator("tr[data-overdue] .time-left--overdue")).to_contain_text(
        "overdue by 4 h"
    )
    expect(page.locator("[data-alert]")).to_contain_text("A new critical finding")
    screenshot(page, "dashboard")

    run = world.scoring_run(
        program,
        status=ScoringRun.Status.RUNNING,
        parts_total=5,
        parts_done=1,
        started_at=timezone.now(),
    )
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Runs")
    row = page.locator(f"tr[data-run='scoring-{run.pk}']")
    expect(row.locator("progress")).to_have_attribute("value", "1")
    expect(page.locator("#run-rows")).to_have_attribute("hx-trigger", "every 2s")
    screenshot(page, "runs")

    ScoringRun.objects.filter(pk=run.pk).update(parts_done=3)
    expect(row.locator("progress")).to_have_attribute("value", "3", timeout=8000)

    ScoringRun.objects.filter(pk=run.pk).update(
        status=ScoringRun.Status.SUCCEEDED,
        parts_done=5,
        accounts_scored=42,
        finished_at=timezone.now(),
    )
    expect(row).to_have_attribute("data-status", "succeeded", timeout=8000)
    expect(row.locator("[data-count=accounts_scored]")).to_have_text("42")
    expect(page.locator("#run-rows")).to_have_attribute("data-polling", "off")
    expect(page.locator("#run-rows")).not_to_have_attribute("hx-trigger", "every 2s")

    page.get_by_label("Kind").select_option("scan")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#run-rows tr")).to_have_count(1)
    expect(page.locator("#run-rows tr")).to_contain_text("120 posts scanned")
