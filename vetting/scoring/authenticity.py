"""Authenticity (DESIGN 5.6): signals of artificial amplification, each with evidence.

Fast path: pandas/numpy/scipy on whole frames, no per-account Python loops. The
reference implementation (``authenticity_ref``) computes the same numbers with plain
loops and networkx; the tests require both to agree to 1e-9 with the same flags.

``authenticity_scores(inputs, params, accounts=None)`` returns one row per scored
account (the authors of ``inputs.posts``, sorted, or ``accounts`` in the given order):

growth_spike
    From ``snapshots``: for each pair of consecutive snapshots of the account (sorted
    by ``captured_at``, pairs with a zero time step skipped) the relative jump
    ``g = (f1 - f0) / max(f0, 1)`` over ``dt`` days; the trend is the median of
    ``g / dt`` over the account's pairs; ``growth_spike = max(0, max(g - trend*dt))``
    (the largest jump in excess of what the trend predicts for that step); 0 with
    fewer than two snapshots. Flag ``follower_spike`` when it is >= 0.25 and the
    jump is >= 100 followers from a base of >= 50.
bot_engager_share
    Share of the engagement weight the account received (all edge kinds) that came
    from *bot-like* engagements. An engagement is bot-like when its actor meets at
    least 3 of 5 features: empty bio (``bio_len == 0``); following >= 100 and >= 10x
    its followers; fewer than 20 posts (``posts_count``); younger than 90 days at the
    time of the engagement (``occurred_at``, else ``params.window_end``; needs
    ``created_at``); bursty posting (>= 3 posts in ``posts`` and at least half of the
    gaps between consecutive posts <= 10 minutes). Actors missing from ``accounts``
    can only meet the bursty feature. Flag ``bot_engagers`` when the share is >= 0.2
    from >= 10 distinct bot-like accounts.
pod_share, pod_group_size
    Coordinated engagement. Only timed engagement edges on stored posts count. An
    engagement is *fast* when it arrives 0..15 minutes after the post. For author v
    with ``n`` posts that received timed engagement (n >= 5), a candidate is an actor
    that engaged fast on >= max(3, ceil(20% n)) of those posts; two candidates are
    *partners* when they both engaged fast on >= max(2, ceil(10% n)) same posts; the
    pod group is the candidates with >= 3 partners, kept when it has >= 4 members
    (``pod_group_size``, else 0). ``pod_share`` = share of the n posts on which >= 2
    group members engaged fast (0 without a group). Flag ``pod`` when the group has
    >= 4 members and pod_share >= 0.4.
reciprocity, reciprocal_accounts
    Over likes and reposts only (replies-back in one's own threads are conversation,
    not amplification): the share of the like/repost weight v received from accounts
    that v also liked or reposted (any post of theirs in the window), and how many such
    accounts. The norm is the median reciprocity of all accounts of the same platform
    that received likes/reposts (``reciprocity_norm``). Flag ``reciprocity`` when it is
    >= max(0.65, 3 x norm) with >= 4 reciprocal accounts.
authenticity
    ``(1 - p_spike)(1 - p_bot)(1 - p_pod)(1 - p_recip)`` in [0, 1], 1 = organic, with
    ``p_spike = clip((growth_spike - 0.1) / 0.4)``, ``p_bot = clip(bot_engager_share /
    0.4)``, ``p_pod = pod_share``, ``p_recip = 0.5 * clip((reciprocity - m) / (1 - m))``
    where ``m = min(0.9, max(0.5, 3 x norm))`` and ``clip`` is to [0, 1].
flagged, flags
    ``flags`` is a list of ``{"signal", "evidence", "value"}`` dicts in the order
    follower_spike, bot_engagers, pod, reciprocity; ``flagged`` = any flag. Every flag
    is a hard rule on one named signal with its evidence text: no opaque model score
    can flag an account (an IsolationForest could rank, but would make evidence-free
    flags; not used).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import sparse

from vetting.scoring.activity import (
    bit_length,
    group_median,
    group_sort,
    group_starts,
    kind_in,
    lookup,
    ns,
    platform_codes,
    scored_index,
    take,
)
from vetting.scoring.frames import ScoringInputs, ScoringParams

NS_PER_DAY = 86_400 * 10**9
NS_PER_MIN = 60 * 10**9

SPIKE_FLAG_EXCESS = 0.25
SPIKE_FLAG_JUMP = 100
SPIKE_FLAG_BASE = 50
SPIKE_PENALTY_FLOOR = 0.10
SPIKE_PENALTY_SPAN = 0.40

BOT_FOLLOWING_MIN = 100
BOT_FOLLOW_RATIO = 10
BOT_POSTS_MAX = 20
BOT_AGE_DAYS = 90
BURST_MINUTES = 10
BURST_MIN_POSTS = 3
BOT_MIN_POINTS = 3
BOT_FLAG_SHARE = 0.2
BOT_FLAG_MIN_ACTORS = 10
BOT_PENALTY_SPAN = 0.4
BOT_FEATURES = ("empty_bio", "follow_ratio", "few_posts", "young", "bursty")
BOT_FEATURE_TEXT = {
    "empty_bio": "empty bio",
    "follow_ratio": f"following >= {BOT_FOLLOW_RATIO}x followers",
    "few_posts": f"< {BOT_POSTS_MAX} posts",
    "young": f"< {BOT_AGE_DAYS} days old",
    "bursty": "bursty posting",
}

POD_WINDOW_MINUTES = 15
POD_MIN_AUTHOR_POSTS = 5
POD_ACTOR_MIN_POSTS = 3
POD_ACTOR_PCT = 20
POD_PAIR_MIN_POSTS = 2
POD_PAIR_PCT = 10
POD_MIN_PARTNERS = 3
POD_MIN_GROUP = 4
POD_POST_MIN_ENGAGERS = 2
POD_FLAG_SHARE = 0.4

RECIP_KINDS = ("like", "repost")
RECIP_FLAG_MIN = 0.65
RECIP_PENALTY_FLOOR = 0.5
RECIP_FLAG_FACTOR = 3.0
RECIP_MIN_ACTORS = 4
RECIP_PENALTY_WEIGHT = 0.5

COLUMNS = (
    "growth_spike",
    "bot_engager_share",
    "pod_share",
    "pod_group_size",
    "reciprocity",
    "reciprocal_accounts",
    "reciprocity_norm",
    "authenticity",
    "flagged",
    "flags",
)


# -- shared scalar rules (used by the fast and the reference paths) -------------------
def ceil_pct(n: int, pct: int) -> int:
    """ceil(n * pct / 100) in integers (no float rounding at the boundary)."""
    return (n * pct + 99) // 100


def pod_actor_need(n: int) -> int:
    return max(POD_ACTOR_MIN_POSTS, ceil_pct(n, POD_ACTOR_PCT))


def pod_pair_need(n: int) -> int:
    return max(POD_PAIR_MIN_POSTS, ceil_pct(n, POD_PAIR_PCT))


def _clip01(x: float) -> float:
    return min(1.0, max(0.0, x))


def recip_threshold(norm: float) -> float:
    return max(RECIP_FLAG_MIN, RECIP_FLAG_FACTOR * norm)


def recip_penalty_base(norm: float) -> float:
    return min(0.9, max(RECIP_PENALTY_FLOOR, RECIP_FLAG_FACTOR * norm))


def _day(ns: int) -> str:
    return pd.Timestamp(int(ns), tz="UTC").strftime("%Y-%m-%d")


def spike_flag(
    excess: float, f0: int, f1: int, t0: int, t1: int, trend_per_day: float
) -> dict | None:
    if not (
        excess >= SPIKE_FLAG_EXCESS
        and f1 - f0 >= SPIKE_FLAG_JUMP
        and f0 >= SPIKE_FLAG_BASE
    ):
        return None
    jump = (f1 - f0) / max(f0, 1)
    days = (t1 - t0) / NS_PER_DAY
    return {
        "signal": "follower_spike",
        "evidence": (
            f"followers {f0:,} -> {f1:,} ({jump:+.0%}) between {_day(t0)} and {_day(t1)}"
            f" ({days:.0f} days); the account's median growth is {trend_per_day * days:+.1%}"
            f" per {days:.0f} days"
        ),
        "value": float(excess),
    }


def bot_flag(
    share: float, bot_w: float, total_w: float, n_actors: int, feats: dict
) -> dict | None:
    if not (share >= BOT_FLAG_SHARE and n_actors >= BOT_FLAG_MIN_ACTORS):
        return None
    parts = ", ".join(
        f"{feats[name]} {BOT_FEATURE_TEXT[name]}"
        for name in BOT_FEATURES
        if feats.get(name)
    )
    return {
        "signal": "bot_engagers",
        "evidence": (
            f"{share:.0%} of engagement weight ({bot_w:,.1f} of {total_w:,.1f}) came from"
            f" {n_actors:,} bot-like accounts (>= {BOT_MIN_POINTS} of: empty bio, following"
            f" >= {BOT_FOLLOW_RATIO}x followers, < {BOT_POSTS_MAX} posts, < {BOT_AGE_DAYS}"
            f" days old, bursty posting); of them: {parts}"
        ),
        "value": float(share),
    }


def pod_flag(
    share: float, group: Iterable[int], pod_posts: int, n_posts: int
) -> dict | None:
    members = sorted(int(a) for a in group)
    if not (len(members) >= POD_MIN_GROUP and share >= POD_FLAG_SHARE):
        return None
    shown = ", ".join(str(a) for a in members[:12]) + (
        " ..." if len(members) > 12 else ""
    )
    return {
        "signal": "pod",
        "evidence": (
            f"a group of {len(members)} accounts ({shown}) engaged within"
            f" {POD_WINDOW_MINUTES} minutes of the post, at least {POD_POST_MIN_ENGAGERS}"
            f" of them together, on {pod_posts} of {n_posts} posts ({share:.0%})"
        ),
        "value": float(share),
    }


def recip_flag(recip: float, n_actors: int, norm: float, platform: str) -> dict | None:
    if not (recip >= recip_threshold(norm) and n_actors >= RECIP_MIN_ACTORS):
        return None
    return {
        "signal": "reciprocity",
        "evidence": (
            f"{recip:.0%} of like/repost weight came from {n_actors} accounts it also"
            f" likes/reposts (median on {platform or 'its platform'}: {norm:.0%})"
        ),
        "value": float(recip),
    }


def authenticity_value(
    spike: float, bot: float, pod: float, recip: float, norm: float
) -> float:
    p_spike = _clip01((spike - SPIKE_PENALTY_FLOOR) / SPIKE_PENALTY_SPAN)
    p_bot = _clip01(bot / BOT_PENALTY_SPAN)
    p_pod = _clip01(pod)
    m = recip_penalty_base(norm)
    p_recip = RECIP_PENALTY_WEIGHT * _clip01((recip - m) / (1.0 - m))
    return (1.0 - p_spike) * (1.0 - p_bot) * (1.0 - p_pod) * (1.0 - p_recip)


# -- fast path ----------------------------------------------------------------------
# Every per-edge step works on numpy columns of the frames (no copy of the edge
# frame), with account ids as dense codes (positions in ``accounts``, then the ids
# missing from it) or as positions of the scored accounts; group statistics with
# bincount / reduceat over one sort of a packed int64 key.
NAT = np.iinfo(np.int64).min
MAX_WEIGHT_CODES = 16


def account_codes(
    index: pd.Index, *arrays: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Dense codes of account ids: the position in ``index``, else ``len(index)`` +
    the position among the sorted ids missing from it (returned)."""
    n = len(index)
    pos = [lookup(index, a) for a in arrays]
    missing = [a[p < 0] for a, p in zip(arrays, pos, strict=True)]
    extra = (
        np.unique(np.concatenate(missing))
        if any(len(x) for x in missing)
        else np.zeros(0, np.int64)
    )
    for a, p in zip(arrays, pos, strict=True):
        bad = np.flatnonzero(p < 0)
        if len(bad):
            p[bad] = n + np.searchsorted(extra, a[bad])
    return pos, extra


def growth_spikes(snapshots: pd.DataFrame, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Per scored account (positional): growth_spike, whether it has a step, and the
    interval behind it (f0, f1, t0, t1) with the account's trend."""
    m = len(ids)
    out = {
        "growth_spike": np.zeros(m),
        "has": np.zeros(m, bool),
        "f0": np.zeros(m, np.int64),
        "f1": np.zeros(m, np.int64),
        "t0": np.zeros(m, np.int64),
        "t1": np.zeros(m, np.int64),
        "trend": np.zeros(m),
    }
    if snapshots.empty or m == 0:
        return out
    sa = lookup(ids, snapshots["account_id"].to_numpy(np.int64))
    t = ns(snapshots["captured_at"])
    sel = np.flatnonzero((sa >= 0) & (t != NAT))
    a, t = sa[sel], t[sel]
    order = group_sort(a, t, stable=True)
    sel, a, t = sel[order], a[order], t[order]
    f = snapshots["followers"].to_numpy(np.int64)[sel]
    k = np.flatnonzero((a[1:] == a[:-1]) & (t[1:] > t[:-1]))
    if len(k) == 0:
        return out
    pa = a[k]
    f0, f1, t0, t1 = f[k], f[k + 1], t[k], t[k + 1]
    dt = (t1 - t0) / NS_PER_DAY
    g = (f1 - f0) / np.maximum(f0, 1).astype(np.float64)
    trend = group_median(pa, g / dt, m)
    excess = g - trend[pa] * dt
    starts = group_starts(pa)
    sizes = np.diff(np.r_[starts, len(pa)])
    best = np.repeat(np.maximum.reduceat(excess, starts), sizes)
    at_max = np.flatnonzero(excess == best)
    first = at_max[group_starts(pa[at_max])]  # the earliest step with the max
    who = pa[first]
    out["growth_spike"][who] = np.maximum(excess[first], 0.0)
    out["has"][who] = True
    for name, values in (("f0", f0), ("f1", f1), ("t0", t0), ("t1", t1)):
        out[name][who] = values[first]
    out["trend"][who] = trend[who]
    return out


def bursty_accounts(posts: pd.DataFrame) -> pd.Index:
    """Authors with >= 3 posts and at least half of the gaps <= 10 minutes (sorted)."""
    _, ids = bursty_flags(posts, pd.Index([], dtype="int64"))
    return pd.Index(ids, dtype="int64")


def bursty_flags(posts: pd.DataFrame, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Authors with >= 3 posts and at least half of their gaps <= 10 minutes: a flag
    per row of ``index`` (accounts) and the sorted bursty ids missing from it."""
    flags = np.zeros(len(index), bool)
    if posts.empty:
        return flags, np.zeros(0, np.int64)
    a = posts["author"].to_numpy(np.int64)
    t = ns(posts["posted_at"])
    ok = np.flatnonzero(t != NAT)
    (c,), extra = account_codes(index, a[ok])
    t = t[ok]
    k = len(index) + len(extra)
    n = np.bincount(c, minlength=k)
    many = np.flatnonzero(n[c] >= BURST_MIN_POSTS)
    c, t = c[many], t[many]
    order = group_sort(c, t)
    c, t = c[order], t[order]
    close = (c[1:] == c[:-1]) & (t[1:] - t[:-1] <= BURST_MINUTES * NS_PER_MIN)
    bursts = np.bincount(c[1:][close], minlength=k)
    keep = (n >= BURST_MIN_POSTS) & (2 * bursts >= n - 1)
    return keep[: len(index)], extra[keep[len(index) :]]


def bot_engagers(
    inputs: ScoringInputs,
    params: ScoringParams,
    to: np.ndarray,
    sel: np.ndarray,
    m: int,
) -> dict[str, np.ndarray]:
    """Per scored account: total_w, bot_w, bot_actors and the per-feature counts of
    the bot-like actors. ``sel``: the edges whose target is scored, ``to`` its
    position."""
    acc, e = inputs.accounts, inputs.edges
    w = e["weight"].to_numpy(np.float64)[sel]
    out = {"total_w": np.bincount(to, weights=w, minlength=m)[:m]}
    actor = e["actor"].to_numpy(np.int64)[sel]
    ap = lookup(acc.index, actor)
    bursty_acc, bursty_extra = bursty_flags(inputs.posts, acc.index)
    if len(acc):
        bio = acc["bio_len"].to_numpy(np.int64)
        followers = acc["followers"].to_numpy(np.int64)
        following = acc["following"].to_numpy(np.int64)
        static = {
            "empty_bio": bio == 0,
            "follow_ratio": (following >= BOT_FOLLOWING_MIN)
            & (following >= BOT_FOLLOW_RATIO * np.maximum(followers, 1)),
            "few_posts": acc["posts_count"].to_numpy(np.int64) < BOT_POSTS_MAX,
            "bursty": bursty_acc,
        }
        created = ns(acc["created_at"])
    else:
        static = {name: np.zeros(0, bool) for name in BOT_FEATURES if name != "young"}
        created = np.zeros(0, np.int64)
    points_of = sum(v.astype(np.int8) for v in static.values())
    when = ns(e["occurred_at"])[sel]
    end = pd.Timestamp(params.window_end)
    end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
    when = np.where(when == NAT, end.value, when)
    cr = take(created, ap, NAT)
    young = (cr != NAT) & (when - cr < BOT_AGE_DAYS * NS_PER_DAY)
    del when, cr
    points = take(points_of, ap, 0).astype(np.int8) + young
    unknown = np.flatnonzero(ap < 0)
    unknown_bursty = np.zeros(0, bool)
    if len(unknown):
        unknown_bursty = np.isin(actor[unknown], bursty_extra)
        points[unknown] += unknown_bursty
    b = np.flatnonzero(points >= BOT_MIN_POINTS)
    del points
    bt = to[b]
    out["bot_w"] = np.bincount(bt, weights=w[b], minlength=m)[:m]
    bap = ap[b]
    feats = {name: take(static[name], bap, False) for name in static}
    feats["young"] = young[b]
    if len(unknown):
        flag = np.zeros(len(sel), bool)
        flag[unknown] = unknown_bursty
        feats["bursty"] = feats["bursty"] | flag[b]
    # distinct (target, actor) pairs, each feature OR-ed over the pair's bot edges
    (code,), _ = account_codes(acc.index, actor[b])
    k = np.int64(max(int(code.max()) + 1, 1)) if len(code) else np.int64(1)
    pairs, inv = np.unique(bt.astype(np.int64) * k + code, return_inverse=True)
    pt = (pairs // k).astype(np.intp)
    out["bot_actors"] = np.bincount(pt, minlength=m)[:m].astype(np.int64)
    for name in BOT_FEATURES:
        hit = np.bincount(inv, weights=feats[name], minlength=len(pairs)) > 0
        out[name] = np.bincount(pt, weights=hit, minlength=m)[:m].astype(np.int64)
    return out


def pods(inputs: ScoringInputs, ids: np.ndarray) -> tuple[dict, dict[int, list[int]]]:
    """Per scored author (positional): n posts with timed engagement, pod posts, group
    size, pod share; the groups (scored position -> sorted actor ids)."""
    e, p = inputs.edges, inputs.posts
    m = len(ids)
    out = {
        "n_posts": np.zeros(m, np.int64),
        "pod_posts": np.zeros(m, np.int64),
        "pod_group_size": np.zeros(m, np.int64),
        "pod_share": np.zeros(m),
    }
    if e.empty or p.empty or m == 0:
        return out, {}
    post_sp = lookup(ids, p["author"].to_numpy(np.int64))
    posted = ns(p["posted_at"])
    when = ns(e["occurred_at"])
    pos = lookup(p.index, e["post_id"].to_numpy(np.int64))
    sel = np.flatnonzero(pos >= 0)
    pp = pos[sel]
    del pos
    ok = np.flatnonzero(
        (take(post_sp, pp, -1) >= 0) & (posted[pp] != NAT) & (when[sel] != NAT)
    )
    sel, pp = sel[ok], pp[ok]
    del ok
    engaged = np.zeros(len(p), bool)
    engaged[pp] = True
    n_posts = np.bincount(post_sp[np.flatnonzero(engaged)], minlength=m)[:m]
    out["n_posts"] = n_posts.astype(np.int64)
    delay = when[sel] - posted[pp]
    fast = np.flatnonzero((delay >= 0) & (delay <= POD_WINDOW_MINUTES * NS_PER_MIN))
    del delay
    fpp = pp[fast]
    actors, ac = np.unique(
        e["actor"].to_numpy(np.int64)[sel[fast]], return_inverse=True
    )
    del sel, pp, fast
    na = np.int64(max(len(actors), 1))
    pk = np.unique(fpp.astype(np.int64) * na + ac)  # distinct (post, actor)
    fpp, ac = (pk // na).astype(np.intp), pk % na
    fa = post_sp[fpp]
    keys, inv, cnt = np.unique(
        fa.astype(np.int64) * na + ac, return_inverse=True, return_counts=True
    )
    ka = (keys // na).astype(np.intp)
    n_of = n_posts[ka]
    need = np.maximum(POD_ACTOR_MIN_POSTS, (n_of * POD_ACTOR_PCT + 99) // 100)
    cand = np.flatnonzero((n_of >= POD_MIN_AUTHOR_POSTS) & (cnt >= need))
    if len(cand) == 0:
        return out, {}
    col_of = np.full(len(keys), -1, np.intp)
    col_of[cand] = np.arange(len(cand))
    col = col_of[inv]
    keep = np.flatnonzero(col >= 0)
    cols = col[keep]
    row_posts, rows = np.unique(fpp[keep], return_inverse=True)
    # co-engagement counts of candidate pairs: X^T X, X = post x (author, actor)
    x = sparse.csr_matrix(
        (np.ones(len(cols), np.int64), (rows, cols)),
        shape=(len(row_posts), len(cand)),
    )
    co = (x.T @ x).tocoo()
    upper = co.row < co.col
    i, j, c = co.row[upper], co.col[upper], co.data[upper]
    col_author = ka[cand]
    pair_need = np.maximum(
        POD_PAIR_MIN_POSTS, (n_posts[col_author[i]] * POD_PAIR_PCT + 99) // 100
    )
    strong = c >= pair_need
    deg = np.bincount(np.concatenate([i[strong], j[strong]]), minlength=len(cand))
    member = deg >= POD_MIN_PARTNERS
    size = np.bincount(col_author[member], minlength=m)[:m]
    kept = member & (size[col_author] >= POD_MIN_GROUP)
    if not kept.any():
        return out, {}
    per_post = np.bincount(rows[kept[cols]], minlength=len(row_posts))
    hit_authors = post_sp[row_posts[per_post >= POD_POST_MIN_ENGAGERS]]
    pod_posts = np.bincount(hit_authors, minlength=m)[:m].astype(np.int64)
    group_size = np.where(size >= POD_MIN_GROUP, size, 0).astype(np.int64)
    out["pod_group_size"] = group_size
    out["pod_posts"] = np.where(group_size > 0, pod_posts, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pod_share"] = np.where(
            group_size > 0, out["pod_posts"] / np.maximum(n_posts, 1), 0.0
        )
    kc = np.flatnonzero(kept)
    g_author = col_author[kc]
    g_actor = actors[keys[cand[kc]] % na]
    order = np.lexsort((g_actor, g_author))
    g_author, g_actor = g_author[order], g_actor[order]
    starts = group_starts(g_author)
    groups = {
        int(g_author[s]): g_actor[s:t].tolist()
        for s, t in zip(starts, np.r_[starts[1:], len(g_author)], strict=True)
    }
    return out, groups


def reciprocity(
    inputs: ScoringInputs, ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Per scored account: reciprocity, reciprocal accounts, the platform norm; and the
    platform names."""
    acc, e = inputs.accounts, inputs.edges
    m = len(ids)
    plat_code, plat_names, empty = platform_codes(acc)
    my_acc = lookup(acc.index, ids)
    my_plat = take(plat_code, my_acc, empty)
    zero = (np.zeros(m), np.zeros(m, np.int64), np.zeros(m), my_plat, plat_names)
    if e.empty:
        return zero
    lk = np.flatnonzero(kind_in(e["kind"], RECIP_KINDS))
    if len(lk) == 0:
        return zero
    t = e["target"].to_numpy(np.int64)[lk]
    a = e["actor"].to_numpy(np.int64)[lk]
    w = e["weight"].to_numpy(np.float64)[lk]
    del lk
    (ct, ca), extra = account_codes(acc.index, t, a)
    del t, a
    k = len(acc) + len(extra)
    key = ct.astype(np.int64) * k + ca
    del ct, ca
    w_vals = np.unique(w)
    wbits = bit_length(len(w_vals) - 1)
    if len(w_vals) <= MAX_WEIGHT_CODES and bit_length(k * k) + wbits <= 63:
        # sort (pair, weight code) values: no argsort needed
        packed = (key << wbits) | np.searchsorted(w_vals, w)
        del key, w
        packed.sort()
        pair = packed >> wbits
        wv = w_vals[packed & ((1 << wbits) - 1)]
        del packed
    else:
        order = np.argsort(key)
        pair, wv = key[order], w[order]
        del key, w, order
    starts = group_starts(pair)
    pw = np.add.reduceat(wv, starts) if len(starts) else np.zeros(0)
    keys = pair[starts]
    del pair, wv, starts
    pt, pa = keys // k, keys % k
    # pairs whose reverse exists: the values in both keys and the reversed keys
    both = np.concatenate([keys, pa * k + pt])
    both.sort()
    dup = both[1:][both[1:] == both[:-1]]
    del both
    rec = np.zeros(len(keys), bool)
    rec[np.searchsorted(keys, dup)] = True
    pt = pt.astype(np.intp)
    tw = np.bincount(pt, weights=pw, minlength=k)
    rw = np.bincount(pt[rec], weights=pw[rec], minlength=k)
    n_rec = np.bincount(pt[rec], minlength=k)
    has = np.flatnonzero(tw > 0)
    recip = np.zeros(k)
    recip[has] = rw[has] / tw[has]
    code_plat = np.concatenate([plat_code, np.full(len(extra), empty)])
    norms = group_median(code_plat[has], recip[has], len(plat_names))
    norms = np.nan_to_num(norms, nan=0.0)
    # scored accounts' codes
    code = my_acc.copy()
    bad = np.flatnonzero(code < 0)
    if len(bad):
        j = np.searchsorted(extra, ids[bad])
        found = (
            (j < len(extra))
            & (extra[np.minimum(j, max(len(extra) - 1, 0))] == ids[bad])
            if len(extra)
            else np.zeros(len(bad), bool)
        )
        code[bad] = np.where(found, len(acc) + j, -1)
    r = take(recip, code, 0.0)
    n = take(n_rec, code, 0).astype(np.int64)
    return r, n, norms[my_plat], my_plat, plat_names


def authenticity_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: Iterable[int] | None = None
) -> pd.DataFrame:
    """Authenticity signals, score and evidence-backed flags per account (see module doc)."""
    idx = scored_index(inputs, accounts)
    ids = idx.to_numpy(np.int64)
    m = len(ids)

    spikes = growth_spikes(inputs.snapshots, ids)
    spike = spikes["growth_spike"]

    tpos = lookup(ids, inputs.edges["target"].to_numpy(np.int64))
    sel = np.flatnonzero(tpos >= 0)
    to = tpos[sel]
    del tpos
    bots = bot_engagers(inputs, params, to, sel, m)
    del to, sel
    total_w, bot_w = bots["total_w"], bots["bot_w"]
    share = np.where(total_w > 0, bot_w / np.where(total_w > 0, total_w, 1.0), 0.0)

    pod, groups = pods(inputs, ids)
    recip, n_rec, norm, plat, plat_names = reciprocity(inputs, ids)

    p_spike = np.clip((spike - SPIKE_PENALTY_FLOOR) / SPIKE_PENALTY_SPAN, 0.0, 1.0)
    p_bot = np.clip(share / BOT_PENALTY_SPAN, 0.0, 1.0)
    p_pod = np.clip(pod["pod_share"], 0.0, 1.0)
    mm = np.minimum(0.9, np.maximum(RECIP_PENALTY_FLOOR, RECIP_FLAG_FACTOR * norm))
    p_recip = RECIP_PENALTY_WEIGHT * np.clip((recip - mm) / (1.0 - mm), 0.0, 1.0)
    score = (1.0 - p_spike) * (1.0 - p_bot) * (1.0 - p_pod) * (1.0 - p_recip)

    # Flags: only accounts past a threshold get a (Python-built) evidence dict.
    flags: list[list[dict]] = [[] for _ in range(m)]
    for k in np.flatnonzero(spikes["has"] & (spike >= SPIKE_FLAG_EXCESS)):
        flag = spike_flag(
            float(spike[k]),
            int(spikes["f0"][k]),
            int(spikes["f1"][k]),
            int(spikes["t0"][k]),
            int(spikes["t1"][k]),
            float(spikes["trend"][k]),
        )
        if flag:
            flags[k].append(flag)
    for k in np.flatnonzero(share >= BOT_FLAG_SHARE):
        flag = bot_flag(
            float(share[k]),
            float(bot_w[k]),
            float(total_w[k]),
            int(bots["bot_actors"][k]),
            {name: int(bots[name][k]) for name in BOT_FEATURES},
        )
        if flag:
            flags[k].append(flag)
    for k in np.flatnonzero(pod["pod_group_size"] >= POD_MIN_GROUP):
        flag = pod_flag(
            float(pod["pod_share"][k]),
            groups.get(int(k), []),
            int(pod["pod_posts"][k]),
            int(pod["n_posts"][k]),
        )
        if flag:
            flags[k].append(flag)
    for k in np.flatnonzero(recip >= RECIP_FLAG_MIN):
        flag = recip_flag(
            float(recip[k]), int(n_rec[k]), float(norm[k]), plat_names[plat[k]]
        )
        if flag:
            flags[k].append(flag)
    flagged = np.array([bool(f) for f in flags], dtype=bool)
    out = pd.DataFrame(
        {
            "growth_spike": spike.astype(np.float64),
            "bot_engager_share": share.astype(np.float64),
            "pod_share": pod["pod_share"].astype(np.float64),
            "pod_group_size": pod["pod_group_size"].astype(np.int64),
            "reciprocity": recip.astype(np.float64),
            "reciprocal_accounts": n_rec.astype(np.int64),
            "reciprocity_norm": norm.astype(np.float64),
            "authenticity": score,
            "flagged": flagged.reshape(-1) if m else np.zeros(0, bool),
        },
        index=idx,
    )
    out["flags"] = pd.Series(flags, index=idx, dtype=object)
    return out[list(COLUMNS)]
