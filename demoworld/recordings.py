"""Phase 2: stream every recorded API call to ``bluesky/`` and ``mastodon/`` JSONL files.

Order matters only for the counters: likes are drawn first (they fix ``likeCount``),
then followers, profiles, author feeds / statuses (which also emit the per-post
ground truth), threads / contexts, and reposted-by lists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from demoworld.bluesky import BlueskyRenderer
from demoworld.content import Content
from demoworld.counters import Counters
from demoworld.identity import Identities
from demoworld.mastodon import MastodonRenderer
from demoworld.rand import iso_ms
from demoworld.sinks import RecordingSink
from demoworld.truth import PostTruth
from demoworld.world import K_CLIN, World

CHUNK_POSTS = 20_000
CHUNK_ACCOUNTS = 20_000
BSKY_FEED_PAGE, MASTO_STATUS_PAGE = 50, 40
BSKY_LIST_PAGE, MASTO_LIST_PAGE = 100, 80
PROFILES_PER_CALL = 25


def _starts(keys: np.ndarray, n: int) -> np.ndarray:
    """Where each key's run starts in ``keys`` sorted (``n + 1`` offsets)."""
    starts = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=starts[1:])
    return starts


def _pages(items: list, size: int) -> list[list]:
    """Pages of ``size`` items; an empty list still makes one (empty) page."""
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def _runs(values: np.ndarray) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of equal values in a sorted array (lazily)."""
    if not len(values):
        return
    starts = np.flatnonzero(np.diff(values)) + 1
    low = 0
    for block in range(0, len(starts), 65_536):
        for high in starts[block : block + 65_536].tolist():
            yield low, high
            low = high
    yield low, len(values)


class RecordingWriter:
    """Writes the recordings of both platforms and counts what it wrote."""

    def __init__(self, world: World, out_dir: Path, truth: PostTruth) -> None:
        self.world = world
        self.ids = Identities(world)
        self.content = Content(world, self.ids)
        self.counters = Counters(world)
        self.bsky = BlueskyRenderer(world, self.ids, self.content)
        self.masto = MastodonRenderer(world, self.ids, self.content, self.counters)
        self.truth = truth
        self.stats: Counter[str] = Counter()
        limit = world.cfg.max_file_bytes
        self.sinks: dict[tuple[str, str], RecordingSink] = {}
        for platform in ("bluesky", "mastodon"):
            for prefix in (
                "profiles",
                "feeds",
                "likes",
                "reposts",
                "followers",
                "threads",
            ):
                self.sinks[(platform, prefix)] = RecordingSink(
                    out_dir / platform, prefix, platform, limit
                )
        end = world.end_ms
        self.at = {name: iso_ms(end + i * 60_000) for i, name in enumerate(
            ("feeds", "threads", "likes", "reposts", "followers"), start=1
        )}  # fmt: skip

    def sink(self, platform: int, prefix: str) -> RecordingSink:
        return self.sinks[("bluesky" if platform == 0 else "mastodon", prefix)]

    def close(self) -> list[Path]:
        files = []
        for sink in self.sinks.values():
            sink.close()
            files.extend(sink.files)
        return files

    # likes -----------------------------------------------------------------------
    def likes(self) -> None:
        w = self.world
        n_chunks = (w.n_posts + CHUNK_POSTS - 1) // CHUNK_POSTS
        for chunk in range(n_chunks):
            posts, actors, times = w.likes_chunk(chunk, CHUNK_POSTS)
            w.p_likes += np.bincount(posts, minlength=w.n_posts).astype(np.int32)
            self.stats["like"] += len(posts)
            for lo, hi in _runs(posts):
                p = int(posts[lo])
                newest_first = slice(hi - 1, None if lo == 0 else lo - 1, -1)
                if w.platform[w.p_author[p]] == 0:
                    self._bsky_likes(p, actors[newest_first], times[newest_first])
                else:
                    self._masto_list(p, actors[newest_first], "favourited_by", "likes")

    def _bsky_likes(self, p: int, actors: np.ndarray, times: np.ndarray) -> None:
        uri = self.bsky.uri(p)
        sink = self.sink(0, "likes")
        for page, start in enumerate(range(0, len(actors), BSKY_LIST_PAGE)):
            rows = [
                {
                    "actor": self.bsky.view(int(a)),
                    "createdAt": iso_ms(int(t)),
                    "indexedAt": iso_ms(int(t) + 150),
                }
                for a, t in zip(
                    actors[start : start + BSKY_LIST_PAGE].tolist(),
                    times[start : start + BSKY_LIST_PAGE].tolist(),
                    strict=True,
                )
            ]
            body: dict[str, Any] = {"likes": rows, "uri": uri}
            more = start + BSKY_LIST_PAGE < len(actors)
            if more:
                body["cursor"] = rows[-1]["createdAt"]
            params: dict[str, Any] = {"uri": uri, "limit": BSKY_LIST_PAGE}
            if page:
                params["cursor"] = self._last_cursor
            self._last_cursor = body.get("cursor", "")
            sink.write("app.bsky.feed.getLikes", params, self.at["likes"], body)

    def _masto_list(self, p: int, actors: np.ndarray, what: str, prefix: str) -> None:
        sid = self.masto.status_id(p)
        sink = self.sink(1, prefix)
        for page, start in enumerate(range(0, len(actors), MASTO_LIST_PAGE)):
            chunk = actors[start : start + MASTO_LIST_PAGE].tolist()
            body = [self.masto.account_at_end(int(a)) for a in chunk]
            params: dict[str, Any] = {
                "id": sid,
                "limit": MASTO_LIST_PAGE,
                "subject_author": self.masto.profile_url(int(self.world.p_author[p])),
                "subject_post": self.masto.status_uri(p),
            }
            if page:
                params["max_id"] = f"{sid}-{page}"
            sink.write(
                f"GET /api/v1/statuses/:id/{what}", params, self.at[prefix], body
            )

    # reposted by -----------------------------------------------------------------
    def reposted_by(self) -> None:
        w = self.world
        self.stats["repost"] = len(w.r_post)
        if not len(w.r_post):
            return
        for lo, hi in _runs(w.r_post):
            p = int(w.r_post[lo])
            actors = w.r_actor[lo:hi][::-1]
            if w.platform[w.p_author[p]] == 1:
                self._masto_list(p, actors, "reblogged_by", "reposts")
                continue
            uri = self.bsky.uri(p)
            for page, start in enumerate(range(0, len(actors), BSKY_LIST_PAGE)):
                chunk = actors[start : start + BSKY_LIST_PAGE].tolist()
                views = [self.bsky.view(int(a)) for a in chunk]
                body: dict[str, Any] = {"repostedBy": views, "uri": uri}
                if start + BSKY_LIST_PAGE < len(actors):
                    body["cursor"] = f"{page + 1:04d}"
                params: dict[str, Any] = {"uri": uri, "limit": BSKY_LIST_PAGE}
                if page:
                    params["cursor"] = f"{page:04d}"
                self.sink(0, "reposts").write(
                    "app.bsky.feed.getRepostedBy", params, self.at["reposts"], body
                )

    # followers -------------------------------------------------------------------
    def followers(self) -> None:
        w = self.world
        n_chunks = (w.n_accounts + CHUNK_ACCOUNTS - 1) // CHUNK_ACCOUNTS
        for chunk in range(n_chunks):
            subjects, followers = w.followers_chunk(chunk, CHUNK_ACCOUNTS)
            self.stats["follow"] += len(subjects)
            if not len(subjects):
                continue
            for lo, hi in _runs(subjects):
                self._followers_of(int(subjects[lo]), followers[lo:hi])

    def _followers_of(self, a: int, followers: np.ndarray) -> None:
        w = self.world
        if w.platform[a] == 0:
            did = self.bsky.did(a)
            for page, start in enumerate(range(0, len(followers), BSKY_LIST_PAGE)):
                chunk = followers[start : start + BSKY_LIST_PAGE].tolist()
                body: dict[str, Any] = {
                    "followers": [self.bsky.view(int(f)) for f in chunk],
                    "subject": self.bsky.view(a),
                }
                if start + BSKY_LIST_PAGE < len(followers):
                    body["cursor"] = f"{page + 1:04d}"
                params: dict[str, Any] = {"actor": did, "limit": BSKY_LIST_PAGE}
                if page:
                    params["cursor"] = f"{page:04d}"
                self.sink(0, "followers").write(
                    "app.bsky.graph.getFollowers", params, self.at["followers"], body
                )
            return
        account_id = self.masto.account_id(a)
        for page, start in enumerate(range(0, len(followers), MASTO_LIST_PAGE)):
            chunk = followers[start : start + MASTO_LIST_PAGE].tolist()
            params = {
                "id": account_id,
                "limit": MASTO_LIST_PAGE,
                "subject_author": self.masto.profile_url(a),
            }
            if page:
                params["max_id"] = f"{account_id}-{page}"
            self.sink(1, "followers").write(
                "GET /api/v1/accounts/:id/followers",
                params,
                self.at["followers"],
                [self.masto.account_at_end(int(f)) for f in chunk],
            )

    # profiles --------------------------------------------------------------------
    def profiles(self) -> None:
        w, c = self.world, self.counters
        for k, t in enumerate(c.times.tolist()):
            accounts = np.flatnonzero(c.includes(k))
            followers = c.followers(accounts, k)
            following = c.following(accounts, k)
            posts = c.posts[accounts, k]
            at = iso_ms(t)
            bsky = accounts[w.platform[accounts] == 0]
            index = {int(a): i for i, a in enumerate(accounts.tolist())}
            for start in range(0, len(bsky), PROFILES_PER_CALL):
                batch = bsky[start : start + PROFILES_PER_CALL].tolist()
                profiles = [
                    self.bsky.detailed(
                        a, followers[index[a]], following[index[a]], posts[index[a]]
                    )
                    for a in batch
                ]
                self.sink(0, "profiles").write(
                    "app.bsky.actor.getProfiles",
                    {"actors": [self.bsky.did(a) for a in batch]},
                    at,
                    {"profiles": profiles},
                )
                self.stats["profile_snapshots"] += len(batch)
            for a in accounts[w.platform[accounts] == 1].tolist():
                self.sink(1, "profiles").write(
                    "GET /api/v1/accounts/:id",
                    {"id": self.masto.account_id(a)},
                    at,
                    self.masto.account(a, k),
                )
                self.stats["profile_snapshots"] += 1

    # feeds -----------------------------------------------------------------------
    def feeds(self) -> None:
        w = self.world
        # Group by account; the items of one account are sorted below.
        order = np.argsort(w.p_author, kind="stable")
        p_starts = _starts(w.p_author, w.n_accounts)
        r_order = np.argsort(w.r_actor, kind="stable")
        r_starts = _starts(w.r_actor, w.n_accounts)
        for a in range(w.n_accounts):
            own = order[p_starts[a] : p_starts[a + 1]]
            reposts = r_order[r_starts[a] : r_starts[a + 1]]
            if not len(own) and not len(reposts) and w.kind[a] != K_CLIN:
                continue
            items = [(int(w.p_time[p]), 0, int(p)) for p in own.tolist()]
            items += [(int(w.r_time[r]), 1, int(r)) for r in reposts.tolist()]
            items.sort(reverse=True)
            for _, _, p in (i for i in items if i[1] == 0):
                self.truth.post(self, p)
            if w.platform[a] == 0:
                self._bsky_feed(a, items)
            else:
                self._masto_statuses(a, items)

    def _bsky_feed(self, a: int, items: list[tuple[int, int, int]]) -> None:
        w = self.world
        did = self.bsky.did(a)
        pages = _pages(items, BSKY_FEED_PAGE)
        cursor = ""
        for page_no, page in enumerate(pages):
            feed = []
            for t, is_repost, x in page:
                if is_repost:
                    feed.append(self.bsky.repost_item(int(w.r_post[x]), a, t))
                else:
                    feed.append(self.bsky.feed_item(x))
            body: dict[str, Any] = {"feed": feed}
            if page_no + 1 < len(pages):
                body["cursor"] = iso_ms(page[-1][0])
            params: dict[str, Any] = {
                "actor": did,
                "limit": BSKY_FEED_PAGE,
                "filter": "posts_with_replies",
            }
            if page_no:
                params["cursor"] = cursor
            cursor = body.get("cursor", "")
            self.sink(0, "feeds").write(
                "app.bsky.feed.getAuthorFeed", params, self.at["feeds"], body
            )

    def _masto_statuses(self, a: int, items: list[tuple[int, int, int]]) -> None:
        account_id = self.masto.account_id(a)
        pages = _pages(items, MASTO_STATUS_PAGE)
        max_id = ""
        for page_no, page in enumerate(pages):
            body = [
                self.masto.reblog(x) if is_repost else self.masto.status(x)
                for _, is_repost, x in page
            ]
            params: dict[str, Any] = {"id": account_id, "limit": MASTO_STATUS_PAGE}
            if page_no:
                params["max_id"] = max_id
            max_id = body[-1]["id"] if body else ""
            self.sink(1, "feeds").write(
                "GET /api/v1/accounts/:id/statuses", params, self.at["feeds"], body
            )

    # threads ---------------------------------------------------------------------
    def threads(self) -> None:
        w = self.world
        replies = np.flatnonzero(w.p_root >= 0)
        if not len(replies):
            return
        replies = replies[np.lexsort((w.p_time[replies], w.p_root[replies]))]
        roots = w.p_root[replies]
        for lo, hi in _runs(roots):
            group = replies[lo:hi]
            root = int(w.p_root[group[0]])
            if w.platform[w.p_author[root]] == 0:
                children: dict[int, list[int]] = {}
                for r in group.tolist():
                    children.setdefault(int(w.p_parent[r]), []).append(r)
                uri = self.bsky.uri(root)
                self.sink(0, "threads").write(
                    "app.bsky.feed.getPostThread",
                    {"uri": uri, "depth": 6},
                    self.at["threads"],
                    {"thread": self.bsky.thread(root, children)},
                )
            else:
                sid = self.masto.status_id(root)
                self.sink(1, "threads").write(
                    "GET /api/v1/statuses/:id/context",
                    {"id": sid, "subject_post": self.masto.status_uri(root)},
                    self.at["threads"],
                    {
                        "ancestors": [],
                        "descendants": [self.masto.status(int(r)) for r in group],
                    },
                )
