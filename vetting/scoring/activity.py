"""Engagement quality (DESIGN 5.5) and content longevity (5.7): the fast path.

Pure pandas/numpy on whole frames, no per-account Python loops. The reference
implementation (``activity_ref``) computes the same numbers with plain loops; the
tests require both to agree to 1e-9 with the same rankings.

Scored accounts: the authors of ``inputs.posts`` (sorted), or ``accounts`` in the
given order (duplicates dropped). Definitions shared by both paths:

* **top-level post** of v: a post of v with ``reply_to == -1`` and ``root`` either -1
  or its own id (a reply whose parent is not stored is not top-level).
* **timed engagement edge** of a post: an edge with ``post_id`` = that (stored) post
  and ``occurred_at`` not NaT; its delay is ``occurred_at - posted_at`` (negative
  delays count as 0).

``engagement_scores`` columns:

followers
    ``accounts.followers`` (0 when the account is unknown).
top_level_posts
    number of top-level posts.
engagement_rate
    mean over v's top-level posts of ``(likes + reposts + replies + quotes) /
    max(followers, 1)`` from the posts' platform counters (the counters see the whole
    platform, edges only the accounts we store); 0 without top-level posts.
tier_baseline
    ``ENGAGEMENT_TIERS``: the rate of the first tier with ``followers < upper``.
engagement_rate_ratio
    ``engagement_rate / tier_baseline``.
dialogue_share
    weight of received ``reply`` + ``quote`` edges / weight of all received edges
    (every kind, mentions included); 0 when nothing was received.
hcp_engagement_share
    weight of received edges whose actor ``is_hcp`` / weight of all received edges.
thread_depth
    mean over v's top-level posts of the depth of its reply tree: following
    ``reply_to`` among stored posts, a post's depth is its number of hops to the
    top-level post it descends from; a tree's depth is the max (0 without replies).
engagement_quality
    mean of ``r / (1 + r)`` (r = engagement_rate_ratio; 0.5 at the tier baseline),
    dialogue_share, hcp_engagement_share and ``min(thread_depth, 3) / 3``; in [0, 1].

``longevity_scores`` columns:

timed_engagements
    number of timed engagement edges on v's posts.
half_life_hours
    median over v's posts with timed engagement of the post half-life: with the
    post's n delays sorted ascending, the ceil(n/2)-th (the first time by which at
    least half had arrived), in hours; NaN without timed engagement.
platform_half_life_hours
    the median post half-life over all posts (every author in ``inputs``, not only the
    scored ones) whose author is on v's platform.
half_life_ratio
    ``half_life_hours / platform_half_life_hours`` (NaN when either is NaN or the
    platform median is 0).
late_share
    share of v's timed engagement edges with delay > ``params.late_days`` days; 0
    without timed engagement.
longevity
    mean of ``h / (1 + h)`` (h = half_life_ratio, 0 when NaN; 0.5 at the platform
    median) and ``min(1, late_share / 0.2)``; 0 without timed engagement.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from vetting.scoring.frames import ENGAGEMENT_TIERS, ScoringInputs, ScoringParams

NS_PER_HOUR = 3_600 * 10**9
NS_PER_DAY = 24 * NS_PER_HOUR
NAT = np.iinfo(np.int64).min
DIALOGUE_KINDS = ("reply", "quote")
DEPTH_CAP = 3.0
LATE_SHARE_FULL = 0.2
MAX_HOPS = 64

ENGAGEMENT_COLUMNS = (
    "followers",
    "top_level_posts",
    "engagement_rate",
    "tier_baseline",
    "engagement_rate_ratio",
    "dialogue_share",
    "hcp_engagement_share",
    "thread_depth",
    "engagement_quality",
)
LONGEVITY_COLUMNS = (
    "timed_engagements",
    "half_life_hours",
    "platform_half_life_hours",
    "half_life_ratio",
    "late_share",
    "longevity",
)


def scored_index(
    inputs: ScoringInputs, accounts: Iterable[int] | None = None
) -> pd.Index:
    """The accounts a scorer returns rows for (see the module docstring)."""
    if accounts is None:
        ids = np.sort(pd.unique(inputs.posts["author"].to_numpy(np.int64)))
    else:
        ids = pd.unique(pd.Series(list(accounts), dtype="int64")).astype(np.int64)
    return pd.Index(ids, dtype="int64", name="account_id")


def tier_baseline(followers: np.ndarray) -> np.ndarray:
    uppers = np.array([u for u, _ in ENGAGEMENT_TIERS], dtype=np.float64)
    rates = np.array([r for _, r in ENGAGEMENT_TIERS], dtype=np.float64)
    k = np.searchsorted(uppers, np.asarray(followers, dtype=np.float64), side="right")
    return rates[np.minimum(k, len(rates) - 1)]


def ns(series: pd.Series) -> np.ndarray:
    """datetime64 (UTC) as int64 nanoseconds, NaT -> INT64_MIN."""
    values = pd.to_datetime(series, utc=True)
    return values.dt.tz_localize(None).to_numpy("datetime64[ns]").view("int64")


def top_level_mask(posts: pd.DataFrame) -> np.ndarray:
    pid = posts.index.to_numpy(np.int64)
    root = posts["root"].to_numpy(np.int64)
    return (posts["reply_to"].to_numpy(np.int64) == -1) & ((root == -1) | (root == pid))


def reply_trees(posts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per post (positional): the index of its topmost stored ancestor, and its depth.

    Pointer doubling on the ``reply_to`` links among stored posts; posts on a cycle
    (never in valid data) keep whatever the capped iterations reached.
    """
    n = len(posts)
    parent = posts.index.get_indexer(posts["reply_to"].to_numpy(np.int64))
    own = np.arange(n)
    anc = np.where(parent >= 0, parent, own)
    dist = (parent >= 0).astype(np.int64)
    for _ in range(MAX_HOPS):
        nxt = anc[anc]
        if np.array_equal(nxt, anc):
            break
        dist = dist + dist[anc]
        anc = nxt
    return anc, dist


def engagement_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: Iterable[int] | None = None
) -> pd.DataFrame:
    """Engagement quality per account (DESIGN 5.5); columns in the module docstring."""
    idx = scored_index(inputs, accounts)
    acc, posts, e = inputs.accounts, inputs.posts, inputs.edges
    out = pd.DataFrame(index=idx)
    fol = (
        acc["followers"].reindex(idx).fillna(0).astype(np.int64)
        if len(acc)
        else pd.Series(0, index=idx, dtype=np.int64)
    )
    out["followers"] = fol.to_numpy(np.int64)

    top = top_level_mask(posts)
    authors = posts["author"].to_numpy(np.int64)
    t_auth = authors[top]
    counts = (
        posts[["likes", "reposts", "replies", "quotes"]]
        .to_numpy(np.float64)
        .sum(axis=1)[top]
    )
    f_auth = (
        acc["followers"].reindex(t_auth).fillna(0).to_numpy(np.float64)
        if len(acc)
        else np.zeros(len(t_auth))
    )
    rate = pd.Series(counts / np.maximum(f_auth, 1.0), index=t_auth)
    g = rate.groupby(level=0)
    out["top_level_posts"] = g.size().reindex(idx, fill_value=0).to_numpy(np.int64)
    out["engagement_rate"] = g.mean().reindex(idx).fillna(0.0).to_numpy(np.float64)
    out["tier_baseline"] = tier_baseline(out["followers"].to_numpy())
    out["engagement_rate_ratio"] = out["engagement_rate"] / out["tier_baseline"]

    target = e["target"].to_numpy(np.int64)
    w = e["weight"].to_numpy(np.float64)
    dia = np.where(e["kind"].isin(DIALOGUE_KINDS).to_numpy(), w, 0.0)
    hcp_flag = (
        acc["is_hcp"]
        .reindex(e["actor"].to_numpy(np.int64))
        .fillna(False)
        .to_numpy(bool)
        if len(acc)
        else np.zeros(len(e), bool)
    )
    recv = (
        pd.DataFrame({"w": w, "d": dia, "h": np.where(hcp_flag, w, 0.0)}, index=target)
        .groupby(level=0)
        .sum()
        .reindex(idx)
    )
    tw = recv["w"].fillna(0.0).to_numpy()
    safe = np.where(tw > 0, tw, 1.0)
    out["dialogue_share"] = np.where(
        tw > 0, recv["d"].fillna(0.0).to_numpy() / safe, 0.0
    )
    out["hcp_engagement_share"] = np.where(
        tw > 0, recv["h"].fillna(0.0).to_numpy() / safe, 0.0
    )

    anc, dist = reply_trees(posts)
    tree_depth = np.zeros(len(posts), np.int64)
    np.maximum.at(tree_depth, anc, dist)
    depth = (
        pd.Series(tree_depth[top].astype(np.float64), index=t_auth)
        .groupby(level=0)
        .mean()
    )
    out["thread_depth"] = depth.reindex(idx).fillna(0.0).to_numpy(np.float64)

    r = out["engagement_rate_ratio"].to_numpy()
    parts = (
        r / (1.0 + r),
        out["dialogue_share"].to_numpy(),
        out["hcp_engagement_share"].to_numpy(),
        np.minimum(out["thread_depth"].to_numpy(), DEPTH_CAP) / DEPTH_CAP,
    )
    out["engagement_quality"] = (parts[0] + parts[1] + parts[2] + parts[3]) / 4.0
    return out[list(ENGAGEMENT_COLUMNS)]


def post_half_lives(inputs: ScoringInputs, late_days: int) -> pd.DataFrame:
    """Timed engagement per stored post: author, n, half-life (hours), late count."""
    e, p = inputs.edges, inputs.posts
    if e.empty or p.empty:
        return pd.DataFrame(
            {
                "author": np.zeros(0, np.int64),
                "n": np.zeros(0, np.int64),
                "half_life": np.zeros(0, np.float64),
                "late": np.zeros(0, np.int64),
            }
        )
    when = ns(e["occurred_at"])
    pos = p.index.get_indexer(e["post_id"].to_numpy(np.int64))
    posted = ns(p["posted_at"])
    ok = (pos >= 0) & (when != NAT)
    ok[ok] = posted[pos[ok]] != NAT
    pos = pos[ok]
    delay = np.maximum(when[ok] - posted[pos], 0)
    order = np.lexsort((delay, pos))
    pos, delay = pos[order], delay[order]
    starts = np.flatnonzero(np.r_[True, pos[1:] != pos[:-1]]) if len(pos) else pos
    n = np.diff(np.r_[starts, len(pos)]).astype(np.int64)
    late_flag = (delay > late_days * NS_PER_DAY).astype(np.int64)
    late = np.add.reduceat(late_flag, starts) if len(pos) else n
    return pd.DataFrame(
        {
            "author": p["author"].to_numpy(np.int64)[pos[starts]],
            "n": n,
            "half_life": (delay[starts + (n + 1) // 2 - 1] / NS_PER_HOUR).astype(
                np.float64
            ),
            "late": late.astype(np.int64),
        }
    )


def longevity_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: Iterable[int] | None = None
) -> pd.DataFrame:
    """Content longevity per account (DESIGN 5.7); columns in the module docstring."""
    idx = scored_index(inputs, accounts)
    out = pd.DataFrame(index=idx)
    per_post = post_half_lives(inputs, params.late_days)
    acc = inputs.accounts
    if len(acc):
        plat = (
            acc["platform"]
            .astype(object)
            .reindex(per_post["author"].to_numpy())
            .fillna("")
            .to_numpy()
        )
    else:
        plat = np.full(len(per_post), "", dtype=object)
    per_post["platform"] = plat
    plat_median = per_post.groupby("platform")["half_life"].median()
    g = per_post.groupby("author")
    n = g["n"].sum().reindex(idx, fill_value=0)
    out["timed_engagements"] = n.to_numpy(np.int64)
    out["half_life_hours"] = g["half_life"].median().reindex(idx).to_numpy(np.float64)
    if len(acc):
        my_plat = acc["platform"].astype(object).reindex(idx).fillna("")
    else:
        my_plat = pd.Series("", index=idx, dtype=object)
    out["platform_half_life_hours"] = plat_median.reindex(my_plat.to_numpy()).to_numpy(
        np.float64
    )
    pm = out["platform_half_life_hours"].to_numpy()
    hl = out["half_life_hours"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(pm > 0, hl / np.where(pm > 0, pm, 1.0), np.nan)
    out["half_life_ratio"] = ratio
    late_n = g["late"].sum().reindex(idx, fill_value=0).to_numpy(np.float64)
    nn = n.to_numpy(np.float64)
    out["late_share"] = np.where(nn > 0, late_n / np.where(nn > 0, nn, 1.0), 0.0)
    h = np.nan_to_num(ratio, nan=0.0)
    part = h / (1.0 + h)
    lon = (part + np.minimum(1.0, out["late_share"].to_numpy() / LATE_SHARE_FULL)) / 2.0
    out["longevity"] = np.where(nn > 0, lon, 0.0)
    return out[list(LONGEVITY_COLUMNS)]
