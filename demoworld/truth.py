"""Ground truth next to the payloads: accounts, micro-influencers, bots, pods, violations.

External ids are the ones the platforms use: Bluesky accounts by DID and posts by
``at://`` URI; Mastodon accounts and statuses by their (string) ids.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from demoworld.rand import iso_ms, key64
from demoworld.reference import PRODUCTS
from demoworld.sinks import CsvSink, JsonlSink
from demoworld.text import plain_text
from demoworld.world import (
    C_AMP,
    C_MI,
    C_PODC,
    C_PODM,
    CLASS_NAMES,
    K_BOT,
    K_CLIN,
    KIND_NAMES,
    LINK_NAMES,
    PLATFORMS,
    World,
)

if TYPE_CHECKING:
    from demoworld.recordings import RecordingWriter


class PostTruth:
    """Per-post truth, written while the author feeds are written."""

    def __init__(self, out_dir: Path, world: World) -> None:
        self.world = world
        self.violations = JsonlSink(out_dir / "truth" / "post_violations.jsonl")
        self.corpus = JsonlSink(out_dir / "truth" / "compliance-corpus.jsonl")
        self.codes: Counter[str] = Counter()
        self.templates: Counter[str] = Counter()
        self.mentions = 0
        self.posts = 0
        self._negative = int(world.cfg.corpus_negative_share * (1 << 32))

    def post(self, writer: RecordingWriter, p: int) -> None:
        w = self.world
        text = writer.content.text(p)
        a = int(w.p_author[p])
        self.posts += 1
        self.mentions += sum(1 for kind, _ in text.segments if kind == "@")
        if w.platform[a] == 0:
            external_id, author_id = writer.bsky.uri(p), writer.bsky.did(a)
            plain = writer.bsky.rendered(p)[0]
        else:
            external_id, author_id = (
                writer.masto.status_uri(p),
                writer.masto.profile_url(a),
            )
            plain = plain_text(writer.masto.segments(p), writer.ids.local)
        codes = list(text.codes)
        role = writer.ids.author(a).role
        self.templates[text.template] += 1
        for code in codes:
            self.codes[code] += 1
        npi = str(int(w.clin.npi[int(w.aclin[a])])) if w.kind[a] == K_CLIN else None
        if codes:
            self.violations.write(
                {
                    "platform": PLATFORMS[int(w.platform[a])],
                    "external_id": external_id,
                    "author_external_id": author_id,
                    "author_npi": npi,
                    "author_role": role,
                    "template": text.template,
                    "product": text.product or None,
                    "expected": codes,
                }
            )
        if codes or (key64(w.seed, 71, p) >> 32) < self._negative:
            self.corpus.write(
                {
                    "text": plain,
                    "expected": codes,
                    "author_npi": npi,
                    "posted_at": iso_ms(int(w.p_time[p])),
                    "platform": PLATFORMS[int(w.platform[a])],
                    "external_id": external_id,
                    "product": text.product or None,
                    "template": text.template,
                    "author_role": role,
                }
            )

    def close(self) -> None:
        self.violations.close()
        self.corpus.close()


def write_account_truth(writer: RecordingWriter, out_dir: Path) -> dict[str, int]:
    """accounts.csv, micro_influencers.csv, amplified_accounts.csv, bots.csv, pods.csv
    and clinicians.csv. Returns row counts."""
    w, ids = writer.world, writer.ids
    truth = out_dir / "truth"
    accounts = CsvSink(
        truth / "accounts.csv",
        ["platform", "external_id", "platform_id", "handle", "kind", "role", "npi", "specialty_code",
         "link_method_expected", "true_micro_influencer", "amplified", "ring_id", "pod_id",
         "created_at", "followers_count"],
    )  # fmt: skip
    mis = CsvSink(
        truth / "micro_influencers.csv",
        ["specialty_code", "specialty", "npi", "platform", "external_id", "handle"],
    )
    amplified = CsvSink(
        truth / "amplified_accounts.csv",
        [
            "platform",
            "external_id",
            "handle",
            "kind",
            "npi",
            "mechanism",
            "group_id",
            "since",
        ],
    )
    bots = CsvSink(
        truth / "bots.csv",
        ["platform", "external_id", "handle", "ring_id", "created_at"],
    )
    pods = CsvSink(
        truth / "pods.csv",
        ["pod_id", "platform", "external_id", "handle", "member_kind", "pod_start"],
    )
    per_clinician = np.bincount(w.aclin[w.aclin >= 0], minlength=w.clin.n)
    for a in range(w.n_accounts):
        platform = int(w.platform[a])
        external = writer.bsky.did(a) if platform == 0 else writer.masto.profile_url(a)
        local_id = writer.bsky.did(a) if platform == 0 else writer.masto.account_id(a)
        handle = ids.handle(a) if platform == 0 else writer.masto.acct(a)
        k = int(w.klass[a])
        npi = str(int(w.clin.npi[int(w.aclin[a])])) if w.kind[a] == K_CLIN else ""
        code = w.clin.specialties[int(w.spec[a])].code if w.spec[a] >= 0 else ""
        mechanism = {
            C_AMP: "bot_ring+purchased_followers",
            C_PODC: "pod",
            C_PODM: "pod",
        }.get(k, "")
        ring = int(w.ring[a])
        pod = int(w.pod[a])
        accounts.write(
            [PLATFORMS[platform], external, local_id, handle, KIND_NAMES[int(w.kind[a])],
             ids.author(a).role if w.kind[a] == K_CLIN else CLASS_NAMES[k], npi, code,
             LINK_NAMES[int(w.link[a])], int(k == C_MI), mechanism, ring if ring >= 0 else "",
             pod if pod >= 0 else "", iso_ms(int(w.created[a])), int(w.followers[a])]
        )  # fmt: skip
        if k == C_MI:
            spec = w.clin.specialties[int(w.spec[a])]
            mis.write(
                [spec.code, spec.title, npi, PLATFORMS[platform], external, handle]
            )
        if mechanism:
            since = w.ring_start[ring] if k == C_AMP else w.pod_start[pod]
            group_id = ring if k == C_AMP else pod
            amplified.write(
                [PLATFORMS[platform], external, handle, KIND_NAMES[int(w.kind[a])], npi,
                 mechanism, group_id, iso_ms(int(since))]
            )  # fmt: skip
        if w.kind[a] == K_BOT:
            bots.write([PLATFORMS[platform], external, handle, ring if ring >= 0 else "",
                        iso_ms(int(w.created[a]))])  # fmt: skip
        if pod >= 0:
            pods.write([pod, PLATFORMS[platform], external, handle, KIND_NAMES[int(w.kind[a])],
                        iso_ms(int(w.pod_start[pod]))])  # fmt: skip
    clinicians = CsvSink(
        truth / "clinicians.csv",
        ["npi", "first_name", "last_name", "credential", "taxonomy_code", "source", "city",
         "state", "accounts", "true_micro_influencer", "paid_by", "paid_products"],
    )  # fmt: skip
    mi_clin = np.zeros(w.clin.n, dtype=bool)
    mi_clin[w.aclin[w.klass == C_MI]] = True
    from demoworld.people import paid_products

    for c in range(w.clin.n):
        city, state = w.clin.place(c)
        paid = sorted(paid_products(int(w.clin.paid[c])))
        clinicians.write(
            [int(w.clin.npi[c]), w.clin.first_name(c), w.clin.last_name(c), w.clin.credential(c),
             w.clin.specialties[int(w.clin.spec[c])].code,
             "nppes-fixture" if w.clin.real[c] else "generated", city, state,
             int(per_clinician[c]), int(mi_clin[c]),
             ";".join(PRODUCTS[k].manufacturer for k in paid), ";".join(paid)]
        )  # fmt: skip
    sinks = (accounts, mis, amplified, bots, pods, clinicians)
    for sink in sinks:
        sink.close()
    return {sink.path.name: sink.rows for sink in sinks}
