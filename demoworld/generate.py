"""Generate a seeded demo world as platform-native recordings plus its ground truth.

``generate_world(out_dir=..., size="small", seed=7)`` writes files only (never the
database); the same seed gives the same bytes. See ``demoworld/README.md`` for the
layout and the meaning of every truth file.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson

from demoworld.config import SIZES, window_for_seed
from demoworld.fileimport import write_file_import_sample
from demoworld.people import write_nppes, write_open_payments
from demoworld.recordings import RecordingWriter
from demoworld.truth import PostTruth, write_account_truth
from demoworld.world import (
    KIND_NAMES,
    P_ORIGINAL,
    P_QUOTE,
    P_REPLY,
    PLATFORMS,
    World,
)
from demoworld.world_posts import build_world

OUTPUT_DIRS = ("bluesky", "mastodon", "clinicians", "payments", "truth", "file-import")


@dataclass
class WorldSummary:
    """What a generation run wrote (``counts`` is also in ``summary.json``)."""

    out_dir: Path
    size: str
    seed: int
    window_start: str
    window_end: str
    counts: dict[str, object] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0


def generate_world(
    *, out_dir: Path, size: str = "small", seed: int = 7
) -> WorldSummary:
    """Write the world of ``size`` for ``seed`` into ``out_dir`` (files only).

    Steps: phase 1 builds accounts, posts, replies, quotes and reposts as arrays;
    phase 2 streams likes, followers, profile snapshots, author feeds (with per-post
    truth), threads and reposted-by lists; then clinicians (NPPES API responses),
    Open Payments rows, account truth, the file-import sample and ``summary.json``.
    Output directories of an earlier run in ``out_dir`` are replaced.
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in OUTPUT_DIRS:
        if (out_dir / name).exists():
            shutil.rmtree(out_dir / name)
    cfg = SIZES[size]
    world = build_world(cfg, seed)
    _release_free_memory()
    truth = PostTruth(out_dir, world)
    writer = RecordingWriter(world, out_dir, truth)
    writer.likes()
    writer.followers()
    # Drawn and written: the expected counts are not needed any more.
    world.p_like_lambda = world.follow_lambda = np.zeros(0, np.float32)
    _release_free_memory()
    writer.profiles()
    writer.feeds()
    writer.threads()
    writer.reposted_by()
    writer.close()
    for row in write_file_import_sample(writer, out_dir / "file-import" / "sample.csv"):
        truth.corpus.write(row)
        if row["expected"]:
            keys = ("platform", "external_id", "author_external_id", "author_npi",
                    "author_role", "template", "product", "expected")  # fmt: skip
            truth.violations.write({k: row[k] for k in keys})
    truth.close()
    write_nppes(world.clin, out_dir / "clinicians")
    start, end = window_for_seed(seed)
    payments = write_open_payments(
        world.clin, out_dir / "payments" / "open-payments-demo.csv", start.year - 1
    )
    truth_rows = write_account_truth(writer, out_dir)
    counts = _counts(world, writer, truth, payments, truth_rows)
    files = sorted(
        p for p in out_dir.rglob("*") if p.is_file() and p.name != "summary.json"
    )
    summary = WorldSummary(
        out_dir=out_dir,
        size=size,
        seed=seed,
        window_start=start.isoformat().replace("+00:00", "Z"),
        window_end=end.isoformat().replace("+00:00", "Z"),
        counts=counts,
        files=len(files),
        bytes=sum(p.stat().st_size for p in files),
    )
    document = {
        "seed": seed,
        "size": size,
        "window": {
            "start": summary.window_start,
            "end": summary.window_end,
            "days": 180,
        },
        "counts": counts,
        "files": {
            "count": summary.files,
            "bytes": summary.bytes,
            "by_dir": {
                d: sum(1 for p in files if p.relative_to(out_dir).parts[0] == d)
                for d in OUTPUT_DIRS
            },
        },
    }
    (out_dir / "summary.json").write_bytes(
        orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        + b"\n"
    )
    summary.seconds = time.perf_counter() - started
    return summary


def _release_free_memory() -> None:
    """Hand freed heap pages back to the OS after phase 1 (glibc keeps them)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _counts(
    world: World,
    writer: RecordingWriter,
    truth: PostTruth,
    payments: int,
    rows: dict[str, int],
) -> dict[str, object]:
    kinds = np.bincount(world.kind, minlength=len(KIND_NAMES))
    by_platform = np.bincount(world.platform, minlength=2)
    post_platform = world.platform[world.p_author]
    stats = writer.stats
    interactions = {
        "like": int(stats["like"]),
        "repost": int(stats["repost"]),
        "reply": int((world.p_kind == P_REPLY).sum()),
        "quote": int((world.p_kind == P_QUOTE).sum()),
        "follow": int(stats["follow"]),
        "mention": int(truth.mentions),
    }
    interactions["total"] = sum(interactions.values())
    return {
        "clinicians": {
            "total": int(world.clin.n),
            "real_nppes": int(world.clin.real.sum()),
            "generated": int((~world.clin.real).sum()),
            "paid": int((world.clin.paid > 0).sum()),
        },
        "accounts": {
            "total": int(world.n_accounts),
            **{KIND_NAMES[i]: int(kinds[i]) for i in range(len(KIND_NAMES))},
            **{PLATFORMS[i]: int(by_platform[i]) for i in range(2)},
            "true_micro_influencers": rows["micro_influencers.csv"],
            "amplified": rows["amplified_accounts.csv"],
        },
        "posts": {
            "total": int(world.n_posts),
            "original": int((world.p_kind == P_ORIGINAL).sum()),
            "reply": int((world.p_kind == P_REPLY).sum()),
            "quote": int((world.p_kind == P_QUOTE).sum()),
            "bluesky": int((post_platform == 0).sum()),
            "mastodon": int((post_platform == 1).sum()),
        },
        "interactions": interactions,
        "profile_snapshots": int(stats["profile_snapshots"]),
        "rule_codes": dict(sorted(truth.codes.items())),
        "templates": dict(sorted(truth.templates.items())),
        "corpus_rows": int(truth.corpus.rows),
        "violation_rows": int(truth.violations.rows),
        "open_payments_rows": payments,
    }
