"""World sizes, the 180-day window, and the configured content mixes.

Every share that the ground truth is measured against lives here, so a test can
compare what was generated with what was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

WINDOW_DAYS = 180
DAY_MS = 86_400_000

RULE_CODES: tuple[str, ...] = (
    "PRODUCT_MENTION",
    "OFF_LABEL",
    "EFFICACY_OVERSTATEMENT",
    "FAIR_BALANCE",
    "UNDISCLOSED_SPONSORSHIP",
    "COI_UNDISCLOSED",
    "ADVERSE_EVENT",
)


@dataclass(frozen=True)
class SizeConfig:
    """How big a world is; every count scales from these numbers."""

    name: str
    total_accounts: int  # all accounts; patients fill what the rest leaves
    clinicians: int  # generated clinicians (the real NPPES ones come on top)
    account_share: float  # clinicians with at least one account
    both_share: float  # of those, clinicians on both platforms
    news: int
    bot_rings: int
    bots_per_ring: int
    loose_bots: int
    pods: int  # pods of non-HCP "wellness" accounts
    pod_size: int
    clinician_pods: int
    clinician_pod_size: int
    amplified_per_ring: int  # clinician accounts boosted by each bot ring
    mi_per_specialty: int  # true micro-influencers per program specialty
    mi_trust_density: float  # share of specialty peers that engage an MI
    target_interactions: int
    snapshots_tracked: int  # profile snapshots of clinicians, brands, news, amplified
    snapshots_other: int  # profile snapshots of patients and bots
    follower_list_cap: int  # most followers listed per account
    corpus_negative_share: float  # share of product-free posts in the corpus
    max_file_bytes: int


SIZES: dict[str, SizeConfig] = {
    "small": SizeConfig(
        name="small", total_accounts=860, clinicians=300, account_share=0.88,
        both_share=0.25, news=10, bot_rings=3, bots_per_ring=40, loose_bots=20, pods=1,
        pod_size=10, clinician_pods=1, clinician_pod_size=6, amplified_per_ring=2,
        mi_per_specialty=3, mi_trust_density=0.45, target_interactions=50_000,
        snapshots_tracked=7, snapshots_other=7, follower_list_cap=400,
        corpus_negative_share=0.25, max_file_bytes=8 * 1024 * 1024,
    ),
    "100k": SizeConfig(
        name="100k", total_accounts=100_000, clinicians=16_000, account_share=0.88,
        both_share=0.25, news=300, bot_rings=40, bots_per_ring=400, loose_bots=4_000,
        pods=80, pod_size=10, clinician_pods=40, clinician_pod_size=8,
        amplified_per_ring=4, mi_per_specialty=6, mi_trust_density=0.2,
        target_interactions=1_000_000, snapshots_tracked=7, snapshots_other=2,
        follower_list_cap=2_000, corpus_negative_share=0.05,
        max_file_bytes=64 * 1024 * 1024,
    ),
    "1m": SizeConfig(
        name="1m", total_accounts=1_000_000, clinicians=160_000, account_share=0.88,
        both_share=0.25, news=3_000, bot_rings=400, bots_per_ring=400, loose_bots=40_000,
        pods=800, pod_size=10, clinician_pods=400, clinician_pod_size=8,
        amplified_per_ring=4, mi_per_specialty=10, mi_trust_density=0.08,
        target_interactions=10_000_000, snapshots_tracked=4, snapshots_other=1,
        follower_list_cap=4_000, corpus_negative_share=0.02,
        max_file_bytes=128 * 1024 * 1024,
    ),
}  # fmt: skip

# Split of the interaction budget (mentions come from the text and are not budgeted).
BUDGET_SHARE = {
    "like": 0.55,
    "follow": 0.20,
    "repost": 0.10,
    "reply": 0.09,
    "quote": 0.02,
}

# Product posts of ordinary clinicians: template -> share. Each template's expected
# rule codes are in ``text.TEMPLATE_CODES``.
CLINICIAN_PRODUCT_MIX: dict[str, float] = {
    "neutral": 0.22,
    "benefit_risk": 0.14,
    "benefit_no_risk": 0.10,
    "off_label_use": 0.07,
    "off_label_benefit": 0.04,
    "overstatement": 0.08,
    "adverse_event": 0.08,
    "negated_off_label": 0.07,
    "negated_efficacy": 0.06,
    "ae_lookalike": 0.08,
    "ask_doctor": 0.06,
}
# The real NPPES clinicians post only compliant content, look-alikes included.
CLEAN_PRODUCT_MIX: dict[str, float] = {
    "neutral": 0.30,
    "benefit_risk": 0.25,
    "negated_off_label": 0.12,
    "negated_efficacy": 0.12,
    "ae_lookalike": 0.13,
    "ask_doctor": 0.08,
}
# True micro-influencers post plainly compliant content only, so that their ranking
# does not hinge on how a rule treats a negated look-alike.
MI_PRODUCT_MIX: dict[str, float] = {
    "neutral": 0.45,
    "benefit_risk": 0.40,
    "ask_doctor": 0.15,
}
# Clinicians paid by the manufacturer, posting about the paid-for product.
SPONSOR_MIX: dict[str, float] = {
    "sponsored_undisclosed": 0.25,
    "sponsored_disclosed": 0.25,
    "sponsored_buried": 0.10,
    "coi_plain": 0.25,
    "coi_disclosed": 0.15,
}
# Share of a paid clinician's product posts that are about the paying product.
SPONSOR_POST_SHARE = 0.6
# Pharmacists and wellness accounts with a brand deal (no Open Payments: not covered).
UNCOVERED_SPONSOR_MIX: dict[str, float] = {
    "sponsored_undisclosed": 0.6,
    "sponsored_disclosed": 0.4,
}
PATIENT_PRODUCT_MIX: dict[str, float] = {
    "patient_neutral": 0.55,
    "patient_ae": 0.30,
    "patient_ask": 0.15,
}
# How a product is named in a post.
PRODUCT_FORM_MIX: dict[str, float] = {
    "brand": 0.45,
    "generic": 0.24,
    "hashtag": 0.15,
    "both": 0.08,
    "misspelt": 0.08,
}
# Share of original posts that name a product, per author class.
PRODUCT_POST_SHARE: dict[str, float] = {
    "ordinary": 0.22,
    "mi": 0.30,
    "amp_ring": 0.25,
    "pod_clin": 0.25,
    "patient": 0.10,
    "brand": 0.85,
    "news": 0.30,
    "bot": 0.0,
    "pod_member": 0.15,
    "real": 0.10,
    "paid": 0.45,
}
PAID_CLINICIAN_SHARE = 0.10  # of generated, linkable, covered clinicians (not MIs)
SPONSORED_PHARMACIST_SHARE = 0.08  # of pharmacists with accounts


def window_for_seed(seed: int) -> tuple[datetime, datetime]:
    """The 180-day window: it ends at midnight UTC on a date fixed by the seed.

    The end falls between 2025-07-01 and 2025-09-28, so the Open Payments program
    year before it (2024) is published (June 2025) before the window ends.
    """
    end = datetime(2025, 7, 1, tzinfo=UTC) + timedelta(days=seed % 90)
    return end - timedelta(days=WINDOW_DAYS), end


def cumulative(mix: dict[str, float]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Names and cumulative weights (normalised to end at 1.0) of a mix."""
    total = sum(mix.values())
    names, edges, running = [], [], 0.0
    for name, weight in mix.items():
        running += weight / total
        names.append(name)
        edges.append(running)
    edges[-1] = 1.0
    return tuple(names), tuple(edges)
