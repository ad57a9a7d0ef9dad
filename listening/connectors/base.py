"""The contract between connectors and the ingest pipeline.

A *recording* is a JSONL file; each line is one recorded API call in an envelope::

    {"platform": "bluesky", "endpoint": "app.bsky.feed.getAuthorFeed",
     "params": {"actor": "alice.bsky.social", "limit": 50},
     "recorded_at": "2025-05-19T12:00:00Z",
     "body": { ...the platform's native JSON response, unchanged... }}

Live fetchers produce the same envelopes from the platform SDKs, and the demo world
writes them, so one parse path serves live data, replays and the demo.

A connector is pure where it matters: ``parse`` turns one envelope into a
``ParsedPage`` with no I/O. ``fetch`` is the only part that talks to the network, and
only when the source is live and its credentials (named by env var) are present.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from listening.records import ParsedPage


class ConnectorError(Exception):
    """Base class of connector errors."""


class CredentialsError(ConnectorError):
    """The credentials are missing or were refused: fail the run, never retry."""


class RateLimited(ConnectorError):
    """The platform asked us to slow down: retry with backoff."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamUnavailable(ConnectorError):
    """A transient upstream failure (5xx, timeout, connection reset): retry."""


class LiveCallsDisabled(ConnectorError):
    """Live API calls are switched off for this source or this installation."""


@dataclass(slots=True)
class Envelope:
    """One recorded or live API call: which endpoint, with what, and the native body."""

    platform: str
    endpoint: str
    body: Any
    params: dict[str, Any] = field(default_factory=dict)
    recorded_at: str = ""


@dataclass(slots=True)
class FetchedPage:
    """One envelope from ``fetch``, with the cursor to resume *after* it."""

    envelope: Envelope
    cursor: dict[str, Any]


class Connector(Protocol):
    platform: str

    def parse(self, envelope: Envelope) -> ParsedPage:
        """Turn one envelope into records (pure; quarantines what it cannot read)."""
        ...

    def fetch(
        self,
        *,
        targets: list[str],
        kind: str,
        cursor: dict[str, Any],
        credentials: dict,
    ) -> Iterator[FetchedPage]:
        """Yield pages from the live API starting after ``cursor`` (network)."""
        ...
