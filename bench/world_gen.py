"""Benchmark the demo-world generator: time, files, bytes and peak RSS.

Usage: ``python bench/world_gen.py --size 100k --seed 7 --out /tmp/world-100k``
(``--keep`` keeps the output; by default it is deleted afterwards). Peak RSS is
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of this process (KiB on Linux). Not a
test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demoworld.generate import generate_world  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="100k", choices=["small", "100k", "1m"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args()
    out = args.out or Path(f"/tmp/peerproof-world-{args.size}")
    started = time.perf_counter()
    summary = generate_world(out_dir=out, size=args.size, seed=args.seed)
    elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    counts = summary.counts
    interactions = counts["interactions"]
    posts = counts["posts"]
    print(f"size={args.size} seed={args.seed} out={out}")
    print(f"time_s={elapsed:.1f}")
    print(f"files={summary.files} bytes={summary.bytes} ({summary.bytes / 1e9:.2f} GB)")
    print(f"peak_rss_mib={peak_mib:.0f}")
    print(
        f"accounts={counts['accounts']['total']} posts={posts['total']} "
        f"interactions={interactions['total']}"
    )
    print(
        "interactions_by_kind="
        + ", ".join(f"{k}:{v}" for k, v in interactions.items() if k != "total")
    )
    rate = (posts["total"] + interactions["total"]) / elapsed
    print(f"records_per_s={rate:.0f}")
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
