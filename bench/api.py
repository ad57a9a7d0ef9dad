"""REST API list endpoints under wrk, with 1M posts / 100K clinicians loaded (issue 8).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pp_h9_t \\
        .venv/bin/python bench/api.py [--size api] [--duration 25] [--json out.json]

The world is ``bench/score_world.py``'s (database ``<name>_bench_score_<size>`` on
the server of ``DATABASE_URL``, generated once and reused; ``migrate`` runs on it
each time, so a reused world gets new indexes). Size ``api`` is 625,000
accounts x 4,000,000 interactions: the generator makes 16 % of the accounts
clinicians and ``interactions / 4`` posts, so 100,000 clinicians and 1,000,000
posts (``NxM`` sizes, e.g. ``5000x40000``, for a smoke run). A seeding process
(``--seed-only`` runs just it) scores the program ``bench-score`` inline when it has
no succeeded run (``scoring_run_create`` + ``scoring_run_inline``), creates the
analyst ``bench-api`` and makes it a member (``user_create``,
``program_settings_update``), creates a fresh read-only API token for it
(``api_token_create``, the previous bench tokens revoked), runs ``VACUUM ANALYZE``
when the scores' visibility map is not set or a table has more than 5 % dead
tuples (after a migration that rewrote rows; the server runs with autovacuum off),
and works out the cursors of the deep pages.

Then gunicorn serves the app on a free port (8109-8119 first) with
``bench.api_settings``: the production settings (DEBUG off, persistent database
connections), no TLS redirect, the user throttle raised so that wrk is never
throttled (it still runs), and ``bench.api_urls`` (the app's URLs plus two
baselines: ``__bench__/plain.json``, a small ``JsonResponse`` with no database, and
``__bench__/db.json``, the same after one indexed query). Workers: ``--workers``,
default 2 x cores (sync workers, as ``run.py`` starts them).

Every endpoint is first fetched once and must answer 200 with rows (the bench
stops otherwise). Then, per endpoint, wrk (``--connections 4 --threads 2``, every
request with the token header): a ``--warmup`` run that is thrown away, then a
``--duration`` run with ``--latency``. The plain view is measured first and last;
the baseline for the ratios is the mean of the two. Targets, for the API list
endpoints: p99 < 50 ms and requests/s >= 0.1 x the plain view. Each row also shows
the 1-minute load average when its run ended: on a shared machine the other
processes move the figures more than anything (compare rows of the same run).

For a list endpoint that misses a target (every one with ``--diagnose``), a last
process requests it in-process through ``django.test.Client`` (same settings): the
SQL queries of one request with their times, ``EXPLAIN (ANALYZE, BUFFERS)`` of the
slowest, and a ``cProfile`` of ``--profile-requests`` requests (top functions).
``--diagnose-only`` does just that (after the seeding), without gunicorn and wrk.

wrk is Debian's ``wrk`` package; when it is missing the bench installs it with
``apt-get install -y wrk`` as root and otherwise says how. It is never required by
the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SIZES = {
    "api": (625_000, 4_000_000),  # 100,000 clinicians, 1,000,000 posts
    "smoke": (5_000, 40_000),
}
P99_TARGET_MS = 50.0
THROUGHPUT_TARGET = 0.1  # x the plain view
PORTS = range(8109, 8120)
RESULT = "RESULT "
USERNAME = "bench-api"
PASSWORD = "Bench-api-2026-pw"
TOKEN_PREFIX = "bench-api "
DEEP = 0.9  # the deep pages start 90 % of the way into their list
EXPLAIN_QUERIES = 2
DIAGNOSE_BATCHES = 15  # in-process timing: batches of ...
DIAGNOSE_BATCH = 20  # ... requests each
EXPLAIN_LINES = 40
SETTINGS = "bench.api_settings"


def bench_env(url: str, work_dir: str) -> dict[str, str]:
    """The environment of the seeding process, gunicorn and the diagnosis."""
    static_root = Path(work_dir) / "static"
    static_root.mkdir(exist_ok=True)
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret"),
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "API_THROTTLE_USER": "1000000/s",
        "SCORING_WORK_DIR": work_dir,
        # an empty static root: whitenoise warns when there is none
        "DJANGO_STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def _django() -> None:
    import django

    django.setup()


# --------------------------------------------------------------------------- seeding


def worker_seed() -> dict:
    """Score the program if it has no succeeded run, make ``bench-api`` a member,
    give it a fresh read-only token, vacuum if needed and find the deep cursors."""
    _django()
    from django.db import connection
    from django.utils import timezone
    from score_world import PROGRAM_SLUG

    from common.api import KeysetCursorPagination
    from compliance.models import Finding
    from reports.models import ApiToken
    from reports.services_tokens import api_token_create, api_token_revoke
    from vetting import services
    from vetting.constants import ROLE_ANALYST
    from vetting.models import InfluencerScore, Program, ScoringRun
    from vetting.selectors import programs_for_user, scope_to_user_programs

    out: dict = {"scored_seconds": None, "vacuum_seconds": None}
    program = Program.objects.get(slug=PROGRAM_SLUG)
    if not ScoringRun.objects.filter(
        program=program, status=ScoringRun.Status.SUCCEEDED
    ).exists():
        print("scoring the program inline (a few minutes at 625K accounts)")
        started = time.perf_counter()
        run, _ = services.scoring_run_create(program=program)
        run = services.scoring_run_inline(run_id=run.pk)
        if run.status != ScoringRun.Status.SUCCEEDED:
            raise SystemExit(f"the scoring run ended {run.status}: {run.error}")
        out["scored_seconds"] = time.perf_counter() - started

    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=USERNAME).first()
    if user is None:
        user = services.user_create(
            username=USERNAME,
            password=PASSWORD,
            role=ROLE_ANALYST,
            first_name="Bench",
            last_name="Api",
            email="bench-api@bench.invalid",
        )
    members = list(program.members.all())
    if user not in members:
        services.program_settings_update(
            program=program, user=user, changes={"members": [*members, user]}
        )
    for old in ApiToken.objects.filter(
        user=user, name__startswith=TOKEN_PREFIX, revoked_at__isnull=True
    ):
        api_token_revoke(token=old, user=user)
    created = api_token_create(
        user=user,
        name=f"{TOKEN_PREFIX}{timezone.now():%Y-%m-%d %H:%M:%S.%f}",
        read_only=True,
    )
    out["token"] = created.key

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpages, relallvisible FROM pg_class "
            "WHERE oid = 'vetting_influencerscore'::regclass"
        )
        pages, visible = cursor.fetchone()
        # a migration that rewrote rows (UPDATE) leaves dead tuples and a visibility
        # map pg_class does not know about yet: ask the statistics too
        cursor.execute(
            "SELECT count(*) FROM pg_stat_user_tables "
            "WHERE n_dead_tup > 10000 AND n_dead_tup > 0.05 * n_live_tup"
        )
        (bloated,) = cursor.fetchone()
        if visible < 0.9 * pages or bloated:
            started = time.perf_counter()
            cursor.execute("VACUUM ANALYZE")
            out["vacuum_seconds"] = time.perf_counter() - started

    # what the user sees, and the rows the deep pages start after: the API's
    # scoping rule and orderings, over the models (not the API's own selectors, so
    # that the bench does not follow their refactors)
    pager = KeysetCursorPagination()
    findings = scope_to_user_programs(
        Finding.objects.filter(is_current=True), user, account_path="post__author"
    ).order_by("-created_at", "-id")
    out["findings_visible"] = findings.count()
    k = int(out["findings_visible"] * DEEP)
    row = findings.values_list("created_at", "id")[k]
    out["findings_deep_offset"] = k
    out["findings_deep_cursor"] = pager._encode(list(row), False)

    runs = dict(
        ScoringRun.objects.filter(
            program__in=programs_for_user(user).values("pk"),
            status=ScoringRun.Status.SUCCEEDED,
        )
        .order_by("program_id", "-finished_at", "-pk")
        .distinct("program_id")
        .values_list("program_id", "pk")
    )
    scores = InfluencerScore.objects.filter(
        program_id__in=list(runs), run_id__in=list(runs.values()), rank__isnull=False
    ).order_by("program_id", "run_id", "rank", "id")
    out["run_ids"] = sorted(runs.values())
    out["scores_visible"] = scores.count()
    k = int(out["scores_visible"] * DEEP)
    row = scores.values_list("program_id", "run_id", "rank", "id")[k]
    out["scores_deep_offset"] = k
    out["scores_deep_cursor"] = pager._encode(list(row), False)
    # the specialty: the program's largest target specialty among the scores
    targets = list(program.target_specialties.values_list("code", flat=True))
    by_code = {
        code: InfluencerScore.objects.filter(
            run_id__in=runs.values(), specialty_code=code, rank__isnull=False
        ).count()
        for code in targets
    }
    code = max(by_code, key=by_code.get)
    out["specialty"] = code
    out["specialty_scores"] = by_code[code]
    return out


# --------------------------------------------------------------------------- gunicorn


def free_port() -> int:
    for port in [*PORTS, 0]:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise SystemExit("no free port")


def gunicorn_start(env: dict, port: int, workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--chdir",
            str(ROOT),
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{port}/__bench__/plain.json"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {process.returncode}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(url, timeout=2) as response,
        ):
            if response.status == 200:
                return process
        time.sleep(0.3)
    gunicorn_stop(process)
    raise SystemExit("gunicorn did not answer within 60 s")


def gunicorn_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --------------------------------------------------------------------------- wrk


def wrk_ensure() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install -y wrk")
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True)
        path = shutil.which("wrk")
        if path:
            return path
    raise SystemExit(
        "wrk is not installed: run `sudo apt-get install wrk` (Debian's package) "
        "and start the bench again."
    )


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk_parse(output: str) -> dict:
    """p50/p75/p90/p99 (ms), requests/s, request count, non-2xx and socket errors
    from ``wrk --latency`` output."""
    out: dict = {"non_2xx": 0, "socket_errors": {}}
    for pct, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M):
        out[f"p{pct}_ms"] = _ms(value)
    match = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    out["rps"] = float(match.group(1)) if match else 0.0
    match = re.search(r"^\s+(\d+) requests in ([\d.]+\w+)", output, re.M)
    if match:
        out["requests"] = int(match.group(1))
        out["seconds"] = _ms(match.group(2)) / 1000
    match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if match:
        out["non_2xx"] = int(match.group(1))
    match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if match:
        out["socket_errors"] = dict(
            zip(
                ("connect", "read", "write", "timeout"),
                map(int, match.groups()),
                strict=True,
            )
        )
    missing = {"p50_ms", "p90_ms", "p99_ms"} - set(out)
    if missing or not out["rps"]:
        raise SystemExit(f"could not read wrk's output:\n{output}")
    return out


def wrk_run(
    wrk: str, url: str, token: str, *, seconds: int, connections: int, threads: int
) -> dict:
    args = [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        "--latency",
        "--header",
        f"Authorization: Token {token}",
        url,
    ]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return wrk_parse(done.stdout)


# --------------------------------------------------------------------------- endpoints


def endpoints(seed: dict) -> list[tuple[str, str, bool]]:
    """(name, path, is an API list endpoint with targets)."""
    return [
        ("plain view (start)", "/__bench__/plain.json", False),
        ("one-query view", "/__bench__/db.json", False),
        ("findings, first page", "/api/v1/findings/", True),
        (
            f"findings, deep page (after row {seed['findings_deep_offset']:,})",
            f"/api/v1/findings/?cursor={seed['findings_deep_cursor']}",
            True,
        ),
        ("scores, first page", "/api/v1/scores/", True),
        (
            f"scores, specialty {seed['specialty']}",
            f"/api/v1/scores/?specialty={seed['specialty']}",
            True,
        ),
        (
            f"scores, deep page (after row {seed['scores_deep_offset']:,})",
            f"/api/v1/scores/?cursor={seed['scores_deep_cursor']}",
            True,
        ),
        ("plain view (end)", "/__bench__/plain.json", False),
    ]


def endpoint_check(base: str, path: str, token: str) -> dict:
    """One request: it must be a 200 whose ``results`` has rows."""
    request = urllib.request.Request(
        base + path, headers={"Authorization": f"Token {token}"}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raise SystemExit(
            f"{path} answered {exc.code}: {exc.read()[:500]!r}; the bench stops"
        ) from exc
    seconds = time.perf_counter() - started
    if status != 200:
        raise SystemExit(f"{path} answered {status}; the bench stops")
    rows = json.loads(body).get("results") or []
    if not rows:
        raise SystemExit(f"{path} answered 200 with no rows; the bench stops")
    return {"rows": len(rows), "bytes": len(body), "first_ms": seconds * 1000}


# --------------------------------------------------------------------------- diagnosis


def _timed(runs: int, batch: int, request) -> dict:
    """Wall and Python CPU time of one request (ms): the fastest and the median
    of ``runs`` batches of ``batch`` requests (the fastest batch is the one the
    other processes on the machine disturbed least)."""
    wall, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(batch):
            request()
        wall.append((time.perf_counter() - started) * 1000 / batch)
        cpu.append((time.process_time() - cpu_started) * 1000 / batch)
    return {
        "wall_min_ms": min(wall),
        "wall_median_ms": statistics.median(wall),
        "cpu_min_ms": min(cpu),
        "cpu_median_ms": statistics.median(cpu),
    }


def _record(queries: list, execute, sql, params, many, context):
    """A ``connection.execute_wrapper``: appends each query with its time (ms)."""
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        ms = (time.perf_counter() - started) * 1000
        queries.append({"ms": ms, "sql": sql, "params": params})


def worker_diagnose(paths: list[str], token: str, profile_requests: int) -> dict:
    """Per path, in process through ``django.test.Client``: the time of a request
    without the profiler (wall and Python CPU), its queries timed one by one,
    EXPLAIN ANALYZE of the slowest and a cProfile."""
    _django()
    import cProfile
    import io
    import pstats

    from django.db import connection
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    report = {}
    for path in paths:
        for _ in range(10):
            assert client.get(path).status_code == 200, path
        timed = _timed(
            DIAGNOSE_BATCHES, DIAGNOSE_BATCH, functools.partial(client.get, path)
        )
        queries: list[dict] = []
        with connection.execute_wrapper(functools.partial(_record, queries)):
            client.get(path)
        print(
            f"\n=== {path}: {timed['wall_min_ms']:.1f} ms in process (median "
            f"{timed['wall_median_ms']:.1f}), Python CPU {timed['cpu_min_ms']:.1f} ms "
            f"(median {timed['cpu_median_ms']:.1f}); {len(queries)} queries, "
            f"{sum(q['ms'] for q in queries):.2f} ms"
        )
        for q in queries:
            print(f"  {q['ms']:7.2f} ms  {q['sql'][:160]}")
        explained = []
        for q in sorted(queries, key=lambda q: -q["ms"])[:EXPLAIN_QUERIES]:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"], q["params"])
                plan = [r[0] for r in cursor.fetchall()]
            explained.append({"sql": q["sql"], "plan": plan})
            print(f"\n  EXPLAIN ANALYZE ({q['ms']:.2f} ms): {q['sql'][:300]}")
            for line in [*plan[:EXPLAIN_LINES], *plan[-2:]]:
                print("    " + line)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(profile_requests):
            client.get(path)
        profiler.disable()
        mean_ms = (time.perf_counter() - started) * 1000 / profile_requests
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.sort_stats("tottime").print_stats(20)
        print(f"\n  cProfile of {profile_requests} requests ({mean_ms:.1f} ms each):")
        print("\n".join("    " + line for line in stream.getvalue().splitlines()[:45]))
        report[path] = {
            **timed,
            "profiled_mean_ms": mean_ms,
            "queries": [{"ms": q["ms"], "sql": q["sql"]} for q in queries],
            "explained": explained,
        }
    return report


# --------------------------------------------------------------------------- main


def sizes(text: str) -> tuple[int, int]:
    if text in SIZES:
        return SIZES[text]
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r}: use api, smoke or NxM")
    return int(match.group(1)), int(match.group(2))


def run_worker(mode: str, env: dict, *extra: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", mode, *extra],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    result = None
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            result = json.loads(line[len(RESULT) :])
        else:
            print(line)
    if done.returncode != 0 or result is None:
        raise SystemExit(f"the {mode} process failed (exit {done.returncode})")
    return result


def table(results: list[dict], plain_rps: float, plain_p50: float) -> list[str]:
    head = (
        "| endpoint | rows | p50 ms | p90 ms | p99 ms | requests/s | x plain "
        "throughput | x plain p50 | p99 < 50 ms | >= 0.1x plain | load |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in results:
        ratio = r["rps"] / plain_rps
        if r["targets"]:
            p99_ok = "PASS" if r["p99_ms"] < P99_TARGET_MS else "FAIL"
            rps_ok = "PASS" if ratio >= THROUGHPUT_TARGET else "FAIL"
        else:
            p99_ok = rps_ok = "-"
        lines.append(
            f"| {r['name']} | {r['rows']} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['rps']:,.0f} | {ratio:.3f}x | "
            f"{r['p50_ms'] / plain_p50:.1f}x | {p99_ok} | {rps_ok} | "
            f"{r['load_1min']:.1f} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=sizes, default=SIZES["api"])
    parser.add_argument("--duration", type=int, default=25, help="seconds per run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds, thrown away")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn"
    )
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--seed-only", action="store_true", help="world + seed only")
    parser.add_argument(
        "--diagnose", action="store_true", help="profile every list endpoint"
    )
    parser.add_argument(
        "--diagnose-only",
        action="store_true",
        help="world + seed + the in-process profile of every list endpoint, no wrk",
    )
    parser.add_argument("--profile-requests", type=int, default=30)
    parser.add_argument(
        "--worker", choices=["seed", "diagnose"], help=argparse.SUPPRESS
    )
    parser.add_argument("--paths", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker == "seed":
        print(RESULT + json.dumps(worker_seed()), flush=True)
        return 0
    if args.worker == "diagnose":
        report = worker_diagnose(
            json.loads(args.paths), args.token, args.profile_requests
        )
        print(RESULT + json.dumps(report), flush=True)
        return 0

    base_url = os.environ.get("DATABASE_URL")
    if not base_url:
        raise SystemExit("set DATABASE_URL (the bench database is named after it)")
    wrk = wrk_ensure() if not (args.seed_only or args.diagnose_only) else None
    from score_world import manage, world_ensure

    accounts, interactions = args.size
    world = world_ensure(base_url, accounts=accounts, interactions=interactions)
    # a reused world may predate the latest migrations (indexes the API relies on)
    manage(world["url"], "migrate", "--verbosity", "0")
    counts = world["counts"]
    print(
        f"world {world['url'].rsplit('/', 1)[-1]}: {counts['accounts']:,} accounts, "
        f"{counts['clinicians']:,} clinicians, {counts['posts']:,} posts, "
        f"{counts.get('interactions', interactions):,} interactions, "
        f"{counts.get('findings', 0):,} findings"
        + (f" (generated in {world['seconds']:.0f} s)" if world["generated"] else "")
    )
    with tempfile.TemporaryDirectory(prefix="pp-bench-api-") as work_dir:
        env = bench_env(world["url"], work_dir)
        started = time.perf_counter()
        seed = run_worker("seed", env)
        print(
            f"seeded in {time.perf_counter() - started:.1f} s"
            + (
                f" (scored in {seed['scored_seconds']:.0f} s)"
                if seed["scored_seconds"]
                else ""
            )
            + (
                f" (VACUUM ANALYZE {seed['vacuum_seconds']:.0f} s)"
                if seed["vacuum_seconds"]
                else ""
            )
            + f": {seed['scores_visible']:,} ranked scores and "
            f"{seed['findings_visible']:,} current findings visible to {USERNAME}; "
            f"specialty {seed['specialty']} has {seed['specialty_scores']:,} scores"
        )
        if args.seed_only:
            return 0
        token = seed["token"]
        if args.diagnose_only:
            run_worker(
                "diagnose",
                env,
                "--paths",
                json.dumps([path for _n, path, targets in endpoints(seed) if targets]),
                "--token",
                token,
                "--profile-requests",
                str(args.profile_requests),
            )
            return 0
        port = args.port or free_port()
        server = gunicorn_start(env, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        results = []
        try:
            plan = endpoints(seed)
            checks = {}
            for name, path, _targets in plan:
                checks[path] = endpoint_check(base, path, token)
                print(
                    f"  check {name}: 200, {checks[path]['rows']} rows, "
                    f"{checks[path]['bytes']:,} bytes, first request "
                    f"{checks[path]['first_ms']:.0f} ms"
                )
            print(
                f"gunicorn on :{port}, {args.workers} sync workers, {SETTINGS}; wrk "
                f"{args.threads} threads, {args.connections} connections, "
                f"{args.warmup} s warm-up + {args.duration} s per endpoint"
            )
            for name, path, targets in plan:
                url = base + path
                wrk_run(
                    wrk,
                    url,
                    token,
                    seconds=args.warmup,
                    connections=args.connections,
                    threads=args.threads,
                )
                figures = wrk_run(
                    wrk,
                    url,
                    token,
                    seconds=args.duration,
                    connections=args.connections,
                    threads=args.threads,
                )
                result = {
                    "load_1min": os.getloadavg()[0],
                    "name": name,
                    "path": path,
                    "targets": targets,
                    "rows": checks[path]["rows"],
                    "bytes": checks[path]["bytes"],
                    **figures,
                }
                results.append(result)
                print(
                    f"  {name}: p50 {figures['p50_ms']:.2f} ms, p99 "
                    f"{figures['p99_ms']:.2f} ms, {figures['rps']:,.0f} requests/s "
                    f"(load average {result['load_1min']:.1f})"
                )
                if figures["non_2xx"] or any(figures["socket_errors"].values()):
                    raise SystemExit(
                        f"{name}: {figures['non_2xx']} non-2xx responses, socket "
                        f"errors {figures['socket_errors']}; the figures are not valid"
                    )
        finally:
            gunicorn_stop(server)

        plains = [r for r in results if r["path"] == "/__bench__/plain.json"]
        plain_rps = statistics.mean(r["rps"] for r in plains)
        plain_p50 = statistics.mean(r["p50_ms"] for r in plains)
        print()
        print(
            f"Baseline: the plain view, {plain_rps:,.0f} requests/s (mean of "
            + " and ".join(f"{r['rps']:,.0f}" for r in plains)
            + f"), p50 {plain_p50:.2f} ms."
        )
        print()
        print("\n".join(table(results, plain_rps, plain_p50)))
        failed = [
            r
            for r in results
            if r["targets"]
            and (
                r["p99_ms"] >= P99_TARGET_MS or r["rps"] / plain_rps < THROUGHPUT_TARGET
            )
        ]
        print()
        print(
            "Targets (API list endpoints): "
            + ("all met." if not failed else f"{len(failed)} missed.")
        )
        diagnosis = None
        to_diagnose = [r for r in results if r["targets"]] if args.diagnose else failed
        if to_diagnose:
            diagnosis = run_worker(
                "diagnose",
                env,
                "--paths",
                json.dumps([r["path"] for r in to_diagnose]),
                "--token",
                token,
                "--profile-requests",
                str(args.profile_requests),
            )
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "world": {
                            "database": world["url"].rsplit("/", 1)[-1],
                            "params": world["params"],
                            "counts": counts,
                        },
                        "seed": {k: v for k, v in seed.items() if k != "token"},
                        "config": {
                            "workers": args.workers,
                            "connections": args.connections,
                            "threads": args.threads,
                            "duration_s": args.duration,
                            "warmup_s": args.warmup,
                            "settings": SETTINGS,
                            "cpus": os.cpu_count(),
                        },
                        "plain_rps": plain_rps,
                        "plain_p50_ms": plain_p50,
                        "results": results,
                        "targets": {
                            "p99_ms": P99_TARGET_MS,
                            "throughput_x_plain": THROUGHPUT_TARGET,
                            "missed": [r["name"] for r in failed],
                        },
                        "diagnosis": diagnosis,
                    },
                    indent=2,
                    default=str,
                )
            )
            print(f"figures written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
