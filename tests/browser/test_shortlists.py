"""An analyst builds a shortlist in a real browser: ticks two candidates on the
discovery page and adds them to a new shortlist (htmx, the page stays), opens it,
moves the second up and annotates it (htmx, the page is not reloaded), then exports
it as XLSX and downloads the file, which opens in openpyxl with the ranks and the
note."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from reports.models import Export, Shortlist
from tests.browser.test_accessibility import UNLABELLED
from tests.browser.test_compliance import PASSWORD, log_in
from tests.vetting import conftest as vetting_fixtures
from vetting import services
from vetting.constants import ROLE_ANALYST
from vetting.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

scoring_world = vetting_fixtures.program  # two specialties, a "star" in cardiology


def test_an_analyst_shortlists_ranks_annotates_and_exports(
    page, screenshot, scoring_world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    program, _star = scoring_world
    run, _ = services.scoring_run_create(program=program)
    services.scoring_run_inline(run_id=run.pk)
    analyst = user_create(username="ana", password=PASSWORD, role=ROLE_ANALYST,
                          first_name="Ana", last_name="Lyst")  # fmt: skip
    program.members.add(analyst)

    log_in(page, "ana", "Ana Lyst")
    page.goto("/programs/discover/")
    page.wait_for_load_state("load")
    rows = page.locator("table.table--discover tbody tr")
    expect(rows).to_have_count(16)
    # the shortlist controls are loaded by htmx into the compare bar
    expect(page.get_by_label("Add to")).to_be_visible()
    first = rows.nth(0).locator("th a").first.inner_text()
    second = rows.nth(1).locator("th a").first.inner_text()
    page.evaluate("window.__not_reloaded = true")
    rows.nth(0).get_by_role("checkbox").check()
    rows.nth(1).get_by_role("checkbox").check()
    expect(page.get_by_label("Add to")).to_have_value("new")
    page.get_by_label("Name of a new shortlist").fill("AFib educators")
    page.get_by_role("button", name="Add to shortlist").click()
    status = page.locator("#shortlist-add-status")
    expect(status).to_contain_text("2 candidates added to “AFib educators”")
    assert page.evaluate("window.__not_reloaded") is True
    shortlist = Shortlist.objects.get(name="AFib educators")
    expect(page.get_by_label("Add to")).to_have_value(str(shortlist.pk))

    status.get_by_role("link", name="Open “AFib educators”").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("AFib educators")
    members = page.locator("table.table--shortlist > tbody > tr")
    expect(members).to_have_count(2)
    expect(members.nth(0).locator("th.shortlist-name")).to_contain_text(first)
    expect(members.nth(1).locator("th.shortlist-name")).to_contain_text(second)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Shortlists")).to_have_attribute(
        "aria-current", "page"
    )

    # move the second up and annotate it: the table is swapped, the page stays
    page.evaluate("window.__not_reloaded = true")
    page.get_by_role("button", name=f"Move {second} up").click()
    expect(members.nth(0).locator("th.shortlist-name")).to_contain_text(second)
    expect(members.nth(0).locator(".shortlist-rank__number")).to_have_text("1")
    # focus stays on the button that was pressed (same id after the swap)
    focused = page.evaluate("document.activeElement && document.activeElement.id")
    assert re.fullmatch(r"up-\d+", focused or ""), focused
    page.get_by_label(f"Note on {second}").fill(
        "Strong AFib threads; check disclosures"
    )
    with page.expect_response(lambda r: "/note/" in r.url and r.status == 200):
        page.get_by_role("button", name=f"Save note on {second}").click()
    page.wait_for_function("!document.querySelector('.htmx-settling, .htmx-swapping')")
    member = shortlist.members.get(rank=1)
    assert member.note == "Strong AFib threads; check disclosures"
    expect(page.get_by_label(f"Note on {second}")).to_have_value(
        "Strong AFib threads; check disclosures"
    )
    assert page.evaluate("window.__not_reloaded") is True
    expect(members.nth(0)).to_contain_text("0.")  # frozen and today's composites
    members.nth(0).locator("summary").click()
    expect(members.nth(0).locator("tr[data-component=trust_density]")).to_be_visible()
    assert page.evaluate(UNLABELLED) == []
    screenshot(page, "shortlist")

    # export as XLSX: downloaded at once (a small export)
    with page.expect_download() as info:
        page.get_by_role("button", name="XLSX of this shortlist").click()
    download = info.value
    assert re.fullmatch(
        r"peerproof-shortlist-\d+-\d+-\d{8}\.xlsx", download.suggested_filename
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = load_workbook(saved, read_only=True)
    sheet = list(book["Shortlist"].iter_rows(values_only=True))
    header, data = sheet[0], sheet[1:]
    assert len(data) == 2
    row = dict(zip(header, data[0], strict=True))
    assert row["Shortlist rank"] == 1
    assert row["Note"] == "Strong AFib threads; check disclosures"
    assert row["Frozen composite"] == pytest.approx(row["Composite"])
    assert row["Scoring version"] and row["As of"] and row["Trust density"] is not None
    export = Export.objects.get()
    assert export.status == Export.Status.SUCCEEDED and export.shortlist == shortlist

    # the exports page lists it with its download link
    page.goto("/exports/")
    expect(page.locator("tbody#export-rows tr")).to_have_count(1)
    expect(
        page.get_by_role("link", name=f"Download export {export.pk}")
    ).to_be_visible()
    screenshot(page, "exports")
    for url in ("/shortlists/", "/exports/", f"/exports/{export.pk}/"):
        page.goto(url)
        assert page.evaluate(UNLABELLED) == [], url
    page.goto("/programs/discover/")
    expect(page.get_by_label("Add to")).to_be_visible()
    assert page.evaluate(UNLABELLED) == []
