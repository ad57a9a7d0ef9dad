"""The data contract of every score: the input frames and the program parameters.

Pure code: no ORM, no settings, no I/O. ``vetting.scoring.inputs`` builds a
``ScoringInputs`` from PostgreSQL; tests build one by hand. Every scorer takes a
``ScoringInputs`` (and ``ScoringParams``) and returns a DataFrame indexed by
``account_id`` with the columns it documents.

Frames (pandas, one row per ...; ids are int64 database primary keys):

``accounts`` -- one row per account that appears anywhere in the window (author,
actor, target, follower), indexed by ``account_id``:
    platform        str    "bluesky", "mastodon", ...
    followers       int64  profile counter (latest snapshot)
    following       int64
    posts_count     int64
    created_at      datetime64[ns, UTC]  account creation (NaT when unknown)
    bio_len         int64  characters in the bio (0 = empty bio)
    clinician_id    int64  linked clinician, -1 when none
    specialty       str    the clinician's primary NUCC code, "" when none
    classification  str    the NUCC classification of ``specialty`` ("" when none)
    is_hcp          bool   a verified HCP: linked (not rejected) to an active
                           individual NPI with link confidence >= the program's
                           threshold (or a confirmed link)
    link_confidence float  NaN when unlinked

``edges`` -- one row per engagement in the window (likes, reposts, replies,
quotes, mentions; never follows), self-engagement already removed:
    actor        int64
    target       int64
    kind         str    "reply" | "quote" | "repost" | "like" | "mention"
    weight       float64  INTERACTION_WEIGHTS[kind]
    post_id      int64  the target's post it concerns, -1 when none (mentions)
    occurred_at  datetime64[ns, UTC]  NaT when the platform gives no time

``follows`` -- one row per follow edge known (audience, not engagement):
    actor, target  int64;  occurred_at  datetime64[ns, UTC] (NaT when unknown)

``posts`` -- one row per post (not repost) authored in the window, indexed by
``post_id``:
    author        int64
    posted_at     datetime64[ns, UTC]
    reply_to      int64  parent post id when the parent is stored, else -1
    root          int64  thread root post id when stored, else -1
    quote_of      int64  quoted post id when stored, else -1
    topical       bool   matches the program's therapeutic-area lexicon
    hashtags      list[str]  lower-case hashtags without '#'
    likes, reposts, replies, quotes  int64  platform counters (latest)

``snapshots`` -- account counters over time:
    account_id int64; captured_at datetime64[ns, UTC]; followers, following int64

``findings`` -- current compliance findings on posts in the window:
    post_id int64; author int64; rule str; severity "critical"|"major"|"minor";
    status "open"|"confirmed"|"dismissed"|"escalated"; product str ("" if none)

``payments`` -- Open Payments rows of linked clinicians:
    clinician_id int64; manufacturer str (normalised name); amount float64;
    products list[str] (product keys named in the payment)

``sponsored`` -- posts carrying a sponsorship signal, with or without a clear
disclosure:  post_id int64; author int64; disclosed bool
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from vetting.scoring.weights import (  # noqa: F401 - part of the contract
    COMPONENTS,
    DEFAULT_WEIGHTS,
    ENGAGEMENT_TIERS,
    INTERACTION_WEIGHTS,
    SCORING_VERSION,
)

ACCOUNT_COLUMNS = {
    "platform": "object",
    "followers": "int64",
    "following": "int64",
    "posts_count": "int64",
    "created_at": "datetime64[ns, UTC]",
    "bio_len": "int64",
    "clinician_id": "int64",
    "specialty": "object",
    "classification": "object",
    "is_hcp": "bool",
    "link_confidence": "float64",
}
EDGE_COLUMNS = {
    "actor": "int64",
    "target": "int64",
    "kind": "object",
    "weight": "float64",
    "post_id": "int64",
    "occurred_at": "datetime64[ns, UTC]",
}
FOLLOW_COLUMNS = {
    "actor": "int64",
    "target": "int64",
    "occurred_at": "datetime64[ns, UTC]",
}
POST_COLUMNS = {
    "author": "int64",
    "posted_at": "datetime64[ns, UTC]",
    "reply_to": "int64",
    "root": "int64",
    "quote_of": "int64",
    "topical": "bool",
    "hashtags": "object",
    "likes": "int64",
    "reposts": "int64",
    "replies": "int64",
    "quotes": "int64",
}
SNAPSHOT_COLUMNS = {
    "account_id": "int64",
    "captured_at": "datetime64[ns, UTC]",
    "followers": "int64",
    "following": "int64",
}
FINDING_COLUMNS = {
    "post_id": "int64",
    "author": "int64",
    "rule": "object",
    "severity": "object",
    "status": "object",
    "product": "object",
}
PAYMENT_COLUMNS = {
    "clinician_id": "int64",
    "manufacturer": "object",
    "amount": "float64",
    "products": "object",
}
SPONSORED_COLUMNS = {"post_id": "int64", "author": "int64", "disclosed": "bool"}


def empty_frame(columns: dict[str, str], index: str | None = None) -> pd.DataFrame:
    """An empty frame with the contract's columns and dtypes."""
    frame = pd.DataFrame(
        {name: pd.Series(dtype=dtype) for name, dtype in columns.items()}
    )
    if index:
        frame.index = pd.Index([], dtype="int64", name=index)
    return frame


@dataclass(frozen=True)
class ScoringParams:
    """One program's scoring parameters (``vetting.models.Program`` as plain data)."""

    window_start: datetime
    window_end: datetime
    target_specialties: tuple[str, ...] = ()
    target_classifications: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    follower_min: int = 1_000
    follower_max: int = 50_000
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    # gates: identity verified, follower range, no open critical finding
    require_identity: bool = True
    require_follower_range: bool = True
    block_open_critical: bool = True
    link_confidence_min: float = 0.8
    late_days: int = 7
    pagerank_alpha: float = 0.85
    pagerank_l1_tol: float = 1e-6


@dataclass
class ScoringInputs:
    """Everything a scoring run reads, as frames of the contract above."""

    accounts: pd.DataFrame
    edges: pd.DataFrame
    posts: pd.DataFrame
    follows: pd.DataFrame = field(default_factory=lambda: empty_frame(FOLLOW_COLUMNS))
    snapshots: pd.DataFrame = field(
        default_factory=lambda: empty_frame(SNAPSHOT_COLUMNS)
    )
    findings: pd.DataFrame = field(default_factory=lambda: empty_frame(FINDING_COLUMNS))
    payments: pd.DataFrame = field(default_factory=lambda: empty_frame(PAYMENT_COLUMNS))
    sponsored: pd.DataFrame = field(
        default_factory=lambda: empty_frame(SPONSORED_COLUMNS)
    )
