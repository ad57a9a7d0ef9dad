"""Compliance-rule throughput on generated posts, against a plain regex baseline.

    .venv/bin/python bench/scan.py                    # 20,000 posts
    .venv/bin/python bench/scan.py --posts 1000000    # the 1M-post memory check
    .venv/bin/python bench/scan.py --world /tmp/world # the demo world's post texts

Issue 5 item 7 asks for >= 2,000 posts/s per core for the full rule set and a scan of
1M stored posts in bounded memory. In one process (one core) and one run this:

1. builds the product knowledge from the bundled SPL labels, warms the drug
   dictionary and loads the adverse-event text model (both one-off loads are
   timed separately);
2. (a) baseline: one compiled regex (product aliases + a few claim words) over every
   text, the cheapest pass that still reads each post;
3. (b) the full rule set (``compliance.rules.rules_run``) over the same texts, posts
   generated on the fly (never all in memory), with 1 in 5 authors given payments.

Prints posts/s for both, the ratio (b)/(a), hits per rule, and the peak RSS before and
after. The database scan (``compliance.services.posts_scan``) reads posts in keyset
chunks of 1,000 and keeps nothing between chunks, so its memory is bounded the same
way; its extra cost is the two queries and one bulk insert per chunk.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")

PRODUCTS = [
    "Eliquis",
    "#Eliquis",
    "apixaban",
    "Humira",
    "#humira",
    "adalimumab",
    "Lipitor",
    "atorvastatin",
    "lipiter",
    "eliquiss",
    "zoloft",
    "metformin",
]
CONDITIONS = [
    "AFib",
    "DVT",
    "RA",
    "Crohn's",
    "high cholesterol",
    "LV thrombus",
    "long COVID",
    "alopecia",
    "psoriasis",
    "mechanical valves",
    "VTE in kids",
]
OPENERS = ["Clinic update:", "Honestly,", "PSA:", "Case from clinic:", "", "", "🩺"]
CLAIMS = [
    "works well for",
    "made a difference in",
    "is a miracle for",
    "has helped my patients with",
    "is not approved for",
    "is being tried in",
]
TAILS = [
    "Main risk is bleeding; see the PI.",
    "Boxed warning: serious infections.",
    "No side effects!",
    "#ad",
    "Thanks @brand for sponsoring!",
    "Use code DOC20.",
    "",
    "",
    "#MedSky #cardiology #health #wellness #ad",
    "https://example.org/pi",
]
EVENTS = [
    "My patient developed a GI bleed on {p}.",
    "{p} gave me awful headaches.",
    "A 67-year-old woman on {p} had dizziness.",
    "No nausea at all on {p}.",
]
OFFTOPIC = [
    "Beautiful run before clinic.",
    "Grand rounds today. #MedSky",
    "Reading on call tonight 📚",
    "Kids' soccer in the rain.",
]


def generated_posts(count: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(count):
        roll = rng.random()
        if roll < 0.45:
            yield rng.choice(OFFTOPIC)
        elif roll < 0.55:
            yield rng.choice(EVENTS).format(p=rng.choice(PRODUCTS))
        else:
            yield " ".join(
                part
                for part in (
                    rng.choice(OPENERS),
                    rng.choice(PRODUCTS),
                    rng.choice(CLAIMS),
                    rng.choice(CONDITIONS) + ".",
                    rng.choice(TAILS),
                )
                if part
            )


def world_posts(world: Path, count: int) -> Iterator[str]:
    path = world / "truth" / "compliance-corpus.jsonl"
    sent = 0
    while sent < count:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)["text"]
                sent += 1
                if sent >= count:
                    return


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--world", type=Path, default=None)
    args = parser.parse_args()

    import django

    django.setup()
    from compliance.knowledge import knowledge_from_spl_files
    from compliance.ml.ae_model import ae_model_load
    from compliance.rules import PaymentInfo, PostInput, rules_run
    from compliance.rules.drugs import drug_lookup_warm

    started = time.perf_counter()
    drug_lookup_warm()
    warm = time.perf_counter() - started
    started = time.perf_counter()
    ae_model = ae_model_load()
    ae_model.weight(())  # builds its lookup table
    model_warm = time.perf_counter() - started
    folder = ROOT / "fixtures" / "reference" / "spl-labels"
    knowledge = knowledge_from_spl_files(sorted(folder.glob("*.xml")))
    aliases = sorted(
        {a for p in knowledge.products for a in p.aliases}, key=len, reverse=True
    )
    baseline_re = re.compile(
        r"(?<![\w])#?(?:"
        + "|".join(map(re.escape, aliases))
        + r"|miracle|cure|#ad|sponsor\w*|bleed\w*)(?![\w])",
        re.IGNORECASE,
    )
    payments = (PaymentInfo("AbbVie Inc.", 2500.0, date(2024, 5, 1), "Consulting Fee"),)
    posted = datetime(2025, 6, 1, tzinfo=UTC)

    def texts() -> Iterator[str]:
        if args.world:
            return world_posts(args.world, args.posts)
        return generated_posts(args.posts, args.seed)

    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    base_hits = sum(1 for text in texts() if baseline_re.search(text))
    baseline = time.perf_counter() - t0

    counts: Counter[str] = Counter()
    t0 = time.perf_counter()
    for n, text in enumerate(texts()):
        post = PostInput(
            text=text,
            posted_at=posted,
            author_npi="1234567893",
            payments=payments if n % 5 == 0 else (),
        )
        for hit in rules_run(post, knowledge):
            counts[hit.code] += 1
    full = time.perf_counter() - t0

    n = args.posts
    print(
        f"posts: {n:,} ({'demo world ' + str(args.world) if args.world else 'generated'})"
    )
    print(f"drug dictionary import (once per process): {warm:.2f} s")
    print(
        f"adverse-event text model load (once per process): {model_warm:.2f} s "
        f"(version {ae_model.version}, {len(ae_model.indices):,} buckets)"
    )
    print(
        f"(a) baseline regex pass: {n / baseline:,.0f} posts/s ({base_hits:,} matched)"
    )
    print(f"(b) full rule set:       {n / full:,.0f} posts/s on one core")
    print(f"(b)/(a): {baseline / full:.3f}   target (b) >= 2,000 posts/s per core")
    print(
        "hits: "
        + ", ".join(f"{code} {count:,}" for code, count in sorted(counts.items()))
    )
    print(
        f"peak RSS: {rss_before:.0f} MB before the passes, {peak_rss_mb():.0f} MB after"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
