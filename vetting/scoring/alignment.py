"""Specialty alignment (DESIGN 5.2) and compliance risk (DESIGN 5.10).

Pure, vectorised pandas. No graph here, so the reference implementation is the
same code path; tests check both against hand-computed values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vetting.scoring.frames import ScoringInputs, ScoringParams

# (taxonomy, topical, audience) weights of the alignment mean
ALIGNMENT_PARTS = (0.4, 0.4, 0.2)
SEVERITY_WEIGHTS = {"critical": 1.0, "major": 0.5, "minor": 0.1}
RISK_PER_POST_SATURATION = 0.2  # weighted findings per post at which risk is maximal
COI_UNDISCLOSED_PENALTY = 0.5


def _ids(inputs: ScoringInputs, accounts: np.ndarray | None) -> pd.Index:
    if accounts is None:
        return pd.Index(np.unique(inputs.posts["author"].to_numpy()), name="account_id")
    return pd.Index(np.asarray(accounts, dtype=np.int64), name="account_id")


def taxonomy_match(
    specialty: pd.Series, classification: pd.Series, params: ScoringParams
) -> pd.Series:
    """1.0 for an exact target code, 0.5 for the same NUCC classification as a target,
    else 0 (no linked clinician: 0)."""
    exact = specialty.isin(params.target_specialties) & (specialty != "")
    same_class = classification.isin(params.target_classifications) & (
        classification != ""
    )
    return pd.Series(
        np.where(exact, 1.0, np.where(same_class, 0.5, 0.0)), index=specialty.index
    )


def alignment_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: np.ndarray | None = None
) -> pd.DataFrame:
    """Columns: taxonomy_match, topical_share (share of the account's posts in the
    window that match the therapeutic-area lexicon or hashtags; NaN without posts),
    audience_share (share of received engagement weight from accounts in the target
    specialties; NaN without engagement), alignment (weighted mean of the three with
    ALIGNMENT_PARTS, missing parts counted as 0)."""
    ids = _ids(inputs, accounts)
    acc = inputs.accounts.reindex(ids)
    taxonomy = taxonomy_match(
        acc["specialty"].fillna(""), acc["classification"].fillna(""), params
    )
    posts = inputs.posts[inputs.posts["author"].isin(ids)]
    grouped = posts.groupby("author")["topical"]
    topical = (grouped.sum() / grouped.count()).reindex(ids)
    edges = inputs.edges[inputs.edges["target"].isin(ids)]
    actor_spec = inputs.accounts["specialty"].reindex(edges["actor"].to_numpy())
    in_target = actor_spec.isin(params.target_specialties).to_numpy() & (
        actor_spec.to_numpy() != ""
    )
    frame = pd.DataFrame(
        {
            "target": edges["target"].to_numpy(),
            "w": edges["weight"].to_numpy(),
            "wt": edges["weight"].to_numpy() * in_target,
        }
    )
    sums = frame.groupby("target")[["w", "wt"]].sum()
    audience = (sums["wt"] / sums["w"]).reindex(ids)
    a, b, c = ALIGNMENT_PARTS
    alignment = (
        a * taxonomy.to_numpy()
        + b * topical.fillna(0).to_numpy()
        + c * audience.fillna(0).to_numpy()
    ) / (a + b + c)
    return pd.DataFrame(
        {
            "taxonomy_match": taxonomy.to_numpy(),
            "topical_share": topical.to_numpy(dtype=float),
            "audience_share": audience.to_numpy(dtype=float),
            "alignment": alignment,
        },
        index=ids,
    )


def compliance_scores(
    inputs: ScoringInputs, params: ScoringParams, accounts: np.ndarray | None = None
) -> pd.DataFrame:
    """Columns: posts (in the window), findings_weighted (severity-weighted count of
    current findings that are not dismissed: critical 1, major 0.5, minor 0.1),
    risk_per_post, critical_open (critical findings open, escalated or confirmed),
    sponsored_posts, disclosure_rate (clearly disclosed / sponsored; NaN when none),
    coi_products (products the account discusses whose manufacturer paid its
    clinician), coi_undisclosed (COI_UNDISCLOSED findings), compliance in [0, 1]
    (1 = no risk): (1 - min(1, risk_per_post / 0.2)) x disclosure_rate (1 when no
    sponsored posts) x 0.5 when any undisclosed conflict of interest."""
    ids = _ids(inputs, accounts)
    posts = inputs.posts[inputs.posts["author"].isin(ids)]
    n_posts = posts.groupby("author").size().reindex(ids, fill_value=0)
    findings = inputs.findings[
        inputs.findings["author"].isin(ids) & (inputs.findings["status"] != "dismissed")
    ]
    weights = findings["severity"].map(SEVERITY_WEIGHTS).fillna(0.0)
    weighted = weights.groupby(findings["author"]).sum().reindex(ids, fill_value=0.0)
    critical = (
        (findings["severity"] == "critical")
        .groupby(findings["author"])
        .sum()
        .reindex(ids, fill_value=0)
    )
    coi_undisclosed = (
        (findings["rule"] == "COI_UNDISCLOSED")
        .groupby(findings["author"])
        .sum()
        .reindex(ids, fill_value=0)
    )
    sponsored = inputs.sponsored[inputs.sponsored["author"].isin(ids)]
    n_sponsored = sponsored.groupby("author").size().reindex(ids, fill_value=0)
    n_disclosed = (
        sponsored.groupby("author")["disclosed"].sum().reindex(ids, fill_value=0)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        risk = np.where(n_posts > 0, weighted / n_posts.clip(lower=1), 0.0)
        disclosure = np.where(n_sponsored > 0, n_disclosed / n_sponsored, np.nan)
    coi_products = _coi_products(inputs, ids)
    score = (
        (1.0 - np.minimum(1.0, risk / RISK_PER_POST_SATURATION))
        * np.where(np.isnan(disclosure), 1.0, disclosure)
        * np.where(coi_undisclosed.to_numpy() > 0, COI_UNDISCLOSED_PENALTY, 1.0)
    )
    return pd.DataFrame(
        {
            "posts": n_posts.to_numpy(),
            "findings_weighted": weighted.to_numpy(dtype=float),
            "risk_per_post": risk,
            "critical_open": critical.to_numpy(),
            "sponsored_posts": n_sponsored.to_numpy(),
            "disclosure_rate": disclosure,
            "coi_products": coi_products,
            "coi_undisclosed": coi_undisclosed.to_numpy(),
            "compliance": score,
        },
        index=ids,
    )


def _coi_products(inputs: ScoringInputs, ids: pd.Index) -> np.ndarray:
    """Per account: how many distinct products it names in findings (PRODUCT_MENTION)
    that appear in an Open Payments row paid to its clinician."""
    if inputs.payments.empty or inputs.findings.empty:
        return np.zeros(len(ids), dtype=np.int64)
    paid: dict[int, set[str]] = {}
    for clinician, products in zip(
        inputs.payments["clinician_id"].tolist(),
        inputs.payments["products"].tolist(),
        strict=True,
    ):
        paid.setdefault(clinician, set()).update(
            str(p).strip().upper() for p in (products or []) if p
        )
    mentions = inputs.findings[
        (inputs.findings["rule"] == "PRODUCT_MENTION")
        & (inputs.findings["product"] != "")
        & inputs.findings["author"].isin(ids)
    ]
    named: dict[int, set[str]] = {}
    for author, product in zip(
        mentions["author"].tolist(), mentions["product"].tolist(), strict=True
    ):
        named.setdefault(author, set()).add(product.strip().upper())
    clinicians = inputs.accounts["clinician_id"].reindex(ids).fillna(-1).astype(int)
    return np.array(
        [
            len(named.get(account, set()) & paid.get(clinician, set()))
            for account, clinician in zip(
                ids.tolist(), clinicians.tolist(), strict=True
            )
        ],
        dtype=np.int64,
    )
