"""Bluesky (AT Protocol AppView) payloads, field for field like the real recordings.

Shapes follow ``social-api-fixtures/bluesky/json``: ``app.bsky.actor.getProfiles``
(profileViewDetailed), ``app.bsky.feed.getAuthorFeed`` (feedViewPost: ``post``, with
``reply`` {root, parent} for replies and ``reason`` for reposts), ``getLikes``,
``getRepostedBy``, ``app.bsky.graph.getFollowers`` and ``getPostThread``. Facets carry
UTF-8 *byte* offsets (``byteStart``/``byteEnd``) of hashtags, mentions and links.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from demoworld.content import Content
from demoworld.identity import Identities
from demoworld.rand import cid_for, did_plc, iso_ms, tid
from demoworld.text import Segment
from demoworld.world import P_QUOTE, P_REPLY, World

_VIEWER = {"muted": False, "blockedBy": False}
_POST_VIEWER = {"threadMuted": False, "embeddingDisabled": False}


class BlueskyRenderer:
    """Builds Bluesky JSON views for accounts and posts of the world."""

    def __init__(self, world: World, ids: Identities, content: Content) -> None:
        self.world = world
        self.ids = ids
        self.content = content
        self.did = lru_cache(maxsize=1 << 16)(self._did)
        self.basic = lru_cache(maxsize=1 << 15)(self._basic)
        self.view = lru_cache(maxsize=1 << 15)(self._view)
        self.uri = lru_cache(maxsize=1 << 16)(self._uri)
        self.cid = lru_cache(maxsize=1 << 16)(self._cid)
        self.post_view = lru_cache(maxsize=1 << 13)(self._post_view)
        self.rendered = lru_cache(maxsize=1 << 14)(self._rendered)

    # accounts --------------------------------------------------------------------
    def _did(self, a: int) -> str:
        return did_plc(self.world.seed, a)

    def avatar(self, a: int) -> str:
        did = self.did(a)
        return (
            f"https://cdn.bsky.app/img/avatar/plain/{did}/{cid_for(did, raw=True)}@jpeg"
        )

    def _basic(self, a: int) -> dict[str, Any]:
        """profileViewBasic: the author of a post."""
        view: dict[str, Any] = {
            "did": self.did(a),
            "handle": self.ids.handle(a),
            "displayName": self.ids.display_name(a),
        }
        if self.ids.has_avatar(a):
            view["avatar"] = self.avatar(a)
        if a % 3 == 0:
            view["associated"] = {"chat": {"allowIncoming": "following"}}
        view["viewer"] = _VIEWER
        view["labels"] = []
        view["createdAt"] = iso_ms(int(self.world.created[a]))
        return view

    def _view(self, a: int) -> dict[str, Any]:
        """profileView: an entry of a likes, reposts or followers list."""
        view = dict(self.basic(a))
        bio = self.ids.bio(a)
        if bio:
            view["description"] = bio
        view["indexedAt"] = iso_ms(int(self.world.created[a]) + 60_000)
        return view

    def detailed(
        self, a: int, followers: int, follows: int, posts: int
    ) -> dict[str, Any]:
        """profileViewDetailed (getProfiles) with the counters at one snapshot."""
        view: dict[str, Any] = {
            "did": self.did(a),
            "handle": self.ids.handle(a),
            "displayName": self.ids.display_name(a),
        }
        if self.ids.has_avatar(a):
            view["avatar"] = self.avatar(a)
        view["associated"] = {
            "lists": 0,
            "feedgens": 0,
            "starterPacks": 0,
            "labeler": False,
        }
        view["viewer"] = _VIEWER
        view["labels"] = []
        view["createdAt"] = iso_ms(int(self.world.created[a]))
        bio = self.ids.bio(a)
        if bio:
            view["description"] = bio
        view["indexedAt"] = iso_ms(int(self.world.created[a]) + 60_000)
        if self.ids.has_avatar(a):
            view["banner"] = self.avatar(a).replace("/avatar/", "/banner/")
        view["followersCount"] = int(followers)
        view["followsCount"] = int(follows)
        view["postsCount"] = int(posts)
        return view

    # posts -----------------------------------------------------------------------
    def _uri(self, p: int) -> str:
        t = int(self.world.p_time[p])
        rkey = tid(t * 1000 + p % 1000, (p // 1000) % 1024)
        return f"at://{self.did(int(self.world.p_author[p]))}/app.bsky.feed.post/{rkey}"

    def _cid(self, p: int) -> str:
        return cid_for(self.uri(p))

    def ref(self, p: int) -> dict[str, str]:
        return {"cid": self.cid(p), "uri": self.uri(p)}

    def _rendered(self, p: int) -> tuple[str, tuple[dict, ...]]:
        """Text and facets of post ``p`` (byte offsets in UTF-8)."""
        return render(self.content.text(p).segments, self.ids.handle, self.did)

    def record(self, p: int) -> dict[str, Any]:
        w = self.world
        text, facets = self.rendered(p)
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "createdAt": iso_ms(int(w.p_time[p])),
        }
        if w.p_kind[p] == P_QUOTE:
            record["embed"] = {
                "$type": "app.bsky.embed.record",
                "record": self.ref(int(w.p_quote[p])),
            }
        if facets:
            record["facets"] = list(facets)
        record["langs"] = ["en"]
        if w.p_kind[p] == P_REPLY:
            record["reply"] = {
                "parent": self.ref(int(w.p_parent[p])),
                "root": self.ref(int(w.p_root[p])),
            }
        record["text"] = text
        return record

    def indexed_at(self, p: int) -> str:
        return iso_ms(int(self.world.p_time[p]) + 40 + (p * 7919) % 900)

    def _post_view(self, p: int) -> dict[str, Any]:
        """postView with the counters as recorded at the window's end (cached: the
        returned dict is shared and must not be changed)."""
        w = self.world
        view: dict[str, Any] = {
            "uri": self.uri(p),
            "cid": self.cid(p),
            "author": self.basic(int(w.p_author[p])),
            "record": self.record(p),
        }
        if w.p_kind[p] == P_QUOTE:
            q = int(w.p_quote[p])
            view["embed"] = {
                "$type": "app.bsky.embed.record#view",
                "record": {
                    "$type": "app.bsky.embed.record#viewRecord",
                    "uri": self.uri(q),
                    "cid": self.cid(q),
                    "author": self.basic(int(w.p_author[q])),
                    "value": self.record(q),
                    "labels": [],
                    "likeCount": int(w.p_likes[q]),
                    "replyCount": int(w.p_replies[q]),
                    "repostCount": int(w.p_reposts[q]),
                    "quoteCount": int(w.p_quotes[q]),
                    "indexedAt": self.indexed_at(q),
                    "embeds": [],
                },
            }
        view["replyCount"] = int(w.p_replies[p])
        view["repostCount"] = int(w.p_reposts[p])
        view["likeCount"] = int(w.p_likes[p])
        view["quoteCount"] = int(w.p_quotes[p])
        view["indexedAt"] = self.indexed_at(p)
        view["viewer"] = _POST_VIEWER
        view["labels"] = []
        return view

    def feed_item(self, p: int) -> dict[str, Any]:
        """feedViewPost of the author's own post (with its reply context)."""
        item: dict[str, Any] = {"post": self.post_view(p)}
        w = self.world
        if w.p_kind[p] == P_REPLY:
            root = dict(
                self.post_view(int(w.p_root[p])),
                **{"$type": "app.bsky.feed.defs#postView"},
            )
            parent = dict(
                self.post_view(int(w.p_parent[p])),
                **{"$type": "app.bsky.feed.defs#postView"},
            )
            item["reply"] = {"root": root, "parent": parent}
        return item

    def repost_item(self, p: int, by: int, at_ms: int) -> dict[str, Any]:
        """feedViewPost of someone else's post that ``by`` reposted."""
        return {
            "post": self.post_view(p),
            "reason": {
                "$type": "app.bsky.feed.defs#reasonRepost",
                "by": self.basic(by),
                "indexedAt": iso_ms(at_ms),
            },
        }

    def thread(
        self, p: int, children: dict[int, list[int]], top: bool = True
    ) -> dict[str, Any]:
        """threadViewPost of ``p`` with its replies, nested."""
        node: dict[str, Any] = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": self.post_view(p),
            "replies": [
                self.thread(c, children, top=False) for c in children.get(p, [])
            ],
        }
        if top:
            node["threadContext"] = {}
        return node


def render(
    segments: tuple[Segment, ...], handle_of: Any, did_of: Any
) -> tuple[str, tuple[dict, ...]]:
    """Bluesky text and facets from segments; offsets count UTF-8 bytes."""
    parts: list[str] = []
    facets: list[dict] = []
    offset = 0
    for kind, value in segments:
        if kind == "t":
            chunk = str(value)
        elif kind == "#":
            chunk = f"#{value}"
        elif kind == "@":
            chunk = f"@{handle_of(int(value))}"  # type: ignore[call-overload]
        else:
            chunk = str(value)
        size = len(chunk.encode("utf-8"))
        if kind == "#":
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": str(value)}
        elif kind == "@":
            feature = {
                "$type": "app.bsky.richtext.facet#mention",
                "did": did_of(int(value)),
            }  # type: ignore[call-overload]
        elif kind == "l":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": str(value)}
        else:
            feature = None
        if feature is not None:
            facets.append(
                {
                    "features": [feature],
                    "index": {"byteEnd": offset + size, "byteStart": offset},
                }
            )
        parts.append(chunk)
        offset += size
    return "".join(parts), tuple(facets)
