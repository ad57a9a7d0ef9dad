"""Role checks shared by every app's views (roles are Django groups, DESIGN 7)."""

from __future__ import annotations

from typing import Any


def user_has_role(user: Any, roles: tuple[str, ...]) -> bool:
    """Whether ``user`` is logged in and a superuser or in one of ``roles`` (one
    query). Apps name their roles by string: ``vetting.constants`` is later in the
    dependency chain than most callers."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=roles).exists()
