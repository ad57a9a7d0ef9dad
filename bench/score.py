"""Scoring benchmark (issue 6): the whole scoring run against the networkx reference.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pp_h4 \\
        .venv/bin/python bench/score.py --sizes 10k,100k [--reference-at-1m]

Sizes: ``10k`` = 10K accounts / 100K interactions, ``100k`` = 100K / 1M, ``1m`` =
1M / 10M. For each size the world comes from ``bench/score_world.py`` (its own
database ``<name>_bench_score_<size>`` on the server of ``DATABASE_URL``, generated
once and reused), then two fresh processes run, so that peak RSS is per size:

(a) FAST, the run as the services do it, in one process: ``scoring_run_create`` +
    ``scoring_run_prepare`` (fingerprint, load, hash, graph, candidates, parts, the
    work files), every ``scoring_run_part`` (each reads what it uses back from the
    work directory, as a Celery task does), ``scoring_run_finish`` (composite +
    binary COPY of the InfluencerScore rows). Then a second run with the tables
    unchanged: the SKIPPED path (the fingerprint matches, nothing is loaded).
(b) REFERENCE, on the same data in a second process: ``scoring_inputs_load`` once
    (and ``inputs_hash`` timed alone), then in memory, over every part of the
    pipeline (``parts`` / ``score_part`` / ``combine_parts`` / ``composite_scores``,
    i.e. ``pipeline.score_all``):
    - the fast pipeline (``engine="fast"``);
    - the networkx pipeline: the graph scores of ``graph_nx`` (networkx), the other
      scorers in their array form. Their plain-Python references
      (``activity_ref``, ``authenticity_ref``) loop over every edge once per
      account, O(accounts x edges): about 660 s at 2K accounts / 20K edges, so they
      cannot run at these sizes; they are exercised by
    - the full reference engine (``engine="reference"``) on ``--check-accounts``
      sampled candidates at the smallest size, to check the composite.
    The composites and the nine components are compared (max |diff|, ranks).
    At 1m the networkx pipeline is extrapolated from the 10k and 100k timings of the
    same run with a power law in the edge count, unless ``--reference-at-1m``.

The figures that matter are the ratios: networkx seconds / fast end-to-end seconds
(the fast side pays for the load and the writes, the networkx side does not), and
networkx / fast compute on the same loaded inputs. Targets (2-core machine):
100k end to end < 15 s; 1m < 3 min with peak RSS < 4 GB; networkx / fast >= 30x.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SIZES = {
    "10k": (10_000, 100_000),
    "100k": (100_000, 1_000_000),
    "1m": (1_000_000, 10_000_000),
}
TARGETS = {  # size -> (end-to-end seconds, peak RSS MB, reference / fast)
    "100k": (15.0, None, 30.0),
    "1m": (180.0, 4096.0, 30.0),
}
RESULT = "RESULT "


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _django(url: str, work_dir: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["SCORING_WORK_DIR"] = work_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    import django

    django.setup()


def worker_fast(url: str, rerun: bool = True) -> dict:
    """(a) one full run through the services, then one unchanged (SKIPPED) run."""
    with tempfile.TemporaryDirectory(prefix="pp-bench-score-") as work_dir:
        _django(url, work_dir)
        from django.db import connection
        from score_world import PROGRAM_SLUG

        from vetting import services
        from vetting.models import Program, ScoringRun

        with connection.cursor() as cursor:  # a clean slate: the first run computes
            cursor.execute("TRUNCATE vetting_influencerscore")
            cursor.execute("DELETE FROM vetting_scoringrun")
        program = Program.objects.get(slug=PROGRAM_SLUG)
        rss_start = peak_rss_mb()

        steps: dict[str, float] = {}
        t0 = time.perf_counter()
        run, _ = services.scoring_run_create(program=program)
        prepared = services.scoring_run_prepare(run_id=run.pk)
        steps["create+prepare"] = time.perf_counter() - t0
        if prepared.skipped:
            raise SystemExit("the first run was SKIPPED: the reset did not work")
        part_seconds = []
        for key, _size in prepared.parts:
            t = time.perf_counter()
            services.scoring_run_part(run_id=run.pk, key=key)
            part_seconds.append(time.perf_counter() - t)
        steps["parts"] = sum(part_seconds)
        t = time.perf_counter()
        run = services.scoring_run_finish(run_id=run.pk)
        steps["finish"] = time.perf_counter() - t
        total = time.perf_counter() - t0
        rss_run = peak_rss_mb()
        if run.status != ScoringRun.Status.SUCCEEDED:
            raise SystemExit(f"run ended {run.status}: {run.error}")

        skip_seconds, was_skipped = float("nan"), None
        if rerun:
            t = time.perf_counter()
            again, _ = services.scoring_run_create(program=program)
            was_skipped = services.scoring_run_prepare(run_id=again.pk).skipped
            skip_seconds = time.perf_counter() - t
        return {
            "total": total,
            "steps": steps,
            "service_timings": run.timings,
            "parts": len(part_seconds),
            "part_max": max(part_seconds, default=0.0),
            "accounts_scored": run.accounts_scored,
            "edges": run.edges,
            "inputs": run.parameters.get("inputs", {}),
            "skipped": was_skipped,
            "skip_seconds": skip_seconds,
            "rss_start_mb": rss_start,
            "rss_peak_mb": rss_run,
        }


SCORER_MODULES = {  # engine -> (graph, activity, authenticity) as in pipeline.ENGINES
    # the networkx pipeline: networkx graph scores; activity and authenticity have no
    # networkx form, so they run their array version (their plain-Python references
    # loop over every edge once per account: see ``--check-accounts``)
    "networkx": (
        "vetting.scoring.graph_nx",
        "vetting.scoring.activity",
        "vetting.scoring.authenticity",
    ),
    "fast": (
        "vetting.scoring.graph",
        "vetting.scoring.activity",
        "vetting.scoring.authenticity",
    ),
    "reference": (
        "vetting.scoring.graph_nx",
        "vetting.scoring.activity_ref",
        "vetting.scoring.authenticity_ref",
    ),
}


def timed_engine(engine: str, sink: dict[str, float]) -> str:
    """Register an engine in ``pipeline.ENGINES`` whose scorers (``*_scores``) add
    their seconds to ``sink``; return its name. Nothing outside this process changes."""
    import importlib
    import types

    from vetting.scoring import pipeline

    names = []
    for module_name in SCORER_MODULES[engine]:
        module = importlib.import_module(module_name)
        fake = types.ModuleType(
            f"bench_timed_{engine}_{module_name.rsplit('.', 1)[-1]}"
        )
        for attr in dir(module):
            obj = getattr(module, attr)
            if attr.endswith("_scores") and callable(obj):

                def wrapped(*args, _f=obj, _name=attr, **kwargs):
                    t = time.perf_counter()
                    try:
                        return _f(*args, **kwargs)
                    finally:
                        key = _name.removesuffix("_scores")
                        sink[key] = sink.get(key, 0.0) + time.perf_counter() - t

                setattr(fake, attr, wrapped)
            else:
                setattr(fake, attr, obj)
        sys.modules[fake.__name__] = fake
        names.append(fake.__name__)
    pipeline.ENGINES[f"timed_{engine}"] = tuple(names)
    return f"timed_{engine}"


def worker_reference(url: str, reference: bool, check_accounts: int) -> dict:
    """(b) the fast and the networkx pipelines on the same loaded inputs, in memory;
    the full reference engine on a sample of candidates."""
    with tempfile.TemporaryDirectory(prefix="pp-bench-score-") as work_dir:
        _django(url, work_dir)
        import numpy as np
        import pandas as pd
        from score_world import PROGRAM_SLUG

        from vetting.inputs import inputs_hash, scoring_inputs_load
        from vetting.models import Program
        from vetting.scoring.pipeline import (
            candidates,
            combine_parts,
            composite_scores,
            parts,
            score_part,
        )
        from vetting.services import program_params

        def score_accounts(accounts, engine: str) -> pd.DataFrame:
            """``pipeline.score_all`` for any accounts: every part, one process."""
            frames = [
                score_part(inputs, params, p.accounts, kind=p.kind, engine=engine)
                for p in parts(inputs, accounts)
            ]
            return composite_scores(combine_parts(frames, accounts), inputs, params)

        program = Program.objects.select_related("therapeutic_area").get(
            slug=PROGRAM_SLUG
        )
        params = program_params(program)
        area = program.therapeutic_area
        t = time.perf_counter()
        loaded = scoring_inputs_load(
            params=params, lexicon=list(area.lexicon), hashtags=list(area.hashtags)
        )
        load = time.perf_counter() - t
        inputs = loaded.inputs
        hash_seconds = float("nan")
        if len(inputs.edges) <= 2_000_000:  # at 1m it takes minutes: not twice
            t = time.perf_counter()
            inputs_hash(inputs, params)
            hash_seconds = time.perf_counter() - t
        chosen = candidates(inputs, params)
        split = parts(inputs, chosen)

        fast_steps: dict[str, float] = {}
        engine = timed_engine("fast", fast_steps)
        t = time.perf_counter()
        fast = score_accounts(chosen, engine)
        fast_seconds = time.perf_counter() - t
        out = {
            "load": load,
            "hash": hash_seconds,
            "edges": len(inputs.edges),
            "candidates": len(chosen),
            "parts": len(split),
            "fast_compute": fast_seconds,
            "fast_scorers": fast_steps,
            "rss_fast_mb": peak_rss_mb(),
        }

        def compare(ref: pd.DataFrame) -> dict:
            index = ref.index
            result = {}
            for column in ["composite"] + [
                c for c in fast.columns if c.startswith("value_")
            ]:
                a = fast[column].reindex(index).to_numpy(float)
                b = ref[column].to_numpy(float)
                both = ~np.isnan(a) & ~np.isnan(b)
                result[column.removeprefix("value_")] = {
                    "max_abs_diff": float(np.abs(a - b)[both].max())
                    if both.any()
                    else 0.0,
                    "nan_mismatch": int((np.isnan(a) != np.isnan(b)).sum()),
                }
            return result

        if reference:
            nx_steps: dict[str, float] = {}
            engine = timed_engine("networkx", nx_steps)
            t = time.perf_counter()
            ref = score_accounts(chosen, engine)
            out["reference"] = time.perf_counter() - t
            out["reference_scorers"] = nx_steps
            out["rss_reference_mb"] = peak_rss_mb()
            out["reference_diff"] = compare(ref)
            out["rank_mismatch"] = int(
                (
                    fast["rank"].to_numpy()
                    != ref["rank"].reindex(fast.index).to_numpy()
                ).sum()
            )
            del ref
        if check_accounts:
            # half with a specialty (graph parts), half without
            rng = np.random.default_rng(1)
            spec = inputs.accounts["specialty"].reindex(chosen).fillna("").to_numpy()
            sample = np.sort(
                np.concatenate(
                    [
                        rng.choice(pool, min(len(pool), k), replace=False)
                        for pool, k in (
                            (chosen[spec != ""], check_accounts - check_accounts // 2),
                            (chosen[spec == ""], check_accounts // 2),
                        )
                    ]
                )
            )
            full_steps: dict[str, float] = {}
            engine = timed_engine("reference", full_steps)
            t = time.perf_counter()
            ref = score_accounts(sample, engine)
            out["full_reference"] = {
                "accounts": len(sample),
                "seconds": time.perf_counter() - t,
                "scorers": full_steps,
                "diff": compare(ref),
            }
        return out


def spawn(
    mode: str,
    url: str,
    reference: bool = True,
    check_accounts: int = 0,
    rerun: bool = True,
) -> dict:
    """Run one worker in a fresh process; return its result (and its peak RSS)."""
    command = [sys.executable, __file__, "--worker", mode, "--url", url]
    if not rerun:
        command.append("--no-rerun")
    command += ["--check-accounts", str(check_accounts)]
    if not reference:
        command.append("--no-reference")
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT):
            result = json.loads(line[len(RESULT) :])
    if proc.returncode or result is None:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-8000:])
        raise SystemExit(f"the {mode} worker failed (exit {proc.returncode})")
    result["wall"] = wall
    return result


def _fmt(steps: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in steps.items())


def _diff(diff: dict) -> str:
    return ", ".join(
        f"{k} {v['max_abs_diff']:.1e}"
        + (f" ({v['nan_mismatch']} NaN)" if v["nan_mismatch"] else "")
        for k, v in diff.items()
    )


def power_law(
    x1: float, y1: float, x2: float, y2: float, x: float
) -> tuple[float, float]:
    """``y`` at ``x`` on the line through (x1, y1), (x2, y2) in log-log; and the
    exponent."""
    exponent = math.log(y2 / y1) / math.log(x2 / x1)
    return y2 * (x / x2) ** exponent, exponent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10k,100k", help="of 10k, 100k, 1m")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reference-at-1m", action="store_true")
    parser.add_argument(
        "--fit-from",
        type=Path,
        help="a --json file of an earlier run holding 10k and 100k: extrapolate the 1m "
        "networkx time from it instead of measuring 10k and 100k again (the ratio then "
        "compares two runs: say so)",
    )
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument(
        "--no-rerun",
        action="store_true",
        help="skip the unchanged second run (it costs one more load)",
    )
    parser.add_argument("--force-world", action="store_true", help="regenerate worlds")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/peerproof"
        ),
    )
    parser.add_argument(
        "--check-accounts",
        type=int,
        default=30,
        help="candidates scored by the full reference engine (plain-Python activity "
        "and authenticity) at the smallest size, to check the composite (0 = skip)",
    )
    parser.add_argument(
        "--worker", choices=["fast", "reference"], help=argparse.SUPPRESS
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--no-reference", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker == "fast":
        print(RESULT + json.dumps(worker_fast(args.url, not args.no_rerun)))
        return 0
    if args.worker == "reference":
        result = worker_reference(args.url, not args.no_reference, args.check_accounts)
        print(RESULT + json.dumps(result))
        return 0

    from score_world import manage, world_ensure

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:  # also ACCOUNTSxINTERACTIONS, e.g. 2000x20000 (a smoke test)
        if size not in SIZES:
            try:
                SIZES[size] = tuple(int(v) for v in size.split("x", 1))
            except ValueError:
                parser.error(f"unknown size {size}: use {', '.join(SIZES)} or NxM")
    sizes.sort(key=lambda s: SIZES[s][1])
    fit_sizes = []
    earlier = json.loads(args.fit_from.read_text()) if args.fit_from else {}
    if "1m" in sizes and not args.reference_at_1m and not earlier:
        fit_sizes = [s for s in ("10k", "100k") if s not in sizes]
        if fit_sizes:
            print(
                f"the 1m reference is extrapolated: also measuring {', '.join(fit_sizes)}"
            )
    rows = {}
    for size in sorted(set(sizes) | set(fit_sizes), key=lambda s: SIZES[s][1]):
        accounts, interactions = SIZES[size]
        world = world_ensure(
            args.database_url,
            accounts=accounts,
            interactions=interactions,
            seed=args.seed,
            force=args.force_world,
        )
        state = "generated" if world["generated"] else "reused"
        print(
            f"[{size}] world {state}: {world['url'].rsplit('/', 1)[-1]} "
            f"(generation took {world['seconds']:.0f} s)"
        )
        if not world["generated"]:
            manage(world["url"], "migrate", "--verbosity", "0")  # the app moved on
        row = {
            "size": size,
            "accounts": accounts,
            "interactions": interactions,
            "world": world,
        }
        if size in sizes:
            row["fast"] = spawn("fast", world["url"], rerun=not args.no_rerun)
            f = row["fast"]
            print(
                f"[{size}] fast run: {f['total']:.2f} s, "
                + ", ".join(f"{k} {v:.2f} s" for k, v in f["steps"].items())
                + f", {f['parts']} parts, peak RSS {f['rss_peak_mb']:,.0f} MB; "
                + (
                    f"unchanged rerun {'SKIPPED' if f['skipped'] else 'NOT skipped'} "
                    f"in {f['skip_seconds']:.2f} s"
                    if f["skipped"] is not None
                    else "no unchanged rerun"
                )
            )
        measure_ref = size != "1m" or args.reference_at_1m
        # the plain-Python references loop over every edge per account: small only
        check = (
            args.check_accounts if size == sizes[0] and interactions <= 200_000 else 0
        )
        row["ref"] = spawn(
            "reference", world["url"], reference=measure_ref, check_accounts=check
        )
        r = row["ref"]
        line = (
            f"[{size}] same inputs in memory (load {r['load']:.2f} s, of which hash "
            f"{r['hash']:.2f} s): fast pipeline {r['fast_compute']:.2f} s"
        )
        if measure_ref:
            diff = r["reference_diff"]["composite"]
            line += (
                f", networkx pipeline {r['reference']:.2f} s "
                f"(peak RSS {r['rss_reference_mb']:,.0f} MB), composite max |diff| "
                f"{diff['max_abs_diff']:.2e}, rank mismatches {r['rank_mismatch']}"
            )
        print(line, flush=True)
        rows[size] = row

    # reference at 1m: measured or extrapolated from 10k and 100k (edges, seconds)
    if "1m" in rows and "reference" not in rows["1m"]["ref"]:
        source = rows if "10k" in rows and "100k" in rows else earlier
        if source is earlier:
            print(f"the 1m networkx time is extrapolated from {args.fit_from}")
        a, b = source["10k"]["ref"], source["100k"]["ref"]
        value, exponent = power_law(
            a["edges"],
            a["reference"],
            b["edges"],
            b["reference"],
            rows["1m"]["ref"]["edges"],
        )
        rows["1m"]["ref"]["reference"] = value
        rows["1m"]["ref"]["extrapolated"] = exponent

    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    print()
    head = (
        "| size | accounts | edges | fast total s | create+prepare s | parts s (n) "
        "| finish s | skipped rerun s | peak RSS MB | fast compute s | reference s "
        "| ref / fast total | ref / fast compute | targets |"
    )
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for size in sizes:
        row = rows[size]
        f, r = row["fast"], row["ref"]
        ref = r["reference"]
        ref_text = (
            f"{ref:,.1f} (extrapolated, exponent {r['extrapolated']:.2f})"
            if "extrapolated" in r
            else f"{ref:,.1f}"
        )
        ratio_total = ref / f["total"]
        ratio_compute = ref / r["fast_compute"]
        checks = []
        target = TARGETS.get(size)
        if target:
            seconds, rss, ratio = target
            checks.append(f"<{seconds:.0f} s {'yes' if f['total'] < seconds else 'NO'}")
            if rss:
                checks.append(
                    f"<{rss / 1024:.0f} GB {'yes' if f['rss_peak_mb'] < rss else 'NO'}"
                )
            checks.append(f">={ratio:.0f}x {'yes' if ratio_total >= ratio else 'NO'}")
        steps = f["steps"]
        print(
            f"| {size} | {row['accounts']:,} | {f['edges']:,} | {f['total']:.2f} "
            f"| {steps['create+prepare']:.2f} | {steps['parts']:.2f} ({f['parts']}) "
            f"| {steps['finish']:.2f} | {f['skip_seconds']:.2f} | {f['rss_peak_mb']:,.0f} "
            f"| {r['fast_compute']:.2f} | {ref_text} | {ratio_total:.1f}x "
            f"| {ratio_compute:.1f}x | {', '.join(checks) or '-'} |"
        )
    print()
    for size in sizes:
        f, r = rows[size]["fast"], rows[size]["ref"]
        print(f"[{size}] service timings: {f['service_timings']}; inputs {f['inputs']}")
        print(f"[{size}] fast scorers s: {_fmt(r['fast_scorers'])}")
        if "reference_scorers" in r:
            print(
                f"[{size}] networkx pipeline scorers s: {_fmt(r['reference_scorers'])}"
            )
            print(
                f"[{size}] fast vs networkx pipeline, max |diff|: {_diff(r['reference_diff'])}"
            )
        full = r.get("full_reference")
        if full:
            print(
                f"[{size}] full reference engine (networkx + plain-Python activity and "
                f"authenticity) on {full['accounts']} sampled candidates: "
                f"{full['seconds']:.1f} s ({_fmt(full['scorers'])}); max |diff| against "
                f"fast: {_diff(full['diff'])}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
