"""Authenticity: hand-computed signals, fast == reference, quality on a synthetic world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.vetting.scoring.test_activity import (
    PARAMS,
    T0,
    assert_same,
    at,
    make_inputs,
    random_inputs,
)
from vetting.scoring import authenticity, authenticity_ref


def compare(inputs, accounts=None) -> pd.DataFrame:
    fast = authenticity.authenticity_scores(inputs, PARAMS, accounts)
    ref = authenticity_ref.authenticity_scores(inputs, PARAMS, accounts)
    assert_same(fast, ref, "authenticity")
    return fast


def signals(row) -> list[str]:
    return [f["signal"] for f in row["flags"]]


# -- hand-computed -------------------------------------------------------------------
def test_follower_spike() -> None:
    snaps = []
    for k, f in enumerate([2_000, 2_020, 2_040, 2_060, 3_500, 3_535, 3_570]):
        snaps.append({"account_id": 1, "captured_at": at(24 * 30 * k), "followers": f})
    for k, f in enumerate([100, 101, 102, 103]):
        snaps.append({"account_id": 2, "captured_at": at(24 * 30 * k), "followers": f})
    posts = [
        {"post_id": 1, "author": 1, "posted_at": at(0)},
        {"post_id": 2, "author": 2, "posted_at": at(0)},
    ]
    out = compare(make_inputs([{"account_id": 1}, {"account_id": 2}], [], posts, snaps))
    # trend: median of the 6 monthly growth rates ~ 1%/30 days; the jump 2060 -> 3500
    jump = (3_500 - 2_060) / 2_060
    rates = sorted(
        [
            (b - a) / a / 30
            for a, b in zip(
                [2_000, 2_020, 2_040, 2_060, 3_500, 3_535],
                [2_020, 2_040, 2_060, 3_500, 3_535, 3_570],
                strict=False,
            )
        ]
    )
    trend = (rates[2] + rates[3]) / 2
    assert out.loc[1, "growth_spike"] == pytest.approx(jump - trend * 30)
    assert signals(out.loc[1]) == ["follower_spike"]
    evidence = out.loc[1, "flags"][0]["evidence"]
    assert (
        "2,060 -> 3,500 (+70%)" in evidence
        and "2025-04-01" in evidence
        and "2025-05-01" in evidence
    )
    assert out.loc[2, "growth_spike"] < 1e-3
    assert not out.loc[2, "flagged"]
    assert out.loc[1, "authenticity"] < 0.5 and out.loc[2, "authenticity"] == 1.0


def test_small_account_jump_is_not_flagged() -> None:
    snaps = [
        {"account_id": 1, "captured_at": at(24 * k), "followers": f}
        for k, f in enumerate([10, 10, 40, 40])
    ]
    out = compare(
        make_inputs(
            [{"account_id": 1}],
            [],
            [{"post_id": 1, "author": 1, "posted_at": at(0)}],
            snaps,
        )
    )
    assert out.loc[1, "growth_spike"] == pytest.approx(3.0)  # +300%, but 30 followers
    assert not out.loc[1, "flagged"]


def bot(a: int, **kw) -> dict:
    return {
        "account_id": a,
        "bio_len": 0,
        "followers": 3,
        "following": 2_000,
        "posts_count": 4,
        "created_at": pd.Timestamp(T0) + pd.Timedelta(days=1),
        **kw,
    }


def test_bot_engagers() -> None:
    accounts = [{"account_id": 1}, {"account_id": 2}] + [
        bot(100 + k) for k in range(12)
    ]
    # a human with an empty bio and few posts: 2 features only, not bot-like
    accounts.append({"account_id": 50, "bio_len": 0, "posts_count": 3})
    posts = [
        {"post_id": 10, "author": 1, "posted_at": at(24)},
        {"post_id": 20, "author": 2, "posted_at": at(24)},
    ]
    edges = [
        {
            "actor": 100 + k,
            "target": 1,
            "kind": "like",
            "post_id": 10,
            "occurred_at": at(24.01),
        }
        for k in range(12)
    ]
    edges += [
        {
            "actor": 50,
            "target": 1,
            "kind": "reply",
            "post_id": 10,
            "occurred_at": at(30),
        }
    ]
    edges += [
        {
            "actor": 50,
            "target": 2,
            "kind": "reply",
            "post_id": 20,
            "occurred_at": at(30),
        }
    ]
    edges += [
        {
            "actor": 100,
            "target": 2,
            "kind": "like",
            "post_id": 20,
            "occurred_at": at(30),
        }
    ]
    out = compare(make_inputs(accounts, edges, posts))
    assert out.loc[1, "bot_engager_share"] == pytest.approx(6 / 9)
    assert signals(out.loc[1]) == ["bot_engagers"]
    ev = out.loc[1, "flags"][0]["evidence"]
    assert (
        "12 bot-like accounts" in ev
        and "12 empty bio" in ev
        and "12 < 90 days old" in ev
    )
    # account 2: 1 bot of 3.5 weight -> share 0.14, one actor: not flagged
    assert out.loc[2, "bot_engager_share"] == pytest.approx(0.5 / 3.5)
    assert not out.loc[2, "flagged"]
    # old bots (created long ago, untimed engagement judged at window end): 3 features still
    assert out.loc[1, "authenticity"] == pytest.approx(
        1 - 0.5 / 0.4 if 0.5 < 0.4 else 0.0
    )


def test_bursty_feature() -> None:
    posts = [
        {"post_id": 100 + k, "author": 9, "posted_at": at(5 + k * 0.05)}
        for k in range(4)
    ]
    posts.append({"post_id": 1, "author": 1, "posted_at": at(0)})
    assert authenticity.bursty_accounts(make_inputs([], [], posts).posts).tolist() == [
        9
    ]


def pod_world(share: float = 1.0, seed: int = 0):
    """Author 1 with 10 posts; 5 pod actors engage within minutes, ``share`` of them."""
    rng = np.random.default_rng(seed)
    accounts = [{"account_id": a} for a in (1, 2, *range(100, 105), *range(200, 210))]
    posts, edges = [], []
    for k in range(10):
        pid, t = 1_000 + k, 24.0 * k
        posts.append({"post_id": pid, "author": 1, "posted_at": at(t)})
        for a in range(100, 105):
            if rng.random() < share:
                edges.append(
                    {
                        "actor": a,
                        "target": 1,
                        "kind": "like",
                        "post_id": pid,
                        "occurred_at": at(t + 0.1),
                    }
                )
        for a in range(200, 210):  # organic: hours later
            edges.append(
                {
                    "actor": a,
                    "target": 1,
                    "kind": "like",
                    "post_id": pid,
                    "occurred_at": at(t + 3),
                }
            )
        # account 2: the same organic crowd, also fast once in a while
        pid2 = 2_000 + k
        posts.append({"post_id": pid2, "author": 2, "posted_at": at(t)})
        for a in range(200, 210):
            delay = 0.1 if (a + k) % 7 == 0 else 3
            edges.append(
                {
                    "actor": a,
                    "target": 2,
                    "kind": "like",
                    "post_id": pid2,
                    "occurred_at": at(t + delay),
                }
            )
    return make_inputs(accounts, edges, posts)


def test_pod() -> None:
    out = compare(pod_world())
    assert out.loc[1, "pod_group_size"] == 5 and out.loc[
        1, "pod_share"
    ] == pytest.approx(1.0)
    assert signals(out.loc[1]) == ["pod"]
    assert "100, 101, 102, 103, 104" in out.loc[1, "flags"][0]["evidence"]
    assert out.loc[1, "authenticity"] == pytest.approx(0.0)
    assert out.loc[2, "pod_group_size"] == 0 and not out.loc[2, "flagged"]


def test_reciprocity() -> None:
    accounts = [{"account_id": a} for a in range(1, 40)]
    posts = [{"post_id": a, "author": a, "posted_at": at(0)} for a in range(1, 40)]
    edges = []
    for a in range(2, 7):  # 1 and 2..6 like / repost each other
        edges.append({"actor": a, "target": 1, "kind": "like", "post_id": 1})
        edges.append({"actor": 1, "target": a, "kind": "repost", "post_id": a})
    edges.append({"actor": 7, "target": 1, "kind": "like", "post_id": 1})
    for a in range(7, 40):  # one-way likes elsewhere: the platform norm stays 0
        edges.append(
            {
                "actor": a,
                "target": (a + 1) % 32 + 7,
                "kind": "like",
                "post_id": (a + 1) % 32 + 7,
            }
        )
    out = compare(make_inputs(accounts, edges, posts))
    assert out.loc[1, "reciprocity"] == pytest.approx(5 * 0.5 / 3.0)
    assert (
        out.loc[1, "reciprocal_accounts"] == 5 and out.loc[1, "reciprocity_norm"] == 0
    )
    assert signals(out.loc[1]) == ["reciprocity"]
    assert "from 5 accounts it also likes/reposts" in out.loc[1, "flags"][0]["evidence"]
    assert out.loc[1, "authenticity"] == pytest.approx(1 - 0.5 * (2.5 / 3 - 0.5) / 0.5)
    # 2..6: fully reciprocated (one account each) but too few accounts to flag
    assert out.loc[2, "reciprocity"] == 1.0 and not out.loc[2, "flagged"]
    assert out.loc[20, "reciprocity"] == 0


def test_empty_inputs() -> None:
    inputs = make_inputs()
    for fn in (authenticity.authenticity_scores, authenticity_ref.authenticity_scores):
        assert fn(inputs, PARAMS).empty
        out = fn(inputs, PARAMS, accounts=[4])
        assert (
            out.loc[4, "authenticity"] == 1.0
            and not out.loc[4, "flagged"]
            and out.loc[4, "flags"] == []
        )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_fast_equals_reference_random(seed: int) -> None:
    inputs = random_inputs(seed, n_edges=400)
    rng = np.random.default_rng(seed)
    ids = inputs.accounts.index.to_numpy()
    snaps = [
        {
            "account_id": int(a),
            "captured_at": at(24 * 7 * k + float(rng.integers(0, 3))),
            "followers": int(f),
        }
        for a in ids
        for k, f in enumerate(np.cumsum(rng.choice([1, 5, 50, 900], size=5)) + 40)
    ]
    inputs = make_inputs(
        [
            {"account_id": a, **r}
            for a, r in zip(ids, inputs.accounts.to_dict("records"), strict=False)
        ],
        inputs.edges.to_dict("records"),
        [
            {"post_id": p, **r}
            for p, r in zip(
                inputs.posts.index, inputs.posts.to_dict("records"), strict=False
            )
        ],
        snaps,
    )
    compare(inputs)


def test_fast_equals_reference_pods_random() -> None:
    for seed in range(4):
        compare(pod_world(share=0.6, seed=seed))


# -- quality on a synthetic world ----------------------------------------------------
def synthetic_world(seed: int = 11):
    """A small world in the demo world's image: organic clinicians (with circles), true
    micro-influencers (who reply back), patients, loose bots, two bot rings boosting
    two clinicians each (bursty new bots, a purchased-followers spike), a wellness pod
    on the timed platform and a clinician pod on the platform without like times.
    Returns (inputs, amplified account ids)."""
    rng = np.random.default_rng(seed)
    day = 24.0
    accounts, posts, edges, snaps = [], [], [], []
    plats = ("bluesky", "mastodon")
    next_id = iter(range(1, 10**6))
    post_id = iter(range(10**6, 10**7))

    def account(platform: str, **kw) -> int:
        a = next(next_id)
        accounts.append(
            {
                "account_id": a,
                "platform": platform,
                "followers": int(rng.lognormal(6, 1)),
                "following": int(rng.lognormal(5.7, 0.8)),
                "posts_count": int(rng.lognormal(4, 1.2)) + 1,
                "created_at": pd.Timestamp(T0)
                - pd.Timedelta(days=float(rng.uniform(200, 2_000))),
                "bio_len": int(rng.integers(20, 160)),
                **kw,
            }
        )
        return a

    def engage(
        actor: int, target: int, kind: str, pid: int, t: float, platform: str
    ) -> None:
        timed = not (kind == "like" and platform == "mastodon")
        edges.append(
            {
                "actor": actor,
                "target": target,
                "kind": kind,
                "post_id": pid,
                "occurred_at": at(t) if timed else pd.NaT,
            }
        )

    def organic_delay() -> float:
        if rng.random() < 0.08:
            return float(rng.uniform(1, 8)) * day
        return float(np.exp(rng.normal(0, 1.1)))

    clin = {
        p: [
            account(p, is_hcp=True, bio_len=0 if k % 10 == 0 else 90) for k in range(40)
        ]
        for p in plats
    }
    patients = {
        p: [account(p, bio_len=0 if k % 5 == 0 else 40) for k in range(40)]
        for p in plats
    }
    loose = {
        p: [
            account(p, bio_len=0, followers=5, following=1_500, posts_count=3)
            for _ in range(5)
        ]
        for p in plats
    }
    mis = {p: clin[p][1:4] for p in plats}
    boosted = {p: clin[p][4:6] for p in plats}
    for acc in accounts:
        if any(acc["account_id"] in boosted[p] for p in plats):
            acc["followers"] = int(rng.integers(8_000, 40_000))
    pod_clin = clin["mastodon"][6:12]
    wellness = [account("bluesky", bio_len=60, followers=8_000) for _ in range(8)]
    ring_start = 80 * day
    rings = {
        p: [
            account(
                p,
                bio_len=0,
                followers=int(rng.integers(0, 40)),
                following=int(rng.integers(800, 5_000)),
                posts_count=int(rng.integers(1, 8)),
                created_at=pd.Timestamp(at(ring_start - 2 * day)),
            )
            for _ in range(30)
        ]
        for p in plats
    }
    for p in plats:  # bots post in bursts
        for b in rings[p]:
            centre = float(rng.uniform(ring_start, 170 * day))
            for _ in range(4):
                posts.append(
                    {
                        "post_id": next(post_id),
                        "author": b,
                        "posted_at": at(centre + rng.uniform(0, 0.15)),
                    }
                )

    def author_posts(
        a: int,
        platform: str,
        n: int,
        audience: list[int],
        rate: float,
        group: list[int],
        start: float,
    ):
        for _ in range(n):
            pid, t = next(post_id), float(rng.uniform(0, 175 * day))
            posts.append({"post_id": pid, "author": a, "posted_at": at(t)})
            for _ in range(rng.poisson(rate)):
                actor = int(rng.choice(audience))
                if actor != a:
                    kind = ("like", "like", "like", "repost", "reply")[
                        int(rng.integers(5))
                    ]
                    engage(actor, a, kind, pid, t + organic_delay(), platform)
            if rng.random() < 0.02:
                engage(
                    int(rng.choice(loose[platform])), a, "like", pid, t + 0.2, platform
                )
            if t >= start:
                for g in group:
                    if g == a:
                        continue
                    if a in boosted[platform]:
                        for kind, share in (
                            ("like", 0.6),
                            ("repost", 0.2),
                            ("reply", 0.05),
                        ):
                            if rng.random() < share:
                                engage(
                                    g,
                                    a,
                                    kind,
                                    pid,
                                    t + rng.uniform(0.004, 0.1),
                                    platform,
                                )
                    else:
                        if rng.random() < 0.9:
                            engage(
                                g, a, "like", pid, t + rng.uniform(0.02, 0.25), platform
                            )
                        if rng.random() < 0.5:
                            engage(
                                g,
                                a,
                                "repost",
                                pid,
                                t + rng.uniform(0.02, 0.25),
                                platform,
                            )

    for p in plats:
        peers = clin[p]
        for i, a in enumerate(peers):
            circle = [peers[(i + k) % len(peers)] for k in range(1, 7)]
            audience = circle * 3 + patients[p]
            group, start = [], 0.0
            if a in mis[p]:
                audience = peers + patients[p]
            if a in boosted[p]:
                group, start = rings[p], ring_start
            if a in pod_clin:
                group, start = pod_clin, 30 * day
            rate = 15 if a in mis[p] else 5
            author_posts(a, p, int(rng.integers(10, 30)), audience, rate, group, start)
        for a in patients[p]:
            author_posts(
                a, p, int(rng.integers(0, 6)), patients[p] + peers[:5], 2, [], 0.0
            )
    for a in wellness:
        author_posts(
            a,
            "bluesky",
            int(rng.integers(8, 20)),
            patients["bluesky"],
            3,
            wellness,
            20 * day,
        )
    # micro-influencers reply back to their repliers
    replies = [
        e
        for e in edges
        if e["kind"] == "reply" and any(e["target"] in mis[p] for p in plats)
    ]
    for e in replies:
        if rng.random() < 0.6:
            edges.append(
                {**e, "actor": e["target"], "target": e["actor"], "post_id": -1}
            )
    # snapshots: 7 per clinician / wellness account; boosted accounts jump at the ring start
    for acc in accounts:
        a = acc["account_id"]
        if acc["bio_len"] == 0 and a not in {c for p in plats for c in clin[p]}:
            continue
        end, growth = acc["followers"], rng.uniform(0.02, 0.25)
        spike = int(end * 0.6) if any(a in boosted[p] for p in plats) else 0
        for k in range(7):
            t = 30 * day * k
            value = (end - spike) / (1 + growth) ** (1 - k / 6) + (
                spike if t >= ring_start else 0
            )
            snaps.append(
                {"account_id": a, "captured_at": at(t), "followers": int(round(value))}
            )
    amplified = {*boosted["bluesky"], *boosted["mastodon"], *pod_clin, *wellness}
    return make_inputs(accounts, edges, posts, snaps), amplified


def test_quality_on_synthetic_world() -> None:
    inputs, amplified = synthetic_world()
    out = authenticity.authenticity_scores(inputs, PARAMS)
    flagged = set(out.index[out["flagged"]])
    amp = amplified & set(out.index)
    tp = len(flagged & amp)
    precision = tp / len(flagged)
    recall = tp / len(amp)
    assert precision >= 0.9, (precision, sorted(flagged - amp))
    assert recall >= 0.7, (recall, sorted(amp - flagged))
    for account in flagged:
        flags = out.loc[account, "flags"]
        assert flags and all(f["evidence"] and f["signal"] for f in flags)
    # the boosted accounts show their follower spike with evidence
    spikes = {a for a in flagged if "follower_spike" in signals(out.loc[a])}
    assert len(spikes) == 4
    # organic accounts keep a high score
    organic = out.drop(index=list(amp))
    assert organic["authenticity"].median() > 0.9
    assert out.loc[list(amp), "authenticity"].median() < 0.5
