"""Account counters over time: followers, following, posts at each profile snapshot.

Followers grow organically (``growth`` over the window, compounding); accounts that
bought followers jump by ``spike`` at ``spike_ms``. Bots follow more and more
accounts after they are created, and are followed by almost no one.
"""

from __future__ import annotations

import numpy as np

from demoworld.config import DAY_MS
from demoworld.world import (
    C_AMP,
    C_BOT,
    C_BRAND,
    C_MI,
    C_NEWS,
    C_PODC,
    C_PODM,
    K_CLIN,
    World,
)


class Counters:
    """Counters of every account at every snapshot time (compact arrays)."""

    def __init__(self, world: World) -> None:
        self.world = world
        cfg = world.cfg
        k = max(cfg.snapshots_tracked, cfg.snapshots_other)
        if k == 1:
            self.times = np.array([world.end_ms], np.int64)
        else:
            self.times = np.linspace(world.start_ms, world.end_ms, k).astype(np.int64)
        n, kk = world.n_accounts, len(self.times)
        bucket = np.searchsorted(self.times, world.p_time, side="left")
        counts = np.zeros((n, kk), np.int32)
        np.add.at(counts, (world.p_author, np.minimum(bucket, kk - 1)), 1)
        self.posts = np.cumsum(counts, axis=1) + world.hist_posts[:, None].astype(
            np.int32
        )
        last = np.full((n, kk), -1, np.int64)
        np.maximum.at(last, (world.p_author, np.minimum(bucket, kk - 1)), world.p_time)
        self.last = np.maximum.accumulate(last, axis=1)
        tracked = (world.kind == K_CLIN) | np.isin(
            world.klass, (C_BRAND, C_NEWS, C_AMP, C_MI, C_PODC, C_PODM)
        )
        self.n_snapshots = np.where(tracked, cfg.snapshots_tracked, cfg.snapshots_other)
        self._full: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def picks(self, want: int) -> set[int]:
        """Snapshot indices used by accounts that get ``want`` snapshots."""
        kk = len(self.times)
        if want >= kk:
            return set(range(kk))
        if want == 1:
            return {kk - 1}
        return {int(round(x)) for x in np.linspace(0, kk - 1, want)}

    def includes(self, k: int) -> np.ndarray:
        """Accounts that have a profile snapshot at time ``k`` (and exist by then)."""
        mask = np.zeros(self.world.n_accounts, dtype=bool)
        for want in np.unique(self.n_snapshots).tolist():
            if k in self.picks(int(want)):
                mask |= self.n_snapshots == want
        return mask & (self.world.created <= self.times[k])

    def followers(self, accounts: np.ndarray, k: int) -> np.ndarray:
        w, t = self.world, int(self.times[k])
        f = np.clip((t - w.start_ms) / (w.end_ms - w.start_ms), 0.0, 1.0)
        organic_end = (w.followers[accounts] - w.spike[accounts]).astype(np.float64)
        organic = organic_end / np.power(1.0 + w.growth[accounts], 1.0 - f)
        value = organic + np.where(t >= w.spike_ms[accounts], w.spike[accounts], 0)
        return np.maximum(np.round(value), 0).astype(np.int64)

    def following(self, accounts: np.ndarray, k: int) -> np.ndarray:
        w, t = self.world, int(self.times[k])
        f = np.clip((t - w.start_ms) / (w.end_ms - w.start_ms), 0.0, 1.0)
        value = w.following[accounts] * (0.92 + 0.08 * f)
        age = np.clip((t - w.created[accounts]) / (20 * DAY_MS), 0.05, 1.0)
        value = np.where(w.klass[accounts] == C_BOT, w.following[accounts] * age, value)
        return np.round(value).astype(np.int64)

    def at(self, a: int, k: int) -> tuple[int, int, int, int]:
        """(followers, following, posts, last post ms or -1) of ``a`` at snapshot ``k``."""
        if k not in self._full:
            if len(self._full) >= 2:
                self._full.pop(next(k2 for k2 in self._full if k2 != self.end))
            everyone = np.arange(self.world.n_accounts)
            self._full[k] = (self.followers(everyone, k), self.following(everyone, k))
        followers, following = self._full[k]
        return (
            int(followers[a]),
            int(following[a]),
            int(self.posts[a, k]),
            int(self.last[a, k]),
        )

    @property
    def end(self) -> int:
        return len(self.times) - 1
