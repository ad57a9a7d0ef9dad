"""Constants of the scoring contract that Django code may import (no pandas here)."""

SCORING_VERSION = "1.0"

INTERACTION_WEIGHTS: dict[str, float] = {
    "reply": 3.0,
    "quote": 2.0,
    "repost": 1.0,
    "mention": 1.0,
    "like": 0.5,
}

# Engagement rate baselines by follower tier (DESIGN 5.5): (upper bound, rate).
ENGAGEMENT_TIERS: tuple[tuple[float, float], ...] = (
    (1_000, 0.05),
    (10_000, 0.04),
    (100_000, 0.024),
    (float("inf"), 0.015),
)

# The components of the composite, in display order.
COMPONENTS: tuple[str, ...] = (
    "alignment",
    "trust_density",
    "peer_influence",
    "engagement_quality",
    "authenticity",
    "longevity",
    "spread",
    "community",
    "compliance",
)

DEFAULT_WEIGHTS: dict[str, float] = {
    "alignment": 0.20,
    "trust_density": 0.20,
    "peer_influence": 0.15,
    "engagement_quality": 0.10,
    "authenticity": 0.10,
    "longevity": 0.05,
    "spread": 0.05,
    "community": 0.05,
    "compliance": 0.10,
}
