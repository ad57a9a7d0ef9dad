"""An analyst opens a program in a real browser, filters the ranking to a specialty
and reads why the top candidate ranks first."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_compliance import PASSWORD, log_in
from tests.vetting import conftest as vetting_fixtures
from vetting import services
from vetting.constants import ROLE_ANALYST
from vetting.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

scoring_world = vetting_fixtures.program  # two specialties, a "star" in cardiology


def test_an_analyst_reads_why_the_top_candidate_ranks_first(
    page, screenshot, scoring_world
):
    program, star = scoring_world
    run, _ = services.scoring_run_create(program=program)
    services.scoring_run_inline(run_id=run.pk)
    analyst = user_create(username="ana", password=PASSWORD, role=ROLE_ANALYST,
                          first_name="Ana", last_name="Lyst")  # fmt: skip
    program.members.add(analyst)

    log_in(page, "ana", "Ana Lyst")
    page.get_by_role("link", name="Programs").click()
    page.get_by_role("link", name=program.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(program.name)
    page.get_by_label("Specialty").select_option("207RC0000X")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.table--scores tbody tr")
    expect(rows).to_have_count(8)
    expect(rows.first).to_contain_text(f"@{star.handle}")
    screenshot(page, "program-ranking")

    rows.first.get_by_role("link", name=f"@{star.handle}", exact=True).click()
    expect(
        page.get_by_role("heading", level=2, name="Why it ranks here")
    ).to_be_visible()
    trust = page.locator("tr[data-component=trust_density]")
    expect(trust).to_contain_text(
        "7 of the 7 verified clinicians of the same specialty"
    )
    expect(page.get_by_text("passes every gate")).to_be_visible()
    screenshot(page, "score-explanation")
