"""The sign-off story in a real browser: an analyst opens a case for a scored
clinician and sends it to review; the medical, legal and regulatory reviewers each
sign with their password (a wrong password is refused); the case is approved and
its audit trail shows every step."""

import pytest
from playwright.sync_api import expect

from audit.selectors import chain_verify
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

    _log_in_as(page, "ana")
    page.goto(f"/programs/{program.slug}/accounts/{star.pk}/")
    page.get_by_role("button", name="Open vetting case").click()
    expect(page.locator("#case-state")).to_have_text("Candidate")
    case_url = page.url
    page.get_by_role("button", name="Send to medical review").click()
    expect(page.locator("#case-state")).to_have_text("Medical review")
    # the analyst cannot sign
    expect(page.get_by_text("Only a medical reviewer may sign")).to_be_visible()

    _log_in_as(page, "mei")
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
    expect(trail).to_have_count(6)  # opened, submitted, failed password, 3 signatures
    for text in ("case.opened", "case.submitted", "signoff.password_failed"):
        expect(page.locator("#audit-trail")).to_contain_text(text)
    expect(page.locator(".signature")).to_have_count(3)
    expect(page.locator(".signature").nth(2)).to_contain_text("Reggie Ulatory")
    screenshot(page, "case-approved")

    case = VettingCase.objects.get()
    assert case.state == "approved"
    assert chain_verify().ok
