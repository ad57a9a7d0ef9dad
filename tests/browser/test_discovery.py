"""An analyst discovers candidates in a real browser: filters (the results update in
place with htmx, the address follows), sorts by a column, ticks two candidates and
compares them side by side with the radar chart."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_compliance import PASSWORD, log_in
from tests.vetting import conftest as vetting_fixtures
from vetting import services
from vetting.constants import ROLE_ANALYST
from vetting.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

scoring_world = vetting_fixtures.program  # two specialties, a "star" in cardiology


def test_an_analyst_filters_sorts_and_compares_two_candidates(
    page, screenshot, scoring_world
):
    program, star = scoring_world
    run, _ = services.scoring_run_create(program=program)
    services.scoring_run_inline(run_id=run.pk)
    analyst = user_create(username="ana", password=PASSWORD, role=ROLE_ANALYST,
                          first_name="Ana", last_name="Lyst")  # fmt: skip
    program.members.add(analyst)

    log_in(page, "ana", "Ana Lyst")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Discover"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Discover")
    page.wait_for_load_state("load")  # htmx (deferred) has wired the form
    rows = page.locator("table.table--discover tbody tr")
    expect(rows).to_have_count(16)  # the 16 clinicians (the fans are not candidates)

    # filtering swaps only the results (the page is not reloaded) and the address
    # follows, so the filtered list can be bookmarked
    page.evaluate("window.__not_reloaded = true")
    page.get_by_label("Specialty", exact=True).select_option("207RC0000X")
    expect(rows).to_have_count(8)
    expect(page).to_have_url(re.compile(r"specialty=207RC0000X"))
    page.get_by_label("Identity").select_option("true")
    expect(page).to_have_url(re.compile(r"identity_linked=true"))
    expect(rows).to_have_count(8)
    assert page.evaluate("window.__not_reloaded") is True

    # sort by trust density: the star, engaged by all 7 peers, comes first
    page.locator("th.discover-sort").filter(has_text="Trust density").get_by_role(
        "link"
    ).click()
    expect(page).to_have_url(re.compile(r"sort=-trust_density"))
    expect(page.locator("th.discover-sort[aria-sort=descending]")).to_contain_text(
        "Trust density"
    )
    expect(rows.first).to_contain_text(f"@{star.handle}")
    expect(page.get_by_label("Sort by")).to_have_value("-trust_density")
    assert page.evaluate("window.__not_reloaded") is True

    # tick two and compare
    rows.nth(0).get_by_role("checkbox").check()
    rows.nth(1).get_by_role("checkbox").check()
    expect(page.locator("[data-compare-status]")).to_have_text("2 of 4 selected.")
    first = rows.nth(0).locator("th a").first.inner_text()
    second = rows.nth(1).locator("th a").first.inner_text()
    page.locator(".discover-results").scroll_into_view_if_needed()
    screenshot(page, "discovery")

    page.get_by_role("button", name="Compare selected").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare candidates")
    table = page.locator("table.table--compare")
    expect(table.locator("thead th")).to_have_count(2)
    expect(table.locator("thead")).to_contain_text(first)
    expect(table.locator("thead")).to_contain_text(second)
    expect(table.locator("tr[data-component=trust_density] td")).to_have_count(2)
    expect(table).to_contain_text("NPI")
    expect(table).to_contain_text("passes every gate")
    expect(page.locator("#compare-radar")).to_have_attribute("data-chart-ready", "true")
    expect(page.locator("#compare-radar svg")).to_have_count(1)
    screenshot(page, "compare")

    # back to discovery keeps the filters and the sort
    page.get_by_role("link", name="Back to discovery").first.click()
    expect(page).to_have_url(re.compile(r"sort=-trust_density"))
    expect(rows).to_have_count(8)


def test_a_fifth_candidate_cannot_be_ticked(page, scoring_world):
    program, _ = scoring_world
    run, _ = services.scoring_run_create(program=program)
    services.scoring_run_inline(run_id=run.pk)
    analyst = user_create(username="ana", password=PASSWORD, role=ROLE_ANALYST,
                          first_name="Ana", last_name="Lyst")  # fmt: skip
    program.members.add(analyst)

    log_in(page, "ana", "Ana Lyst")
    page.goto("/programs/discover/")
    boxes = page.locator("table.table--discover tbody input[type=checkbox]")
    for i in range(4):
        boxes.nth(i).check()
    expect(boxes.nth(4)).to_be_disabled()
    expect(page.locator("[data-compare-status]")).to_contain_text("4 of 4 selected")
    boxes.nth(0).uncheck()
    expect(boxes.nth(4)).to_be_enabled()


def test_without_javascript_the_page_is_a_plain_get_form(
    browser, live_server, scoring_world
):
    program, star = scoring_world
    run, _ = services.scoring_run_create(program=program)
    services.scoring_run_inline(run_id=run.pk)
    analyst = user_create(username="ana", password=PASSWORD, role=ROLE_ANALYST,
                          first_name="Ana", last_name="Lyst")  # fmt: skip
    program.members.add(analyst)
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        viewport={"width": 1280, "height": 800},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, "ana", "Ana Lyst")
        page.goto("/programs/discover/")
        page.get_by_label("Specialty", exact=True).select_option("207RC0000X")
        page.get_by_label("Sort by").select_option("-trust_density")
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"specialty=207RC0000X"))
        expect(page).to_have_url(re.compile(r"sort=-trust_density"))
        rows = page.locator("table.table--discover tbody tr")
        expect(rows).to_have_count(8)
        expect(rows.first).to_contain_text(f"@{star.handle}")
        # five ticked boxes (nothing stops it without JavaScript): a clear message
        boxes = page.locator("table.table--discover tbody input[type=checkbox]")
        for i in range(5):
            boxes.nth(i).check()
        page.get_by_role("button", name="Compare selected").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "at most 4 candidates at a time; you selected 5"
        )
    finally:
        context.close()
