"""Connectors: one module per platform, each turning native payloads into records.

``get_connector(platform)`` returns the connector that parses (and, where the
platform has an open API, fetches) that platform's payloads. ``read_recording``
streams a JSONL recording of envelopes; ``read_import_file`` reads CSV/JSONL file
imports (docs/file-import.md) as envelopes too.

Interaction semantics shared by all connectors: ``actor`` did ``kind`` to
``target``; ``post`` is the post engaged with (liked, reposted, replied to, quoted)
or, for a mention, the post that mentions. Reposts are edges, not posts.
Self-interactions are dropped.
"""

from __future__ import annotations

from listening.connectors.base import (
    Connector,
    ConnectorError,
    CredentialsError,
    Envelope,
    FetchedPage,
    LiveCallsDisabled,
    RateLimited,
    UpstreamUnavailable,
)
from listening.connectors.file_import import read_import_file
from listening.connectors.recording import RecordingLine, read_recording

__all__ = [
    "Connector",
    "ConnectorError",
    "CredentialsError",
    "Envelope",
    "FetchedPage",
    "LiveCallsDisabled",
    "RateLimited",
    "RecordingLine",
    "UnknownPlatform",
    "UpstreamUnavailable",
    "get_connector",
    "read_import_file",
    "read_recording",
]

# Platforms without an open API arrive as file imports.
FILE_PLATFORMS = ("linkedin", "youtube", "podcast", "other", "file", "file_import")
_INSTANCES: dict[str, Connector] = {}


class UnknownPlatform(ConnectorError, KeyError):
    """No connector is registered for this platform."""


def get_connector(platform: str) -> Connector:
    """The (shared, stateless) connector of ``platform``; raises ``UnknownPlatform``."""
    connector = _INSTANCES.get(platform)
    if connector is not None:
        return connector
    if platform == "bluesky":
        from listening.connectors.bluesky import BlueskyConnector

        connector = BlueskyConnector()
    elif platform == "mastodon":
        from listening.connectors.mastodon import MastodonConnector

        connector = MastodonConnector()
    elif platform == "x":
        from listening.connectors.x import XConnector

        connector = XConnector()
    elif platform in FILE_PLATFORMS:
        from listening.connectors.file_import import FileImportConnector

        connector = FileImportConnector()
    else:
        raise UnknownPlatform(f"no connector for platform {platform!r}")
    _INSTANCES[platform] = connector
    return connector
