"""A reviewer opens a program's dashboard in a real browser: every chart is drawn on a
canvas with its table beside it, the component selector redraws its histogram, and
an alert is acknowledged from the page."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from compliance.models import Finding
from influencers.models import SocialAccount
from listening.models import Post
from tests.influencers.factories import SocialAccountFactory, SpecialtyFactory
from tests.reports import world
from vetting.constants import ROLE_MEDICAL
from vetting.models import Alert, InfluencerScore, ScoringRun, VettingCase
from vetting.scoring.weights import COMPONENTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RULES = ("OFF_LABEL", "FAIR_BALANCE_MISSING", "UNDISCLOSED_SPONSORSHIP")


def log_in(page, username: str, name: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(world.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("banner")).to_contain_text(name)


@pytest.fixture
def scored_program():
    """A program with two succeeded runs of 60 candidates (4 specialties, 2
    platforms, some failing gates), findings over 12 weeks, AE cases, vetting cases
    and an unacknowledged alert."""
    rng = random.Random(8)
    program = world.program("Anticoagulation educators")
    program.drift_threshold = 0.1
    program.save()
    now = timezone.now()
    window = {"window_start": now - timedelta(days=84), "window_end": now}
    before = world.scoring_run(
        program,
        **window,
        started_at=now - timedelta(days=1, minutes=5),
        finished_at=now - timedelta(days=1),
    )
    latest = world.scoring_run(program, **window)
    specialties = [
        SpecialtyFactory(code=code, display_name=name)
        for code, name in (
            ("207RC0000X", "Cardiovascular Disease Physician"),
            ("207RI0011X", "Interventional Cardiology Physician"),
            ("207Q00000X", "Family Medicine Physician"),
            ("363LF0000X", "Family Nurse Practitioner"),
        )
    ]
    rows = []
    for i in range(60):
        account = SocialAccountFactory(
            platform=(
                SocialAccount.Platform.MASTODON
                if i % 3 == 0
                else SocialAccount.Platform.BLUESKY
            )
        )
        values = {c: round(rng.betavariate(2, 3), 3) for c in COMPONENTS}
        values["trust_density"] = round(rng.betavariate(1.2, 4), 3)
        composite = round(sum(values.values()) / len(values), 3)
        failures = ["identity not verified"] if i % 7 == 0 else []
        if i % 11 == 0:
            failures.append("followers outside 1,000-50,000")
        for run, shift in ((before, rng.choice([0, 0, 0, 0.15, -0.12])), (latest, 0)):
            rows.append(
                InfluencerScore(
                    run=run,
                    program=program,
                    account=account,
                    as_of=now,
                    scoring_version="1.0",
                    specialty_code=specialties[i % 4].code,
                    composite=min(max(composite - shift, 0), 1),
                    **values,
                    gates_passed=not failures,
                    gate_failures=failures,
                )  # fmt: skip
            )
        if i < 24:
            for k in range(3):
                post = world.post(account)
                Post.objects.filter(pk=post.pk).update(
                    posted_at=now - timedelta(days=rng.randint(1, 80))
                )
                Finding.objects.create(
                    post=post, rule_code=RULES[(i + k) % 3], rule_version="1.0",
                    severity="major", explanation="Test.", fingerprint=f"b-{post.pk}",
                )  # fmt: skip
        if i < 5:
            world.ae_case(account, due_in=timedelta(days=i - 2))
        if i < 6:
            world.vetting_case(
                program,
                [VettingCase.State.CANDIDATE, VettingCase.State.MEDICAL][i % 2],
                account=account,
            )
    InfluencerScore.objects.bulk_create(rows)
    alert = world.alert(
        program,
        "Dr. Example: composite moved -0.180 beyond the threshold of 0.100.",
        kind=Alert.Kind.SCORE_DRIFT,
        level=Alert.Level.WARNING,
    )
    user = world.user(
        ROLE_MEDICAL,
        username="mei",
        programs=[program],
        first_name="Mei",
        last_name="Dical",
    )
    return program, alert, user


def test_the_program_dashboard_draws_its_charts_and_acknowledges_an_alert(
    page, screenshot, scored_program
):
    program, alert, _ = scored_program

    log_in(page, "mei", "Mei Dical")
    page.goto(f"/programs/{program.slug}/")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Anticoagulation educators: dashboard"
    )

    for chart in (
        "pd-composite-chart",
        "pd-trust-chart",
        "pd-components-chart",
        "pd-gates-chart",
        "pd-specialty-chart",
        "pd-weekly-chart",
        "pd-platform-chart",
        "pd-ae-chart",
        "pd-cases-chart",
        "pd-drift-chart",
    ):
        locator = page.locator(f"#{chart}")
        expect(locator).to_have_attribute("data-chart-ready", "true")
        expect(locator.locator("canvas")).to_have_count(1)
        box = locator.bounding_box()
        assert box["width"] > 250 and box["height"] > 60, chart

    # the tables beside the charts carry the figures
    expect(page.locator("[data-tile=candidates] .tile__value")).to_have_text("60")
    expect(page.locator("tr[data-platform=mastodon] td")).to_have_text("20")
    expect(page.locator("tr[data-gate=passed] td")).to_have_text(
        str(sum(1 for i in range(60) if i % 7 and i % 11))
    )
    expect(page.locator("tr[data-state=candidate] td")).to_have_text("3")
    expect(page.locator("[data-tile=findings] .tile__value")).to_have_text("72")

    # the component selector redraws the histogram (keyboard: focus, then choose)
    select = page.get_by_label("Component", exact=True)
    select.focus()
    select.select_option("trust_density")
    expect(page.locator("#pd-components-chart")).to_have_attribute(
        "data-pd-key-drawn", "trust_density"
    )
    select.select_option("alignment")
    screenshot(page, "program-dashboard")

    item = page.locator(f"[data-alert='{alert.pk}']")
    expect(item).to_contain_text("composite moved -0.180")
    item.get_by_role("button", name=f"Acknowledge alert {alert.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Anticoagulation educators: dashboard"
    )
    expect(page.locator(f"[data-alert='{alert.pk}']")).to_have_count(0)
    expect(page.locator("[data-empty=alerts]")).to_be_visible()
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None

    # the table alternative opens from the keyboard
    summary = page.get_by_text("Table: candidates by composite fit")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-table=histogram-composite]")).to_be_visible()
    assert ScoringRun.objects.filter(program=program).count() == 2
