"""Labels and keyboard on the reviewer pages: every form control of every main page
has an accessible name, the first Tab reaches the skip link, and a reviewer can
sign a case with the keyboard alone."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_compliance import PASSWORD
from tests.vetting import conftest as vetting_fixtures
from vetting import services, workflow
from vetting.constants import ROLE_ANALYST, ROLE_MEDICAL
from vetting.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

scoring_world = vetting_fixtures.program

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && el.type !== 'submit' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 120))"""


def test_every_control_has_a_label_and_signing_works_from_the_keyboard(
    page, scoring_world
):
    program, star = scoring_world
    run, _ = services.scoring_run_create(program=program)
    services.scoring_run_inline(run_id=run.pk)
    ana = user_create(username="ana", password=PASSWORD, role=ROLE_ANALYST)
    mei = user_create(username="mei", password=PASSWORD, role=ROLE_MEDICAL,
                      first_name="Mei", last_name="Dical")  # fmt: skip
    program.members.add(ana, mei)
    case, _ = workflow.case_open(program=program, account=star, user=ana)
    workflow.case_submit(case=case, user=ana)

    page.goto("/accounts/login/")
    page.keyboard.press("Tab")
    page.get_by_label("Username").fill("mei")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("banner")).to_contain_text("Mei Dical")

    pages = [
        "/",
        "/runs/",
        "/programs/",
        f"/programs/{program.slug}/",
        "/programs/discover/",
        f"/programs/{program.slug}/accounts/{star.pk}/profile/",
        "/programs/cases/",
        f"/programs/cases/{case.pk}/",
        "/compliance/findings/",
        "/compliance/ae/",
        "/compliance/check/",
    ]
    for url in pages:
        page.goto(url)
        assert page.evaluate(UNLABELLED) == [], url
        # the first Tab lands on the skip link, which leads to the main content
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link", url

    # sign with the keyboard only: focus the first decision, pick it, type, submit
    page.goto(f"/programs/cases/{case.pk}/")
    page.locator("#decision-approve").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # to the next radio group member or the reason
    page.locator("#id_reason").focus()
    page.keyboard.type("Reviewed with the keyboard.")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#case-state")).to_have_text("Legal review")
