"""Precision and recall of account-to-clinician linking against the demo world's truth.

    .venv/bin/python bench/link_quality.py                      # --size small --seed 7
    .venv/bin/python bench/link_quality.py --size 100k          # ~90 s to generate
    .venv/bin/python bench/link_quality.py --world /tmp/world   # an existing world

The world is read the way production reads it, without a database: profile recordings
through the platform connectors (``listening.connectors``; Mastodon profile fields end
up in the bio), clinicians through the NPI Registry API parser
(``influencers.verification.nppes_client``) and the bundled NUCC taxonomy, then
``influencers.linking.accounts_match``. Against ``truth/accounts.csv`` it prints:

- precision = correct links / links made (a link is correct when its NPI is the
  account's true NPI), overall and per link method made;
- recall = correct links / linkable accounts (``link_method_expected`` != none), overall
  and per expected method, and recall over every clinician account;
- the matcher's time (index build + matching).

``tests/influencers/test_linking.py`` asserts the small world's figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

from influencers.linking import (  # noqa: E402
    AccountInput,
    ClinicianInput,
    LinkResult,
    Taxonomy,
    accounts_match,
    clinician_index_build,
)

NUCC_CSV = ROOT / "fixtures" / "reference" / "nucc-taxonomy" / "nucc_taxonomy_251.csv"
LINKABLE = ("npi-in-bio", "name+specialty")


def nucc_taxonomies(path: Path = NUCC_CSV) -> dict[str, Taxonomy]:
    """NUCC code -> ``Taxonomy`` (classification and specialization words)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {
            row["Code"].strip(): Taxonomy.of(
                row["Classification"], row["Specialization"]
            )
            for row in csv.DictReader(handle)
        }


def world_clinicians(world: Path) -> list[ClinicianInput]:
    """Every clinician of ``world/clinicians/*.json``, newest record per NPI."""
    from influencers.verification.nppes_client import (
        parse_npi_record,
        records_from_response,
    )

    taxonomy_words = nucc_taxonomies()
    newest: dict[str, tuple[int, object]] = {}
    for path in sorted((world / "clinicians").glob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        for record in records_from_response(payload):
            parsed = parse_npi_record(record)
            epoch = int(record.get("last_updated_epoch") or 0)
            if parsed.npi not in newest or epoch > newest[parsed.npi][0]:
                newest[parsed.npi] = (epoch, parsed)
    clinicians = []
    for _, parsed in newest.values():
        ordered = sorted(
            parsed.taxonomies, key=lambda t: (not t.is_primary, t.position)
        )
        clinicians.append(
            ClinicianInput(
                key=parsed.npi,
                npi=parsed.npi,
                first_name=parsed.first_name,
                last_name=parsed.last_name,
                middle_name=parsed.middle_name,
                credential=parsed.credential,
                entity_type=parsed.entity_type,
                organization_name=parsed.organization_name,
                taxonomies=tuple(
                    taxonomy_words[t.code] for t in ordered if t.code in taxonomy_words
                ),
                licenses=tuple(
                    (t.state if len(t.state) == 2 else "", t.license)
                    for t in ordered
                    if t.license
                ),
                practice_city=parsed.practice_city,
                practice_state=parsed.practice_state,
            )
        )
    return clinicians


def world_accounts(world: Path) -> list[AccountInput]:
    """Every account of the profile recordings, as last recorded."""
    from listening.connectors import get_connector, read_recording

    latest: dict[tuple[str, str], object] = {}
    for platform in ("bluesky", "mastodon"):
        connector = get_connector(platform)
        for path in sorted((world / platform).glob("profiles-*.jsonl")):
            for line in read_recording(path):
                if not line.ok:
                    continue
                for record in connector.parse(line.envelope).accounts:
                    latest[(record.platform, record.external_id)] = record
    return [
        AccountInput(
            key=key,
            handle=r.handle,
            display_name=r.display_name,
            bio=r.bio,
            url=r.url,
            platform=r.platform,
        )
        for key, r in latest.items()
    ]


@dataclass
class Truth:
    npi: str
    kind: str
    expected: str  # npi-in-bio, name+specialty, none, "" (not a clinician)


def world_truth(world: Path) -> dict[tuple[str, str], Truth]:
    with (world / "truth" / "accounts.csv").open(encoding="utf-8", newline="") as f:
        return {
            (row["platform"], row["external_id"]): Truth(
                row["npi"], row["kind"], row["link_method_expected"]
            )
            for row in csv.DictReader(f)
        }


def link_quality(
    results: list[LinkResult], truth: dict[tuple[str, str], Truth]
) -> dict:
    """Precision and recall (overall, per method made, per method expected)."""
    made: Counter = Counter()
    correct: Counter = Counter()
    expected: Counter = Counter()
    found: Counter = Counter()
    wrong: list[dict] = []
    for result in results:
        true = truth.get(result.account_key)
        label = true.expected if true and true.expected else "non-clinician"
        expected[label] += 1
        if not result.linked:
            continue
        made[result.method] += 1
        if true and result.npi == true.npi:
            correct[result.method] += 1
            found[label] += 1
        else:
            wrong.append(
                {
                    "account": result.account_key,
                    "true_npi": true.npi if true else "",
                    "linked_npi": result.npi,
                    "method": result.method,
                    "confidence": result.confidence,
                }
            )
    links, right = sum(made.values()), sum(correct.values())
    linkable = sum(expected[m] for m in LINKABLE)
    clinician_accounts = sum(expected[m] for m in (*LINKABLE, "none"))
    return {
        "links": links,
        "correct": right,
        "precision": right / links if links else 1.0,
        "recall_linkable": sum(found[m] for m in LINKABLE) / linkable
        if linkable
        else 1.0,
        "recall_all_clinician_accounts": sum(found[m] for m in (*LINKABLE, "none"))
        / clinician_accounts
        if clinician_accounts
        else 1.0,
        "precision_by_method": {
            m: {
                "links": made[m],
                "correct": correct[m],
                "precision": correct[m] / made[m],
            }
            for m in sorted(made)
        },
        "recall_by_expected": {
            m: {
                "accounts": expected[m],
                "found": found[m],
                "recall": found[m] / expected[m],
            }
            for m in sorted(expected)
            if m != "non-clinician"
        },
        "wrong_links": wrong,
    }


def world_link_quality(world: Path) -> dict:
    """Read ``world``, match every account, and score the links against the truth."""
    clinicians = world_clinicians(world)
    accounts = world_accounts(world)
    started = time.perf_counter()
    index = clinician_index_build(clinicians)
    built = time.perf_counter()
    results = accounts_match(accounts, index)
    done = time.perf_counter()
    quality = link_quality(results, world_truth(world))
    quality.update(
        accounts=len(accounts),
        clinicians=len(clinicians),
        index_seconds=round(built - started, 2),
        match_seconds=round(done - built, 2),
    )
    return quality


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="small", choices=("small", "100k", "1m"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--world", type=Path, help="an already generated world")
    parser.add_argument("--show-wrong", type=int, default=10)
    args = parser.parse_args()
    import django

    django.setup()
    if args.world:
        world = args.world
    else:
        from demoworld import generate_world

        world = Path(tempfile.mkdtemp(prefix=f"pp-link-{args.size}-"))
        started = time.perf_counter()
        generate_world(out_dir=world, size=args.size, seed=args.seed)
        print(f"generated {world} in {time.perf_counter() - started:.1f} s")
    q = world_link_quality(world)
    print(
        f"{q['accounts']:,} accounts, {q['clinicians']:,} clinicians; index "
        f"{q['index_seconds']} s, matching {q['match_seconds']} s"
    )
    print(
        f"links made {q['links']:,}, correct {q['correct']:,}: precision "
        f"{q['precision']:.4f}; recall on linkable accounts {q['recall_linkable']:.4f}; "
        f"recall on all clinician accounts {q['recall_all_clinician_accounts']:.4f}"
    )
    print("precision by method made:")
    for method, row in q["precision_by_method"].items():
        print(
            f"  {method:15} {row['correct']:>7,}/{row['links']:<7,} {row['precision']:.4f}"
        )
    print("recall by method expected (truth):")
    for method, row in q["recall_by_expected"].items():
        print(
            f"  {method:15} {row['found']:>7,}/{row['accounts']:<7,} {row['recall']:.4f}"
        )
    for row in q["wrong_links"][: args.show_wrong]:
        print(f"  wrong: {row}")


if __name__ == "__main__":
    main()
