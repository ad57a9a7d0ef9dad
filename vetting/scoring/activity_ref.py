"""Reference implementation of ``activity``: plain Python loops, one account at a time.

Slow and obvious on purpose; the tests check that the fast path agrees with it to
1e-9 with the same rankings. Definitions: see the ``activity`` module docstring.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable

import pandas as pd

from vetting.scoring.activity import (
    DEPTH_CAP,
    DIALOGUE_KINDS,
    ENGAGEMENT_COLUMNS,
    LATE_SHARE_FULL,
    LONGEVITY_COLUMNS,
    scored_index,
)
from vetting.scoring.frames import ENGAGEMENT_TIERS, ScoringInputs, ScoringParams


def _baseline(followers: float) -> float:
    for upper, rate in ENGAGEMENT_TIERS:
        if followers < upper:
            return rate
    return ENGAGEMENT_TIERS[-1][1]


def _ns(value) -> int | None:
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return int(ts.value)


def _account(inputs: ScoringInputs, a: int) -> dict | None:
    if a in inputs.accounts.index:
        return inputs.accounts.loc[a].to_dict()
    return None


def _is_top(post_id: int, row: dict) -> bool:
    return int(row["reply_to"]) == -1 and int(row["root"]) in (-1, post_id)


def engagement_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: Iterable[int] | None = None
) -> pd.DataFrame:
    idx = scored_index(inputs, accounts)
    posts = {
        int(pid): row
        for pid, row in zip(
            inputs.posts.index, inputs.posts.to_dict("records"), strict=False
        )
    }

    # depth of every post below its topmost stored ancestor, by walking reply_to
    top_of: dict[int, int] = {}
    depth_of: dict[int, int] = {}
    for pid in posts:
        cur, hops, seen = pid, 0, {pid}
        while True:
            parent = int(posts[cur]["reply_to"])
            if parent == -1 or parent not in posts or parent in seen:
                break
            seen.add(parent)
            cur, hops = parent, hops + 1
        top_of[pid], depth_of[pid] = cur, hops
    tree_depth: dict[int, int] = defaultdict(int)
    for pid in posts:
        tree_depth[top_of[pid]] = max(tree_depth[top_of[pid]], depth_of[pid])

    rows = []
    for a in idx:
        a = int(a)
        acc = _account(inputs, a)
        followers = int(acc["followers"]) if acc else 0
        rates, depths = [], []
        for pid, row in posts.items():
            if int(row["author"]) != a or not _is_top(pid, row):
                continue
            total = (
                float(row["likes"])
                + float(row["reposts"])
                + float(row["replies"])
                + float(row["quotes"])
            )
            rates.append(total / max(float(followers), 1.0))
            depths.append(float(tree_depth[pid]))
        rate = sum(rates) / len(rates) if rates else 0.0
        base = _baseline(followers)
        ratio = rate / base
        tw = dw = hw = 0.0
        for e in inputs.edges.itertuples(index=False):
            if int(e.target) != a:
                continue
            tw += float(e.weight)
            if e.kind in DIALOGUE_KINDS:
                dw += float(e.weight)
            actor = _account(inputs, int(e.actor))
            if actor is not None and bool(actor["is_hcp"]):
                hw += float(e.weight)
        dialogue = dw / tw if tw > 0 else 0.0
        hcp = hw / tw if tw > 0 else 0.0
        depth = sum(depths) / len(depths) if depths else 0.0
        quality = (
            ratio / (1.0 + ratio) + dialogue + hcp + min(depth, DEPTH_CAP) / DEPTH_CAP
        ) / 4.0
        rows.append(
            [followers, len(rates), rate, base, ratio, dialogue, hcp, depth, quality]
        )
    out = pd.DataFrame(rows, index=idx, columns=list(ENGAGEMENT_COLUMNS))
    return out.astype({"followers": "int64", "top_level_posts": "int64"})


def post_half_lives(
    inputs: ScoringInputs, late_days: int
) -> dict[int, tuple[int, float, int]]:
    """post id -> (n timed edges, half-life hours, late count)."""
    posted = {
        int(pid): _ns(t)
        for pid, t in zip(inputs.posts.index, inputs.posts["posted_at"], strict=False)
    }
    delays: dict[int, list[int]] = defaultdict(list)
    for e in inputs.edges.itertuples(index=False):
        pid = int(e.post_id)
        when = _ns(e.occurred_at)
        if pid not in posted or when is None or posted[pid] is None:
            continue
        delays[pid].append(max(when - posted[pid], 0))
    out = {}
    late_ns = late_days * 86_400 * 10**9
    for pid, ds in delays.items():
        ds.sort()
        k = math.ceil(len(ds) / 2)
        out[pid] = (
            len(ds),
            ds[k - 1] / (3_600 * 10**9),
            sum(1 for d in ds if d > late_ns),
        )
    return out


def longevity_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: Iterable[int] | None = None
) -> pd.DataFrame:
    idx = scored_index(inputs, accounts)
    half = post_half_lives(inputs, params.late_days)
    author = {
        int(pid): int(a)
        for pid, a in zip(inputs.posts.index, inputs.posts["author"], strict=False)
    }

    def platform(a: int) -> str:
        acc = _account(inputs, a)
        return str(acc["platform"]) if acc is not None else ""

    by_platform: dict[str, list[float]] = defaultdict(list)
    for pid, (_, h, _) in half.items():
        by_platform[platform(author[pid])].append(h)
    rows = []
    for a in idx:
        a = int(a)
        mine = [v for pid, v in half.items() if author[pid] == a]
        n = sum(v[0] for v in mine)
        late = sum(v[2] for v in mine)
        hl = statistics.median([v[1] for v in mine]) if mine else math.nan
        plat = by_platform.get(platform(a))
        pm = statistics.median(plat) if plat else math.nan
        ratio = hl / pm if (pm > 0 and not math.isnan(hl)) else math.nan
        late_share = late / n if n > 0 else 0.0
        h = 0.0 if math.isnan(ratio) else ratio
        lon = (
            (h / (1.0 + h) + min(1.0, late_share / LATE_SHARE_FULL)) / 2.0
            if n > 0
            else 0.0
        )
        rows.append([n, hl, pm, ratio, late_share, lon])
    out = pd.DataFrame(rows, index=idx, columns=list(LONGEVITY_COLUMNS))
    return out.astype({"timed_engagements": "int64"})
