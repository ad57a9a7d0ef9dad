from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command

from vetting.checks import demo_users_check
from vetting.constants import DEMO_USERS, ROLE_ADMIN, ROLE_ANALYST, ROLES, demo_password
from vetting.services import demo_users_ensure, user_create

pytestmark = pytest.mark.django_db

User = get_user_model()


def test_the_six_role_groups_exist_after_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    assert len(ROLES) == 6


def test_it_creates_one_user_per_role_in_its_group():
    results = demo_users_ensure()

    assert [r.status for r in results] == ["created"] * len(DEMO_USERS)
    for username, (role, full_name) in DEMO_USERS.items():
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.get_full_name() == full_name
        assert user.check_password(demo_password(username))
        assert user.is_staff == user.is_superuser == (role == ROLE_ADMIN)


def test_it_is_idempotent():
    demo_users_ensure()
    hashes = dict(User.objects.values_list("username", "password"))

    results = demo_users_ensure()

    assert [r.status for r in results] == ["unchanged"] * len(DEMO_USERS)
    assert User.objects.count() == len(DEMO_USERS)
    assert dict(User.objects.values_list("username", "password")) == hashes
    for username in DEMO_USERS:
        assert User.objects.get(username=username).groups.count() == 1


def test_it_repairs_a_demo_user_that_drifted():
    demo_users_ensure()
    analyst = User.objects.get(username="analyst")
    analyst.set_password("something-else-entirely-42")
    analyst.is_active = False
    analyst.save()
    analyst.groups.set([Group.objects.get(name=ROLE_ADMIN)])

    statuses = {r.username: r.status for r in demo_users_ensure()}

    assert statuses["analyst"] == "updated"
    assert {s for name, s in statuses.items() if name != "analyst"} == {"unchanged"}
    analyst.refresh_from_db()
    assert analyst.is_active
    assert analyst.check_password(demo_password("analyst"))
    assert list(analyst.groups.values_list("name", flat=True)) == [ROLE_ANALYST]


def test_the_command_prints_the_logins_table():
    out = StringIO()
    call_command("demo_users", stdout=out)
    call_command("demo_users", stdout=out)

    text = out.getvalue()
    for username, (role, _name) in DEMO_USERS.items():
        assert demo_password(username) in text
        assert f"{role} (created)" in text
        assert f"{role} (unchanged)" in text
    assert "will be refused" in text  # DEMO_USERS_ALLOWED is off in the test settings
    assert User.objects.count() == len(DEMO_USERS)


def test_user_create_makes_a_user_with_one_role():
    user = user_create(
        username="mreed",
        password="a long and unusual passphrase 7",
        role=ROLE_ANALYST,
        first_name="Morgan",
        last_name="Reed",
    )

    assert user.check_password("a long and unusual passphrase 7")
    assert list(user.groups.values_list("name", flat=True)) == [ROLE_ANALYST]
    assert not user.is_staff


def test_user_create_makes_admins_staff():
    user = user_create(
        username="boss", password="a long and unusual passphrase 7", role=ROLE_ADMIN
    )
    assert user.is_staff and not user.is_superuser


def test_user_create_rejects_an_unknown_role():
    with pytest.raises(ValidationError, match="Unknown role"):
        user_create(username="x", password="a long passphrase here 9", role="boss")
    assert not User.objects.exists()


def test_user_create_rejects_a_weak_password():
    with pytest.raises(ValidationError):
        user_create(username="weak", password="password", role=ROLE_ANALYST)
    assert not User.objects.exists()


def test_user_create_refuses_the_published_demo_password():
    with pytest.raises(ValidationError, match="demo password"):
        user_create(
            username="legal", password=demo_password("legal"), role=ROLE_ANALYST
        )


def test_user_create_rejects_a_taken_username():
    user_create(
        username="taken", password="a long and unusual passphrase 7", role="admin"
    )
    with pytest.raises(ValidationError):
        user_create(
            username="taken", password="a long and unusual passphrase 8", role="admin"
        )


def test_the_check_warns_about_demo_users_when_they_are_refused(settings):
    demo_users_ensure()
    settings.DEMO_USERS_ALLOWED = False

    warnings = demo_users_check(databases=["default"])

    assert [w.id for w in warnings] == ["vetting.W001"]
    assert "analyst" in warnings[0].msg


def test_the_check_stays_quiet_without_a_database_or_in_demo_mode(settings):
    demo_users_ensure()
    settings.DEMO_USERS_ALLOWED = False
    assert demo_users_check(databases=None) == []
    settings.DEMO_USERS_ALLOWED = True
    assert demo_users_check(databases=["default"]) == []


def test_the_check_ignores_a_real_user_called_admin(settings):
    user_create(
        username="admin", password="a long and unusual passphrase 7", role="admin"
    )
    settings.DEMO_USERS_ALLOWED = False
    assert demo_users_check(databases=["default"]) == []
