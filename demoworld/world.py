"""Accounts, posts and engagement of the world as compact numpy arrays.

Nothing here holds a post's text or a rendered payload: an account is a row of small
integers, a post is ``(author, time, parent, root, quote-of)``, a repost is
``(actor, post, time)``. Text and payloads are rebuilt from these rows when written.
Likes and follows are not stored at all: they are drawn chunk by chunk while their
pages are written (``likes_chunk``, ``followers_chunk``).

Who engages with whom (``sample_actors``) is a mixture per author class of a few
pools: the author's specialty on the same platform (uniform: how true micro-
influencers reach many peers), the author's small *circle* inside that specialty
(how ordinary clinicians are engaged), any clinician, patients, the author's bot ring,
the author's pod, and loose bots.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from demoworld.config import (
    BUDGET_SHARE,
    DAY_MS,
    SizeConfig,
)
from demoworld.people import Clinicians
from demoworld.rand import generator

PLATFORMS = ("bluesky", "mastodon")
KIND_NAMES = ("clinician", "patient", "brand", "news", "bot", "pod-member")
K_CLIN, K_PAT, K_BRAND, K_NEWS, K_BOT, K_POD = range(6)
CLASS_NAMES = (
    "ordinary", "mi", "amp_ring", "pod_clin", "patient", "brand", "news", "bot", "pod_member",
)  # fmt: skip
C_ORD, C_MI, C_AMP, C_PODC, C_PAT, C_BRAND, C_NEWS, C_BOT, C_PODM = range(9)
LINK_NAMES = ("", "npi-in-bio", "name+specialty", "none")
L_NA, L_NPI, L_NAME, L_NONE = range(4)
P_ORIGINAL, P_REPLY, P_QUOTE = range(3)
SPEC, CIRCLE, CLIN, PAT, RING, POD, BOTANY = range(7)
INSTANCES = ("med.social", "doctors.net.example", "mstdn.example", "toot.example")
HOUR_MS = 3_600_000
CIRCLE_MAX = 12

# Mixtures: for each channel, per author class, the share of each pool
# (SPEC, CIRCLE, CLIN, PAT, RING, POD, BOTANY).
_MIX = {
    "like": (
        (0.05, 0.45, 0.15, 0.33, 0.0, 0.0, 0.02),  # ordinary
        (0.65, 0.05, 0.12, 0.18, 0.0, 0.0, 0.0),  # mi
        (0.0, 0.05, 0.03, 0.07, 0.85, 0.0, 0.0),  # amp_ring
        (0.05, 0.40, 0.20, 0.35, 0.0, 0.0, 0.0),  # pod_clin (pod added separately)
        (0.0, 0.0, 0.08, 0.87, 0.0, 0.0, 0.05),  # patient
        (0.0, 0.0, 0.30, 0.60, 0.0, 0.0, 0.10),  # brand
        (0.0, 0.0, 0.45, 0.50, 0.0, 0.0, 0.05),  # news
        (0.0, 0.0, 0.0, 0.0, 0.70, 0.0, 0.30),  # bot
        (0.0, 0.0, 0.10, 0.90, 0.0, 0.0, 0.0),  # pod_member
    ),
    "reply": (
        (0.05, 0.50, 0.15, 0.30, 0.0, 0.0, 0.0),
        (0.75, 0.0, 0.10, 0.15, 0.0, 0.0, 0.0),
        (0.0, 0.15, 0.0, 0.25, 0.60, 0.0, 0.0),
        (0.05, 0.50, 0.15, 0.30, 0.0, 0.0, 0.0),
        (0.0, 0.0, 0.10, 0.90, 0.0, 0.0, 0.0),
        (0.0, 0.0, 0.20, 0.80, 0.0, 0.0, 0.0),
        (0.0, 0.0, 0.40, 0.60, 0.0, 0.0, 0.0),
        (0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0),
        (0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0),
    ),
    "quote": (
        (0.05, 0.50, 0.25, 0.20, 0.0, 0.0, 0.0),
        (0.70, 0.0, 0.20, 0.10, 0.0, 0.0, 0.0),
        (0.0, 0.20, 0.0, 0.30, 0.50, 0.0, 0.0),
        (0.05, 0.50, 0.25, 0.20, 0.0, 0.0, 0.0),
        (0.0, 0.0, 0.10, 0.90, 0.0, 0.0, 0.0),
        (0.0, 0.0, 0.30, 0.70, 0.0, 0.0, 0.0),
        (0.0, 0.0, 0.50, 0.50, 0.0, 0.0, 0.0),
        (0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0),
        (0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0),
    ),
    "follow": (
        (0.10, 0.35, 0.15, 0.35, 0.0, 0.0, 0.05),
        (0.60, 0.0, 0.15, 0.25, 0.0, 0.0, 0.0),
        (0.0, 0.10, 0.0, 0.20, 0.70, 0.0, 0.0),
        (0.10, 0.35, 0.15, 0.35, 0.0, 0.0, 0.05),
        (0.0, 0.0, 0.05, 0.85, 0.0, 0.0, 0.10),
        (0.0, 0.0, 0.30, 0.60, 0.0, 0.0, 0.10),
        (0.0, 0.0, 0.35, 0.60, 0.0, 0.0, 0.05),
        (0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0),
        (0.0, 0.0, 0.0, 0.60, 0.0, 0.30, 0.10),
    ),
}
_MIX["repost"] = _MIX["like"]
_CUM = {k: np.cumsum(np.array(v), axis=1) for k, v in _MIX.items()}
# Expected engagement per post before scaling to the budget (per author class).
_BASE = {
    "like": (3.0, 0.0, 2.0, 1.5, 0.6, 6.0, 5.0, 0.05, 1.0),
    "repost": (0.4, 0.0, 0.3, 0.3, 0.08, 1.5, 2.0, 0.02, 0.2),
    "reply": (0.5, 0.0, 0.3, 0.6, 0.15, 0.5, 0.6, 0.0, 0.3),
    "quote": (0.08, 0.0, 0.05, 0.08, 0.01, 0.2, 0.4, 0.0, 0.02),
    "follow": (25.0, 0.0, 20.0, 25.0, 8.0, 80.0, 80.0, 1.0, 20.0),
}
_MI_SHARE = {"like": 0.55, "reply": 0.25, "repost": 0.12, "quote": 0.08}


@dataclass
class World:
    """Everything phase 1 decides, as arrays; see the module docstring."""

    cfg: SizeConfig
    seed: int
    start_ms: int
    end_ms: int
    clin: Clinicians
    # accounts
    platform: np.ndarray
    kind: np.ndarray
    klass: np.ndarray
    aclin: np.ndarray
    spec: np.ndarray
    ring: np.ndarray
    pod: np.ndarray
    link: np.ndarray
    product: np.ndarray  # brand accounts: product index; pharmacists with a deal too
    followers: np.ndarray
    following: np.ndarray
    created: np.ndarray
    growth: np.ndarray
    spike: np.ndarray
    spike_ms: np.ndarray
    hist_posts: np.ndarray
    instance: np.ndarray
    pos: np.ndarray
    # groups
    ring_platform: np.ndarray
    ring_start: np.ndarray
    pod_platform: np.ndarray
    pod_start: np.ndarray
    pool_flat: np.ndarray
    pool_start: np.ndarray
    pool_len: np.ndarray
    brand_account: dict[tuple[int, str], int]
    # posts
    p_author: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    p_time: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    p_parent: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    p_root: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    p_quote: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    p_kind: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    p_eclass: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    p_like_lambda: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    p_likes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    p_replies: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    p_quotes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    p_reposts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    # reposts
    r_actor: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    r_post: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    r_time: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    follow_lambda: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    scale: dict[str, float] = field(default_factory=dict)

    @property
    def n_accounts(self) -> int:
        return len(self.platform)

    @property
    def n_posts(self) -> int:
        return len(self.p_author)

    @property
    def n_specs(self) -> int:
        return len(self.clin.specialties)

    # pool ids -------------------------------------------------------------------
    def spec_pool(self, platform: np.ndarray, spec: np.ndarray) -> np.ndarray:
        return np.where(spec >= 0, platform * self.n_specs + spec, -1)

    def base_pool(self, which: int, platform: np.ndarray) -> np.ndarray:
        offset = {CLIN: 0, PAT: 2, BOTANY: 4}[which]
        return 2 * self.n_specs + offset + platform

    def ring_pool(self, ring: np.ndarray) -> np.ndarray:
        return np.where(ring >= 0, 2 * self.n_specs + 6 + ring, -1)

    def pod_pool(self, pod: np.ndarray) -> np.ndarray:
        return np.where(pod >= 0, 2 * self.n_specs + 6 + len(self.ring_start) + pod, -1)

    def members(self, pool_id: int) -> np.ndarray:
        start = int(self.pool_start[pool_id])
        return self.pool_flat[start : start + int(self.pool_len[pool_id])]

    # engagement ------------------------------------------------------------------
    def sample_actors(
        self,
        rng: np.random.Generator,
        authors: np.ndarray,
        eclass: np.ndarray,
        channel: str,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One engaging account per slot (``authors[i]`` is the engaged author)."""
        n = len(authors)
        u = rng.random(n)
        comp = np.zeros(n, np.int64)
        table = _CUM[channel]
        for c in np.unique(eclass).tolist():
            mask = eclass == c
            comp[mask] = np.searchsorted(table[c], u[mask], side="right")
        del u
        comp = np.minimum(comp, BOTANY)
        plat = self.platform[authors].astype(np.int64)
        pool = self.base_pool(PAT, plat)
        specs = self.spec_pool(plat, self.spec[authors].astype(np.int64))
        in_spec = ((comp == SPEC) | (comp == CIRCLE)) & (specs >= 0)
        pool = np.where(in_spec, specs, pool)
        pool = np.where(comp == CLIN, self.base_pool(CLIN, plat), pool)
        pool = np.where(comp == BOTANY, self.base_pool(BOTANY, plat), pool)
        rings = self.ring_pool(self.ring[authors].astype(np.int64))
        pool = np.where((comp == RING) & (rings >= 0), rings, pool)
        pods = self.pod_pool(self.pod[authors].astype(np.int64))
        pool = np.where((comp == POD) & (pods >= 0), pods, pool)
        length = self.pool_len[pool]
        empty = length == 0
        pool = np.where(empty, self.base_pool(PAT, plat), pool)
        length = self.pool_len[pool]
        offsets = np.floor(rng.random(n) * length).astype(np.int64)
        circle = (comp == CIRCLE) & in_spec & ~empty & (length >= 2)
        size = np.clip(np.round(length * 0.12), 2, CIRCLE_MAX).astype(np.int64)
        size = np.minimum(size, length - 1)
        k = rng.integers(0, CIRCLE_MAX, size=n) % np.maximum(size, 1)
        around = (self.pos[authors].astype(np.int64) + 1 + k) % np.maximum(length, 1)
        offsets = np.where(circle, around, offsets)
        actors = self.pool_flat[self.pool_start[pool] + offsets]
        return actors, comp

    def delays(
        self,
        rng: np.random.Generator,
        comp: np.ndarray,
        eclass: np.ndarray,
        short: bool,
    ) -> np.ndarray:
        """Milliseconds from a post to an engagement with it."""
        n = len(comp)
        mi = eclass == C_MI
        median = np.where(mi, 2.5 * HOUR_MS, 1.0 * HOUR_MS) * (0.6 if short else 1.0)
        organic = np.exp(np.log(median) + 1.1 * rng.standard_normal(n))
        tail_len = np.where(mi, 25 * DAY_MS, 8 * DAY_MS)
        tail = DAY_MS + rng.random(n) * (tail_len - DAY_MS)
        use_tail = rng.random(n) < np.where(mi, 0.25, 0.08) * (0.3 if short else 1.0)
        d = np.where(use_tail, tail, organic)
        burst = rng.random(n)
        d = np.where(comp == RING, 15_000 + burst * 345_000, d)
        d = np.where(comp == POD, 60_000 + burst * 840_000, d)
        return d.astype(np.int64)

    def at_times(
        self, rng: np.random.Generator, t0: np.ndarray, delay: np.ndarray
    ) -> np.ndarray:
        """``t0 + delay``, squeezed to land before the window's end."""
        room = np.maximum(self.end_ms - t0 - 2_000, 1_000)
        squeeze = np.minimum(
            delay, (room * (0.5 + 0.5 * rng.random(len(t0)))).astype(np.int64)
        )
        return t0 + np.maximum(squeeze, 1_000)

    def likes_chunk(
        self, chunk: int, size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Likes of posts ``[chunk*size, (chunk+1)*size)``: (post, actor, time), by post."""
        rng = generator(self.seed, 50, chunk)
        lo, hi = chunk * size, min((chunk + 1) * size, self.n_posts)
        ids = np.arange(lo, hi, dtype=np.int64)
        n = rng.poisson(self.p_like_lambda[lo:hi])
        posts = np.repeat(ids, n)
        eclass = self.p_eclass[posts].astype(np.int64)
        authors = self.p_author[posts]
        actors, comp = self.sample_actors(rng, authors, eclass, "like")
        times = self.at_times(
            rng, self.p_time[posts], self.delays(rng, comp, eclass, False)
        )
        pod_posts, pod_actors, pod_times = self._pod_engagement(rng, ids, 0.9)
        return self._clean(
            rng,
            np.concatenate([posts, pod_posts]),
            np.concatenate([actors, pod_actors]),
            np.concatenate([times, pod_times]),
        )

    def followers_chunk(self, chunk: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Listed followers of accounts ``[chunk*size, ...)``: (account, follower)."""
        rng = generator(self.seed, 60, chunk)
        lo, hi = chunk * size, min((chunk + 1) * size, self.n_accounts)
        ids = np.arange(lo, hi, dtype=np.int64)
        n = np.minimum(rng.poisson(self.follow_lambda[lo:hi]), self.followers[lo:hi])
        n = np.minimum(n, self.cfg.follower_list_cap)
        subjects = np.repeat(ids, n)
        eclass = self.klass[subjects].astype(np.int64)
        actors, _ = self.sample_actors(rng, subjects, eclass, "follow")
        keep = actors != subjects
        key = subjects[keep] * self.n_accounts + actors[keep]
        _, first = np.unique(key, return_index=True)
        first.sort()
        return subjects[keep][first], actors[keep][first]

    def _pod_engagement(
        self, rng: np.random.Generator, posts: np.ndarray, share: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every other member of the author's pod engages, within minutes."""
        eclass = self.p_eclass[posts]
        pod_posts = posts[(eclass == C_PODC) | (eclass == C_PODM)]
        pools = self.pod_pool(self.pod[self.p_author[pod_posts]].astype(np.int64))
        sizes = self.pool_len[pools]
        rep = np.repeat(pod_posts, sizes)
        starts = np.repeat(self.pool_start[pools], sizes)
        within = np.arange(len(rep)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        actors = self.pool_flat[starts + within]
        keep = rng.random(len(rep)) < share
        comp = np.full(len(rep), POD)
        times = self.at_times(
            rng, self.p_time[rep], self.delays(rng, comp, self.p_eclass[rep], False)
        )
        return rep[keep], actors[keep], times[keep]

    def _clean(
        self,
        rng: np.random.Generator,
        posts: np.ndarray,
        actors: np.ndarray,
        times: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Drop self-engagement, engagement before the actor existed, duplicates."""
        ok = (actors != self.p_author[posts]) & (self.created[actors] < times)
        posts, actors, times = posts[ok], actors[ok], times[ok]
        key = posts.astype(np.int64) * self.n_accounts + actors
        _, first = np.unique(key, return_index=True)
        posts, actors, times = posts[first], actors[first], times[first]
        order = np.lexsort((actors, times, posts))
        return posts[order], actors[order], times[order]


def budget(cfg: SizeConfig, channel: str) -> float:
    """The interaction budget of one channel."""
    return cfg.target_interactions * BUDGET_SHARE[channel]
