"""``python -m demoworld --size small --seed 7 --out DIR``: write a demo world."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from demoworld.config import SIZES
from demoworld.generate import generate_world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demoworld", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    args = parser.parse_args(argv)
    summary = generate_world(out_dir=args.out, size=args.size, seed=args.seed)
    counts = summary.counts
    sys.stdout.write(
        f"wrote {summary.files} files ({summary.bytes / 1e6:.1f} MB) to {summary.out_dir} "
        f"in {summary.seconds:.1f}s: {counts['accounts']['total']} accounts, "  # type: ignore[index]
        f"{counts['posts']['total']} posts, "  # type: ignore[index]
        f"{counts['interactions']['total']} interactions\n"  # type: ignore[index]
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
