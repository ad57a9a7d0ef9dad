"""Factories for listening tests: sources and runs (DB), records and envelopes (no DB).

Two kinds of recorded input are built here:

* *record envelopes* (``endpoint = "test.records"``): normalised records as JSON,
  parsed by ``RecordsConnector``. They test the pipeline on its own, independent of
  any platform's parser.
* *Bluesky envelopes*: native ``app.bsky.feed.getAuthorFeed`` and
  ``app.bsky.feed.getLikes`` responses, field for field as the AppView returns them
  (compare ``shared/data/social-api-fixtures/bluesky/json/f_autfeed.json``), parsed by
  the real Bluesky connector.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import factory
import orjson

from listening.connectors.base import Envelope
from listening.models import IngestRun, Source
from listening.records import (
    AccountRecord,
    InteractionRecord,
    ParsedPage,
    PostRecord,
)

BASE_TIME = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    name = factory.Sequence(lambda n: f"source {n}")
    platform = "bluesky"
    kind = Source.Kind.RECORDING
    path = ""


class IngestRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IngestRun

    source = factory.SubFactory(SourceFactory)


class AccountRecordFactory(factory.Factory):
    class Meta:
        model = AccountRecord

    platform = "bluesky"
    external_id = factory.Sequence(lambda n: f"did:plc:acct{n:06d}")
    handle = factory.LazyAttribute(lambda o: f"{o.external_id[8:]}.bsky.social")
    display_name = factory.LazyAttribute(lambda o: f"Dr {o.external_id[8:]}")
    followers_count = 1200
    following_count = 300
    posts_count = 50


class PostRecordFactory(factory.Factory):
    class Meta:
        model = PostRecord

    platform = "bluesky"
    external_id = factory.Sequence(
        lambda n: f"at://did:plc:acct/app.bsky.feed.post/{n}"
    )
    author_external_id = "did:plc:author0"
    text = factory.Sequence(lambda n: f"Post number {n} about #cardiology")
    created_at = BASE_TIME
    hashtags = factory.LazyFunction(lambda: ["cardiology"])
    likes = 3
    reposts = 1
    replies = 0
    quotes = 0
    raw = factory.LazyAttribute(lambda o: {"uri": o.external_id, "text": o.text})


class InteractionRecordFactory(factory.Factory):
    class Meta:
        model = InteractionRecord

    platform = "bluesky"
    kind = "like"
    actor_external_id = factory.Sequence(lambda n: f"did:plc:fan{n:06d}")
    target_external_id = ""
    post_external_id = ""


# --- record envelopes (parsed by RecordsConnector) ------------------------------------


def _jsonable(record: Any) -> dict[str, Any]:
    data = {name: getattr(record, name) for name in record.__slots__}
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()
    }


def records_envelope(
    *,
    accounts: list[AccountRecord] = (),
    posts: list[PostRecord] = (),
    interactions: list[InteractionRecord] = (),
    extra_posts: list[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A ``test.records`` envelope; ``extra_posts`` are raw dicts (for broken ones)."""
    return {
        "platform": "bluesky",
        "endpoint": "test.records",
        "params": {},
        "recorded_at": "2025-05-19T12:00:00Z",
        "body": {
            "accounts": [_jsonable(a) for a in accounts],
            "posts": [_jsonable(p) for p in posts] + list(extra_posts),
            "interactions": [_jsonable(i) for i in interactions],
        },
    }


def _time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


class RecordsConnector:
    """A connector for ``test.records`` envelopes: JSON records -> dataclasses.

    It converts ISO strings to datetimes and passes everything else through as is,
    so broken values reach the pipeline's validation unchanged.
    """

    platform = "bluesky"

    def parse(self, envelope: Envelope) -> ParsedPage:
        body = envelope.body
        page = ParsedPage()
        for data in body.get("accounts", []):
            data = dict(data)
            data["account_created_at"] = _time(data.get("account_created_at"))
            page.accounts.append(AccountRecord(**data))
        for data in body.get("posts", []):
            data = dict(data)
            data["created_at"] = _time(data.get("created_at"))
            data["edited_at"] = _time(data.get("edited_at"))
            data.setdefault("raw", {})
            if not data.get("raw"):
                data["raw"] = {k: v for k, v in data.items() if k != "raw"}
            page.posts.append(PostRecord(**data))
        for data in body.get("interactions", []):
            data = dict(data)
            data["occurred_at"] = _time(data.get("occurred_at"))
            page.interactions.append(InteractionRecord(**data))
        return page

    def fetch(self, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "the test connector replays recordings; it has no API"
        )


def write_jsonl(path: Path, envelopes: list[Any]) -> Path:
    """Write envelopes (dicts, or raw text lines for broken ones) as a recording."""
    with path.open("wb") as handle:
        for envelope in envelopes:
            if isinstance(envelope, str | bytes):
                line = envelope.encode() if isinstance(envelope, str) else envelope
            else:
                line = orjson.dumps(envelope)
            handle.write(line.rstrip(b"\n") + b"\n")
    return path


# --- native Bluesky envelopes ---------------------------------------------------------


def bsky_author(n: int) -> dict[str, Any]:
    did = f"did:plc:hcp{n:06d}"
    return {
        "did": did,
        "handle": f"hcp{n}.bsky.social",
        "displayName": f"Dr. Test {n}",
        "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkrei{n:06d}@jpeg",
        "associated": {"chat": {"allowIncoming": "following"}},
        "labels": [],
        "createdAt": "2023-09-19T15:47:01.417Z",
        "viewer": {"muted": False, "blockedBy": False},
    }


def bsky_post(
    author: dict[str, Any], n: int, *, likes: int = 0, text: str = ""
) -> dict:
    """A ``app.bsky.feed.defs#postView`` as getAuthorFeed returns it."""
    created = BASE_TIME + timedelta(minutes=n)
    rkey = f"3l{n:011d}"
    text = text or (
        f"Post {n}: new #Cardiology data on statin adherence, see the thread. "
        "Fair balance: discuss side effects with your clinician."
    )
    tag_start = text.find("#Cardiology")
    facets = []
    if tag_start >= 0:
        start = len(text[:tag_start].encode())
        facets.append(
            {
                "features": [
                    {"$type": "app.bsky.richtext.facet#tag", "tag": "Cardiology"}
                ],
                "index": {"byteStart": start, "byteEnd": start + 11},
            }
        )
    return {
        "uri": f"at://{author['did']}/app.bsky.feed.post/{rkey}",
        "cid": f"bafyrei{n:052d}",
        "author": author,
        "record": {
            "$type": "app.bsky.feed.post",
            "createdAt": created.isoformat().replace("+00:00", "Z"),
            "langs": ["en"],
            "text": text,
            "facets": facets,
        },
        "replyCount": n % 3,
        "repostCount": n % 5,
        "likeCount": likes,
        "quoteCount": 0,
        "indexedAt": (created + timedelta(seconds=1))
        .isoformat()
        .replace("+00:00", "Z"),
        "viewer": {"threadMuted": False, "embeddingDisabled": False},
        "labels": [],
    }


def bsky_author_feed_envelopes(
    *, pages: int, per_page: int = 50, authors: int = 20, first: int = 0
) -> list[dict[str, Any]]:
    """``pages`` getAuthorFeed envelopes of ``per_page`` posts each (numbered from
    ``first``), spread over ``authors`` accounts."""
    envelopes = []
    n = first
    for page in range(pages):
        feed = []
        for _ in range(per_page):
            author = bsky_author(n % authors)
            feed.append({"post": bsky_post(author, n, likes=n % 7)})
            n += 1
        envelopes.append(
            {
                "platform": "bluesky",
                "endpoint": "app.bsky.feed.getAuthorFeed",
                "params": {"actor": "hcp0.bsky.social", "limit": per_page},
                "recorded_at": "2025-05-19T12:00:00Z",
                "body": {"feed": feed, "cursor": f"page-{page + 1}"},
            }
        )
    return envelopes


def bsky_likes_envelope(post: dict[str, Any], likers: list[int]) -> dict[str, Any]:
    """A getLikes envelope: accounts ``likers`` liked ``post``."""
    return {
        "platform": "bluesky",
        "endpoint": "app.bsky.feed.getLikes",
        "params": {"uri": post["uri"], "limit": 100},
        "recorded_at": "2025-05-19T12:00:00Z",
        "body": {
            "uri": post["uri"],
            "likes": [
                {
                    "indexedAt": "2025-05-02T10:00:00.000Z",
                    "createdAt": "2025-05-02T10:00:00.000Z",
                    "actor": bsky_author(10_000 + i),
                }
                for i in likers
            ],
        },
    }
