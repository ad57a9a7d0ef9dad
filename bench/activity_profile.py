"""Time and profile engagement / longevity / authenticity on synthetic frames.

    .venv/bin/python bench/activity_profile.py --accounts 100000 --edges 1000000
    .venv/bin/python bench/activity_profile.py --edges 1000000 --profile authenticity
    .venv/bin/python bench/activity_profile.py --accounts 1000000 --edges 10000000 \\
        --save /tmp/pp_act/out10m          # store the outputs ...
    .venv/bin/python bench/activity_profile.py --accounts 1000000 --edges 10000000 \\
        --compare /tmp/pp_act/out10m       # ... and check a later run agrees (1e-9)

No database: ``ScoringInputs`` are generated with numpy in the shapes the PostgreSQL
loader (``vetting.inputs``) produces: accounts indexed by sorted sparse ids, Bluesky
70 % / Mastodon 30 % (shared ``str`` objects), heavy-tailed followers; posts ~ edges / 4
by authors with power-law activity, 10 % replies (a few with an unstored parent);
edges (like 55 %, repost 15 %, reply 15 %, mention 10 %, quote 5 %) on posts chosen
with power-law popularity, actors with power-law activity, never self, 20 % of them
without ``occurred_at``, delays log-normal around an hour (8 % days later); 1 % of
the authors with >= 5 posts get a pod of 6 accounts engaging within minutes; 15 %
of the likes and reposts are answered back with a like (no post);
2-7 snapshots per account (1 % with a follower spike).

Each function runs with ``accounts=None`` and with the candidates (``--candidates``,
default 25 % of the accounts, authors and non-authors); the figures are wall (and CPU)
seconds and the peak RSS seen during the call (sampled every 10 ms) over the RSS before it.
``--profile NAME ...`` runs those functions once each under cProfile instead (with
``accounts=None``, or the candidates with ``--no-all``).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vetting.scoring import activity, authenticity  # noqa: E402
from vetting.scoring.frames import (  # noqa: E402
    INTERACTION_WEIGHTS,
    ScoringInputs,
    ScoringParams,
)

KINDS = ("reply", "quote", "repost", "like", "mention")
KIND_P = (0.15, 0.05, 0.15, 0.55, 0.10)
NS_HOUR = 3_600 * 10**9
NS_DAY = 24 * NS_HOUR
T0 = pd.Timestamp("2025-07-01", tz="UTC")
WINDOW_DAYS = 180
NAT = np.iinfo(np.int64).min


def _powerlaw_pick(rng, n_items: int, size: int, exponent: float) -> np.ndarray:
    """Positions in [0, n_items) drawn with weight rank^-exponent (shuffled ranks)."""
    w = np.arange(1, n_items + 1, dtype=np.float64) ** -exponent
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    rank = np.minimum(np.searchsorted(cdf, rng.random(size)), n_items - 1)
    perm = rng.permutation(n_items)
    return perm[rank]


def _utc(values_ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.to_datetime(values_ns.view("datetime64[ns]"), utc=True)


def make_inputs(n_acc: int, n_edges: int, seed: int = 0) -> ScoringInputs:
    rng = np.random.default_rng(seed)
    start = T0.value - WINDOW_DAYS * NS_DAY
    span = WINDOW_DAYS * NS_DAY
    ids = np.sort(rng.choice(np.arange(1, 3 * n_acc + 1), n_acc, replace=False))
    plat_obj = np.asarray(["bluesky", "mastodon"], dtype=object)
    plat_code = (rng.random(n_acc) < 0.3).astype(np.int64)
    is_hcp = rng.random(n_acc) < 0.14
    created = T0.value - rng.integers(0, 3_000, n_acc) * NS_DAY
    created[rng.random(n_acc) < 0.05] = NAT
    acc = pd.DataFrame(
        {
            "platform": plat_obj[plat_code],
            "followers": (rng.lognormal(5.5, 1.6, n_acc)).astype(np.int64),
            "following": rng.lognormal(5.7, 0.8, n_acc).astype(np.int64),
            "posts_count": rng.lognormal(4, 1.2, n_acc).astype(np.int64),
            "created_at": _utc(created),
            "bio_len": np.where(rng.random(n_acc) < 0.12, 0, 60).astype(np.int64),
            "clinician_id": np.where(is_hcp, np.arange(n_acc), -1).astype(np.int64),
            "specialty": np.asarray(["", "207RC0000X"], dtype=object)[
                is_hcp.astype(int)
            ],
            "classification": np.asarray(["", "Internal Medicine"], dtype=object)[
                is_hcp.astype(int)
            ],
            "is_hcp": is_hcp,
            "link_confidence": np.where(is_hcp, 0.95, np.nan),
        },
        index=pd.Index(ids, name="account_id"),
    )

    # posts
    n_posts = max(n_edges // 4, 10)
    author_pos = _powerlaw_pick(rng, n_acc, n_posts, 0.9)
    authors = ids[author_pos]
    pids = np.sort(rng.choice(np.arange(1, 3 * n_posts + 1), n_posts, replace=False))
    posted = start + rng.integers(0, span, n_posts)
    is_reply = rng.random(n_posts) < 0.10
    parent = rng.integers(0, n_posts, n_posts)
    reply_to = np.where(is_reply, pids[parent], -1)
    # a post replies to an earlier one; the root is the parent's (or the parent)
    posted = np.where(is_reply, np.maximum(posted, posted[parent] + 60 * 10**9), posted)
    root = np.where(is_reply, pids[parent], -1)
    unstored = rng.random(n_posts) < 0.01
    reply_to = np.where(unstored, -1, reply_to)
    root = np.where(unstored, 10 * n_posts + np.arange(n_posts), root)
    empty: list[str] = []
    posts = pd.DataFrame(
        {
            "author": authors,
            "posted_at": _utc(posted),
            "reply_to": reply_to,
            "root": root,
            "quote_of": np.full(n_posts, -1, np.int64),
            "topical": rng.random(n_posts) < 0.25,
            "hashtags": [empty] * n_posts,
            "likes": rng.poisson(3, n_posts),
            "reposts": rng.poisson(0.5, n_posts),
            "replies": rng.poisson(0.6, n_posts),
            "quotes": rng.poisson(0.1, n_posts),
        },
        index=pd.Index(pids, name="post_id"),
    )

    # edges
    kind = rng.choice(len(KINDS), n_edges, p=KIND_P)
    pe = _powerlaw_pick(rng, n_posts, n_edges, 0.8)
    actor = ids[_powerlaw_pick(rng, n_acc, n_edges, 0.7)]
    target = authors[pe]
    delay = np.exp(np.log(NS_HOUR) + 1.3 * rng.standard_normal(n_edges)).astype(
        np.int64
    )
    later = rng.random(n_edges) < 0.08
    delay[later] = rng.integers(1, 10, later.sum()) * NS_DAY
    occ = posted[pe] + delay
    occ[rng.random(n_edges) < 0.2] = NAT
    post_id = np.where(kind == KINDS.index("mention"), -1, pids[pe])

    # pods: 1 % of the authors with >= 5 posts, a group of 6 engaging within minutes
    n_of = np.bincount(author_pos, minlength=n_acc)
    prolific = np.flatnonzero(n_of >= 5)
    pod_authors = rng.choice(prolific, max(len(prolific) // 100, 1), replace=False)
    is_pod = np.zeros(n_acc, bool)
    is_pod[pod_authors] = True
    pod_posts = np.flatnonzero(is_pod[author_pos] & (rng.random(n_posts) < 0.6))
    group = rng.integers(0, n_acc, (n_acc, 6))
    extra_pe = np.repeat(pod_posts, 6)
    extra_actor = ids[
        group[author_pos[extra_pe], np.tile(np.arange(6), len(pod_posts))]
    ]
    extra_kind = np.full(len(extra_pe), KINDS.index("like"))
    extra_occ = posted[extra_pe] + rng.integers(0, 12, len(extra_pe)) * 60 * 10**9
    actor = np.concatenate([actor, extra_actor])
    target = np.concatenate([target, authors[extra_pe]])
    kind = np.concatenate([kind, extra_kind])
    post_id = np.concatenate([post_id, pids[extra_pe]])
    occ = np.concatenate([occ, extra_occ])
    # 15 % of the likes / reposts answered back with a like (reciprocity)
    back = np.flatnonzero(
        np.isin(kind, [KINDS.index("like"), KINDS.index("repost")])
        & (rng.random(len(kind)) < 0.15)
    )
    actor, target = (
        np.concatenate([actor, target[back]]),
        np.concatenate([target, actor[back]]),
    )
    kind = np.concatenate([kind, np.full(len(back), KINDS.index("like"))])
    post_id = np.concatenate([post_id, np.full(len(back), -1)])
    occ = np.concatenate([occ, occ[back] + NS_HOUR])
    keep = actor != target
    kinds_obj = np.asarray(KINDS, dtype=object)
    weights = np.asarray([INTERACTION_WEIGHTS[k] for k in KINDS])
    edges = pd.DataFrame(
        {
            "actor": actor[keep],
            "target": target[keep],
            "kind": kinds_obj[kind[keep]],
            "weight": weights[kind[keep]],
            "post_id": post_id[keep],
            "occurred_at": _utc(occ[keep]),
        }
    )
    # shuffle: the loader gives no order
    edges = edges.iloc[rng.permutation(len(edges))].reset_index(drop=True)

    # snapshots: 2-7 per account, 1 % with a spike
    per = rng.integers(2, 8, n_acc)
    sa = np.repeat(np.arange(n_acc), per)
    k = np.arange(len(sa)) - np.repeat(np.cumsum(per) - per, per)
    growth = rng.uniform(0.0, 0.05, n_acc)
    base = acc["followers"].to_numpy()
    f = base[sa] * (1 + growth[sa]) ** (k - 6)
    spike = rng.random(n_acc) < 0.01
    f = np.where(spike[sa] & (k >= 3), f * 1.6 + 200, f)
    cap = T0.value - (6 - k) * 30 * NS_DAY + rng.integers(0, NS_HOUR, len(sa))
    snaps = pd.DataFrame(
        {
            "account_id": ids[sa],
            "captured_at": _utc(cap),
            "followers": f.astype(np.int64),
            "following": np.full(len(sa), 100, np.int64),
        }
    )
    return ScoringInputs(accounts=acc, edges=edges, posts=posts, snapshots=snaps)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()

    def __enter__(self):
        self.before = rss_mb()
        self.peak = self.before
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


FUNCTIONS = {
    "engagement": activity.engagement_scores,
    "longevity": activity.longevity_scores,
    "authenticity": authenticity.authenticity_scores,
}


def same(a: pd.DataFrame, b: pd.DataFrame) -> str | None:
    if list(a.columns) != list(b.columns) or not a.index.equals(b.index):
        return "columns or index differ"
    for col in a.columns:
        x, y = a[col], b[col]
        if x.dtype == object or y.dtype == object:
            if x.tolist() != y.tolist():
                return col
            continue
        if x.dtype != y.dtype:
            return f"{col}: dtype {x.dtype} != {y.dtype}"
        if not np.allclose(
            x.to_numpy(np.float64),
            y.to_numpy(np.float64),
            rtol=0,
            atol=1e-9,
            equal_nan=True,
        ):
            return col
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--edges", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--candidates", type=float, default=0.25)
    ap.add_argument("--only", nargs="*", choices=list(FUNCTIONS), default=None)
    ap.add_argument("--no-all", action="store_true", help="skip accounts=None")
    ap.add_argument("--profile", nargs="+", choices=list(FUNCTIONS))
    ap.add_argument("--save", type=Path)
    ap.add_argument("--compare", type=Path)
    args = ap.parse_args(argv)

    t = time.perf_counter()
    inputs = make_inputs(args.accounts, args.edges, args.seed)
    gc.collect()
    params = ScoringParams(
        window_start=(T0 - pd.Timedelta(days=WINDOW_DAYS)).to_pydatetime(),
        window_end=T0.to_pydatetime(),
    )
    rng = np.random.default_rng(args.seed + 1)
    ids = inputs.accounts.index.to_numpy()
    cands = rng.choice(ids, int(len(ids) * args.candidates), replace=False).tolist()
    print(
        f"accounts {len(inputs.accounts):,} edges {len(inputs.edges):,} posts"
        f" {len(inputs.posts):,} snapshots {len(inputs.snapshots):,}"
        f" candidates {len(cands):,}; generated in {time.perf_counter() - t:.1f} s,"
        f" RSS {rss_mb():,.0f} MB",
        flush=True,
    )
    if args.profile:
        for name in args.profile:
            prof = cProfile.Profile()
            prof.enable()
            FUNCTIONS[name](inputs, params, None if args.no_all is False else cands)
            prof.disable()
            print(f"== {name}")
            pstats.Stats(prof).sort_stats("cumtime").print_stats(30)
            pstats.Stats(prof).sort_stats("tottime").print_stats(20)
        return 0
    names = args.only or list(FUNCTIONS)
    runs = [("cand", cands)] + ([] if args.no_all else [("all", None)])
    failed = False
    total = {label: 0.0 for label, _ in runs}
    for name in names:
        for label, chosen in runs:
            gc.collect()
            with PeakRss() as rss:
                t, cpu = time.perf_counter(), time.process_time()
                out = FUNCTIONS[name](inputs, params, chosen)
                wall = time.perf_counter() - t
                cpu = time.process_time() - cpu
            total[label] += wall
            print(
                f"{name:>12} {label:>4}: {wall:6.2f} s (cpu {cpu:6.2f} s)  peak RSS {rss.peak:7,.0f} MB"
                f" (+{rss.peak - rss.before:,.0f} over {rss.before:,.0f})"
                f"  {len(out):,} rows",
                flush=True,
            )
            key = f"{name}_{label}.pkl"
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                out.to_pickle(args.save / key)
            if args.compare:
                diff = same(out, pd.read_pickle(args.compare / key))
                print(f"{'':>18} vs {args.compare / key}: {diff or 'same'}")
                failed |= diff is not None
            del out
    for label, secs in total.items():
        print(f"{'total':>12} {label:>4}: {secs:6.2f} s")
    print(
        "process peak RSS MB",
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
