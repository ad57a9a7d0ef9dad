"""One program's scoring, end to end over frames: candidates, parts, every score,
the composite with gates and contributions.

Pure: ``score_part`` computes every score of DESIGN 5 for some accounts (one Celery
task per specialty calls it with that specialty's candidates); ``composite_scores``
combines the parts. ``engine="fast"`` uses the array implementations,
``engine="reference"`` the networkx / plain-Python ones they are tested against.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vetting.scoring.alignment import alignment_scores, compliance_scores
from vetting.scoring.frames import COMPONENTS, ScoringInputs, ScoringParams

ENGINES = {
    "fast": (
        "vetting.scoring.graph",
        "vetting.scoring.activity",
        "vetting.scoring.authenticity",
    ),
    "reference": (
        "vetting.scoring.graph_nx",
        "vetting.scoring.activity_ref",
        "vetting.scoring.authenticity_ref",
    ),
}


@dataclass(frozen=True)
class Part:
    """The work of one scoring task. ``graph`` parts compute the specialty-bound graph
    scores (trust density, peer influence, communities) for the candidates of a group
    of specialties; the one ``activity`` part computes everything that needs the
    whole window at once (alignment, spread, engagement, longevity, authenticity with
    its platform norms, compliance) for every candidate."""

    key: str
    kind: str  # "graph" | "activity"
    accounts: np.ndarray


GRAPH = "graph"
ACTIVITY = "activity"


def candidates(inputs: ScoringInputs, params: ScoringParams) -> np.ndarray:
    """Accounts a program scores: on its platforms, with at least one post in the
    window, and either linked to a clinician or inside the follower range (an
    unlinked account in range may be an HCP waiting for a link)."""
    acc = inputs.accounts
    authors = np.unique(inputs.posts["author"].to_numpy())
    acc = acc.reindex(authors).dropna(subset=["platform"])
    if params.platforms:
        acc = acc[acc["platform"].isin(params.platforms)]
    linked = acc["clinician_id"].to_numpy() >= 0
    in_range = (acc["followers"] >= params.follower_min) & (
        acc["followers"] <= params.follower_max
    )
    return np.sort(acc.index[linked | in_range.to_numpy()].to_numpy(dtype=np.int64))


def parts(
    inputs: ScoringInputs, accounts: np.ndarray, *, graph_parts: int = 4
) -> list[Part]:
    """The specialties of ``accounts`` in at most ``graph_parts`` groups of about
    equal engagement (each specialty whole: its graph scores need all of it), then
    one activity part with every candidate. Deterministic."""
    specialty = inputs.accounts["specialty"].reindex(accounts).fillna("").to_numpy()
    codes = sorted(set(specialty) - {""})
    # engagements received per specialty: the targets' specialties as codes
    spec_code, spec_names = pd.factorize(
        inputs.accounts["specialty"].fillna("").to_numpy(dtype=object)
    )
    received = np.zeros(len(spec_names))
    if len(inputs.edges) and len(spec_names):
        row = inputs.accounts.index.get_indexer(inputs.edges["target"].to_numpy())
        received = np.bincount(spec_code[row[row >= 0]], minlength=len(spec_names))
    count = dict(zip(spec_names.tolist(), received.tolist(), strict=True))
    loads = sorted(
        ((float(count.get(code, 0)) + 1.0, code) for code in codes),
        key=lambda item: (-item[0], item[1]),
    )
    groups: list[list[str]] = [[] for _ in range(max(1, min(graph_parts, len(codes))))]
    weight = [0.0] * len(groups)
    for load, code in loads:  # greedy: the heaviest specialty to the lightest group
        i = int(np.argmin(weight))
        groups[i].append(code)
        weight[i] += load
    # each candidate's group, by its specialty's code (np.isin of strings sorts them)
    group_of = {code: i for i, group in enumerate(groups) for code in group}
    candidate_code, candidate_names = pd.factorize(specialty)
    name_group = np.array([group_of.get(n, -1) for n in candidate_names], np.int64)
    candidate_group = (
        name_group[candidate_code] if len(accounts) else np.empty(0, np.int64)
    )
    out = [
        Part(f"{GRAPH}:{i}", GRAPH, np.sort(accounts[candidate_group == i]))
        for i, group in enumerate(groups)
        if group
    ]
    out.append(Part(ACTIVITY, ACTIVITY, np.asarray(accounts, dtype=np.int64)))
    return out


def score_part(
    inputs: ScoringInputs,
    params: ScoringParams,
    accounts: np.ndarray,
    *,
    kind: str = ACTIVITY,
    engine: str = "fast",
) -> pd.DataFrame:
    """The scores of one part for ``accounts``: one row per account, the columns of
    each scorer side by side (the composite comes later, over all parts)."""
    graph, activity, authenticity = (
        importlib.import_module(m) for m in ENGINES[engine]
    )
    accounts = np.asarray(accounts, dtype=np.int64)
    if kind == GRAPH:
        scorers = [
            graph.trust_scores,
            graph.peer_influence_scores,
            graph.community_scores,
        ]
    else:
        scorers = [
            alignment_scores,
            graph.spread_scores,
            activity.engagement_scores,
            activity.longevity_scores,
            authenticity.authenticity_scores,
            compliance_scores,
        ]
    index = pd.Index(accounts, name="account_id")
    out = pd.DataFrame(index=index)
    for scorer in scorers:
        frame = scorer(inputs, params, accounts).reindex(index)
        clash = [c for c in frame.columns if c in out.columns]
        if clash:
            raise ValueError(f"two scorers return the same column: {clash}")
        out = out.join(frame)
    out.attrs["kind"] = kind
    return out


def score_all(
    inputs: ScoringInputs, params: ScoringParams, *, engine: str = "fast"
) -> pd.DataFrame:
    """Every score and the composite for every candidate, in one process (what the
    tasks of a run compute between them; tests and the benchmark's reference)."""
    chosen = candidates(inputs, params)
    frames = [
        score_part(inputs, params, part.accounts, kind=part.kind, engine=engine)
        for part in parts(inputs, chosen)
    ]
    return composite_scores(combine_parts(frames, chosen), inputs, params)


def combine_parts(frames: list[pd.DataFrame], accounts: np.ndarray) -> pd.DataFrame:
    """The activity frame with the graph frames' columns beside it (NaN for the
    candidates without a specialty)."""
    index = pd.Index(np.asarray(accounts, dtype=np.int64), name="account_id")
    activity = [f for f in frames if f.attrs.get("kind", ACTIVITY) == ACTIVITY]
    graph = [f for f in frames if f.attrs.get("kind") == GRAPH]
    out = activity[0].reindex(index) if activity else pd.DataFrame(index=index)
    if graph:
        out = out.join(pd.concat(graph).reindex(index))
    return out


def component_values(scores: pd.DataFrame) -> pd.DataFrame:
    """The nine components of the composite, each in [0, 1] (NaN when unknown)."""
    values = pd.DataFrame(index=scores.index)
    for name in COMPONENTS:
        column = COMPONENT_COLUMNS[name]
        values[name] = (
            scores[column].astype(float).clip(0.0, 1.0) if column in scores else np.nan
        )
    return values


# component -> the column of the scorers' output that holds it
COMPONENT_COLUMNS = {
    "alignment": "alignment",
    "trust_density": "trust_density",
    "peer_influence": "peer_influence",
    "engagement_quality": "engagement_quality",
    "authenticity": "authenticity",
    "longevity": "longevity",
    "spread": "spread",
    "community": "community",
    "compliance": "compliance",
}


def composite_scores(
    scores: pd.DataFrame, inputs: ScoringInputs, params: ScoringParams
) -> pd.DataFrame:
    """Add the composite, each component's contribution and the gates to ``scores``.

    composite = sum(w_c * value_c) / sum(w_c) over the nine components, an unknown
    component counting 0 (a candidate without verified peers earns no trust).
    contribution_c = w_c * value_c / sum(w_c), so the contributions add up to the
    composite. Gates (DESIGN 5.11): identity verified (``is_hcp``), followers inside
    the program's range, no critical finding that is not dismissed. A gated
    candidate keeps its composite but ranks after every candidate that passes.
    ``rank`` is over the program, ``specialty_rank`` within the specialty.
    """
    values = component_values(scores)
    weights = pd.Series({c: float(params.weights.get(c, 0.0)) for c in COMPONENTS})
    total = weights.sum() or 1.0
    contributions = values.fillna(0.0).mul(weights, axis=1) / total
    out = scores.copy()
    for name in COMPONENTS:
        out[f"value_{name}"] = values[name]
        out[f"contribution_{name}"] = contributions[name]
    out["composite"] = contributions.sum(axis=1).clip(0.0, 1.0)
    acc = inputs.accounts.reindex(out.index)
    failures: list[list[str]] = [[] for _ in range(len(out))]
    checks = []
    if params.require_identity:
        checks.append(
            ("identity not verified", ~acc["is_hcp"].fillna(False).astype(bool))
        )
    if params.require_follower_range:
        followers = acc["followers"].fillna(0)
        checks.append(
            (
                f"followers outside {params.follower_min:,}-{params.follower_max:,}",
                (followers < params.follower_min) | (followers > params.follower_max),
            )
        )
    if params.block_open_critical and "critical_open" in out:
        checks.append(("open critical finding", out["critical_open"].fillna(0) > 0))
    for reason, failed in checks:
        for i in np.flatnonzero(failed.to_numpy()):
            failures[i].append(reason)
    out["gate_failures"] = failures
    out["gates_passed"] = [not f for f in failures]
    out["followers"] = acc["followers"].fillna(0).astype(np.int64)
    out["specialty"] = acc["specialty"].fillna("")
    out["clinician_id"] = acc["clinician_id"].fillna(-1).astype(np.int64)
    order = out.sort_values(
        ["gates_passed", "composite"], ascending=[False, False], kind="stable"
    )
    out.loc[order.index, "rank"] = np.arange(1, len(order) + 1)
    out["specialty_rank"] = (
        out.groupby("specialty")["composite"]
        .rank(method="first", ascending=False)
        .astype("Int64")
    )
    out.loc[out["specialty"] == "", "specialty_rank"] = pd.NA
    out["rank"] = out["rank"].astype(np.int64)
    return out
