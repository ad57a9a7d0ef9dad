"""Posts of the world: originals, replies (with author reply-backs), quotes, reposts.

Engagement counts are calibrated so that the whole world lands near the size's
interaction budget (``SizeConfig.target_interactions``): fixed parts first (true
micro-influencers reach a set share of their specialty, bot rings and pods engage
as a block), then every other class is scaled to fill what is left.
"""

from __future__ import annotations

import numpy as np

from demoworld.config import DAY_MS, SizeConfig, window_for_seed
from demoworld.people import build_clinicians
from demoworld.rand import generator
from demoworld.world import (
    _BASE,
    _MI_SHARE,
    C_AMP,
    C_BOT,
    C_BRAND,
    C_MI,
    C_NEWS,
    C_ORD,
    C_PAT,
    C_PODC,
    C_PODM,
    HOUR_MS,
    P_ORIGINAL,
    P_QUOTE,
    P_REPLY,
    World,
    budget,
)
from demoworld.world_accounts import build_accounts


def build_world(cfg: SizeConfig, seed: int) -> World:
    """Phase 1: clinicians and accounts, then posts, replies, quotes and reposts."""
    start, end = window_for_seed(seed)
    clin = build_clinicians(cfg, seed)
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    world = build_accounts(cfg, seed, clin, start_ms, end_ms)
    build_posts(world)
    return world


def _rates(world: World, rng: np.random.Generator) -> np.ndarray:
    """Expected original posts in the window, per account."""
    n = world.n_accounts
    k = world.klass
    rate = np.zeros(n)
    ordinary = np.clip(rng.lognormal(np.log(6.0), 0.9, n), 0, 80)
    ordinary[rng.random(n) < 0.15] = 0.0
    patient = np.where(
        rng.random(n) < 0.4, 0.0, np.clip(rng.lognormal(np.log(2.0), 0.9, n), 0, 30)
    )
    rate = np.where(k == C_ORD, ordinary, rate)
    rate = np.where(k == C_MI, rng.uniform(20, 40, n), rate)
    rate = np.where(k == C_AMP, rng.uniform(30, 60, n), rate)
    rate = np.where(k == C_PODC, rng.uniform(20, 40, n), rate)
    rate = np.where(k == C_PAT, patient, rate)
    rate = np.where(k == C_BRAND, 30.0, rate)
    rate = np.where(k == C_NEWS, 50.0, rate)
    rate = np.where(k == C_BOT, rng.uniform(1, 8, n), rate)
    rate = np.where(k == C_PODM, rng.uniform(8, 20, n), rate)
    return rate


def _original_times(
    world: World, rng: np.random.Generator, authors: np.ndarray
) -> np.ndarray:
    """Posting times: daytime-heavy for people, bursts of minutes for bots."""
    n = len(authors)
    lo = np.maximum(world.start_ms, world.created[authors] + HOUR_MS)
    hi = np.full(n, world.end_ms - HOUR_MS // 2)
    t = lo + (rng.random(n) * (hi - lo)).astype(np.int64)
    tod = np.where(
        rng.random(n) < 0.8,
        (17 * HOUR_MS + 3.5 * HOUR_MS * rng.standard_normal(n)) % (24 * HOUR_MS),
        rng.random(n) * 24 * HOUR_MS,
    ).astype(np.int64)
    daytime = (t // DAY_MS) * DAY_MS + tod
    t = np.where((daytime >= lo) & (daytime <= hi), daytime, t)
    # Bots post in bursts: two burst centres per bot, posts within ten minutes of one.
    bots = world.klass[authors] == C_BOT
    centre_a = lo + (_hash01(authors, 1) * (hi - lo - HOUR_MS)).astype(np.int64)
    centre_b = lo + (_hash01(authors, 2) * (hi - lo - HOUR_MS)).astype(np.int64)
    centre = np.where(rng.random(n) < 0.5, centre_a, centre_b)
    burst = centre + (rng.random(n) * 600_000).astype(np.int64)
    return np.where(bots, burst, t)


def _hash01(values: np.ndarray, salt: int) -> np.ndarray:
    """A deterministic value in [0, 1) per integer (vectorised splitmix-style mix)."""
    offset = np.uint64((salt * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
    x = values.astype(np.uint64) + offset
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _eclass(world: World, authors: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Engagement class of a post: boosted authors behave normally before the boost."""
    ec = world.klass[authors].copy()
    amp = ec == C_AMP
    ec[amp & (times < world.ring_start[np.maximum(world.ring[authors], 0)])] = C_ORD
    pod_start = world.pod_start[np.maximum(world.pod[authors], 0)]
    early = times < pod_start
    ec[(ec == C_PODC) & early] = C_ORD
    ec[(ec == C_PODM) & early] = C_PAT
    return ec


def _strictly_increasing(t: np.ndarray) -> np.ndarray:
    """Nudge equal timestamps apart by milliseconds so ids built from them are unique."""
    order = np.argsort(t, kind="stable")
    s = t[order]
    steps = np.arange(len(s), dtype=np.int64)
    s = np.maximum.accumulate(s - steps) + steps
    out = np.empty_like(t)
    out[order] = s
    return out


def _mi_lambda(world: World, roots_author: np.ndarray, channel: str) -> np.ndarray:
    """Per-root engagement of true micro-influencers: enough to reach the configured
    share of their specialty (coupon-collector estimate), split across channels."""
    n_roots = np.bincount(roots_author, minlength=world.n_accounts)
    plat = world.platform.astype(np.int64)
    pools = world.spec_pool(plat, world.spec.astype(np.int64))
    size = np.where(pools >= 0, world.pool_len[np.maximum(pools, 0)], 0)
    td = world.cfg.mi_trust_density
    total = -np.log(1 - td) * size / 0.67
    share = _MI_SHARE[channel]
    if channel == "reply":
        share = np.where(plat == 1, share + _MI_SHARE["quote"], share)
    if channel == "quote":
        share = np.where(plat == 1, 0.0, share)
    per_root = total * share / np.maximum(n_roots, 1)
    return per_root[roots_author]


def _ring_part(
    world: World, eclass: np.ndarray, factor: float, cap: float
) -> np.ndarray:
    """Engagement a bot ring adds to each post of a boosted account (after its start)."""
    ring_size = world.cfg.bots_per_ring
    return np.where(eclass == C_AMP, min(factor * ring_size, cap), 0.0)


def _scaled(
    world: World, channel: str, base: np.ndarray, fixed: np.ndarray, extra: float = 0.0
) -> np.ndarray:
    """Scale ``base`` so that ``base*s + fixed`` sums to the channel budget."""
    room = budget(world.cfg, channel) - fixed.sum() - extra
    scale = float(np.clip(room / max(base.sum(), 1e-9), 0.2, 25.0))
    world.scale[channel] = scale
    return base * scale + fixed


def build_posts(world: World) -> None:
    """Originals, replies, reply-backs, quotes and reposts, as arrays on ``world``."""
    rng = generator(world.seed, 4)
    n_orig = rng.poisson(_rates(world, rng))
    o_author = np.repeat(np.arange(world.n_accounts, dtype=np.int32), n_orig)
    o_time = _original_times(world, rng, o_author)
    o_ec = _eclass(world, o_author, o_time)

    # First-level replies and quotes of the originals.
    lam = {}
    for channel, factor, cap in (("reply", 0.08, 8.0), ("quote", 0.0, 0.0)):
        base = np.array(_BASE[channel])[o_ec]
        if channel == "quote":
            base = np.where(world.platform[o_author] == 0, base, 0.0)
        mi = np.where(o_ec == C_MI, _mi_lambda(world, o_author, channel), 0.0)
        fixed = mi + _ring_part(world, o_ec, factor, cap)
        share = 0.75 if channel == "reply" else 1.0
        room = budget(world.cfg, channel) * share - fixed.sum()
        scale = float(np.clip(room / max(base.sum(), 1e-9), 0.2, 25.0))
        world.scale[channel] = scale
        floor = np.where(o_ec == C_MI, 2.5 * _BASE[channel][C_ORD] * scale, 0.0)
        if channel == "quote":
            floor = np.where(world.platform[o_author] == 0, floor, 0.0)
        lam[channel] = base * scale + np.maximum(fixed, floor)
    del base, mi, fixed, floor, n_orig

    n_rep = rng.poisson(lam["reply"])
    r_parent = np.repeat(np.arange(len(o_author)), n_rep)
    r_author, r_comp = world.sample_actors(
        rng, o_author[r_parent], o_ec[r_parent], "reply"
    )
    r_time = world.at_times(
        rng, o_time[r_parent], world.delays(rng, r_comp, o_ec[r_parent], True)
    )
    ok = (r_author != o_author[r_parent]) & (world.created[r_author] < r_time)
    r_parent, r_author, r_time = r_parent[ok], r_author[ok], r_time[ok]
    del r_comp, ok, n_rep

    # Reply-backs: the original author answers (often, for micro-influencers), and the
    # replier sometimes answers again: this is what makes threads deep.
    parent_ec = o_ec[r_parent]
    p_back = np.select(
        [
            parent_ec == C_MI,
            (parent_ec == C_ORD) | (parent_ec == C_PODC),
            parent_ec == C_AMP,
        ],
        [0.6, 0.25, 0.03],
        0.08,
    )
    back = rng.random(len(r_parent)) < p_back
    b_parent = np.flatnonzero(back)  # index into first-level replies
    b_author = o_author[r_parent[back]]
    b_time = world.at_times(
        rng,
        r_time[back],
        (HOUR_MS * np.exp(-0.5 + rng.standard_normal(back.sum()))).astype(np.int64),
    )
    again = rng.random(len(b_parent)) < 0.35
    c_parent = np.flatnonzero(again)  # index into reply-backs
    c_author = r_author[b_parent[again]]
    c_time = world.at_times(
        rng,
        b_time[again],
        (HOUR_MS * np.exp(rng.standard_normal(again.sum()))).astype(np.int64),
    )

    n_q = rng.poisson(lam["quote"])
    q_target = np.repeat(np.arange(len(o_author)), n_q)
    q_author, q_comp = world.sample_actors(
        rng, o_author[q_target], o_ec[q_target], "quote"
    )
    q_time = world.at_times(
        rng, o_time[q_target], world.delays(rng, q_comp, o_ec[q_target], False)
    )
    ok = (q_author != o_author[q_target]) & (world.created[q_author] < q_time)
    q_target, q_author, q_time = q_target[ok], q_author[ok], q_time[ok]
    del q_comp, ok, n_q, lam, parent_ec, p_back, back, again

    # Assemble: originals, replies, reply-backs, second replies, quotes.
    no, nr, nb, nc, nq = (
        len(o_author),
        len(r_parent),
        len(b_parent),
        len(c_parent),
        len(q_target),
    )
    r0, b0, c0, q0 = no, no + nr, no + nr + nb, no + nr + nb + nc
    total = q0 + nq
    world.p_author = np.concatenate(
        [o_author, r_author, b_author, c_author, q_author]
    ).astype(np.int32)
    del o_author, r_author, b_author, c_author, q_author
    times = np.concatenate([o_time, r_time, b_time, c_time, q_time]).astype(np.int64)
    del o_time, r_time, b_time, c_time, q_time
    world.p_time = _strictly_increasing(times)
    del times
    parent = np.full(total, -1, np.int64)
    parent[r0:b0] = r_parent
    parent[b0:c0] = r0 + b_parent
    parent[c0:q0] = b0 + c_parent
    world.p_parent = parent.astype(np.int32)
    root = np.full(total, -1, np.int64)
    root[r0:b0] = r_parent
    root[b0:c0] = r_parent[b_parent]
    root[c0:q0] = r_parent[b_parent[c_parent]]
    world.p_root = root.astype(np.int32)
    del parent, root, r_parent, b_parent, c_parent
    quote = np.full(total, -1, np.int32)
    quote[q0:] = q_target
    world.p_quote = quote
    del quote, q_target
    kind = np.full(total, P_ORIGINAL, np.int8)
    kind[r0:q0] = P_REPLY
    kind[q0:] = P_QUOTE
    world.p_kind = kind
    del kind, o_ec
    world.p_eclass = _eclass(world, world.p_author, world.p_time).astype(np.int8)
    world.p_eclass[r0:q0] = world.klass[world.p_author[r0:q0]]
    world.p_eclass[r0:q0][world.p_eclass[r0:q0] == C_AMP] = C_ORD

    _build_reposts(
        world, rng, roots=np.concatenate([np.arange(no), np.arange(q0, total)])
    )
    _like_and_follow_lambdas(world, r0, q0)
    world.p_replies = np.bincount(
        world.p_parent[world.p_parent >= 0], minlength=total
    ).astype(np.int32)
    world.p_quotes = np.bincount(
        world.p_quote[world.p_quote >= 0], minlength=total
    ).astype(np.int32)
    world.p_reposts = np.bincount(world.r_post, minlength=total).astype(np.int32)
    world.p_likes = np.zeros(total, np.int32)


def _build_reposts(world: World, rng: np.random.Generator, roots: np.ndarray) -> None:
    ec = world.p_eclass[roots].astype(np.int64)
    base = np.array(_BASE["repost"])[ec]
    fixed = np.where(
        ec == C_MI, _mi_lambda(world, world.p_author[roots], "repost"), 0.0
    )
    fixed = fixed + _ring_part(world, ec, 0.15, 20.0)
    pod_expected = 0.5 * (world.cfg.pod_size - 1) * np.isin(ec, (C_PODC, C_PODM)).sum()
    lam = _scaled(world, "repost", base, fixed, pod_expected)
    n = rng.poisson(lam)
    posts = np.repeat(roots, n)
    actors, comp = world.sample_actors(
        rng, world.p_author[posts], world.p_eclass[posts], "repost"
    )
    times = world.at_times(
        rng, world.p_time[posts], world.delays(rng, comp, world.p_eclass[posts], False)
    )
    pod_posts, pod_actors, pod_times = world._pod_engagement(rng, roots, 0.5)
    posts, actors, times = world._clean(
        rng,
        np.concatenate([posts, pod_posts]),
        np.concatenate([actors, pod_actors]),
        np.concatenate([times, pod_times]),
    )
    world.r_post = posts.astype(np.int32)
    world.r_actor = actors.astype(np.int32)
    world.r_time = _strictly_increasing(times)


def _like_and_follow_lambdas(world: World, r0: int, q0: int) -> None:
    """Expected likes per post and listed followers per account, on budget."""
    total = world.n_posts
    ec = world.p_eclass.astype(np.int64)
    base = np.array(_BASE["like"])[ec]
    base[r0:q0] = 0.3
    base[q0:] *= 0.5
    roots = world.p_kind != P_REPLY
    mi = np.zeros(total)
    mi_roots = roots & (ec == C_MI)
    mi[mi_roots] = _mi_lambda(world, world.p_author[roots], "like")[mi_roots[roots]]
    mi[r0:q0] = np.where(world.klass[world.p_author[r0:q0]] == C_MI, 0.8, 0.0)
    fixed = mi + np.where(roots, _ring_part(world, ec, 0.5, 60.0), 0.0)
    pod_expected = (
        0.9 * (world.cfg.pod_size - 1) * np.isin(ec[roots], (C_PODC, C_PODM)).sum()
    )
    lam = _scaled(world, "like", base, fixed, pod_expected)
    floor = np.where(mi_roots, 2.5 * _BASE["like"][C_ORD] * world.scale["like"], 0.0)
    world.p_like_lambda = np.maximum(lam, floor).astype(np.float32)

    k = world.klass.astype(np.int64)
    base = np.array(_BASE["follow"])[k]
    plat = world.platform.astype(np.int64)
    pools = world.spec_pool(plat, world.spec.astype(np.int64))
    size = np.where(pools >= 0, world.pool_len[np.maximum(pools, 0)], 0)
    fixed = np.where(k == C_MI, -np.log(1 - world.cfg.mi_trust_density) * size, 0.0)
    fixed = fixed + np.where(k == C_AMP, 0.9 * world.cfg.bots_per_ring, 0.0)
    world.follow_lambda = _scaled(world, "follow", base, fixed).astype(np.float32)
