"""The whole review story in a real browser: an analyst discovers a candidate,
opens the profile and a vetting case and sends it to review; the medical reviewer
reads the highlighted finding on the profile and triages it; the medical, legal and
regulatory reviewers each sign with their password (a wrong password is refused);
the case is approved and its audit trail shows every step."""

import pytest
from playwright.sync_api import expect

from audit.selectors import chain_verify
from compliance.models import Finding
from tests.browser.test_compliance import PASSWORD
from tests.vetting import conftest as vetting_fixtures
from vetting import services
from vetting.constants import ROLE_ANALYST, ROLE_LEGAL, ROLE_MEDICAL, ROLE_REGULATORY
from vetting.models import VettingCase
from vetting.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

scoring_world = vetting_fixtures.program

PEOPLE = {
    "ana": (ROLE_ANALYST, "Ana", "Lyst"),
    "mei": (ROLE_MEDICAL, "Mei", "Dical"),
    "lee": (ROLE_LEGAL, "Lee", "Gal"),
    "reg": (ROLE_REGULATORY, "Reggie", "Ulatory"),
}


def _log_in_as(page, username):
    role, first, last = PEOPLE[username]
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("banner")).to_contain_text(f"{first} {last}")


def _sign(page, case_url, decision, reason, password=PASSWORD):
    page.goto(case_url)
    page.get_by_label(decision).check()
    page.get_by_label("Reason").fill(reason)
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Sign", exact=True).click()


def test_three_signers_approve_a_case_and_the_audit_trail_shows_it(
    page, screenshot, scoring_world
):
    program, star = scoring_world
    run, _ = services.scoring_run_create(program=program)
    services.scoring_run_inline(run_id=run.pk)
    for username, (role, first, last) in PEOPLE.items():
        user = user_create(username=username, password=PASSWORD, role=role,
                           first_name=first, last_name=last)  # fmt: skip
        program.members.add(user)

    post = star.posts.order_by("posted_at").first()
    finding = Finding.objects.create(
        post=post, rule_code="OFF_LABEL", rule_version="1", severity="major",
        evidence=[{"start": 0, "end": len(post.text), "text": post.text}],
        explanation="Dosing outside the label.", fingerprint="e" * 64,
    )  # fmt: skip

    _log_in_as(page, "ana")
    page.get_by_role("link", name="Discover").click()
    page.get_by_label("Name or handle").fill(star.handle)
    page.get_by_role("button", name="Apply filters").click()
    results = page.locator("#discover-results tbody tr")
    expect(results).to_have_count(1)
    results.first.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"@{star.handle}")
    page.get_by_role("button", name="Open vetting case").click()
    expect(page.locator("#case-state")).to_have_text("Candidate")
    case_url = page.url
    page.get_by_role("button", name="Send to medical review").click()
    expect(page.locator("#case-state")).to_have_text("Medical review")
    # the analyst cannot sign
    expect(page.get_by_text("Only a medical reviewer may sign")).to_be_visible()

    _log_in_as(page, "mei")
    page.goto(case_url)
    page.get_by_role("link", name="Profile").click()
    expect(page.locator("blockquote.post-text mark")).to_have_text([post.text])
    page.get_by_role("link", name="OFF_LABEL").first.click()
    page.get_by_label("Reason").fill("Dose above the label, no context given.")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("confirmed").first).to_be_visible()
    _sign(page, case_url, "Approve", "Accurate, balanced content.", password="nope")
    expect(page.get_by_role("alert")).to_contain_text("password is not correct")
    expect(page.locator("#case-state")).to_have_text("Medical review")
    page.goto(case_url)
    expect(
        page.get_by_text("I, Mei Dical, approve this clinician at medical review")
    ).to_be_visible()
    screenshot(page, "case-sign-medical")
    _sign(page, case_url, "Approve", "Accurate, balanced content.")
    expect(page.locator("#case-state")).to_have_text("Legal review")

    _log_in_as(page, "lee")
    _sign(page, case_url, "Approve", "No undisclosed sponsorship.")
    expect(page.locator("#case-state")).to_have_text("Regulatory review")

    _log_in_as(page, "reg")
    _sign(page, case_url, "Approve", "Fair balance fine; AE handling in place.")
    expect(page.locator("#case-state")).to_have_text("Approved")

    trail = page.locator("#audit-trail tbody tr")
    # opened, submitted, finding decided, failed password, 3 signatures
    expect(trail).to_have_count(7)
    for text in (
        "case.opened",
        "case.submitted",
        "finding.decided",
        "signoff.password_failed",
    ):
        expect(page.locator("#audit-trail")).to_contain_text(text)
    expect(page.locator(".signature")).to_have_count(3)
    expect(page.locator(".signature").nth(2)).to_contain_text("Reggie Ulatory")
    screenshot(page, "case-approved")

    case = VettingCase.objects.get()
    assert case.state == "approved"
    finding.refresh_from_db()
    assert finding.status == "confirmed"
    assert case.signoffs.first().evidence["findings"][0]["status"] == "confirmed"
    assert chain_verify().ok
