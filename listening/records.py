"""Normalised records that every connector produces from its platform's native payloads.

Connectors are pure: native JSON in, these dataclasses out. The ingest pipeline
(``listening.ingest``) validates them, upserts them in batches and counts what changed.
A record the connector cannot even parse becomes a ``QuarantineItem`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PLATFORMS = ("bluesky", "mastodon", "x", "linkedin", "youtube", "podcast", "other")
INTERACTION_KINDS = ("reply", "quote", "repost", "like", "mention", "follow")
# Engagement weights of DESIGN 5 (follow edges form the audience, not engagement).
INTERACTION_WEIGHTS = {
    "reply": 3.0,
    "quote": 2.0,
    "repost": 1.0,
    "mention": 1.0,
    "like": 0.5,
    "follow": 0.0,
}


@dataclass(slots=True)
class AccountRecord:
    """One account as a platform describes it."""

    platform: str
    external_id: str
    handle: str
    display_name: str = ""
    bio: str = ""
    url: str = ""
    followers_count: int | None = None
    following_count: int | None = None
    posts_count: int | None = None
    account_created_at: datetime | None = None
    is_verified: bool = False
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class PostRecord:
    """One post (status, tweet, skeet, video, episode) with its public counters."""

    platform: str
    external_id: str
    author_external_id: str
    text: str
    created_at: datetime
    language: str = ""
    url: str = ""
    reply_to_external_id: str = ""
    root_external_id: str = ""
    quote_of_external_id: str = ""
    repost_of_external_id: str = ""
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0
    views: int | None = None
    edited_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class InteractionRecord:
    """One engagement edge: ``actor`` did ``kind`` to ``target`` (about ``post``)."""

    platform: str
    kind: str
    actor_external_id: str
    target_external_id: str
    post_external_id: str = ""
    occurred_at: datetime | None = None


@dataclass(slots=True)
class QuarantineItem:
    """A native record that could not be turned into rows, with the reason why."""

    platform: str
    raw: Any
    reason: str  # short code: missing_id, bad_timestamp, wrong_type, nul_byte, ...
    detail: str = ""


@dataclass(slots=True)
class ParsedPage:
    """What one native response (one page of one endpoint) turned into."""

    accounts: list[AccountRecord] = field(default_factory=list)
    posts: list[PostRecord] = field(default_factory=list)
    interactions: list[InteractionRecord] = field(default_factory=list)
    quarantined: list[QuarantineItem] = field(default_factory=list)
    next_cursor: str | None = None

    def extend(self, other: ParsedPage) -> None:
        self.accounts.extend(other.accounts)
        self.posts.extend(other.posts)
        self.interactions.extend(other.interactions)
        self.quarantined.extend(other.quarantined)
        if other.next_cursor:
            self.next_cursor = other.next_cursor
