"""Writes of API tokens: create (the plaintext key is returned once), revoke, and
the throttled "last used" stamp the authentication calls.

A key is ``pp_`` + 40 URL-safe random characters (240 bits). Only its SHA-256 is
stored (``ApiToken.key_sha256``); ``prefix`` (the first characters of the key) lets
a user tell their tokens apart without the key ever being shown again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from reports.models import ApiToken

KEY_PREFIX = "pp_"
KEY_RANDOM_BYTES = 30  # 40 characters of base64url
PREFIX_LENGTH = 11  # "pp_" + 8 characters
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_key_hash(key: str) -> str:
    """The SHA-256 (hex) a key is stored and looked up by."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CreatedToken:
    """A new token and its plaintext key (shown once, never stored)."""

    token: ApiToken
    key: str


def _state(token: ApiToken) -> dict[str, Any]:
    return {
        "name": token.name,
        "prefix": token.prefix,
        "read_only": token.read_only,
        "revoked_at": token.revoked_at,
    }


@transaction.atomic
def api_token_create(*, user: Any, name: str, read_only: bool = True) -> CreatedToken:
    """Create a token for ``user`` and return it with its plaintext key (the only
    time the key exists outside the client). Raises ``ValidationError`` on an empty
    name or a name the user already gives an active token. Writes an
    ``api_token.created`` audit event in the same transaction."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name."})
    if ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise ValidationError({"name": "You already have an active token so named."})
    key = KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_BYTES)
    token = ApiToken(
        user=user,
        name=name,
        prefix=key[:PREFIX_LENGTH],
        key_sha256=api_token_key_hash(key),
        read_only=read_only,
    )
    token.full_clean()
    token.save()
    audit_record(
        actor=user,
        action="api_token.created",
        obj=token,
        object_repr=str(token),
        after=_state(token),
    )
    return CreatedToken(token=token, key=key)


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user: Any) -> ApiToken:
    """Revoke ``token`` (idempotent: an already revoked token is returned as is,
    with no new event). Writes an ``api_token.revoked`` audit event."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    before = _state(token)
    token.revoked_at = timezone.now()
    token.full_clean()
    token.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        actor=user,
        action="api_token.revoked",
        obj=token,
        before=before,
        after=_state(token),
    )
    return token


def api_token_touch(*, token: ApiToken, now: datetime | None = None) -> bool:
    """Stamp ``last_used_at``, at most once per ``LAST_USED_RESOLUTION`` (so a
    client's burst of requests costs one UPDATE a minute, not one per request).
    A conditional UPDATE: of two requests racing, one writes. Returns whether it
    wrote."""
    now = now or timezone.now()
    last = token.last_used_at
    if last is not None and now - last < LAST_USED_RESOLUTION:
        return False
    written = (
        ApiToken.objects.filter(pk=token.pk)
        .exclude(last_used_at__gt=now - LAST_USED_RESOLUTION)
        .update(last_used_at=now)
    )
    if written:
        token.last_used_at = now
    return bool(written)
