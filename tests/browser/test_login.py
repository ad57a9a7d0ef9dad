"""Log in, see what is loaded, log out: through a real browser against live_server."""

import re

import pytest
from playwright.sync_api import expect

from influencers.models import Clinician
from tests.reports.factories import (
    ClinicianFactory,
    ReferenceLoadFactory,
    SpecialtyFactory,
)
from vetting.constants import ROLE_MEDICAL, demo_password
from vetting.services import demo_users_ensure, user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple 91"


@pytest.fixture
def reviewer():
    return user_create(
        username="mreed",
        password=PASSWORD,
        role=ROLE_MEDICAL,
        first_name="Morgan",
        last_name="Reed",
    )


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_user_logs_in_sees_the_counts_and_logs_out(page, reviewer, screenshot):
    SpecialtyFactory.create_batch(3)
    ClinicianFactory.create_batch(4)
    ClinicianFactory(
        entity_type=Clinician.EntityType.ORGANIZATION, organization_name="Clinic"
    )
    ReferenceLoadFactory(loader="nucc", created=3)
    ReferenceLoadFactory(loader="nppes_api", created=5, rejected=1, status="partial")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_label("Username")).to_be_focused()
    screenshot(page, "login")

    log_in(page, "mreed", PASSWORD)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.get_by_role("link", name="what is loaded").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reference data")
    expect(page.locator("[data-count=specialties]")).to_have_text("3")
    expect(page.locator("[data-count=npi-records]")).to_have_text("5")
    expect(page.locator("[data-card=npi-records]")).to_contain_text("4 individuals")
    expect(page.locator("[data-card=npi-records]")).to_contain_text("1 organization")
    expect(page.locator("[data-card=products]")).to_contain_text("Not loaded yet.")
    expect(page.locator("tr[data-loader=nppes_api]")).to_contain_text("Partial")
    banner = page.get_by_role("banner")
    expect(banner).to_contain_text("Morgan Reed")
    expect(banner).to_contain_text("medical reviewer")
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    screenshot(page, "home")

    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


def test_a_wrong_password_shows_the_error(page, reviewer, screenshot):
    log_in(page, "mreed", "not the password")

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("didn't match")
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    screenshot(page, "login-error")


def test_a_demo_password_is_refused_with_debug_off(page):
    demo_users_ensure()

    page.goto("/accounts/login/")
    expect(page.get_by_text("Demo logins")).to_have_count(0)
    log_in(page, "analyst", demo_password("analyst"))

    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_demo_logins_are_listed_and_work_in_demo_mode(page, settings, screenshot):
    settings.DEMO_USERS_ALLOWED = True
    demo_users_ensure()

    page.goto("/accounts/login/")
    table = page.get_by_role("table")
    expect(table).to_contain_text(demo_password("pv"))
    screenshot(page, "login-demo")
    log_in(page, "admin", demo_password("admin"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.goto("/reference/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reference data")
    expect(page.locator("[data-count=specialties]")).to_have_text("0")
    expect(page.get_by_role("link", name="Admin")).to_be_visible()
    screenshot(page, "home-empty")
