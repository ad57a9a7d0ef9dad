"""A medical reviewer opens a clinician profile in a real browser: the ego-network
map draws on a canvas, the growth and longevity charts draw, a hostile post stays
inert (no dialog, no javascript: link), and "Show more posts" loads the next page."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from listening.models import MetricSnapshot
from tests.browser.test_compliance import PASSWORD, log_in
from tests.vetting import conftest as vetting_fixtures
from tests.vetting.test_profile import XSS_TEXT, make_finding, make_post
from vetting import services
from vetting.constants import ROLE_MEDICAL
from vetting.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

scoring_world = vetting_fixtures.program  # two specialties, a "star" in cardiology


def test_a_reviewer_reads_a_profile_and_hostile_text_stays_inert(
    page, screenshot, scoring_world
):
    program, star = scoring_world
    for i in range(55):
        make_post(star, text=f"Anticoagulation note {i} #afib", days_ago=3 + i)
    for days, followers in [(150, 1500), (90, 1700), (30, 2300), (5, 2400)]:
        MetricSnapshot.objects.create(account=star, followers=followers,
            captured_at=vetting_fixtures.END - timedelta(days=days))  # fmt: skip
    hostile = make_post(
        star,
        text=XSS_TEXT,
        days_ago=1,
        links=["javascript:alert(5)", "https://example.org/study"],
    )
    make_finding(hostile, word="<script>", severity="critical")
    run, _ = services.scoring_run_create(program=program)
    services.scoring_run_inline(run_id=run.pk)
    reviewer = user_create(username="mei", password=PASSWORD, role=ROLE_MEDICAL,
                           first_name="Mei", last_name="Dical")  # fmt: skip
    program.members.add(reviewer)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    log_in(page, "mei", "Mei Dical")
    page.goto(f"/programs/{program.slug}/accounts/{star.pk}/profile/")

    expect(page.get_by_role("heading", level=2, name="Identity")).to_be_visible()
    expect(page.get_by_role("link", name="NPPES registry record")).to_have_attribute(
        "href",
        f"https://npiregistry.cms.hhs.gov/provider-view/{star.clinician.npi}",
    )
    expect(page.locator("#profile-network canvas").first).to_be_visible()
    expect(page.locator("#profile-network[data-chart-ready]")).to_have_count(1)
    expect(page.locator("#profile-growth-chart canvas").first).to_be_visible()
    expect(page.locator("#profile-longevity-chart canvas").first).to_be_visible()

    # the hostile post: its text is shown as text, its evidence highlighted
    post = page.locator(f"#post-{hostile.pk}")
    expect(post.locator("[data-post-text]")).to_contain_text(
        "<script>alert(1)</script>"
    )
    expect(post.locator("mark")).to_have_text("<script>")
    expect(post.locator("code.inert-link")).to_have_text("javascript:alert(5)")
    assert page.locator('a[href^="javascript:" i]').count() == 0
    assert page.locator("img[src=x]").count() == 0
    assert dialogs == []

    # the map's edges can be filtered with the keyboard-usable checkboxes
    page.get_by_label("Likes").uncheck()
    expect(page.get_by_label("Likes")).not_to_be_checked()

    # the accessible alternative: the engagers table, collapsed
    page.get_by_text("Table of the top").click()
    expect(page.locator("[data-engagers-table] tbody tr").first).to_be_visible()

    page.wait_for_timeout(1500)  # let the force layout settle for the screenshot
    screenshot(page, "profile")

    posts = page.locator("[data-timeline] [data-post]")
    expect(posts).to_have_count(50)
    page.get_by_role("button", name="Show more posts").click()
    expect(posts).to_have_count(56 + 3)  # 55 + the hostile one + the world's 3
    expect(posts.nth(50)).to_be_focused()  # focus moves to the first new post
    expect(page.get_by_role("button", name="Show more posts")).to_have_count(0)
    assert dialogs == []
