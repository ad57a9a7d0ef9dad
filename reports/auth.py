"""API token authentication (``Authorization: Token <key>``) over ``ApiToken``.

The key is looked up by its SHA-256 (one indexed query, with the user); a revoked
token, an inactive user or an unknown key is a 401. ``request.auth`` is the
``ApiToken``, so ``common.api.ReadOnlyTokenForbidsWrites`` can keep read-only
tokens to safe methods. ``last_used_at`` is stamped at most once a minute.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from reports.models import ApiToken
from reports.services_tokens import api_token_key_hash, api_token_touch

KEYWORD = "Token"
KEY_MAX_LENGTH = 200


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>`` with a key from the API tokens page."""

    keyword = KEYWORD

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: let the next authentication try
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header: use 'Authorization: Token <key>'."
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        if not key or len(key) > KEY_MAX_LENGTH:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_sha256=api_token_key_hash(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes ``ApiTokenAuthentication``."""

    target_class = "reports.auth.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "An API token from /account/tokens/, sent as "
                "`Authorization: Token <key>`. A read-only token may only use "
                "GET, HEAD and OPTIONS."
            ),
        }
