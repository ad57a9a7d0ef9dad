"""Reads of API tokens (the tokens page)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from reports.models import ApiToken


def api_token_list_for_user(user: Any) -> QuerySet[ApiToken]:
    """The user's tokens, active first, newest first (never another user's)."""
    return ApiToken.objects.filter(user=user).order_by(
        "revoked_at", "-created_at", "-pk"
    )


def api_token_get_for_user(user: Any, pk: int) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, pk=pk).first()
