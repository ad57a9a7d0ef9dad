"""What every connector's ``fetch`` shares: the live-call gate, HTTP status mapping,
retry-after parsing and the resumable cursor over a list of targets.

Live calls happen only when ``settings.LISTENING_LIVE_CALLS`` is true and the
credentials a source kind needs were given (the pipeline resolves
``Source.credentials_env`` to values before calling ``fetch``). Otherwise
``LiveCallsDisabled`` is raised before any socket is opened.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from django.conf import settings

from listening.connectors.base import (
    ConnectorError,
    CredentialsError,
    LiveCallsDisabled,
    RateLimited,
    UpstreamUnavailable,
)

DEFAULT_TIMEOUT = 30.0  # seconds per HTTP request


def live_credentials(
    platform: str, credentials: Mapping[str, Any] | None, required: Iterable[str] = ()
) -> dict[str, str]:
    """Check that live calls are allowed and ``required`` credentials are present.

    Returns the credentials as a plain dict of non-empty strings; raises
    ``LiveCallsDisabled`` when the setting is off or a required value is missing.
    """
    if not getattr(settings, "LISTENING_LIVE_CALLS", False):
        raise LiveCallsDisabled(
            f"{platform}: live API calls are off (set LISTENING_LIVE_CALLS=true)"
        )
    values = {
        str(key): str(value)
        for key, value in (credentials or {}).items()
        if isinstance(value, str) and value
    }
    missing = [name for name in required if name not in values]
    if missing:
        raise LiveCallsDisabled(
            f"{platform}: live calls need the credentials {', '.join(missing)} "
            "(name their environment variables in Source.credentials_env)"
        )
    return values


def now_iso() -> str:
    """The current UTC time in the envelopes' ``recorded_at`` form."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def retry_after_seconds(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds to wait from ``Retry-After`` or a rate-limit reset header, if any."""
    if not headers:
        return None
    lowered = {str(k).lower(): v for k, v in headers.items()}
    value = lowered.get("retry-after")
    if value is not None:
        try:
            return max(0.0, float(value))
        except (TypeError, ValueError):
            try:
                when = parsedate_to_datetime(str(value))
                return max(0.0, when.timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    for name in ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"):
        reset = lowered.get(name)
        if reset is None:
            continue
        try:
            return max(0.0, float(reset) - time.time())
        except (TypeError, ValueError):
            try:
                when = datetime.fromisoformat(str(reset).replace("Z", "+00:00"))
                return max(0.0, when.timestamp() - time.time())
            except ValueError:
                continue
    return None


def raise_for_status(
    platform: str,
    status: int | None,
    detail: str = "",
    *,
    retry_after: float | None = None,
    credential_hint: str = "",
) -> None:
    """Raise the connector error that matches an HTTP error ``status``.

    401/403 -> ``CredentialsError`` (fail the run), 429 -> ``RateLimited``,
    5xx or no status at all (timeout, reset) -> ``UpstreamUnavailable`` (retry),
    any other status -> ``ConnectorError`` (fail the run with the message).
    """
    suffix = f": {detail}" if detail else ""
    if status in (401, 403):
        hint = f" Check {credential_hint}." if credential_hint else ""
        raise CredentialsError(
            f"{platform} refused the credentials (HTTP {status}){suffix}.{hint}"
        )
    if status == 429:
        raise RateLimited(
            f"{platform} rate limit hit (HTTP 429){suffix}", retry_after=retry_after
        )
    if status is None or status >= 500:
        label = f"HTTP {status}" if status else "no response"
        raise UpstreamUnavailable(f"{platform} is unavailable ({label}){suffix}")
    raise ConnectorError(f"{platform} request failed (HTTP {status}){suffix}")


def target_cursor(cursor: Mapping[str, Any] | None) -> tuple[int, str | None, bool]:
    """Read a fetch cursor: (target index, page cursor, profile already fetched).

    The cursor of a ``FetchedPage`` points *after* that page::

        {"target_index": 2, "page_cursor": "abc", "profile_done": true}
    """
    cursor = cursor or {}
    index = cursor.get("target_index", 0)
    page = cursor.get("page_cursor")
    return (
        index if isinstance(index, int) and index >= 0 else 0,
        page if isinstance(page, str) and page else None,
        bool(cursor.get("profile_done")),
    )


def next_cursor(
    index: int, page_cursor: str | None, *, profile_done: bool = True
) -> dict[str, Any]:
    """The cursor after a page: same target with ``page_cursor``, or the next target."""
    if page_cursor:
        return {
            "target_index": index,
            "page_cursor": page_cursor,
            "profile_done": profile_done,
        }
    return {"target_index": index + 1, "page_cursor": None, "profile_done": False}
