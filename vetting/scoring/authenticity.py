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

from vetting.scoring.activity import scored_index
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
def _ns(series: pd.Series) -> np.ndarray:
    """datetime64[ns, UTC] as int64 ns, NaT -> INT64_MIN."""
    values = pd.to_datetime(series, utc=True)
    return (
        values.dt.tz_convert("UTC")
        .dt.tz_localize(None)
        .to_numpy("datetime64[ns]")
        .view("int64")
    )


NAT = np.iinfo(np.int64).min


def growth_spikes(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Per account: growth_spike and the interval behind it (fast)."""
    cols = ["growth_spike", "f0", "f1", "t0", "t1", "trend"]
    if snapshots.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], dtype="int64"))
    s = pd.DataFrame(
        {
            "a": snapshots["account_id"].to_numpy(np.int64),
            "t": _ns(snapshots["captured_at"]),
            "f": snapshots["followers"].to_numpy(np.int64),
        }
    )
    s = s[s["t"] != NAT].sort_values(["a", "t"], kind="mergesort")
    a, t, f = s["a"].to_numpy(), s["t"].to_numpy(), s["f"].to_numpy()
    same = (a[1:] == a[:-1]) & (t[1:] > t[:-1])
    if not same.any():
        return pd.DataFrame(columns=cols, index=pd.Index([], dtype="int64"))
    f0, f1 = f[:-1][same], f[1:][same]
    t0, t1 = t[:-1][same], t[1:][same]
    dt = (t1 - t0) / NS_PER_DAY
    g = (f1 - f0) / np.maximum(f0, 1).astype(np.float64)
    d = pd.DataFrame(
        {
            "a": a[1:][same],
            "g": g,
            "rate": g / dt,
            "dt": dt,
            "f0": f0,
            "f1": f1,
            "t0": t0,
            "t1": t1,
        }
    )
    trend = d.groupby("a", sort=False)["rate"].median()
    d["trend"] = trend.reindex(d["a"]).to_numpy()
    d["excess"] = d["g"] - d["trend"] * d["dt"]
    d = d.sort_values(
        ["a", "excess", "t0"], ascending=[True, False, True], kind="mergesort"
    )
    best = d.drop_duplicates("a", keep="first").set_index("a")
    best["growth_spike"] = best["excess"].clip(lower=0.0)
    return best[cols]


def bursty_accounts(posts: pd.DataFrame) -> pd.Index:
    """Authors with >= 3 posts and at least half of their gaps <= 10 minutes."""
    if posts.empty:
        return pd.Index([], dtype="int64")
    a = posts["author"].to_numpy(np.int64)
    t = _ns(posts["posted_at"])
    ok = t != NAT
    a, t = a[ok], t[ok]
    codes, uniq = pd.factorize(a)
    order = np.lexsort((t, codes))
    c, t = codes[order], t[order]
    close = (c[1:] == c[:-1]) & (t[1:] - t[:-1] <= BURST_MINUTES * NS_PER_MIN)
    n = np.bincount(c, minlength=len(uniq))
    bursts = np.bincount(c[1:][close], minlength=len(uniq))
    keep = (n >= BURST_MIN_POSTS) & (2 * bursts >= n - 1)
    return pd.Index(np.sort(np.asarray(uniq, dtype=np.int64)[keep]), dtype="int64")


def bot_points(inputs: ScoringInputs, params: ScoringParams) -> pd.DataFrame:
    """Per edge: the five bot features of its actor (at the engagement's time)."""
    acc, e = inputs.accounts, inputs.edges
    pos = acc.index.get_indexer(e["actor"].to_numpy(np.int64))
    known = pos >= 0
    safe = np.where(known, pos, 0)

    def col(name: str, default) -> np.ndarray:
        if len(acc) == 0:
            return np.full(len(e), default)
        values = acc[name].to_numpy()[safe]
        return np.where(known, values, default)

    bio = col("bio_len", -1).astype(np.int64)
    followers = col("followers", 0).astype(np.int64)
    following = col("following", 0).astype(np.int64)
    posts_count = col("posts_count", BOT_POSTS_MAX).astype(np.int64)
    created = _ns(acc["created_at"]) if len(acc) else np.zeros(0, np.int64)
    created = np.where(known, created[safe] if len(acc) else NAT, NAT)
    when = _ns(e["occurred_at"])
    end = pd.Timestamp(params.window_end)
    end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
    when = np.where(when == NAT, end.value, when)
    feats = pd.DataFrame(
        {
            "empty_bio": known & (bio == 0),
            "follow_ratio": known
            & (following >= BOT_FOLLOWING_MIN)
            & (following >= BOT_FOLLOW_RATIO * np.maximum(followers, 1)),
            "few_posts": known & (posts_count < BOT_POSTS_MAX),
            "young": (created != NAT) & (when - created < BOT_AGE_DAYS * NS_PER_DAY),
            "bursty": np.isin(
                e["actor"].to_numpy(np.int64), bursty_accounts(inputs.posts).to_numpy()
            ),
        },
        index=e.index,
    )
    feats["points"] = feats[list(BOT_FEATURES)].sum(axis=1).astype(np.int64)
    return feats


def bot_engagers(inputs: ScoringInputs, params: ScoringParams) -> pd.DataFrame:
    e = inputs.edges
    cols = ["total_w", "bot_w", "bot_actors", *BOT_FEATURES]
    if e.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], dtype="int64"))
    feats = bot_points(inputs, params)
    bot = (feats["points"] >= BOT_MIN_POINTS).to_numpy()
    target = e["target"].to_numpy(np.int64)
    w = e["weight"].to_numpy(np.float64)
    codes, uniq = pd.factorize(target)
    total = np.bincount(codes, weights=w, minlength=len(uniq))
    out = pd.DataFrame(
        {"total_w": total}, index=pd.Index(np.asarray(uniq, dtype=np.int64))
    )
    b = pd.DataFrame(
        {
            "target": target[bot],
            "actor": e["actor"].to_numpy(np.int64)[bot],
            "w": w[bot],
        }
    )
    for name in BOT_FEATURES:
        b[name] = feats[name].to_numpy()[bot]
    out["bot_w"] = b.groupby("target")["w"].sum().reindex(out.index, fill_value=0.0)
    per_actor = b.groupby(["target", "actor"])[list(BOT_FEATURES)].max()
    agg = per_actor.groupby(level="target").agg(["sum", "size"])
    out["bot_actors"] = 0
    for name in BOT_FEATURES:
        out[name] = 0
    if len(agg):
        out.loc[agg.index, "bot_actors"] = agg[(BOT_FEATURES[0], "size")].to_numpy()
        for name in BOT_FEATURES:
            out.loc[agg.index, name] = agg[(name, "sum")].to_numpy().astype(np.int64)
    return out


def timed_post_edges(inputs: ScoringInputs) -> pd.DataFrame:
    """Timed engagement edges on stored posts: author, post, actor, delay (ns)."""
    e, p = inputs.edges, inputs.posts
    if e.empty or p.empty:
        return pd.DataFrame(
            {c: np.zeros(0, np.int64) for c in ("author", "post", "actor", "delay")}
        )
    when = _ns(e["occurred_at"])
    pos = p.index.get_indexer(e["post_id"].to_numpy(np.int64))
    ok = (pos >= 0) & (when != NAT)
    pos = pos[ok]
    posted = _ns(p["posted_at"])[pos]
    keep = posted != NAT
    return pd.DataFrame(
        {
            "author": p["author"].to_numpy(np.int64)[pos][keep],
            "post": p.index.to_numpy(np.int64)[pos][keep],
            "actor": e["actor"].to_numpy(np.int64)[ok][keep],
            "delay": (when[ok] - posted)[keep],
        }
    )


def pods(inputs: ScoringInputs) -> tuple[pd.DataFrame, dict[int, list[int]]]:
    """Per author: n posts with timed engagement, pod posts, group size; the groups."""
    te = timed_post_edges(inputs)
    cols = ["n_posts", "pod_posts", "pod_group_size", "pod_share"]
    empty = pd.DataFrame(columns=cols, index=pd.Index([], dtype="int64"))
    if te.empty:
        return empty, {}
    n_posts = te.drop_duplicates("post").groupby("author").size()
    fast = te[(te["delay"] >= 0) & (te["delay"] <= POD_WINDOW_MINUTES * NS_PER_MIN)]
    fast = fast.drop_duplicates(["post", "actor"])[["author", "post", "actor"]]
    f = fast.groupby(["author", "actor"]).size().rename("f").reset_index()
    f["n"] = n_posts.reindex(f["author"]).to_numpy()
    need = np.maximum(
        POD_ACTOR_MIN_POSTS, (f["n"].to_numpy() * POD_ACTOR_PCT + 99) // 100
    )
    cand = f[(f["n"] >= POD_MIN_AUTHOR_POSTS) & (f["f"] >= need)][["author", "actor"]]
    out = pd.DataFrame({"n_posts": n_posts})
    out["pod_posts"] = 0
    out["pod_group_size"] = 0
    out["pod_share"] = 0.0
    if cand.empty:
        return out, {}
    fc = fast.merge(cand, on=["author", "actor"])
    # co-engagement counts of candidate pairs: X^T X, X = (author, post) x (author, actor)
    row_codes, _ = pd.factorize(pd.MultiIndex.from_arrays([fc["author"], fc["post"]]))
    col_codes, col_uniques = pd.factorize(
        pd.MultiIndex.from_arrays([fc["author"], fc["actor"]])
    )
    x = sparse.csr_matrix(
        (np.ones(len(fc), np.int64), (row_codes, col_codes)),
        shape=(row_codes.max() + 1, len(col_uniques)),
    )
    co = (x.T @ x).tocoo()
    upper = co.row < co.col
    i, j, c = co.row[upper], co.col[upper], co.data[upper]
    col_author = col_uniques.get_level_values(0).to_numpy(np.int64)
    n_of_col = n_posts.reindex(col_author).to_numpy()
    pair_need = np.maximum(POD_PAIR_MIN_POSTS, (n_of_col[i] * POD_PAIR_PCT + 99) // 100)
    strong = c >= pair_need
    deg = np.bincount(
        np.concatenate([i[strong], j[strong]]), minlength=len(col_uniques)
    )
    member = deg >= POD_MIN_PARTNERS
    size = pd.Series(member.astype(np.int64), index=col_author).groupby(level=0).sum()
    size = size[size >= POD_MIN_GROUP]
    if size.empty:
        return out, {}
    keep = member & np.isin(col_author, size.index.to_numpy())
    members = pd.DataFrame(
        {
            "author": col_author[keep],
            "actor": col_uniques.get_level_values(1).to_numpy(np.int64)[keep],
        }
    )
    fm = fc.merge(members, on=["author", "actor"])
    per_post = fm.groupby(["author", "post"]).size()
    hit = per_post[per_post >= POD_POST_MIN_ENGAGERS].groupby(level="author").size()
    out.loc[size.index, "pod_group_size"] = size.to_numpy()
    out.loc[hit.index, "pod_posts"] = hit.to_numpy()
    out["pod_share"] = np.where(
        out["pod_group_size"] > 0, out["pod_posts"] / out["n_posts"], 0.0
    )
    groups = {int(k): sorted(v.tolist()) for k, v in members.groupby("author")["actor"]}
    return out, groups


def platform_of(accounts: pd.DataFrame, ids: np.ndarray) -> np.ndarray:
    pos = accounts.index.get_indexer(ids)
    if len(accounts) == 0:
        return np.full(len(ids), "", dtype=object)
    plat = accounts["platform"].astype(object).to_numpy()
    return np.where(pos >= 0, plat[np.maximum(pos, 0)], "").astype(object)


def reciprocity(inputs: ScoringInputs) -> tuple[pd.DataFrame, dict[str, float]]:
    e = inputs.edges
    cols = ["reciprocity", "reciprocal_accounts", "platform"]
    empty = pd.DataFrame(columns=cols, index=pd.Index([], dtype="int64"))
    if e.empty:
        return empty, {}
    lk = e["kind"].isin(RECIP_KINDS).to_numpy()
    if not lk.any():
        return empty, {}
    t = e["target"].to_numpy(np.int64)[lk]
    a = e["actor"].to_numpy(np.int64)[lk]
    w = e["weight"].to_numpy(np.float64)[lk]
    codes, uniq = pd.factorize(np.concatenate([t, a]))
    k = np.int64(len(uniq))
    ct, ca = codes[: len(t)].astype(np.int64), codes[len(t) :].astype(np.int64)
    pair_codes, pair_keys = pd.factorize(ct * k + ca)
    pw = np.bincount(pair_codes, weights=w, minlength=len(pair_keys))
    pt, pa = pair_keys // k, pair_keys % k
    rec = np.isin(pa * k + pt, pair_keys)
    tw = np.bincount(pt, weights=pw, minlength=len(uniq))
    rw = np.bincount(pt, weights=np.where(rec, pw, 0.0), minlength=len(uniq))
    n_rec = np.bincount(pt, weights=rec.astype(np.float64), minlength=len(uniq))
    has = tw > 0
    ids = np.asarray(uniq, dtype=np.int64)[has]
    out = pd.DataFrame(
        {
            "reciprocity": rw[has] / tw[has],
            "reciprocal_accounts": n_rec[has].astype(np.int64),
            "platform": platform_of(inputs.accounts, ids),
        },
        index=pd.Index(ids, dtype="int64"),
    )
    norms = out.groupby("platform")["reciprocity"].median().to_dict()
    return out, {str(key): float(v) for key, v in norms.items()}


def authenticity_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: Iterable[int] | None = None
) -> pd.DataFrame:
    """Authenticity signals, score and evidence-backed flags per account (see module doc)."""
    idx = scored_index(inputs, accounts)
    ids = idx.to_numpy(np.int64)
    out = pd.DataFrame(index=idx)

    spikes = growth_spikes(inputs.snapshots).reindex(idx)
    out["growth_spike"] = spikes["growth_spike"].fillna(0.0).astype(np.float64)

    bots = bot_engagers(inputs, params).reindex(idx)
    total_w = bots["total_w"].fillna(0.0).to_numpy(np.float64)
    bot_w = bots["bot_w"].fillna(0.0).to_numpy(np.float64)
    out["bot_engager_share"] = np.where(
        total_w > 0, bot_w / np.where(total_w > 0, total_w, 1.0), 0.0
    )

    pod, groups = pods(inputs)
    pod = pod.reindex(idx)
    out["pod_share"] = pod["pod_share"].fillna(0.0).astype(np.float64)
    out["pod_group_size"] = pod["pod_group_size"].fillna(0).astype(np.int64)

    rec, norms = reciprocity(inputs)
    rec = rec.reindex(idx)
    out["reciprocity"] = rec["reciprocity"].fillna(0.0).astype(np.float64)
    out["reciprocal_accounts"] = rec["reciprocal_accounts"].fillna(0).astype(np.int64)
    plats = platform_of(inputs.accounts, ids)
    out["reciprocity_norm"] = (
        np.array([norms.get(str(p), 0.0) for p in plats], dtype=np.float64)
        if len(ids)
        else np.zeros(0)
    )

    spike = out["growth_spike"].to_numpy()
    p_spike = np.clip((spike - SPIKE_PENALTY_FLOOR) / SPIKE_PENALTY_SPAN, 0.0, 1.0)
    p_bot = np.clip(out["bot_engager_share"].to_numpy() / BOT_PENALTY_SPAN, 0.0, 1.0)
    p_pod = np.clip(out["pod_share"].to_numpy(), 0.0, 1.0)
    norm = out["reciprocity_norm"].to_numpy()
    m = np.minimum(0.9, np.maximum(RECIP_PENALTY_FLOOR, RECIP_FLAG_FACTOR * norm))
    p_recip = RECIP_PENALTY_WEIGHT * np.clip(
        (out["reciprocity"].to_numpy() - m) / (1.0 - m), 0.0, 1.0
    )
    out["authenticity"] = (
        (1.0 - p_spike) * (1.0 - p_bot) * (1.0 - p_pod) * (1.0 - p_recip)
    )

    # Flags: only accounts past a threshold get a (Python-built) evidence dict.
    flags: list[list[dict]] = [[] for _ in range(len(idx))]
    cand = np.flatnonzero(spike >= SPIKE_FLAG_EXCESS)
    for k in cand:
        row = spikes.iloc[k]
        flag = spike_flag(
            float(row["growth_spike"]),
            int(row["f0"]),
            int(row["f1"]),
            int(row["t0"]),
            int(row["t1"]),
            float(row["trend"]),
        )
        if flag:
            flags[k].append(flag)
    share = out["bot_engager_share"].to_numpy()
    for k in np.flatnonzero(share >= BOT_FLAG_SHARE):
        row = bots.iloc[k]
        feats = {name: int(row[name]) for name in BOT_FEATURES}
        flag = bot_flag(
            float(share[k]),
            float(bot_w[k]),
            float(total_w[k]),
            int(row["bot_actors"]),
            feats,
        )
        if flag:
            flags[k].append(flag)
    for k in np.flatnonzero(out["pod_group_size"].to_numpy() >= POD_MIN_GROUP):
        row = pod.iloc[k]
        flag = pod_flag(
            float(row["pod_share"]),
            groups.get(int(ids[k]), []),
            int(row["pod_posts"]),
            int(row["n_posts"]),
        )
        if flag:
            flags[k].append(flag)
    recip = out["reciprocity"].to_numpy()
    for k in np.flatnonzero(recip >= RECIP_FLAG_MIN):
        flag = recip_flag(
            float(recip[k]),
            int(out["reciprocal_accounts"].iat[k]),
            float(norm[k]),
            str(plats[k]),
        )
        if flag:
            flags[k].append(flag)
    out["flagged"] = np.array([bool(f) for f in flags], dtype=bool)
    out["flags"] = pd.Series(flags, index=idx, dtype=object)
    return out[list(COLUMNS)]
