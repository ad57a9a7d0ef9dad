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
# a direct lookup table is used when the id range is at most this many times the ids
LOOKUP_TABLE_SPREAD = 8

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
    elif isinstance(accounts, np.ndarray | pd.Index | pd.Series):
        ids = pd.unique(np.asarray(accounts, dtype=np.int64))
    else:
        ids = pd.unique(pd.Series(list(accounts), dtype="int64")).astype(np.int64)
    return pd.Index(np.asarray(ids, dtype=np.int64), dtype="int64", name="account_id")


def tier_baseline(followers: np.ndarray) -> np.ndarray:
    uppers = np.array([u for u, _ in ENGAGEMENT_TIERS], dtype=np.float64)
    rates = np.array([r for _, r in ENGAGEMENT_TIERS], dtype=np.float64)
    k = np.searchsorted(uppers, np.asarray(followers, dtype=np.float64), side="right")
    return rates[np.minimum(k, len(rates) - 1)]


def ns(series: pd.Series) -> np.ndarray:
    """datetime64 (UTC) as int64 nanoseconds, NaT -> INT64_MIN (a view when possible;
    never write into the result)."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) and dtype.unit == "ns":
        return np.asarray(series.array.asi8)
    if dtype == np.dtype("datetime64[ns]"):
        return series.to_numpy().view("int64")
    values = pd.to_datetime(series, utc=True)
    return (
        values.dt.tz_convert("UTC")
        .dt.tz_localize(None)
        .to_numpy("datetime64[ns]")
        .view("int64")
    )


def lookup(keys: pd.Index | np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position in ``keys`` (unique int64 ids) of each of ``values``, -1 when absent.

    A direct table over the id range when it is dense enough (database ids are), else
    a hash lookup (``Index.get_indexer``)."""
    index = keys if isinstance(keys, pd.Index) else pd.Index(keys, dtype="int64")
    values = np.asarray(values, dtype=np.int64)
    n = len(index)
    if n == 0 or len(values) == 0:
        return np.full(len(values), -1, dtype=np.intp)
    k = index.to_numpy(np.int64)
    lo, hi = int(k.min()), int(k.max())
    span = hi - lo + 1
    if (
        span > LOOKUP_TABLE_SPREAD * n + 65_536
        or not index.is_unique
        or lo < -(2**61)
        or hi > 2**61
    ):
        return index.get_indexer(values)
    dtype = np.int32 if n < 2**31 else np.int64
    table = np.full(span + 2, -1, dtype=dtype)
    table[k - (lo - 1)] = np.arange(n, dtype=dtype)
    slot = values - (lo - 1)
    np.clip(slot, 0, span + 1, out=slot)
    return table[slot].astype(np.intp, copy=False)


def take(values: np.ndarray, pos: np.ndarray, default) -> np.ndarray:
    """``values[pos]``, ``default`` where ``pos`` is -1."""
    if len(values) == 0:
        return np.full(len(pos), default, dtype=np.asarray([default]).dtype)
    return np.where(pos >= 0, values[np.maximum(pos, 0)], default)


def bit_length(x: int) -> int:
    return int(x).bit_length()


def group_sort(
    group: np.ndarray, value: np.ndarray, stable: bool = False
) -> np.ndarray:
    """The permutation sorting by (group, value), as ``np.lexsort((value, group))``
    (ties in the original order when ``stable``). ``group`` >= 0 ints, ``value``
    int64. One argsort of a packed int64 key: (group, value - min) when both fit in
    63 bits, else (group, rank of value)."""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    kind = "stable" if stable else None
    g = group.astype(np.int64, copy=False)
    gbits = bit_length(int(g.max()))
    vmin, vmax = int(value.min()), int(value.max())
    vbits = bit_length(vmax - vmin)
    if gbits + vbits <= 63:
        key = (g << vbits) | (value - vmin) if vbits else g
        return np.argsort(key, kind=kind)
    order = np.argsort(value, kind=kind)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    rbits = bit_length(n)
    key = (g << rbits) | rank
    key.sort()
    return order[key & ((1 << rbits) - 1)]


def float_key(x: np.ndarray) -> np.ndarray:
    """int64 keys ordered as the float64 values (no NaN)."""
    i = np.ascontiguousarray(x, dtype=np.float64).view(np.int64)
    return i ^ ((i >> 63) & np.int64(0x7FFF_FFFF_FFFF_FFFF))


def group_starts(sorted_group: np.ndarray) -> np.ndarray:
    if len(sorted_group) == 0:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])


def group_median(group: np.ndarray, value: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of ``value`` (float64, no NaN) per group in [0, n_groups); NaN for empty
    groups. The two middle values averaged, as ``statistics.median``."""
    out = np.full(n_groups, np.nan)
    if len(group) == 0:
        return out
    order = group_sort(group, float_key(value))
    g, v = group[order], value[order]
    starts = group_starts(g)
    cnt = np.diff(np.r_[starts, len(g)])
    out[g[starts]] = (v[starts + (cnt - 1) // 2] + v[starts + cnt // 2]) / 2.0
    return out


def platform_codes(accounts: pd.DataFrame) -> tuple[np.ndarray, list[str], int]:
    """Per account a platform code; the platform names; the code of "" (unknown)."""
    if len(accounts) == 0:
        return np.zeros(0, dtype=np.intp), [""], 0
    codes, uniq = pd.factorize(
        accounts["platform"].astype(object), use_na_sentinel=True
    )
    names = [str(u) for u in uniq]
    if "" in names:
        empty = names.index("")
    else:
        empty = len(names)
        names.append("")
    codes = np.where(codes < 0, empty, codes).astype(np.intp)
    return codes, names, empty


def kind_in(kind: pd.Series, names: Iterable[str], sel: np.ndarray | None = None):
    """Whether each (selected) edge's kind is one of ``names``, without copying the
    edge frame's index."""
    values = kind.to_numpy()
    if sel is not None:
        values = values[sel]
    return pd.Series(values, copy=False).isin(list(names)).to_numpy(bool)


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
    reply_to = posts["reply_to"].to_numpy(np.int64)
    parent = np.full(n, -1, dtype=np.intp)
    has = np.flatnonzero(reply_to != -1)
    parent[has] = lookup(posts.index, reply_to[has])
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


def _per_scored(pos: np.ndarray, weights: np.ndarray | None, m: int) -> np.ndarray:
    return np.bincount(pos, weights=weights, minlength=m)[:m]


def engagement_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: Iterable[int] | None = None
) -> pd.DataFrame:
    """Engagement quality per account (DESIGN 5.5); columns in the module docstring."""
    idx = scored_index(inputs, accounts)
    ids = idx.to_numpy(np.int64)
    m = len(ids)
    acc, posts, e = inputs.accounts, inputs.posts, inputs.edges
    acc_pos = lookup(acc.index, ids)
    if len(acc):
        fol_all = acc["followers"].to_numpy()
        followers = np.where(acc_pos >= 0, fol_all[np.maximum(acc_pos, 0)], 0)
        followers = followers.astype(np.int64)
    else:
        followers = np.zeros(m, dtype=np.int64)

    # top-level posts of the scored accounts: rate and reply-tree depth
    top = top_level_mask(posts)
    sp = lookup(ids, posts["author"].to_numpy(np.int64))
    sel = np.flatnonzero(top & (sp >= 0))
    who = sp[sel]
    counts = np.zeros(len(sel), dtype=np.float64)
    for name in ("likes", "reposts", "replies", "quotes"):
        counts += posts[name].to_numpy(np.float64)[sel]
    rate = counts / np.maximum(followers[who].astype(np.float64), 1.0)
    n_top = np.bincount(who, minlength=m)[:m].astype(np.int64)
    safe_n = np.maximum(n_top, 1).astype(np.float64)
    eng_rate = np.where(n_top > 0, _per_scored(who, rate, m) / safe_n, 0.0)
    anc, dist = reply_trees(posts)
    tree_depth = np.zeros(len(posts), np.int64)
    np.maximum.at(tree_depth, anc, dist)
    depth_sum = _per_scored(who, tree_depth[sel].astype(np.float64), m)
    thread_depth = np.where(n_top > 0, depth_sum / safe_n, 0.0)

    # received engagement
    tpos = lookup(ids, e["target"].to_numpy(np.int64))
    rsel = np.flatnonzero(tpos >= 0)
    to = tpos[rsel]
    w = e["weight"].to_numpy(np.float64)[rsel]
    dia = kind_in(e["kind"], DIALOGUE_KINDS, rsel)
    if len(acc):
        ap = lookup(acc.index, e["actor"].to_numpy(np.int64)[rsel])
        hcp = (ap >= 0) & acc["is_hcp"].to_numpy(bool)[np.maximum(ap, 0)]
    else:
        hcp = np.zeros(len(rsel), dtype=bool)
    tw = _per_scored(to, w, m)
    dw = _per_scored(to[dia], w[dia], m)
    hw = _per_scored(to[hcp], w[hcp], m)
    safe = np.where(tw > 0, tw, 1.0)
    dialogue = np.where(tw > 0, dw / safe, 0.0)
    hcp_share = np.where(tw > 0, hw / safe, 0.0)

    base = tier_baseline(followers)
    ratio = eng_rate / base
    quality = (
        ratio / (1.0 + ratio)
        + dialogue
        + hcp_share
        + np.minimum(thread_depth, DEPTH_CAP) / DEPTH_CAP
    ) / 4.0
    return pd.DataFrame(
        {
            "followers": followers,
            "top_level_posts": n_top,
            "engagement_rate": eng_rate.astype(np.float64),
            "tier_baseline": base,
            "engagement_rate_ratio": ratio,
            "dialogue_share": dialogue,
            "hcp_engagement_share": hcp_share,
            "thread_depth": thread_depth,
            "engagement_quality": quality,
        },
        index=idx,
    )


def post_half_lives(
    inputs: ScoringInputs, late_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Timed engagement per stored post with some: (post position, n, half-life in
    hours, late count)."""
    e, p = inputs.edges, inputs.posts
    if e.empty or p.empty:
        z = np.zeros(0, np.int64)
        return z.astype(np.intp), z, z.astype(np.float64), z
    pos = lookup(p.index, e["post_id"].to_numpy(np.int64))
    when = ns(e["occurred_at"])
    posted = ns(p["posted_at"])
    sel = np.flatnonzero((pos >= 0) & (when != NAT))
    pos = pos[sel]
    t0 = posted[pos]
    good = t0 != NAT
    pos, t0, when = pos[good], t0[good], when[sel[good]]
    delay = np.maximum(when - t0, 0)
    del when, t0, sel, good
    n_all = np.bincount(pos, minlength=len(p))
    late_all = np.bincount(pos[delay > late_days * NS_PER_DAY], minlength=len(p))
    order = group_sort(pos, delay)
    delay = delay[order]
    del order
    has = np.flatnonzero(n_all)
    n = n_all[has].astype(np.int64)
    starts = np.cumsum(n) - n
    half = (delay[starts + (n + 1) // 2 - 1] / NS_PER_HOUR).astype(np.float64)
    return has, n, half, late_all[has].astype(np.int64)


def longevity_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: Iterable[int] | None = None
) -> pd.DataFrame:
    """Content longevity per account (DESIGN 5.7); columns in the module docstring."""
    idx = scored_index(inputs, accounts)
    ids = idx.to_numpy(np.int64)
    m = len(ids)
    acc = inputs.accounts
    post_pos, n_post, half, late = post_half_lives(inputs, params.late_days)
    author = inputs.posts["author"].to_numpy(np.int64)[post_pos]

    plat_code, plat_names, empty = platform_codes(acc)
    n_plat = len(plat_names)
    ap = lookup(acc.index, author)
    post_plat = take(plat_code, ap, empty)
    plat_median = group_median(post_plat, half, n_plat)
    my_acc = lookup(acc.index, ids)
    my_plat = take(plat_code, my_acc, empty)
    pm = plat_median[my_plat] if m else np.zeros(0)

    sp = lookup(ids, author)
    sel = np.flatnonzero(sp >= 0)
    who = sp[sel]
    n = np.bincount(who, weights=n_post[sel], minlength=m)[:m].astype(np.int64)
    late_n = np.bincount(who, weights=late[sel], minlength=m)[:m]
    hl = group_median(who, half[sel], m)

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(pm > 0, hl / np.where(pm > 0, pm, 1.0), np.nan)
    nn = n.astype(np.float64)
    late_share = np.where(nn > 0, late_n / np.where(nn > 0, nn, 1.0), 0.0)
    h = np.nan_to_num(ratio, nan=0.0)
    lon = (h / (1.0 + h) + np.minimum(1.0, late_share / LATE_SHARE_FULL)) / 2.0
    return pd.DataFrame(
        {
            "timed_engagements": n,
            "half_life_hours": hl,
            "platform_half_life_hours": pm.astype(np.float64),
            "half_life_ratio": ratio,
            "late_share": late_share,
            "longevity": np.where(nn > 0, lon, 0.0),
        },
        index=idx,
    )
