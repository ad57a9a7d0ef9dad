"""Accounts of the world: who exists, on which platform, linked how, followed by how many.

Layout of account indices: clinician accounts (by clinician, Bluesky before
Mastodon), sponsor (brand) accounts, news, wellness pod members, bots (ring by ring,
then loose bots), patients.
"""

from __future__ import annotations

import numpy as np

from demoworld.config import SPONSORED_PHARMACIST_SHARE, SizeConfig
from demoworld.people import Clinicians, assign_payments
from demoworld.rand import generator
from demoworld.reference import PRODUCT_KEYS, SPECIALTIES
from demoworld.world import (
    C_AMP,
    C_BOT,
    C_BRAND,
    C_MI,
    C_NEWS,
    C_ORD,
    C_PAT,
    C_PODC,
    C_PODM,
    K_BOT,
    K_BRAND,
    K_CLIN,
    K_NEWS,
    K_PAT,
    K_POD,
    L_NA,
    L_NAME,
    L_NONE,
    L_NPI,
    World,
)

DAY = 86_400_000
HOUR = 3_600_000


def _log_uniform(
    rng: np.random.Generator, low: float, high: float, n: int
) -> np.ndarray:
    return np.exp(rng.uniform(np.log(low), np.log(high), size=n))


def build_accounts(
    cfg: SizeConfig, seed: int, clin: Clinicians, start_ms: int, end_ms: int
) -> World:
    """Create every account with its class, links, counts and creation time."""
    rng = generator(seed, 3)
    n_c = clin.n
    has_account = rng.random(n_c) < cfg.account_share
    has_account[clin.real] = True
    both = rng.random(n_c) < cfg.both_share
    bluesky_first = rng.random(n_c) < 0.6
    program = clin.spec < len(SPECIALTIES)

    # True micro-influencers: a few generated clinicians per program specialty.
    mi = np.zeros(n_c, dtype=bool)
    for s in range(len(SPECIALTIES)):
        candidates = np.flatnonzero(has_account & ~clin.real & (clin.spec == s))
        if len(candidates) < 10:
            continue
        k = min(cfg.mi_per_specialty, max(1, len(candidates) // 12))
        mi[rng.choice(candidates, size=k, replace=False)] = True
    both |= mi & (rng.random(n_c) < 0.7)
    on_b = has_account & (both | bluesky_first)
    on_m = has_account & (both | ~bluesky_first)

    acc_clin = np.concatenate([np.flatnonzero(on_b), np.flatnonzero(on_m)])
    acc_plat = np.concatenate(
        [np.zeros(on_b.sum(), np.int8), np.ones(on_m.sum(), np.int8)]
    )
    order = np.lexsort((acc_plat, acc_clin))
    acc_clin, acc_plat = acc_clin[order].astype(np.int32), acc_plat[order]
    n_ca = len(acc_clin)
    klass = np.where(mi[acc_clin], C_MI, C_ORD).astype(np.int8)
    generated = ~clin.real[acc_clin]

    # Bot rings and the clinician accounts they boost.
    n_rings = cfg.bot_rings
    ring_platform = (np.arange(n_rings) % 2).astype(np.int8)
    ring_start = start_ms + rng.integers(60, 110, size=n_rings) * DAY
    ring_of = np.full(n_ca, -1, np.int32)
    for r in range(n_rings):
        free = np.flatnonzero(
            (klass == C_ORD) & generated & (acc_plat == ring_platform[r])
        )
        picked = rng.choice(
            free, size=min(cfg.amplified_per_ring, len(free)), replace=False
        )
        klass[picked] = C_AMP
        ring_of[picked] = r

    # Pods: non-HCP wellness pods first, then clinician pods.
    n_pods = cfg.pods + cfg.clinician_pods
    pod_platform = (np.arange(n_pods) % 2).astype(np.int8)
    pod_start = start_ms + rng.integers(0, 60, size=n_pods) * DAY
    pod_of = np.full(n_ca, -1, np.int32)
    for q in range(cfg.pods, n_pods):
        free = np.flatnonzero(
            (klass == C_ORD) & generated & (acc_plat == pod_platform[q])
        )
        picked = rng.choice(
            free, size=min(cfg.clinician_pod_size, len(free)), replace=False
        )
        klass[picked] = C_PODC
        pod_of[picked] = q

    # How each clinician account can be linked to its NPI.
    u = rng.random(n_ca)
    link = np.where(u < 0.35, L_NPI, np.where(u < 0.80, L_NAME, L_NONE)).astype(np.int8)
    special = (klass != C_ORD) | clin.real[acc_clin]
    link = np.where(special, np.where(u < 0.45, L_NPI, L_NAME), link).astype(np.int8)

    # Payments: generated, covered, non-MI clinicians whose accounts can all be linked.
    covered = np.array([s.covered_recipient != "" for s in clin.specialties])[clin.spec]
    unlinkable = np.zeros(n_c, dtype=bool)
    unlinkable[acc_clin[link == L_NONE]] = True
    eligible = has_account & ~clin.real & covered & ~mi & program & ~unlinkable
    assign_payments(clin, seed, eligible)
    # Pharmacists with an (uncovered) brand deal.
    sponsor = np.full(n_ca, -1, np.int8)
    pharm = np.flatnonzero(
        (np.array([s.group for s in clin.specialties])[clin.spec[acc_clin]] == "pharm")
        & (klass == C_ORD)
        & generated
    )
    n_deals = int(round(len(pharm) * SPONSORED_PHARMACIST_SHARE)) or min(1, len(pharm))
    if n_deals:
        deals = rng.choice(pharm, size=n_deals, replace=False)
        sponsor[deals] = rng.integers(0, len(PRODUCT_KEYS), size=n_deals)
        link[deals] = np.where(link[deals] == L_NONE, L_NAME, link[deals])

    # Non-clinician accounts.
    n_brand = 2 * len(PRODUCT_KEYS)
    n_news = cfg.news
    n_podm = cfg.pods * cfg.pod_size
    n_bots = n_rings * cfg.bots_per_ring + cfg.loose_bots
    n_pat = max(cfg.total_accounts - n_ca - n_brand - n_news - n_podm - n_bots, 50)
    n = n_ca + n_brand + n_news + n_podm + n_bots + n_pat
    b0, nw0, pm0, bt0 = (
        n_ca,
        n_ca + n_brand,
        n_ca + n_brand + n_news,
        n_ca + n_brand + n_news + n_podm,
    )
    pt0 = bt0 + n_bots

    platform = np.empty(n, np.int8)
    kind = np.empty(n, np.int8)
    klass_all = np.empty(n, np.int8)
    platform[:n_ca], kind[:n_ca], klass_all[:n_ca] = acc_plat, K_CLIN, klass
    platform[b0:nw0] = np.repeat([0, 1], len(PRODUCT_KEYS))
    kind[b0:nw0], klass_all[b0:nw0] = K_BRAND, C_BRAND
    platform[nw0:pm0] = (rng.random(n_news) < 0.4).astype(np.int8)
    kind[nw0:pm0], klass_all[nw0:pm0] = K_NEWS, C_NEWS
    pod_members = np.repeat(np.arange(cfg.pods), cfg.pod_size)
    platform[pm0:bt0] = pod_platform[pod_members] if cfg.pods else []
    kind[pm0:bt0], klass_all[pm0:bt0] = K_POD, C_PODM
    ring_bots = np.repeat(np.arange(n_rings), cfg.bots_per_ring)
    platform[bt0 : bt0 + len(ring_bots)] = ring_platform[ring_bots]
    platform[bt0 + len(ring_bots) : pt0] = (rng.random(cfg.loose_bots) < 0.4).astype(
        np.int8
    )
    kind[bt0:pt0], klass_all[bt0:pt0] = K_BOT, C_BOT
    platform[pt0:] = (rng.random(n_pat) < 0.4).astype(np.int8)
    kind[pt0:], klass_all[pt0:] = K_PAT, C_PAT

    aclin = np.full(n, -1, np.int32)
    aclin[:n_ca] = acc_clin
    spec = np.full(n, -1, np.int16)
    spec[:n_ca] = clin.spec[acc_clin]
    ring = np.full(n, -1, np.int32)
    ring[:n_ca] = ring_of
    ring[bt0 : bt0 + len(ring_bots)] = ring_bots
    pod = np.full(n, -1, np.int32)
    pod[:n_ca] = pod_of
    pod[pm0:bt0] = pod_members
    link_all = np.full(n, L_NA, np.int8)
    link_all[:n_ca] = link
    product = np.full(n, -1, np.int8)
    product[:n_ca] = sponsor
    product[b0:nw0] = np.tile(np.arange(len(PRODUCT_KEYS)), 2)

    # Follower counts: heavy-tailed, by class.
    followers = np.empty(n, np.float64)
    following = np.empty(n, np.float64)
    by = {c: np.flatnonzero(klass_all == c) for c in range(9)}
    followers[by[C_ORD]] = np.clip(rng.lognormal(5.6, 1.25, len(by[C_ORD])), 5, 60_000)
    followers[by[C_MI]] = _log_uniform(rng, 1_500, 30_000, len(by[C_MI]))
    followers[by[C_AMP]] = _log_uniform(rng, 8_000, 120_000, len(by[C_AMP]))
    followers[by[C_PODC]] = _log_uniform(rng, 2_000, 20_000, len(by[C_PODC]))
    followers[by[C_PAT]] = np.clip(rng.lognormal(4.2, 1.3, len(by[C_PAT])), 0, 20_000)
    followers[by[C_BRAND]] = _log_uniform(rng, 20_000, 250_000, len(by[C_BRAND]))
    followers[by[C_NEWS]] = _log_uniform(rng, 5_000, 400_000, len(by[C_NEWS]))
    followers[by[C_BOT]] = rng.integers(0, 40, len(by[C_BOT]))
    followers[by[C_PODM]] = _log_uniform(rng, 3_000, 40_000, len(by[C_PODM]))
    following[:] = np.clip(rng.lognormal(5.7, 0.8, n), 10, 7_500)
    following[by[C_BOT]] = rng.integers(800, 5_000, len(by[C_BOT]))
    following[by[C_BRAND]] = rng.integers(20, 400, len(by[C_BRAND]))

    # Growth over the window, and a purchased-followers spike for boosted accounts.
    growth = rng.uniform(0.02, 0.25, n)
    growth[by[C_MI]] = rng.uniform(0.15, 0.40, len(by[C_MI]))
    spike = np.zeros(n, np.int64)
    spike_ms = np.full(n, end_ms + DAY, np.int64)
    amp = by[C_AMP]
    spike[amp] = (followers[amp] * rng.uniform(0.55, 0.8, len(amp))).astype(np.int64)
    spike_ms[amp] = ring_start[ring[amp]] + rng.integers(0, 3 * DAY, len(amp))

    # Creation times: Bluesky accounts 2023+, Mastodon older; bots just before their ring.
    created = np.empty(n, np.int64)
    bsky_low = 1_682_899_200_000  # 2023-05-01
    masto_low = 1_483_228_800_000  # 2017-01-01
    latest = start_ms - 30 * DAY
    low = np.where(platform == 0, bsky_low, masto_low)
    created[:] = low + (rng.random(n) ** 0.7 * (latest - low)).astype(np.int64)
    rb = bt0 + np.arange(len(ring_bots))
    created[rb] = ring_start[ring_bots] - 2 * DAY + rng.integers(0, 4 * HOUR, len(rb))
    loose = np.arange(bt0 + len(ring_bots), pt0)
    created[loose] = start_ms + rng.integers(0, 150 * DAY, len(loose))
    hist = np.clip(rng.lognormal(4.0, 1.2, n), 0, 20_000).astype(np.int64)
    hist[by[C_BOT]] = 0

    # The recordings are made from med.social, home of most clinicians.
    instance = np.where(
        kind == K_CLIN,
        rng.choice(2, size=n, p=[0.7, 0.3]),
        rng.choice(4, size=n, p=[0.4, 0.1, 0.3, 0.2]),
    ).astype(np.int8)
    instance[b0:pm0] = 0

    world = World(
        cfg=cfg, seed=seed, start_ms=start_ms, end_ms=end_ms, clin=clin,
        platform=platform, kind=kind, klass=klass_all, aclin=aclin, spec=spec, ring=ring,
        pod=pod, link=link_all, product=product,
        followers=followers.astype(np.int64), following=following.astype(np.int64),
        created=created, growth=growth.astype(np.float32), spike=spike, spike_ms=spike_ms,
        hist_posts=hist, instance=instance, pos=np.zeros(n, np.int32),
        ring_platform=ring_platform, ring_start=ring_start.astype(np.int64),
        pod_platform=pod_platform, pod_start=pod_start.astype(np.int64),
        pool_flat=np.zeros(0, np.int32), pool_start=np.zeros(0, np.int64),
        pool_len=np.zeros(0, np.int64),
        brand_account={
            (int(platform[b0 + j]), PRODUCT_KEYS[j % len(PRODUCT_KEYS)]): b0 + j
            for j in range(n_brand)
        },
    )  # fmt: skip
    _build_pools(world, rng)
    return world


def _build_pools(world: World, rng: np.random.Generator) -> None:
    """Flat pools with offsets: specialty x platform, clinicians, patients, bots,
    rings and pods. Specialty pools are shuffled so a *circle* is random peers."""
    ns = world.n_specs
    is_clin = world.kind == K_CLIN
    members: list[np.ndarray] = []
    for p in (0, 1):
        for s in range(ns):
            ids = np.flatnonzero(is_clin & (world.platform == p) & (world.spec == s))
            ids = rng.permutation(ids)
            world.pos[ids] = np.arange(len(ids))
            members.append(ids)
    for p in (0, 1):
        members.append(np.flatnonzero(is_clin & (world.platform == p)))
    for p in (0, 1):
        members.append(np.flatnonzero((world.kind == K_PAT) & (world.platform == p)))
    for p in (0, 1):
        members.append(np.flatnonzero((world.kind == K_BOT) & (world.platform == p)))
    for r in range(len(world.ring_start)):
        members.append(np.flatnonzero((world.kind == K_BOT) & (world.ring == r)))
    for q in range(len(world.pod_start)):
        members.append(np.flatnonzero(world.pod == q))
    lengths = np.array([len(m) for m in members], np.int64)
    world.pool_len = lengths
    world.pool_start = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    world.pool_flat = np.concatenate(members).astype(np.int32)
