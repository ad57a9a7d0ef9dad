"""A small LinkedIn / YouTube / podcast sample in the file-import schema.

Columns and value formats follow ``docs/file-import.md`` (one row per record,
``record_type`` = account, post or interaction). The authors are clinicians of the
world (linkable by name and bio), so identity resolution can join them to NPPES.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from demoworld.rand import Chooser, iso_ms
from demoworld.text import plain_text, product_post
from demoworld.world import C_MI, C_ORD, K_CLIN, World

COLUMNS = [
    "record_type", "platform", "source_tool", "account_id", "handle", "display_name", "bio",
    "url", "followers_count", "post_id", "author_id", "created_at", "text", "language",
    "hashtags", "likes", "reposts", "replies", "views", "kind", "actor_id", "target_id",
    "occurred_at",
]  # fmt: skip
_ACCOUNT_ID = {
    "linkedin": "urn:li:person:demo-{npi}",
    "youtube": "UCdemo{npi}",
    "podcast": "https://feeds.example.org/demo-{npi}",
}


def write_file_import_sample(writer, path: Path) -> list[dict]:
    """Write the sample; returns truth rows for its posts (same form as the corpus)."""
    w: World = writer.world
    ids = writer.ids
    rng = Chooser(w.seed, 900)
    generated = ~w.clin.real[np.maximum(w.aclin, 0)]
    clinicians = np.flatnonzero(
        (w.kind == K_CLIN) & np.isin(w.klass, (C_MI, C_ORD)) & generated
    )
    clinicians = clinicians[w.link[clinicians] != 3][:6]
    rows: list[dict] = []
    truth: list[dict] = []
    accounts = []
    for j, a in enumerate(clinicians.tolist()):
        c = int(w.aclin[a])
        platform = (
            "linkedin",
            "linkedin",
            "linkedin",
            "youtube",
            "podcast",
            "linkedin",
        )[j]
        npi = int(w.clin.npi[c])
        external = _ACCOUNT_ID[platform].format(npi=npi)
        accounts.append((a, platform, external, npi))
        rows.append(
            {
                "record_type": "account",
                "platform": platform,
                "source_tool": "demoworld",
                "account_id": external,
                "handle": ids.local(a),
                "display_name": ids.display_name(a),
                "bio": ids.bio(a),
                "url": f"https://{platform}.example/{ids.local(a)}",
                "followers_count": int(w.followers[a]),
            }
        )
    posts = []
    for j, (a, platform, external, npi) in enumerate(accounts):
        for k in range(2):
            ch = Chooser(w.seed, 901, j, k)
            text = product_post(ch, ids.author(a), lambda key: None)
            post_id = f"demo-{platform}-{npi}-{k + 1}"
            created = w.start_ms + (30 + 40 * k + j) * 86_400_000 + ch.below(36_000_000)
            plain = plain_text(text.segments, ids.local)
            views = 200 + rng.below(5_000) if platform == "youtube" else ""
            tags = [str(v) for kind, v in text.segments if kind == "#"]
            rows.append(
                {
                    "record_type": "post",
                    "platform": platform,
                    "source_tool": "demoworld",
                    "post_id": post_id,
                    "author_id": external,
                    "text": plain,
                    "language": "en",
                    "hashtags": " ".join(f"#{t}" for t in tags),
                    "created_at": iso_ms(created),
                    "url": f"https://{platform}.example/posts/{post_id}",
                    "likes": 3 + rng.below(40),
                    "reposts": rng.below(6),
                    "replies": rng.below(5),
                    "views": views,
                }
            )
            posts.append((post_id, platform, external, created))
            truth.append(
                {
                    "text": plain,
                    "expected": list(text.codes),
                    "author_npi": str(npi),
                    "posted_at": iso_ms(created),
                    "platform": platform,
                    "external_id": post_id,
                    "author_external_id": external,
                    "product": text.product or None,
                    "template": text.template,
                    "author_role": ids.author(a).role,
                }
            )
    for post_id, post_platform, author, created in posts:
        for _, platform, external, _ in accounts:
            if external == author or platform != post_platform or rng.chance(0.4):
                continue
            rows.append(
                {
                    "record_type": "interaction",
                    "platform": platform,
                    "source_tool": "demoworld",
                    "kind": "like" if rng.chance(0.7) else "repost",
                    "actor_id": external,
                    "target_id": author,
                    "post_id": post_id,
                    "occurred_at": iso_ms(created + 3_600_000 + rng.below(86_400_000)),
                }
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        out.writeheader()
        for row in rows:
            out.writerow(row)
    return truth
