"""A medical reviewer works the findings queue of their programs in a real browser;
the AE inbox shows cases by time left; an outsider sees neither."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from compliance.models import AdverseEventCase, Finding
from tests.compliance.test_views import (
    make_case,
    make_finding,
    make_post,
    make_program,
    product,
)
from tests.influencers.factories import SocialAccountFactory
from vetting.constants import ROLE_MEDICAL, ROLE_PHARMACOVIGILANCE
from vetting.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 91"


@pytest.fixture
def medical():
    """A medical reviewer, member of the review-queue program (the helpers' posts
    are by its candidates)."""
    user = user_create(
        username="mei",
        password=PASSWORD,
        role=ROLE_MEDICAL,
        first_name="Mei",
        last_name="Dical",
    )
    make_program(members=[user])
    return user


@pytest.fixture
def pv():
    user = user_create(
        username="pat",
        password=PASSWORD,
        role=ROLE_PHARMACOVIGILANCE,
        first_name="Pat",
        last_name="Vigil",
    )
    make_program(members=[user])
    return user


def log_in(page, username: str = "mei", name: str = "Mei Dical") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("banner")).to_contain_text(name)


def seed_findings() -> Finding:
    heart = SocialAccountFactory(handle="dr-heart.bsky.social")
    derm = SocialAccountFactory(handle="skin-doc.bsky.social", platform="mastodon")
    make_finding(
        post=make_post(
            author=derm,
            platform="mastodon",
            text="Humira cleared my patients' psoriasis in a week. Miracle drug! "
            "#dermatology #biologics",
        ),
        rule_code="EFFICACY_OVERSTATEMENT",
        product=product("Humira", "adalimumab"),
        severity=Finding.Severity.CRITICAL,
        evidence=[{"start": 50, "end": 63, "text": "Miracle drug!"}],
        explanation="Calls Humira a miracle drug: an efficacy claim the label "
        "does not support.",
        basis="21 CFR 202.1(e)(6)(i)",
    )
    make_finding(
        post=make_post(
            author=derm,
            text="Loving my new partnership with @pharmaco! Try Skyrizi. #ad",
        ),
        rule_code="UNDISCLOSED_SPONSORSHIP",
        product=product("Skyrizi", "risankizumab"),
        severity=Finding.Severity.MINOR,
        evidence=[{"start": 13, "end": 31, "text": "new partnership wi"}],
        explanation="The disclosure #ad comes after a hashtag wall.",
        basis="16 CFR 255.5",
    )
    return make_finding(
        post=make_post(
            author=heart,
            text="Using Eliquis off-label for LV thrombus. Main risk is bleeding. "
            "<script>alert(1)</script>",
        ),
        product=product("Eliquis", "apixaban"),
        explanation="Names Eliquis for LV thrombus, which is not an approved "
        "indication on its label.",
    )


def test_a_medical_reviewer_dismisses_a_finding_with_a_reason(
    page, medical, screenshot
):
    finding = seed_findings()
    log_in(page)

    page.get_by_role("link", name="Findings", exact=True).click()
    expect(page.get_by_role("heading", name="Findings", exact=True)).to_be_visible()
    expect(page.locator("tr[data-finding]")).to_have_count(3)
    screenshot(page, "compliance-findings-queue")

    page.locator(f'tr[data-finding="{finding.pk}"]').get_by_role(
        "link", name="OFF_LABEL"
    ).click()
    expect(page.locator("[data-post-text] mark")).to_have_text("Eliquis")
    expect(page.locator("[data-post-text]")).to_contain_text("<script>alert(1)")
    expect(page.locator("[data-finding-status]")).to_have_text("Open")

    # no reason: refused, nothing changes
    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("alert")).to_contain_text("Give a reason")
    expect(page.locator("[data-finding-status]")).to_have_text("Open")

    page.get_by_label("Reason").fill("LV thrombus use is discussed as off-label.")
    screenshot(page, "compliance-finding-detail")
    page.get_by_role("button", name="Dismiss").click()

    expect(page.locator("[data-finding-status]")).to_have_text("Dismissed")
    expect(page.locator("[data-decision-reason]")).to_have_text(
        "LV thrombus use is discussed as off-label."
    )
    expect(page.locator("[data-decision]")).to_contain_text("Mei Dical")
    trail = page.locator('[data-audit-event="finding.decided"]')
    expect(trail).to_have_count(1)
    expect(trail).to_contain_text("Mei Dical")
    expect(trail).to_contain_text("open → dismissed")
    screenshot(page, "compliance-finding-dismissed")

    page.get_by_role("link", name="Findings", exact=True).first.click()
    page.get_by_label("Status").select_option("dismissed")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tr[data-finding]")).to_have_count(1)
    expect(page.locator(f'tr[data-finding="{finding.pk}"]')).to_contain_text(
        "Dismissed"
    )

    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Product").select_option(label="Humira (adalimumab)")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tr[data-finding]")).to_have_count(1)
    expect(page.locator("tr[data-finding]")).to_contain_text("EFFICACY_OVERSTATEMENT")


def test_the_queue_shows_only_the_reviewers_programs_and_filters_by_program(
    page, medical, screenshot
):
    seed_findings()  # three findings in the review-queue program
    second = make_program("lipids-2025", members=[medical])
    make_finding(
        post=make_post(
            program=second,
            text="Lipitor ends heart disease for good. #cardiology",
        ),
        rule_code="EFFICACY_OVERSTATEMENT",
        product=product("Lipitor", "atorvastatin"),
        evidence=[{"start": 8, "end": 30, "text": "ends heart disease for"}],
    )
    hidden = make_finding(
        post=make_post(program=make_program("secret-2025"), text="Not yours.")
    )
    log_in(page)

    page.goto("/compliance/findings/")
    expect(page.locator("tr[data-finding]")).to_have_count(4)
    expect(page.locator(f'tr[data-finding="{hidden.pk}"]')).to_have_count(0)
    expect(page.get_by_label("Program").locator("option")).to_have_text(
        ["All my programs", "Program lipids-2025", "Program review-queue"]
    )
    page.get_by_label("Program").select_option("lipids-2025")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tr[data-finding]")).to_have_count(1)
    expect(page.locator("tr[data-finding]")).to_contain_text("Lipitor")
    screenshot(page, "compliance-findings-by-program")

    response = page.goto(f"/compliance/findings/{hidden.pk}/")
    assert response.status == 404


def test_an_outsider_sees_no_findings_or_cases(page, screenshot):
    finding = seed_findings()
    case = make_case(due_in=timedelta(hours=3))
    user_create(
        username="otto",
        password=PASSWORD,
        role=ROLE_MEDICAL,
        first_name="Otto",
        last_name="Sider",
    )
    log_in(page, "otto", "Otto Sider")

    page.get_by_role("link", name="Findings", exact=True).click()
    expect(page.get_by_text("No findings yet.")).to_be_visible()
    expect(page.locator("tr[data-finding]")).to_have_count(0)
    page.get_by_role("link", name="AE inbox", exact=True).click()
    expect(page.get_by_text("No open adverse-event case.")).to_be_visible()
    screenshot(page, "compliance-ae-inbox-outsider")
    assert page.goto(f"/compliance/findings/{finding.pk}/").status == 404
    assert page.goto(f"/compliance/ae/{case.pk}/").status == 404


def test_the_ae_inbox_shows_cases_by_time_left(page, medical, screenshot):
    humira = product("Humira", "adalimumab")
    make_case(due_in=timedelta(days=9, hours=3, minutes=30), product=humira)
    make_case(
        product=product("Ozempic", "semaglutide"),
        due_in=-timedelta(hours=2, minutes=15),
        post=make_post(
            text="Started my patient on Ozempic last month; now severe pancreatitis, "
            "admitted yesterday."
        ),
        elements={
            "patient": "my patient",
            "reporter": "the post's author",
            "product": ["Ozempic"],
            "event": ["pancreatitis"],
        },
    )
    make_case(
        due_in=timedelta(hours=7, minutes=30),
        status=AdverseEventCase.Status.REPORTABLE,
        product=humira,
    )
    log_in(page)

    page.get_by_role("link", name="AE inbox", exact=True).click()
    rows = page.locator("tr[data-case]")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator("[data-time-left]")).to_have_text("overdue by 2 h")
    # overdue in red (the error text colour, #9b1c1c)
    expect(rows.nth(0).locator("[data-time-left]")).to_have_css(
        "color", "rgb(155, 28, 28)"
    )
    expect(rows.nth(2).locator("[data-time-left]")).not_to_have_css(
        "color", "rgb(155, 28, 28)"
    )
    expect(rows.nth(1).locator("[data-time-left]")).to_have_text("7 h left")
    expect(rows.nth(2).locator("[data-time-left]")).to_have_text("9 d 3 h left")
    screenshot(page, "compliance-ae-inbox")

    rows.nth(0).get_by_role("link").click()
    expect(page.get_by_role("heading", name="The four elements")).to_be_visible()
    expect(
        page.get_by_text("Only pharmacovigilance officers and admins")
    ).to_be_visible()
    screenshot(page, "compliance-ae-case")


def test_a_pharmacovigilance_officer_forwards_a_case(page, pv, screenshot):
    case = make_case(
        due_in=timedelta(hours=20), product=product("Humira", "adalimumab")
    )
    log_in(page, "pat", "Pat Vigil")

    page.goto(f"/compliance/ae/{case.pk}/")
    page.get_by_label("Forwarded to pharmacovigilance").check()
    page.get_by_label("Notes").fill("Serious infection; sent to the PV desk.")
    screenshot(page, "compliance-ae-triage")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("[data-case-status]")).to_have_text(
        "Forwarded to pharmacovigilance"
    )
    expect(page.locator("[data-notes]")).to_contain_text("sent to the PV desk")
    page.get_by_role("link", name="AE inbox").first.click()
    expect(page.locator("tr[data-case]")).to_have_count(0)
