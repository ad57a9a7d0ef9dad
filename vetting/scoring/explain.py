"""Plain-English explanations of one account's scores (pure: dicts in, rows out).

Every component of the composite gets its value, weight, contribution and one or two
sentences built from the sub-scores the run stored, so a reviewer can see *why* an
account ranks where it does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vetting.scoring.weights import COMPONENTS

LABELS = {
    "alignment": "Specialty alignment",
    "trust_density": "Trust density",
    "peer_influence": "Peer influence",
    "engagement_quality": "Engagement quality",
    "authenticity": "Authenticity",
    "longevity": "Content longevity",
    "spread": "Conversation spread",
    "community": "Micro-community",
    "compliance": "Compliance (1 = no risk)",
}


@dataclass
class ComponentRow:
    name: str
    label: str
    value: float | None
    weight: float
    contribution: float
    sentences: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(100 * (self.value or 0.0))


def _pct(x) -> str:
    if x is None:
        return "–"
    value = 100 * float(x)
    return f"{value:.2f}%" if 0 < abs(value) < 1 else f"{value:.0f}%"


def _num(x, digits: int = 1) -> str:
    return "–" if x is None else f"{float(x):,.{digits}f}"


def _int(x) -> int:
    return int(x or 0)


def explain(
    *,
    values: dict[str, float | None],
    contributions: dict[str, float],
    weights: dict[str, float],
    details: dict,
) -> list[ComponentRow]:
    total = sum(weights.get(c, 0.0) for c in COMPONENTS) or 1.0
    d = details
    text: dict[str, list[str]] = {
        "alignment": [
            f"Taxonomy match {_num(d.get('taxonomy_match'))} (1 = a target specialty, "
            "0.5 = the same NUCC classification).",
            f"{_pct(d.get('topical_share'))} of the posts in the window are on the "
            f"therapeutic area; {_pct(d.get('audience_share'))} of the engagement "
            "comes from the target specialties.",
        ],
        "trust_density": [
            f"{_int(d.get('peers_engaged'))} of the {_int(d.get('peers_active'))} verified "
            "clinicians of the same specialty who were active in the window engaged "
            "with this account's posts."
            if d.get("peers_active")
            else "No verified peers of the same specialty were active (or the account "
            "is not linked to a clinician), so trust density is unknown and counts 0.",
            f"Peer share: {_pct(d.get('peer_share'))} of the engagement received comes "
            "from verified HCPs.",
        ],
        "peer_influence": [
            f"Within-specialty PageRank at the {_pct(d.get('pagerank_pct'))} percentile; "
            f"{_int(d.get('in_degree'))} specialty peers engage "
            f"(weight {_num(d.get('in_degree_weighted'))}).",
        ],
        "engagement_quality": [
            f"Engagement rate {_pct(d.get('engagement_rate'))} against a "
            f"{_pct(d.get('tier_baseline'))} baseline for the follower tier.",
            f"Dialogue (replies and quotes) {_pct(d.get('dialogue_share'))} of the "
            f"engagement; from HCPs {_pct(d.get('hcp_engagement_share'))}; mean thread "
            f"depth {_num(d.get('thread_depth'))}.",
        ],
        "authenticity": [
            "No sign of artificial amplification."
            if not d.get("flags")
            else "Flagged: " + "; ".join(f["evidence"] for f in d["flags"]),
            f"Bot-like engagers {_pct(d.get('bot_engager_share'))} of the engagement; "
            f"pod share {_pct(d.get('pod_share'))}; largest follower spike "
            f"{_pct(d.get('growth_spike'))}.",
        ],
        "longevity": [
            f"Half of a post's engagement arrives within {_num(d.get('half_life_hours'))} h "
            f"({_num(d.get('half_life_ratio'), 2)}x the platform median); "
            f"{_pct(d.get('late_share'))} arrives after 7 days.",
        ],
        "spread": [
            f"Cascades reached {_int(d.get('cascade_reach'))} distinct accounts, "
            f"{_int(d.get('cascade_depth'))} levels deep; structural virality "
            f"{_num(d.get('structural_virality'), 2)}.",
        ],
        "community": [
            f"Community {d.get('community_id') or '–'} of {_int(d.get('community_size'))} "
            f"accounts ({d.get('community_label') or 'no hashtags'}); this account "
            f"receives {_pct(d.get('community_share'))} of its internal engagement.",
        ],
        "compliance": [
            f"{_num(d.get('findings_weighted'))} severity-weighted findings over "
            f"{_int(d.get('posts'))} posts; {_int(d.get('critical_open'))} critical not "
            "dismissed.",
            f"{_int(d.get('sponsored_posts'))} sponsored posts, disclosure rate "
            f"{_pct(d.get('disclosure_rate'))}; {_int(d.get('coi_undisclosed'))} "
            "undisclosed conflicts of interest (Open Payments).",
        ],
    }
    return [
        ComponentRow(
            name=c,
            label=LABELS[c],
            value=values.get(c),
            weight=weights.get(c, 0.0) / total,
            contribution=float(contributions.get(c) or 0.0),
            sentences=text[c],
        )
        for c in COMPONENTS
    ]
