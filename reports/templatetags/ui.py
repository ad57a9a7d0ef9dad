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


@register.filter
def run_duration(run) -> str:
    """How long a run with ``started_at`` and ``finished_at`` took, e.g. "3 s", "2 min 5 s"."""
    if not run.started_at or not run.finished_at:
        return ""
    seconds = max(0, round((run.finished_at - run.started_at).total_seconds()))
    if seconds < 1:
        return "under 1 s"
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"
