"""Export timings and peak memory at 100K rows (issue 8): the discovery results of a
scored world written as CSV and as XLSX by the code the export task runs
(``reports.services.export_run``: rows streamed from a server-side cursor in chunks,
flags per chunk, CSV row by row, openpyxl write-only XLSX).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pp_h7_bench \\
        .venv/bin/python bench/exports.py --write [--formats csv,xlsx] [--json out.json]

The database must be a scored world you may write to: a copy of ``bench/score_world.py``'s
100K-account world (program ``bench-score``, 52K candidates), e.g.
``createdb -T pp_h5_bench_score_100k_1m pp_h7_bench``. ``--write`` says so: the script
adds, once, a second program (``bench-export-2``) whose succeeded run holds a copy of
``bench-score``'s latest scores (so that discovery over both lists 104K rows), a user
who is a member of both, and the export rows it times.

Each export runs in a fresh child process (Django set up, nothing else loaded), so
its peak RSS (``ru_maxrss``) is its own; the child also reports its RSS before the
export (the baseline: Python, Django, openpyxl imported), so "export RSS" is what
writing the file added. Two sizes show whether memory grows with the rows: one
program (52K rows) and both programs (104K rows). The machine is shared: the
wall-clock figures move by 10-20 % between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOURCE_SLUG = "bench-score"
COPY_SLUG = "bench-export-2"
USERNAME = "bench-exporter"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


def _rss_mb() -> float:
    """Current resident set size of this process (MiB), from /proc."""
    with Path("/proc/self/statm").open() as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def seed() -> dict:
    """The second program with a copy of the scores, and the user (idempotent)."""
    from django.db import connection, transaction

    from vetting.constants import ROLE_ANALYST
    from vetting.models import InfluencerScore, Program, ScoringRun
    from vetting.selectors import program_latest_run
    from vetting.services import user_create

    source = Program.objects.get(slug=SOURCE_SLUG)
    run = program_latest_run(source)
    if run is None:
        raise SystemExit(f"{SOURCE_SLUG} has no succeeded run: score it first.")
    with transaction.atomic():
        copy, created = Program.objects.get_or_create(
            slug=COPY_SLUG,
            defaults={
                "name": "Bench export copy",
                "therapeutic_area": source.therapeutic_area,
                "platforms": source.platforms,
            },
        )
        copy_run = program_latest_run(copy)
        if copy_run is None:
            copy_run = ScoringRun.objects.create(
                program=copy,
                status=ScoringRun.Status.SUCCEEDED,
                scoring_version=run.scoring_version,
                started_at=run.started_at,
                finished_at=run.finished_at,
                accounts_scored=run.accounts_scored,
            )
            columns = [
                f.column
                for f in InfluencerScore._meta.concrete_fields
                if f.column not in ("id", "run_id", "program_id")
            ]
            names = ", ".join(f'"{c}"' for c in columns)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO vetting_influencerscore (run_id, program_id, {names}) "
                    f"SELECT %s, %s, {names} FROM vetting_influencerscore "
                    "WHERE run_id = %s",
                    [copy_run.pk, copy.pk, run.pk],
                )
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(username=USERNAME).first()
        if user is None:
            user = user_create(
                username=USERNAME,
                password="correct horse battery staple 91",
                role=ROLE_ANALYST,
            )
        source.members.add(user)
        copy.members.add(user)
    if created:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE vetting_influencerscore")
    counts = {
        "source_rows": InfluencerScore.objects.filter(run=run).count(),
        "copy_rows": InfluencerScore.objects.filter(run=copy_run).count(),
    }
    return counts


def child(args: argparse.Namespace) -> None:
    """One export in this (fresh) process; prints a JSON line with the figures."""
    _setup_django()
    import openpyxl  # noqa: F401  (part of the baseline, as in a worker)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from reports import services
    from reports.models import Export
    from vetting.discovery import latest_run_ids_for_user

    user = get_user_model().objects.get(username=USERNAME)
    query = {"program": [args.program]} if args.program else {}
    export = Export.objects.create(
        kind=Export.Kind.DISCOVERY,
        format=args.fmt,
        filters={"query": query, "run_ids": latest_run_ids_for_user(user)},
        requested_by=user,
    )
    connection.queries_log.clear()
    baseline = _rss_mb()
    started = time.perf_counter()
    cpu = time.process_time()
    done = services.export_run(export_id=export.pk)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "format": args.fmt,
                "program": args.program or "both",
                "status": done.status,
                "error": done.error,
                "rows": done.rows_done,
                "bytes": done.size_bytes,
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu, 2),
                "rows_per_second": round(done.rows_done / seconds) if seconds else 0,
                "baseline_rss_mb": round(baseline, 1),
                "peak_rss_mb": round(peak, 1),
                "export_rss_mb": round(peak - baseline, 1),
                "file": str(services.export_path(done)),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="the database is yours")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--json", help="write the figures here too")
    parser.add_argument("--keep-files", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fmt", help=argparse.SUPPRESS)
    parser.add_argument("--program", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if not args.write:
        raise SystemExit(
            "This adds a program, a user and exports to the database of DATABASE_URL; "
            "run it on a copy of the 100K world with --write."
        )
    os.environ.setdefault(
        "MEDIA_ROOT", str(Path("/tmp") / "peerproof-bench" / "exports-media")
    )
    _setup_django()
    counts = seed()
    print(
        f"world: {counts['source_rows']:,} candidates in {SOURCE_SLUG}, "
        f"{counts['copy_rows']:,} in {COPY_SLUG}"
    )
    results = []
    for program in (SOURCE_SLUG, ""):
        for fmt in args.formats.split(","):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    "--fmt",
                    fmt,
                    "--program",
                    program,
                ],
                capture_output=True,
                text=True,
                env=os.environ,
                check=False,
            )
            if out.returncode != 0:
                print(out.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"the {fmt} export failed")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(result)
            if not args.keep_files:
                Path(result["file"]).unlink(missing_ok=True)
    header = (
        f"{'rows':>8} {'format':>6} {'seconds':>8} {'rows/s':>8} {'cpu s':>6} "
        f"{'file MB':>8} {'base RSS':>9} {'peak RSS':>9} {'export RSS':>10}"
    )
    print(header)
    for r in results:
        print(
            f"{r['rows']:>8,} {r['format']:>6} {r['seconds']:>8.1f} "
            f"{r['rows_per_second']:>8,} {r['cpu_seconds']:>6.1f} "
            f"{r['bytes'] / 2**20:>8.1f} {r['baseline_rss_mb']:>7.0f}MB "
            f"{r['peak_rss_mb']:>7.0f}MB {r['export_rss_mb']:>8.0f}MB"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
