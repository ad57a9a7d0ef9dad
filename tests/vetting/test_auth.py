import pytest
from django.contrib.auth import authenticate
from django.urls import reverse

from vetting.constants import DEMO_USERS, ROLE_MEDICAL, demo_password
from vetting.services import demo_users_ensure, user_create

pytestmark = pytest.mark.django_db

REAL_PASSWORD = "correct horse battery staple 91"


@pytest.fixture
def demo_users():
    demo_users_ensure()


@pytest.mark.parametrize("username", list(DEMO_USERS))
def test_demo_passwords_are_refused_when_demo_users_are_not_allowed(
    demo_users, client, username
):
    # The test settings keep DEMO_USERS_ALLOWED off, as production does.
    assert authenticate(username=username, password=demo_password(username)) is None
    assert not client.login(username=username, password=demo_password(username))


def test_demo_passwords_work_when_demo_users_are_allowed(demo_users, client, settings):
    settings.DEMO_USERS_ALLOWED = True

    user = authenticate(username="medical", password=demo_password("medical"))

    assert user is not None and user.username == "medical"
    assert client.login(username="analyst", password=demo_password("analyst"))


def test_the_login_form_refuses_a_demo_password(demo_users, client):
    response = client.post(
        reverse("login"), {"username": "pv", "password": demo_password("pv")}
    )

    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert "_auth_user_id" not in client.session


def test_a_real_user_logs_in_through_the_form(client):
    user_create(username="drreed", password=REAL_PASSWORD, role=ROLE_MEDICAL)

    response = client.post(
        reverse("login"), {"username": "drreed", "password": REAL_PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == reverse("reports:home")
    assert client.session["_auth_user_id"]


def test_a_demo_username_with_a_real_password_still_logs_in(demo_users, client):
    # Only the published password is refused; an operator who gave the account a
    # private password has made it a real account.
    from django.contrib.auth import get_user_model

    analyst = get_user_model().objects.get(username="analyst")
    analyst.set_password(REAL_PASSWORD)
    analyst.save()

    assert client.login(username="analyst", password=REAL_PASSWORD)


def test_a_wrong_password_is_refused(client):
    user_create(username="drreed", password=REAL_PASSWORD, role=ROLE_MEDICAL)
    assert not client.login(username="drreed", password=REAL_PASSWORD + "x")


def test_the_login_page_lists_demo_logins_only_when_allowed(client, settings):
    settings.DEMO_USERS_ALLOWED = False
    hidden = client.get(reverse("login")).content.decode()
    settings.DEMO_USERS_ALLOWED = True
    shown = client.get(reverse("login")).content.decode()

    assert demo_password("analyst") not in hidden
    assert "Demo logins" not in hidden
    for username in DEMO_USERS:
        assert demo_password(username) in shown


def test_logout_is_a_post(client):
    user_create(username="drreed", password=REAL_PASSWORD, role=ROLE_MEDICAL)
    client.login(username="drreed", password=REAL_PASSWORD)

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
