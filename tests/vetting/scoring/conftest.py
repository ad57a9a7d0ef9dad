"""Small builders of ``ScoringInputs`` frames for the pure scoring tests (no DB).

``build_inputs`` turns plain rows into frames with the contract's dtypes;
``random_inputs`` makes a seeded random world (several specialties, unlinked accounts,
isolated and dangling accounts, reply / quote threads, reposts).
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from vetting.scoring.frames import (
    ACCOUNT_COLUMNS,
    EDGE_COLUMNS,
    INTERACTION_WEIGHTS,
    POST_COLUMNS,
    ScoringInputs,
    ScoringParams,
)

T0 = pd.Timestamp("2025-01-01", tz="UTC")


def params(**overrides) -> ScoringParams:
    return ScoringParams(
        window_start=datetime(2025, 1, 1, tzinfo=UTC),
        window_end=datetime(2025, 7, 1, tzinfo=UTC),
        **overrides,
    )


def accounts_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows need ``id``; the other columns default (no specialty, not an HCP)."""
    defaults = {
        "platform": "bluesky",
        "followers": 1000,
        "following": 100,
        "posts_count": 10,
        "created_at": pd.Timestamp("2020-01-01", tz="UTC"),
        "bio_len": 50,
        "clinician_id": -1,
        "specialty": "",
        "classification": "",
        "is_hcp": False,
        "link_confidence": np.nan,
    }
    data = {c: [r.get(c, defaults[c]) for r in rows] for c in ACCOUNT_COLUMNS}
    frame = pd.DataFrame(data).astype(ACCOUNT_COLUMNS)
    frame.index = pd.Index([r["id"] for r in rows], dtype="int64", name="account_id")
    return frame


def edges_frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows ``(actor, target, kind)`` or ``(actor, target, kind, post_id)``."""
    data = {
        "actor": [r[0] for r in rows],
        "target": [r[1] for r in rows],
        "kind": [r[2] for r in rows],
        "weight": [INTERACTION_WEIGHTS[r[2]] for r in rows],
        "post_id": [r[3] if len(r) > 3 else -1 for r in rows],
        "occurred_at": [T0 for _ in rows],
    }
    return pd.DataFrame(data).astype(EDGE_COLUMNS)


def posts_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows need ``id`` and ``author``; ``reply_to`` / ``quote_of`` default -1."""
    defaults = {
        "posted_at": T0,
        "reply_to": -1,
        "root": -1,
        "quote_of": -1,
        "topical": False,
        "hashtags": None,
        "likes": 0,
        "reposts": 0,
        "replies": 0,
        "quotes": 0,
    }
    data = {}
    for c in POST_COLUMNS:
        if c == "author":
            data[c] = [r["author"] for r in rows]
        elif c == "hashtags":
            data[c] = pd.Series(
                [list(r.get("hashtags", [])) for r in rows], dtype=object
            )
        else:
            data[c] = [r.get(c, defaults[c]) for r in rows]
    frame = pd.DataFrame(data).astype(
        {c: t for c, t in POST_COLUMNS.items() if c != "hashtags"}
    )
    frame.index = pd.Index([r["id"] for r in rows], dtype="int64", name="post_id")
    return frame


def build_inputs(
    accounts: list[dict], edges: list[tuple], posts: list[dict] = ()
) -> ScoringInputs:
    return ScoringInputs(
        accounts=accounts_frame(list(accounts)),
        edges=edges_frame(list(edges)),
        posts=posts_frame(list(posts)),
    )


KINDS = ("reply", "quote", "repost", "mention", "like")


def random_inputs(
    seed: int,
    n: int = 200,
    m: int = 1200,
    specialties: int = 4,
    n_posts: int = 300,
    intra: float = 0.7,
) -> ScoringInputs:
    """A seeded random world.

    * ``n`` accounts with random (sparse, non-contiguous) ids; ~15% have no specialty,
      ~70% of the rest are verified HCPs; ~10% are isolated (never engage, never
      engaged) and ~25% never act (dangling);
    * ``m`` engagements, a share ``intra`` inside the actor's specialty, repeated
      pairs and every kind;
    * ``n_posts`` posts: replies and quotes of earlier posts (threads, self-threads),
      reposts and quotes as edges, a few hashtags.
    """
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(np.arange(1, 50 * n), size=n, replace=False))
    codes = [f"20{k:02d}00000X" for k in range(specialties)]
    spec = rng.integers(0, specialties, size=n)
    has_spec = rng.random(n) > 0.15
    hcp = has_spec & (rng.random(n) < 0.7)
    isolated = rng.random(n) < 0.10
    passive = isolated | (rng.random(n) < 0.25)
    accounts = [
        {
            "id": int(ids[i]),
            "specialty": codes[spec[i]] if has_spec[i] else "",
            "is_hcp": bool(hcp[i]),
            "platform": "bluesky" if i % 3 else "mastodon",
        }
        for i in range(n)
    ]
    actors = np.flatnonzero(~passive)
    targets = np.flatnonzero(~isolated)
    by_spec = {
        k: targets[(spec[targets] == k) & has_spec[targets]] for k in range(specialties)
    }
    edges = []
    for _ in range(m if len(actors) and len(targets) else 0):
        a = int(rng.choice(actors))
        pool = (
            by_spec.get(int(spec[a])) if has_spec[a] and rng.random() < intra else None
        )
        if pool is None or len(pool) == 0:
            pool = targets
        t = int(rng.choice(pool))
        if t == a:
            continue
        kind = KINDS[int(rng.integers(0, len(KINDS)))]
        edges.append((int(ids[a]), int(ids[t]), kind, -1))
    tags = ["cardio", "hf", "sglt2", "onc", "derm", "lipids", "ckd"]
    posts: list[dict] = []
    authors = np.flatnonzero(~isolated)
    for j in range(n_posts if len(authors) else 0):
        pid = 10_000 + 7 * j
        author = int(ids[int(rng.choice(authors))])
        row = {"id": pid, "author": author}
        row["hashtags"] = list(
            rng.choice(tags, size=int(rng.integers(0, 3)), replace=False)
        )
        if posts and rng.random() < 0.45:
            parent = posts[int(rng.integers(0, len(posts)))]
            if rng.random() < 0.3:
                author = (
                    parent["author"] if rng.random() < 0.5 else author
                )  # self-thread
                row["author"] = author
            if rng.random() < 0.6:
                row["reply_to"] = parent["id"]
            else:
                row["quote_of"] = parent["id"]
                if rng.random() < 0.5 and author != parent["author"]:
                    edges.append((author, parent["author"], "quote", parent["id"]))
            if rng.random() < 0.05:
                row["reply_to"] = 999_999_999  # parent not stored
        posts.append(row)
        if rng.random() < 0.6:
            for _ in range(int(rng.integers(1, 6)) if len(actors) else 0):
                a = int(ids[int(rng.choice(actors))])
                if a != author:
                    kind = "repost" if rng.random() < 0.7 else "quote"
                    edges.append((a, author, kind, pid))
    return build_inputs(accounts, edges, posts)
