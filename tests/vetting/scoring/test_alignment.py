"""Specialty alignment, compliance risk and the composite, computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from vetting.scoring.alignment import alignment_scores, compliance_scores
from vetting.scoring.frames import (
    ACCOUNT_COLUMNS,
    EDGE_COLUMNS,
    POST_COLUMNS,
    ScoringInputs,
    ScoringParams,
    empty_frame,
)
from vetting.scoring.pipeline import candidates, composite_scores, parts

T0 = datetime(2025, 3, 1, tzinfo=UTC)
PARAMS = ScoringParams(
    window_start=T0 - timedelta(days=90),
    window_end=T0 + timedelta(days=90),
    target_specialties=("207RC0000X",),
    target_classifications=("Internal Medicine",),
)


def _accounts(rows: dict[int, dict]) -> pd.DataFrame:
    base = {"platform": "bluesky", "followers": 5000, "following": 300,
            "posts_count": 10, "created_at": pd.Timestamp("2020-01-01", tz="UTC"),
            "bio_len": 40, "clinician_id": -1, "specialty": "",
            "classification": "", "is_hcp": False, "link_confidence": np.nan}  # fmt: skip
    frame = pd.DataFrame([{**base, **r} for r in rows.values()], index=list(rows))
    frame.index.name = "account_id"
    return frame.astype(ACCOUNT_COLUMNS)


def _posts(rows: list[tuple[int, int, bool]]) -> pd.DataFrame:
    """(post_id, author, topical)."""
    frame = pd.DataFrame(
        [
            {
                "author": a,
                "posted_at": pd.Timestamp(T0),
                "reply_to": -1,
                "root": -1,
                "quote_of": -1,
                "topical": t,
                "hashtags": [],
                "likes": 0,
                "reposts": 0,
                "replies": 0,
                "quotes": 0,
            }
            for _, a, t in rows
        ],  # fmt: skip
        index=pd.Index([p for p, _, _ in rows], name="post_id"),
    )
    return frame.astype({k: v for k, v in POST_COLUMNS.items() if k != "hashtags"})


def _edges(rows: list[tuple[int, int, str, float]]) -> pd.DataFrame:
    if not rows:
        return empty_frame(EDGE_COLUMNS)
    return pd.DataFrame(
        [
            {
                "actor": a,
                "target": t,
                "kind": k,
                "weight": w,
                "post_id": -1,
                "occurred_at": pd.Timestamp(T0),
            }
            for a, t, k, w in rows
        ]  # fmt: skip
    ).astype(EDGE_COLUMNS)


@pytest.fixture
def inputs() -> ScoringInputs:
    accounts = _accounts({
        1: {"clinician_id": 11, "specialty": "207RC0000X",
            "classification": "Internal Medicine", "is_hcp": True},
        2: {"clinician_id": 12, "specialty": "207RE0101X",
            "classification": "Internal Medicine", "is_hcp": True},
        3: {"clinician_id": 13, "specialty": "207Q00000X",
            "classification": "Family Medicine", "is_hcp": True},
        4: {"followers": 400},
        5: {"followers": 60_000, "clinician_id": 15, "specialty": "207RC0000X",
            "classification": "Internal Medicine", "is_hcp": True},
    })  # fmt: skip
    posts = _posts([(100, 1, True), (101, 1, True), (102, 1, False), (103, 1, False),
                    (200, 2, False), (300, 3, True), (400, 4, True), (500, 5, True)])  # fmt: skip
    # into 1: reply from 5 (cardio, weight 3), like from 4 (no specialty, 0.5),
    # repost from 2 (endo, not a target code, 1) -> audience = 3 / 4.5
    edges = _edges([(5, 1, "reply", 3.0), (4, 1, "like", 0.5), (2, 1, "repost", 1.0)])
    findings = pd.DataFrame(
        [
            (200, 2, "OFF_LABEL", "critical", "open", "HUMIRA"),
            (300, 3, "FAIR_BALANCE", "major", "confirmed", "LIPITOR"),
            (300, 3, "FAIR_BALANCE", "major", "dismissed", "LIPITOR"),
            (300, 3, "COI_UNDISCLOSED", "major", "open", "LIPITOR"),
        ],  # fmt: skip
        columns=["post_id", "author", "rule", "severity", "status", "product"],
    )
    sponsored = pd.DataFrame(
        [(300, 3, False), (301, 3, True), (101, 1, True)],
        columns=["post_id", "author", "disclosed"],
    )
    return ScoringInputs(accounts=accounts, edges=edges, posts=posts,
                         findings=findings, sponsored=sponsored)  # fmt: skip


def test_alignment_by_hand(inputs):
    out = alignment_scores(inputs, PARAMS)
    assert out.loc[1, "taxonomy_match"] == 1.0  # exact code
    assert out.loc[2, "taxonomy_match"] == 0.5  # same classification
    assert out.loc[3, "taxonomy_match"] == 0.0
    assert out.loc[4, "taxonomy_match"] == 0.0  # not linked
    assert out.loc[1, "topical_share"] == pytest.approx(0.5)
    assert out.loc[1, "audience_share"] == pytest.approx(3 / 4.5)
    assert np.isnan(out.loc[2, "audience_share"])  # no engagement received
    assert out.loc[1, "alignment"] == pytest.approx(0.4 * 1 + 0.4 * 0.5 + 0.2 * 3 / 4.5)
    assert out.loc[3, "alignment"] == pytest.approx(0.4)  # topical only


def test_compliance_by_hand(inputs):
    out = compliance_scores(inputs, PARAMS)
    assert out.loc[1, "compliance"] == pytest.approx(
        1.0
    )  # one disclosed sponsored post
    assert out.loc[1, "disclosure_rate"] == 1.0
    # 2: one critical finding on one post -> risk 1.0 per post, saturated
    assert out.loc[2, "risk_per_post"] == 1.0 and out.loc[2, "compliance"] == 0.0
    assert out.loc[2, "critical_open"] == 1
    # 3: major confirmed + major COI (the dismissed one does not count) = 1.0 on one
    # post; half of its sponsored posts disclosed; an undisclosed COI halves
    assert out.loc[3, "findings_weighted"] == pytest.approx(1.0)
    assert out.loc[3, "disclosure_rate"] == 0.5
    assert out.loc[3, "coi_undisclosed"] == 1
    assert out.loc[3, "compliance"] == pytest.approx(0.0)
    assert np.isnan(out.loc[4, "disclosure_rate"]) and out.loc[4, "compliance"] == 1.0


def test_the_composite_is_the_sum_of_its_contributions_and_gates_rank_last(inputs):
    scores = alignment_scores(inputs, PARAMS).join(compliance_scores(inputs, PARAMS))
    scores["trust_density"] = [0.9, 0.2, np.nan, np.nan, 1.0]
    out = composite_scores(scores, inputs, PARAMS)
    contributions = out[[c for c in out.columns if c.startswith("contribution_")]]
    assert np.allclose(contributions.sum(axis=1), out["composite"])
    w = PARAMS.weights
    expected = (w["alignment"] * out.loc[1, "alignment"] + w["trust_density"] * 0.9
                + w["compliance"] * 1.0) / sum(w.values())  # fmt: skip
    assert out.loc[1, "composite"] == pytest.approx(expected)
    assert out.loc[1, "gates_passed"]
    assert out.loc[2, "gate_failures"] == ["open critical finding"]
    assert "identity not verified" in out.loc[4, "gate_failures"]
    assert "followers outside 1,000-50,000" in out.loc[5, "gate_failures"]
    assert out.loc[1, "rank"] == 1  # 5 scores higher but fails a gate
    assert out.loc[5, "composite"] > out.loc[1, "composite"]
    assert out.loc[5, "specialty_rank"] == 1 and out.loc[1, "specialty_rank"] == 2
    assert pd.isna(out.loc[4, "specialty_rank"])


def test_candidates_and_parts(inputs):
    chosen = candidates(inputs, PARAMS)
    # 4 is unlinked and under the follower range; 5 is linked (kept, gated later)
    assert chosen.tolist() == [1, 2, 3, 5]
    split = parts(inputs, np.array([1, 2, 3, 4, 5]), graph_parts=2)
    # the heaviest specialty (cardiology: all the engagement) alone, the two others
    # together, then every candidate in the activity part
    assert [(p.key, p.kind, p.accounts.tolist()) for p in split] == [
        ("graph:0", "graph", [1, 5]),
        ("graph:1", "graph", [2, 3]),
        ("activity", "activity", [1, 2, 3, 4, 5]),
    ]
