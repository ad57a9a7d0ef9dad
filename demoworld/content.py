"""The words of every post, rebuilt on demand from the post's index and the seed."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from demoworld.identity import Identities
from demoworld.rand import Chooser
from demoworld.text import PostText, plain_post, product_post, quote_post, reply_post
from demoworld.world import C_PODM, CLASS_NAMES, K_CLIN, P_QUOTE, P_REPLY, World


class Content:
    """``text(p)`` is the same ``PostText`` wherever post ``p`` is rendered."""

    def __init__(self, world: World, ids: Identities) -> None:
        self.world = world
        self.ids = ids
        self.text = lru_cache(maxsize=1 << 15)(self._text)

    def _text(self, p: int) -> PostText:
        w = self.world
        ch = Chooser(w.seed, 97, p)
        a = int(w.p_author[p])
        kind = int(w.p_kind[p])
        if kind == P_REPLY:
            root_author = int(w.p_author[int(w.p_root[p])])
            role = CLASS_NAMES[int(w.klass[a])]
            return reply_post(ch, role, a == root_author)
        if kind == P_QUOTE:
            return quote_post(ch, self.ids.group(a))
        author = self.ids.author(a)
        if ch.chance(author.product_share):
            platform = int(w.platform[a])
            return product_post(
                ch, author, lambda key: w.brand_account.get((platform, key))
            )
        return plain_post(ch, author, lambda c: self._mention(c, a))

    def _mention(self, ch: Chooser, a: int) -> int | None:
        """A peer to mention: same specialty (clinicians) or same pod, same platform."""
        w = self.world
        if w.kind[a] == K_CLIN:
            pool = int(w.spec_pool(np.int64(w.platform[a]), np.int64(w.spec[a])))
        elif w.klass[a] == C_PODM:
            pool = int(w.pod_pool(np.int64(w.pod[a])))
        else:
            return None
        members = w.members(pool)
        if len(members) < 2:
            return None
        target = int(members[ch.below(len(members))])
        return None if target == a else target
