"""Authenticity flag precision / recall against the demo world's truth.

    python bench/authenticity_quality.py [/tmp/pp_inputs/small.pkl] [--truth DIR] [--ref]

The pickle holds ``{"inputs": ScoringInputs, "params": ScoringParams, "truth":
{"dir": ...}}`` with an extra ``external_id`` column on ``inputs.accounts``. Truth:
``amplified_accounts.csv`` (bot-ring boosted and pod accounts) and ``accounts.csv``
(roles, for the breakdown of false flags). Only accounts with posts are scored.
``--ref`` also runs the reference implementation and checks it agrees.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vetting.scoring import authenticity  # noqa: E402


def measure(scores: pd.DataFrame, accounts: pd.DataFrame, truth_dir: Path) -> dict:
    amplified = pd.read_csv(truth_dir / "amplified_accounts.csv", dtype=str)
    truth = pd.read_csv(truth_dir / "accounts.csv", dtype=str)
    key = accounts["platform"].astype(str) + "|" + accounts["external_id"].astype(str)
    amp_keys = set(amplified["platform"] + "|" + amplified["external_id"])
    role = dict(
        zip(truth["platform"] + "|" + truth["external_id"], truth["role"], strict=False)
    )
    keys = key.reindex(scores.index)
    is_amp = keys.isin(amp_keys).to_numpy()
    flagged = scores["flagged"].to_numpy(bool)
    tp = int((flagged & is_amp).sum())
    fp = int((flagged & ~is_amp).sum())
    fn = int((~flagged & is_amp).sum())
    false_roles = Counter(role.get(k, "?") for k in keys[flagged & ~is_amp])
    missed_roles = Counter(role.get(k, "?") for k in keys[~flagged & is_amp])
    signals = Counter(f["signal"] for fl in scores["flags"][flagged] for f in fl)
    return {
        "scored": len(scores),
        "amplified_with_posts": int(is_amp.sum()),
        "flagged": int(flagged.sum()),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "recall": tp / (tp + fn) if tp + fn else float("nan"),
        "false_flag_roles": dict(false_roles),
        "missed_roles": dict(missed_roles),
        "signals": dict(signals),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pickle", nargs="?", default="/tmp/pp_inputs/small.pkl")
    parser.add_argument("--truth", default=None)
    parser.add_argument("--ref", action="store_true")
    parser.add_argument("--show", type=int, default=5, help="print evidence of N flags")
    args = parser.parse_args()
    with Path(args.pickle).open("rb") as fh:
        data = pickle.load(fh)
    inputs, params = data["inputs"], data["params"]
    truth_dir = Path(
        args.truth or data.get("truth", {}).get("dir", "/tmp/pp_inputs/world/truth")
    )
    started = time.perf_counter()
    scores = authenticity.authenticity_scores(inputs, params)
    elapsed = time.perf_counter() - started
    result = measure(scores, inputs.accounts, truth_dir)
    print(
        f"accounts {len(inputs.accounts):,}  edges {len(inputs.edges):,}  posts {len(inputs.posts):,}"
    )
    print(f"authenticity_scores: {elapsed:.2f} s")
    for k, v in result.items():
        print(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}")
    for account, row in scores[scores["flagged"]].head(args.show).iterrows():
        for flag in row["flags"]:
            print(f"  {account}: [{flag['signal']}] {flag['evidence']}")
    if args.ref:
        from vetting.scoring import authenticity_ref

        started = time.perf_counter()
        ref = authenticity_ref.authenticity_scores(inputs, params)
        print(f"reference: {time.perf_counter() - started:.1f} s")
        diff = (scores["authenticity"] - ref["authenticity"]).abs().max()
        same_flags = scores["flags"].tolist() == ref["flags"].tolist()
        print(f"max |fast - ref| authenticity: {diff:.2e}; same flags: {same_flags}")


if __name__ == "__main__":
    main()
