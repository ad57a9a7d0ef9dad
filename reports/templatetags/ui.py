"""Small template helpers shared by the project-level templates."""

from django import template

from vetting.constants import DEMO_USERS, ROLES, demo_password

register = template.Library()


@register.simple_tag
def demo_logins() -> list[dict[str, str]]:
    """The demo logins (username, password, role) for the login page.

    The template shows them only when ``DEMO_USERS_ALLOWED`` is on.
    """
    return [
        {"username": username, "password": demo_password(username), "role": role}
        for username, (role, _full_name) in DEMO_USERS.items()
    ]


@register.filter
def user_roles(user) -> str:
    """The user's roles (role groups), comma-separated; one query."""
    if not getattr(user, "is_authenticated", False):
        return ""
    names = user.groups.filter(name__in=ROLES).values_list("name", flat=True)
    return ", ".join(sorted(names, key=ROLES.index))
