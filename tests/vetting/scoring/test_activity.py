"""Engagement quality and longevity: hand-computed cases and fast == reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vetting.scoring import activity, activity_ref
from vetting.scoring.frames import (
    ACCOUNT_COLUMNS,
    EDGE_COLUMNS,
    INTERACTION_WEIGHTS,
    POST_COLUMNS,
    SNAPSHOT_COLUMNS,
    ScoringInputs,
    ScoringParams,
    empty_frame,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
PARAMS = ScoringParams(window_start=T0, window_end=T0 + timedelta(days=180))

ACCOUNT_DEFAULTS = {
    "platform": "bluesky",
    "followers": 500,
    "following": 300,
    "posts_count": 200,
    "created_at": pd.Timestamp("2020-01-01", tz="UTC"),
    "bio_len": 80,
    "clinician_id": -1,
    "specialty": "",
    "classification": "",
    "is_hcp": False,
    "link_confidence": np.nan,
}
POST_DEFAULTS = {
    "reply_to": -1,
    "root": -1,
    "quote_of": -1,
    "topical": False,
    "likes": 0,
    "reposts": 0,
    "replies": 0,
    "quotes": 0,
}


def _frame(
    rows: list[dict], columns: dict[str, str], defaults: dict, index: str | None = None
) -> pd.DataFrame:
    if not rows:
        return empty_frame(columns, index)
    full = [{**defaults, **row} for row in rows]
    frame = pd.DataFrame(full)
    if index:
        frame = frame.set_index(index)
    for name, dtype in columns.items():
        if name == "hashtags":
            frame[name] = [
                list(v) if isinstance(v, list) else []
                for v in frame.get(name, [[]] * len(frame))
            ]
            continue
        if dtype.startswith("datetime64"):
            frame[name] = pd.to_datetime(frame[name], utc=True).astype(dtype)
            continue
        frame[name] = frame[name].astype(dtype)
    return frame[list(columns)]


def make_inputs(
    accounts: list[dict] = (),
    edges: list[dict] = (),
    posts: list[dict] = (),
    snapshots: list[dict] = (),
) -> ScoringInputs:
    """Tiny builder: rows as dicts, defaults for everything not given.

    accounts rows need ``account_id``; posts rows ``post_id``, ``author``, ``posted_at``;
    edges rows ``actor``, ``target``, ``kind`` (weight from the kind, post_id -1 and
    occurred_at NaT by default); snapshots rows ``account_id``, ``captured_at``,
    ``followers``.
    """
    accounts = _frame(list(accounts), ACCOUNT_COLUMNS, ACCOUNT_DEFAULTS, "account_id")
    edge_rows = [
        {
            "post_id": -1,
            "occurred_at": pd.NaT,
            "weight": INTERACTION_WEIGHTS[e["kind"]],
            **e,
        }
        for e in edges
    ]
    edges_f = _frame(edge_rows, EDGE_COLUMNS, {})
    posts_f = _frame(
        list(posts), POST_COLUMNS, {**POST_DEFAULTS, "hashtags": []}, "post_id"
    )
    snaps = _frame([{"following": 100, **s} for s in snapshots], SNAPSHOT_COLUMNS, {})
    return ScoringInputs(
        accounts=accounts, edges=edges_f, posts=posts_f, snapshots=snaps
    )


def at(hours: float) -> pd.Timestamp:
    return pd.Timestamp(T0) + pd.Timedelta(hours=hours)


def assert_same(fast: pd.DataFrame, ref: pd.DataFrame, rank_by: str) -> None:
    assert list(fast.columns) == list(ref.columns)
    assert list(fast.index) == list(ref.index)
    for col in fast.columns:
        a, b = fast[col], ref[col]
        if a.dtype == object or b.dtype == object:
            assert a.tolist() == b.tolist(), col
            continue
        np.testing.assert_allclose(
            a.to_numpy(np.float64),
            b.to_numpy(np.float64),
            rtol=0,
            atol=1e-9,
            equal_nan=True,
            err_msg=col,
        )
    ra = fast[rank_by].round(9).rank(method="min").fillna(-1).tolist()
    rb = ref[rank_by].round(9).rank(method="min").fillna(-1).tolist()
    assert ra == rb


# -- hand-computed ---------------------------------------------------------------------
def small_world() -> ScoringInputs:
    accounts = [
        {"account_id": 1, "followers": 2_000, "is_hcp": True},
        {"account_id": 2, "followers": 500, "is_hcp": True},
        {"account_id": 3, "followers": 50, "is_hcp": False},
        {"account_id": 4, "followers": 200_000, "platform": "mastodon"},
    ]
    posts = [
        # account 1: two top-level posts; post 10 has a 3-deep thread
        {
            "post_id": 10,
            "author": 1,
            "posted_at": at(0),
            "likes": 60,
            "reposts": 10,
            "replies": 8,
            "quotes": 2,
        },
        {"post_id": 11, "author": 1, "posted_at": at(10), "likes": 20},
        {"post_id": 20, "author": 2, "posted_at": at(1), "reply_to": 10, "root": 10},
        {"post_id": 21, "author": 1, "posted_at": at(2), "reply_to": 20, "root": 10},
        {"post_id": 22, "author": 2, "posted_at": at(3), "reply_to": 21, "root": 10},
        # account 2: a reply to an unstored post (not top level)
        {"post_id": 23, "author": 2, "posted_at": at(4), "reply_to": -1, "root": 999},
        # account 4: one top-level post, root given as its own id
        {"post_id": 40, "author": 4, "posted_at": at(0), "root": 40, "likes": 3_000},
    ]
    edges = [
        {"actor": 2, "target": 1, "kind": "reply", "post_id": 10, "occurred_at": at(1)},
        {
            "actor": 2,
            "target": 1,
            "kind": "like",
            "post_id": 10,
            "occurred_at": at(0.5),
        },
        {
            "actor": 3,
            "target": 1,
            "kind": "like",
            "post_id": 10,
            "occurred_at": at(24 * 9),
        },
        {
            "actor": 3,
            "target": 1,
            "kind": "repost",
            "post_id": 11,
            "occurred_at": at(12),
        },
        {"actor": 2, "target": 1, "kind": "quote", "post_id": 11},  # untimed
        {"actor": 1, "target": 2, "kind": "reply", "post_id": 20, "occurred_at": at(2)},
        {"actor": 3, "target": 2, "kind": "mention"},
        {"actor": 1, "target": 4, "kind": "like", "post_id": 40, "occurred_at": at(1)},
    ]
    return make_inputs(accounts, edges, posts)


def test_engagement_hand_computed() -> None:
    inputs = small_world()
    out = activity.engagement_scores(inputs, PARAMS)
    assert list(out.index) == [1, 2, 4]
    r1 = out.loc[1]
    assert r1["top_level_posts"] == 2
    assert r1["engagement_rate"] == pytest.approx((80 / 2_000 + 20 / 2_000) / 2)
    assert r1["tier_baseline"] == 0.04
    assert r1["engagement_rate_ratio"] == pytest.approx(0.025 / 0.04)
    # received by 1: reply 3 + like .5 + like .5 + repost 1 + quote 2 = 7; dialogue 5; hcp 3+.5+2
    assert r1["dialogue_share"] == pytest.approx(5 / 7)
    assert r1["hcp_engagement_share"] == pytest.approx(5.5 / 7)
    assert r1["thread_depth"] == pytest.approx((3 + 0) / 2)
    ratio = 0.025 / 0.04
    expected = (ratio / (1 + ratio) + 5 / 7 + 5.5 / 7 + 1.5 / 3) / 4
    assert r1["engagement_quality"] == pytest.approx(expected)
    r2 = out.loc[2]
    assert (
        r2["top_level_posts"] == 0
        and r2["engagement_rate"] == 0
        and r2["thread_depth"] == 0
    )
    assert r2["tier_baseline"] == 0.05
    assert r2["dialogue_share"] == pytest.approx(3 / 4)  # reply 3 of 3 + mention 1
    r4 = out.loc[4]
    assert r4["tier_baseline"] == 0.015 and r4["engagement_rate"] == pytest.approx(
        0.015
    )
    assert r4["engagement_rate_ratio"] == pytest.approx(1.0)
    assert_same(
        out, activity_ref.engagement_scores(inputs, PARAMS), "engagement_quality"
    )


def test_tier_boundaries() -> None:
    assert activity.tier_baseline(np.array([0, 999, 1_000, 9_999, 10_000, 99_999, 100_000, 10**9])).tolist() == [
        0.05, 0.05, 0.04, 0.04, 0.024, 0.024, 0.015, 0.015,
    ]  # fmt: skip


def test_longevity_hand_computed() -> None:
    inputs = small_world()
    out = activity.longevity_scores(inputs, PARAMS)
    # post 10: delays 0.5h, 1h, 216h -> sorted, ceil(3/2)=2nd -> 1h; post 11: 12h-10h = 2h
    r1 = out.loc[1]
    assert r1["timed_engagements"] == 4
    assert r1["half_life_hours"] == pytest.approx(1.5)  # median of 1 and 2
    # bluesky posts with timed engagement: 10 (1h), 11 (2h), 20 (1h) -> median 1h
    assert r1["platform_half_life_hours"] == pytest.approx(1.0)
    assert r1["half_life_ratio"] == pytest.approx(1.5)
    assert r1["late_share"] == pytest.approx(1 / 4)
    assert r1["longevity"] == pytest.approx((1.5 / 2.5 + 1.0) / 2)
    r4 = out.loc[4]
    assert r4["half_life_hours"] == pytest.approx(1.0) and r4[
        "half_life_ratio"
    ] == pytest.approx(1.0)
    assert r4["late_share"] == 0 and r4["longevity"] == pytest.approx(0.25)
    assert_same(out, activity_ref.longevity_scores(inputs, PARAMS), "longevity")


def test_given_accounts_and_unknowns() -> None:
    inputs = small_world()
    out = activity.engagement_scores(inputs, PARAMS, accounts=[3, 77, 1])
    assert list(out.index) == [3, 77, 1]
    assert out.loc[77, "followers"] == 0 and out.loc[
        77, "engagement_quality"
    ] == pytest.approx(0.5 / 4 * 0)
    lon = activity.longevity_scores(inputs, PARAMS, accounts=[77])
    assert lon.loc[77, "timed_engagements"] == 0 and np.isnan(
        lon.loc[77, "half_life_hours"]
    )
    assert lon.loc[77, "longevity"] == 0


def test_empty_inputs() -> None:
    inputs = make_inputs()
    for fn, ref in (
        (activity.engagement_scores, activity_ref.engagement_scores),
        (activity.longevity_scores, activity_ref.longevity_scores),
    ):
        assert fn(inputs, PARAMS).empty
        assert ref(inputs, PARAMS).empty
        out = fn(inputs, PARAMS, accounts=[5])
        assert list(out.index) == [5]


# -- random frames: fast == reference ------------------------------------------------
KINDS = list(INTERACTION_WEIGHTS)


def random_inputs(
    seed: int, n_accounts: int = 25, n_posts: int = 60, n_edges: int = 300
) -> ScoringInputs:
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(1, 10 * n_accounts), size=n_accounts, replace=False)
    accounts = [
        {
            "account_id": int(a),
            "platform": ["bluesky", "mastodon"][int(rng.integers(2))],
            "followers": int(rng.choice([0, 5, 300, 2_000, 20_000, 500_000])),
            "following": int(rng.integers(0, 6_000)),
            "posts_count": int(rng.integers(0, 100)),
            "created_at": pd.Timestamp(T0)
            - pd.Timedelta(days=float(rng.integers(-60, 900))),
            "bio_len": int(rng.choice([0, 40])),
            "is_hcp": bool(rng.random() < 0.4),
        }
        for a in ids[: n_accounts - 3]  # a few actors are unknown accounts
    ]
    post_ids = rng.choice(
        np.arange(1_000, 1_000 + 10 * n_posts), size=n_posts, replace=False
    )
    posts = []
    for i, pid in enumerate(post_ids):
        parent = int(post_ids[rng.integers(i)]) if i and rng.random() < 0.5 else -1
        if rng.random() < 0.05:
            parent = 99_999  # unstored parent
        posts.append(
            {
                "post_id": int(pid),
                "author": int(rng.choice(ids)),
                "posted_at": at(float(rng.integers(0, 2_000)) / 4),
                "reply_to": parent if parent != 99_999 else -1,
                "root": parent if parent != 99_999 else 99_999,
                "likes": int(rng.integers(0, 50)),
                "reposts": int(rng.integers(0, 5)),
                "replies": int(rng.integers(0, 5)),
                "quotes": int(rng.integers(0, 3)),
            }
        )
    edges = []
    for _ in range(n_edges):
        actor, target = (int(x) for x in rng.choice(ids, size=2, replace=False))
        kind = KINDS[int(rng.integers(len(KINDS)))]
        pid = (
            int(rng.choice(post_ids))
            if kind != "mention" and rng.random() < 0.9
            else -1
        )
        timed = rng.random() < 0.8
        edges.append(
            {
                "actor": actor,
                "target": target,
                "kind": kind,
                "post_id": pid,
                "occurred_at": at(float(rng.integers(0, 4_000)) / 4)
                if timed
                else pd.NaT,
            }
        )
    return make_inputs(accounts, edges, posts)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_fast_equals_reference_random(seed: int) -> None:
    inputs = random_inputs(seed)
    assert_same(
        activity.engagement_scores(inputs, PARAMS),
        activity_ref.engagement_scores(inputs, PARAMS),
        "engagement_quality",
    )
    assert_same(
        activity.longevity_scores(inputs, PARAMS),
        activity_ref.longevity_scores(inputs, PARAMS),
        "longevity",
    )


def test_fast_equals_reference_given_accounts() -> None:
    inputs = random_inputs(3)
    ids = [int(x) for x in inputs.accounts.index[:7]] + [123_456]
    assert_same(
        activity.engagement_scores(inputs, PARAMS, ids),
        activity_ref.engagement_scores(inputs, PARAMS, ids),
        "engagement_quality",
    )
    assert_same(
        activity.longevity_scores(inputs, PARAMS, ids),
        activity_ref.longevity_scores(inputs, PARAMS, ids),
        "longevity",
    )
