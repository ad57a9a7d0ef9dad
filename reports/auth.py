"""API token authentication (``Authorization: Token <key>``) over ``ApiToken``.

The key is looked up by its SHA-256 (one indexed query, with the user); a revoked
token, an inactive user or an unknown key is a 401. ``request.auth`` is the
``ApiToken``, so ``common.api.ReadOnlyTokenForbidsWrites`` can keep read-only
tokens to safe methods. ``last_used_at`` is stamped at most once a minute.

The lookup runs on every API request, so its SQL is written once per process and
database (``_lookup``) and the two rows are made into an ``ApiToken`` and its user
as the ORM makes them (``Model.from_db``, the user cached on the token), through
``common.api.prepared_cursor`` (prepared on the connection, timestamps read by
psycopg's C loader): the queryset took 0.9-1.4 ms of Python a request to build,
compile and read, the statement about 0.3 ms (bench/README.md, ``api.py``). It
still reads the database on every request: revoking a token or deactivating a
user takes effect at once, in every process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connections, router
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from common.api import prepared_cursor
from reports.models import ApiToken
from reports.services_tokens import api_token_key_hash, api_token_touch

KEYWORD = "Token"
KEY_MAX_LENGTH = 200


@dataclass(frozen=True)
class _Lookup:
    """The token-and-user lookup of one database: its SQL (one parameter, the
    key's hash), how many of a row's columns are the token's, and each column's
    converters (none for the fields these models have today)."""

    sql: str
    token_width: int
    converters: tuple[tuple[int, tuple, Any], ...]


@functools.cache
def _lookup(alias: str) -> _Lookup:
    """``ApiToken.objects.select_related("user").filter(key_sha256=...)`` as SQL:
    every concrete column of the token, then every one of its user, in the
    models' field order (what ``from_db`` takes); ``key_sha256`` is unique, so
    there is at most one row."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    user_field = ApiToken._meta.get_field("user")
    user_model = user_field.related_model
    token_table = ApiToken._meta.db_table
    user_table = user_model._meta.db_table
    columns, converters = [], []
    for table, model in ((token_table, ApiToken), (user_table, user_model)):
        for field in model._meta.concrete_fields:
            col = field.get_col(table)
            found = tuple(
                connection.ops.get_db_converters(col)
                + field.get_db_converters(connection)
            )
            if found:
                converters.append((len(columns), found, col))
            columns.append(f"{quote(table)}.{quote(field.column)}")
    target = user_field.target_field.column
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(token_table)} "
        f"INNER JOIN {quote(user_table)} ON "
        f"({quote(token_table)}.{quote(user_field.column)} = "
        f"{quote(user_table)}.{quote(target)}) "
        f"WHERE {quote(token_table)}."
        f"{quote(ApiToken._meta.get_field('key_sha256').column)} = %s"
    )
    return _Lookup(sql, len(ApiToken._meta.concrete_fields), tuple(converters))


def api_token_with_user(key_sha256: str) -> ApiToken | None:
    """The token whose key has this SHA-256, with its user (``token.user`` reads no
    more), or None: what ``ApiToken.objects.select_related("user")`` gives, from a
    statement kept per process."""
    alias = router.db_for_read(ApiToken)
    lookup = _lookup(alias)
    connection = connections[alias]
    with prepared_cursor(connection) as cursor:
        cursor.execute(lookup.sql, [key_sha256])
        row = cursor.fetchone()
    if row is None:
        return None
    if lookup.converters:
        row = list(row)
        for position, converters, expression in lookup.converters:
            for converter in converters:
                row[position] = converter(row[position], expression, connection)
    width = lookup.token_width
    token = ApiToken.from_db(alias, None, row[:width])
    user_field = ApiToken._meta.get_field("user")
    user = user_field.related_model.from_db(alias, None, row[width:])
    user_field.set_cached_value(token, user)
    return token


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
        token = api_token_with_user(api_token_key_hash(key))
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
