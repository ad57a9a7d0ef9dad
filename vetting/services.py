"""Writes for the vetting app. For now: users and their roles (DESIGN 7)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction

from vetting.constants import DEMO_USERS, ROLE_ADMIN, ROLES, demo_password

# Demo users carry an address in this reserved (RFC 2606) domain, so they can be told
# apart from a real account that happens to be called "admin" (see vetting.checks).
DEMO_EMAIL_DOMAIN = "demo.peerproof.invalid"


def roles_ensure() -> None:
    """Make sure the six role groups exist (one query). Idempotent.

    The data migration creates them; this puts them back where a database was emptied
    after migrating (a transactional test's flush, a restored dump without auth rows).
    """
    Group.objects.bulk_create(
        [Group(name=name) for name in ROLES], ignore_conflicts=True
    )


def _role_group(role: str) -> Group:
    if role not in ROLES:
        raise ValidationError(
            {"role": f"Unknown role {role!r}; use one of: {', '.join(ROLES)}."}
        )
    try:
        return Group.objects.get(name=role)
    except Group.DoesNotExist:
        # The groups come from vetting/migrations/0001_roles.py.
        raise ValidationError(
            {"role": f"The group {role!r} is missing: run `manage.py migrate`."}
        ) from None


def _role_set(*, user: AbstractUser, group: Group) -> bool:
    """Make ``group`` the user's only role group (other groups are left alone).

    Returns whether membership changed.
    """
    current = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    if current == {group.name}:
        return False
    user.groups.remove(*Group.objects.filter(name__in=current - {group.name}))
    user.groups.add(group)
    return True


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_staff: bool | None = None,
    is_superuser: bool = False,
) -> AbstractUser:
    """Create a real (non-demo) user with one role and a validated password.

    The role must be one of ``vetting.constants.ROLES``; the password goes through
    ``AUTH_PASSWORD_VALIDATORS``. ``is_staff`` defaults to true only for the admin role.
    Raises ``ValidationError`` (nothing is written) on a bad role, a taken username or
    a weak password. Not idempotent: a second call with the same username fails.
    """
    group = _role_group(role)
    if username in DEMO_USERS and password == demo_password(username):
        raise ValidationError(
            {"password": "The published demo password is not allowed."}
        )
    user_model = get_user_model()
    user = user_model(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=(role == ROLE_ADMIN) if is_staff is None else is_staff,
        is_superuser=is_superuser,
    )
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(group)
    password_validation.password_changed(password, user)
    return user


@dataclass(frozen=True)
class DemoUserResult:
    username: str
    role: str
    password: str
    status: str  # "created", "updated" or "unchanged"


@transaction.atomic
def demo_users_ensure() -> list[DemoUserResult]:
    """Create or update one demo user per role from ``DEMO_USERS``. Idempotent.

    Each user gets the demo password, its role group (and no other role group), its
    name and a ``@demo.peerproof.invalid`` address; ``admin`` is also staff and
    superuser. Rows already in that state are left untouched (``unchanged``). The demo
    passwords skip the password validators on purpose, and ``vetting.auth`` refuses
    them whenever ``DEMO_USERS_ALLOWED`` is off.
    """
    user_model = get_user_model()
    existing = {
        user.username: user
        for user in user_model.objects.filter(username__in=DEMO_USERS)
    }
    results = []
    for username, (role, full_name) in DEMO_USERS.items():
        group = _role_group(role)
        first_name, _, last_name = full_name.rpartition(" ")
        wanted = {
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
            "is_active": True,
            "is_staff": role == ROLE_ADMIN,
            "is_superuser": role == ROLE_ADMIN,
        }
        password = demo_password(username)
        user = existing.get(username)
        if user is None:
            user = user_model(username=username, **wanted)
            user.set_password(password)
            user.full_clean()
            user.save()
            user.groups.add(group)
            status = "created"
        else:
            changed = [
                name for name, value in wanted.items() if getattr(user, name) != value
            ]
            for name in changed:
                setattr(user, name, wanted[name])
            # check_password() costs one hash; set_password() would re-salt the hash
            # and rewrite the row on every run.
            if not user.check_password(password):
                user.set_password(password)
                changed.append("password")
            if changed:
                user.full_clean()
                user.save(update_fields=changed)
            role_changed = _role_set(user=user, group=group)
            status = "updated" if changed or role_changed else "unchanged"
        results.append(
            DemoUserResult(
                username=username, role=role, password=password, status=status
            )
        )
    return results
