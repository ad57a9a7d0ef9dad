"""Reference implementation of ``authenticity``: plain loops and networkx.

Slow and obvious on purpose; the tests check that the fast path agrees with it to
1e-9, with the same flags. Definitions: see the ``authenticity`` module docstring.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable

import networkx as nx
import pandas as pd

from vetting.scoring.activity import scored_index
from vetting.scoring.authenticity import (
    BOT_AGE_DAYS,
    BOT_FEATURES,
    BOT_FOLLOW_RATIO,
    BOT_FOLLOWING_MIN,
    BOT_MIN_POINTS,
    BOT_POSTS_MAX,
    BURST_MIN_POSTS,
    BURST_MINUTES,
    COLUMNS,
    NS_PER_DAY,
    NS_PER_MIN,
    POD_MIN_AUTHOR_POSTS,
    POD_MIN_GROUP,
    POD_MIN_PARTNERS,
    POD_POST_MIN_ENGAGERS,
    POD_WINDOW_MINUTES,
    RECIP_KINDS,
    authenticity_value,
    bot_flag,
    pod_actor_need,
    pod_flag,
    pod_pair_need,
    recip_flag,
    spike_flag,
)
from vetting.scoring.frames import ScoringInputs, ScoringParams


def _ns(value) -> int | None:
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return int(ts.value)


def _spike(inputs: ScoringInputs, a: int) -> tuple[float, dict | None]:
    snaps = [
        (_ns(r.captured_at), int(r.followers))
        for r in inputs.snapshots.itertuples(index=False)
        if int(r.account_id) == a and _ns(r.captured_at) is not None
    ]
    snaps.sort(key=lambda s: s[0])
    steps = []
    for (t0, f0), (t1, f1) in zip(snaps, snaps[1:], strict=False):
        if t1 <= t0:
            continue
        dt = (t1 - t0) / NS_PER_DAY
        g = (f1 - f0) / float(max(f0, 1))
        steps.append((t0, t1, f0, f1, dt, g, g / dt))
    if not steps:
        return 0.0, None
    trend = statistics.median(s[6] for s in steps)
    best = None
    for t0, t1, f0, f1, dt, g, _ in steps:
        excess = g - trend * dt
        if best is None or excess > best[0]:
            best = (excess, f0, f1, t0, t1)
    value = max(best[0], 0.0)
    return value, spike_flag(value, best[1], best[2], best[3], best[4], trend)


def _bursty(inputs: ScoringInputs) -> set[int]:
    times: dict[int, list[int]] = defaultdict(list)
    for r in inputs.posts.itertuples(index=False):
        t = _ns(r.posted_at)
        if t is not None:
            times[int(r.author)].append(t)
    out = set()
    for a, ts in times.items():
        ts.sort()
        close = sum(
            1
            for x, y in zip(ts, ts[1:], strict=False)
            if y - x <= BURST_MINUTES * NS_PER_MIN
        )
        if len(ts) >= BURST_MIN_POSTS and 2 * close >= len(ts) - 1:
            out.add(a)
    return out


def _bot_features(
    inputs: ScoringInputs, params: ScoringParams, e, bursty: set[int]
) -> dict:
    actor = int(e.actor)
    feats = dict.fromkeys(BOT_FEATURES, False)
    feats["bursty"] = actor in bursty
    if actor in inputs.accounts.index:
        acc = inputs.accounts.loc[actor]
        feats["empty_bio"] = int(acc["bio_len"]) == 0
        following, followers = int(acc["following"]), int(acc["followers"])
        feats["follow_ratio"] = (
            following >= BOT_FOLLOWING_MIN
            and following >= BOT_FOLLOW_RATIO * max(followers, 1)
        )
        feats["few_posts"] = int(acc["posts_count"]) < BOT_POSTS_MAX
        created = _ns(acc["created_at"])
        when = _ns(e.occurred_at)
        if when is None:
            when = _ns(params.window_end)
        feats["young"] = (
            created is not None and when - created < BOT_AGE_DAYS * NS_PER_DAY
        )
    return feats


def _pod(inputs: ScoringInputs, a: int) -> tuple[int, int, list[int]]:
    """(n posts with timed engagement, pod posts, group) of author ``a``."""
    posts = {
        int(pid): _ns(t)
        for pid, au, t in zip(
            inputs.posts.index,
            inputs.posts["author"],
            inputs.posts["posted_at"],
            strict=False,
        )
        if int(au) == a
    }
    engaged: set[int] = set()
    fast: dict[int, set[int]] = defaultdict(set)  # post -> fast actors
    for e in inputs.edges.itertuples(index=False):
        pid, when = int(e.post_id), _ns(e.occurred_at)
        if pid not in posts or when is None or posts[pid] is None:
            continue
        engaged.add(pid)
        delay = when - posts[pid]
        if 0 <= delay <= POD_WINDOW_MINUTES * NS_PER_MIN:
            fast[pid].add(int(e.actor))
    n = len(engaged)
    if n < POD_MIN_AUTHOR_POSTS:
        return n, 0, []
    count: dict[int, int] = defaultdict(int)
    for actors in fast.values():
        for x in actors:
            count[x] += 1
    cands = {x for x, c in count.items() if c >= pod_actor_need(n)}
    graph = nx.Graph()
    graph.add_nodes_from(cands)
    co: dict[tuple[int, int], int] = defaultdict(int)
    for actors in fast.values():
        here = sorted(actors & cands)
        for i, x in enumerate(here):
            for y in here[i + 1 :]:
                co[(x, y)] += 1
    graph.add_edges_from(pair for pair, c in co.items() if c >= pod_pair_need(n))
    group = sorted(x for x, d in graph.degree() if d >= POD_MIN_PARTNERS)
    if len(group) < POD_MIN_GROUP:
        return n, 0, []
    members = set(group)
    hits = sum(
        1 for actors in fast.values() if len(actors & members) >= POD_POST_MIN_ENGAGERS
    )
    return n, hits, group


def authenticity_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: Iterable[int] | None = None
) -> pd.DataFrame:
    idx = scored_index(inputs, accounts)
    bursty = _bursty(inputs)

    def platform(a: int) -> str:
        return (
            str(inputs.accounts.loc[a, "platform"])
            if a in inputs.accounts.index
            else ""
        )

    # reciprocity graph over likes and reposts
    g = nx.DiGraph()
    for e in inputs.edges.itertuples(index=False):
        if e.kind in RECIP_KINDS:
            u, v = int(e.actor), int(e.target)
            w = g[u][v]["weight"] if g.has_edge(u, v) else 0.0
            g.add_edge(u, v, weight=w + float(e.weight))
    recip_of: dict[int, tuple[float, int]] = {}
    for v in g.nodes:
        tw = rw = 0.0
        n_rec = 0
        for u in g.predecessors(v):
            w = g[u][v]["weight"]
            tw += w
            if g.has_edge(v, u):
                rw += w
                n_rec += 1
        if tw > 0:
            recip_of[v] = (rw / tw, n_rec)
    by_plat: dict[str, list[float]] = defaultdict(list)
    for v, (r, _) in recip_of.items():
        by_plat[platform(v)].append(r)
    norms = {p: statistics.median(vals) for p, vals in by_plat.items()}

    rows = []
    for a in idx:
        a = int(a)
        spike, sflag = _spike(inputs, a)
        tw = bw = 0.0
        bot_actor_feats: dict[int, dict] = {}
        for e in inputs.edges.itertuples(index=False):
            if int(e.target) != a:
                continue
            tw += float(e.weight)
            feats = _bot_features(inputs, params, e, bursty)
            if sum(feats.values()) >= BOT_MIN_POINTS:
                bw += float(e.weight)
                prev = bot_actor_feats.setdefault(
                    int(e.actor), dict.fromkeys(BOT_FEATURES, False)
                )
                for k, val in feats.items():
                    prev[k] = prev[k] or val
        share = bw / tw if tw > 0 else 0.0
        counts = {
            k: sum(1 for f in bot_actor_feats.values() if f[k]) for k in BOT_FEATURES
        }
        bflag = bot_flag(share, bw, tw, len(bot_actor_feats), counts)

        n, hits, group = _pod(inputs, a)
        pod_share = hits / n if group else 0.0
        pflag = pod_flag(pod_share, group, hits, n) if group else None

        recip, n_rec = recip_of.get(a, (0.0, 0))
        norm = norms.get(platform(a), 0.0)
        rflag = recip_flag(recip, n_rec, norm, platform(a))
        flags = [f for f in (sflag, bflag, pflag, rflag) if f]
        score = authenticity_value(spike, share, pod_share, recip, norm)
        rows.append(
            [
                spike,
                share,
                pod_share,
                len(group),
                recip,
                n_rec,
                norm,
                score,
                bool(flags),
                flags,
            ]
        )
    out = pd.DataFrame(rows, index=idx, columns=list(COLUMNS))
    if len(out) == 0:
        out = out.astype({"flagged": bool})
    assert all(math.isfinite(x) for x in out["authenticity"])
    return out.astype(
        {"pod_group_size": "int64", "reciprocal_accounts": "int64", "flagged": bool}
    )
