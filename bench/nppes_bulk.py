"""NPPES bulk loader throughput against a plain COPY of the same file, in one run.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pp_bench \\
        .venv/bin/python bench/nppes_bulk.py --rows 1000000

Steps (see bench/README.md):
1. generate a realistic ``npidata_pfile`` (real 330-column layout, Latin-1, CRLF) with
   ``npidata_write`` once, cached under ``--cache-dir``;
2. (a) plain ``COPY ... FROM STDIN (FORMAT csv, HEADER, ENCODING 'LATIN1')`` of the raw
   file bytes into an UNLOGGED table of 330 text columns: the floor for moving the
   file into PostgreSQL;
3. (b) ``clinicians_load_from_npidata`` on an empty ``Clinician`` table;
4. (c) the same file again (identical replay: nothing to write).

It TRUNCATEs ``influencers_clinician`` (CASCADE) of the database it is given, so it
refuses a database whose name does not contain "bench" unless ``--force``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

import psutil  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import DatabaseError, connection  # noqa: E402

from influencers.loaders.npidata_generator import npidata_write  # noqa: E402
from influencers.loaders.nppes_bulk import NCOLS, clinicians_load_from_npidata  # noqa: E402
from influencers.loaders.nucc import specialties_load  # noqa: E402
from influencers.models import Specialty  # noqa: E402


class RssSampler:
    """Peak resident memory of this process while a block runs (sampled every 50 ms)."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def backend_cpu_seconds() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend (same host only)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        cpu = psutil.Process(pid).cpu_times()
    except (psutil.Error, OSError):
        return None
    return cpu.user + cpu.system


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def checkpoint() -> None:
    # Needs superuser (or pg_checkpoint); without it the runs simply share WAL state.
    with connection.cursor() as cursor, contextlib.suppress(DatabaseError):
        cursor.execute("CHECKPOINT")


@dataclass
class Run:
    result: Any
    seconds: float
    client_cpu: float
    server_cpu: float | None
    peak_rss: int


def timed(label: str, fn: Callable[[], Any]) -> Run:
    """Run ``fn`` after a CHECKPOINT; wall time, CPU of both sides, peak RSS."""
    checkpoint()
    server0, client0 = backend_cpu_seconds(), own_cpu_seconds()
    with RssSampler() as rss:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    server1, client1 = backend_cpu_seconds(), own_cpu_seconds()
    server = server1 - server0 if server0 is not None and server1 is not None else None
    print(f"  {label}: {seconds:.1f} s", flush=True)
    return Run(result, seconds, client1 - client0, server, rss.peak)


def plain_copy(path: Path) -> int:
    """(a) COPY the raw file bytes into an UNLOGGED table of 330 text columns."""
    columns = ", ".join(f"c{i} text" for i in range(1, NCOLS + 1))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_npidata_raw")
        cursor.execute(f"CREATE UNLOGGED TABLE bench_npidata_raw ({columns})")
        with (
            cursor.copy(
                "COPY bench_npidata_raw FROM STDIN (FORMAT csv, HEADER, ENCODING 'LATIN1')"
            ) as copy,
            path.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        cursor.execute("SELECT count(*) FROM bench_npidata_raw")
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--batch-size", type=int, default=50_000)
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/peerproof-bench"))
    parser.add_argument("--repeats", type=int, default=1, help="rounds of (a)(b)(c)")
    parser.add_argument("--force", action="store_true", help="allow any database name")
    args = parser.parse_args()

    database = settings.DATABASES["default"]["NAME"]
    if "bench" not in database and not args.force:
        sys.exit(
            f"refusing to TRUNCATE influencers_clinician in {database!r}: use a "
            "database whose name contains 'bench' or pass --force"
        )
    if not Specialty.objects.exists():
        specialties_load(
            path=Path(settings.REFERENCE_DATA_DIR)
            / "nucc-taxonomy"
            / "nucc_taxonomy_251.csv"
        )

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    path = args.cache_dir / f"npidata_{args.rows}_{args.seed}.csv"
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        start = time.perf_counter()
        part = path.with_suffix(".part")
        summary = npidata_write(part, rows=args.rows, seed=args.seed)
        part.rename(path)
        seconds = time.perf_counter() - start
        print(
            f"  {summary.rows:,} rows ({summary.individuals:,} individuals, "
            f"{summary.organizations:,} organizations, {summary.deactivated_stubs:,} "
            f"deactivation stubs), {seconds:.1f} s = {summary.rows / seconds:,.0f} rows/s",
            flush=True,
        )
    size = path.stat().st_size
    print(
        f"file {path}: {args.rows:,} rows, {size / 1e9:.2f} GB "
        f"({size / max(args.rows, 1):,.0f} bytes/row); database {database}",
        flush=True,
    )

    def load():
        return clinicians_load_from_npidata(path=path, batch_size=args.batch_size)

    runs: dict[str, list[Run]] = {"a": [], "b": [], "c": []}
    for round_ in range(1, args.repeats + 1):
        print(f"round {round_} of {args.repeats}", flush=True)
        runs["a"].append(timed("(a) plain COPY", lambda: plain_copy(path)))
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_npidata_raw")
            cursor.execute("TRUNCATE influencers_clinician CASCADE")
        runs["b"].append(timed("(b) loader, empty table", load))
        with connection.cursor() as cursor:  # as autovacuum would have by next month
            cursor.execute("VACUUM (ANALYZE) influencers_clinician")
            cursor.execute("VACUUM (ANALYZE) influencers_cliniciantaxonomy")
        runs["c"].append(timed("(c) loader, identical replay", load))

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    def median_run(items: list[Run]) -> Run:
        return sorted(items, key=lambda run: run.seconds)[len(items) // 2]

    copy_run = median_run(runs["a"])
    copy_rate = args.rows / copy_run.seconds
    print()
    print(
        f"median of {args.repeats} round(s); file {size / 1e9:.2f} GB, "
        f"{args.rows:,} rows; batch size {args.batch_size:,}"
    )
    print()
    print(
        "| step | s | rows/s | vs plain COPY | client CPU s | server CPU s | peak RSS |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| (a) plain COPY, 330 text columns, UNLOGGED | {copy_run.seconds:.1f} | "
        f"{copy_rate:,.0f} | 1.00 | {fmt(copy_run.client_cpu)} | "
        f"{fmt(copy_run.server_cpu)} | {copy_run.peak_rss / 2**20:,.0f} MB |"
    )
    for key, label in (("b", "(b) loader, empty table"), ("c", "(c) loader, replay")):
        run = median_run(runs[key])
        rate = run.result.received / run.seconds
        print(
            f"| {label} | {run.seconds:.1f} | {rate:,.0f} | {rate / copy_rate:.2f} | "
            f"{fmt(run.client_cpu)} | {fmt(run.server_cpu)} | "
            f"{run.peak_rss / 2**20:,.0f} MB |"
        )
    print()
    for key in ("b", "c"):
        run = median_run(runs[key])
        print(f"({key}) {run.result.summary()}")
        for note in run.result.notes:
            if note.startswith("database thread"):
                print(f"    {note}")
    print(
        "every round, rows/s: "
        + "; ".join(
            f"({key}) "
            + ", ".join(
                f"{(args.rows if key == 'a' else run.result.received) / run.seconds:,.0f}"
                for run in items
            )
            for key, items in runs.items()
        )
    )
    print(
        f"process peak RSS over the whole run (ru_maxrss): "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB"
    )


if __name__ == "__main__":
    main()
