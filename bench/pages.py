"""Page server time with the 100K-account world loaded (issue 7).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pp_h5 \\
        .venv/bin/python bench/pages.py [--size 100k] [--n 15] [--json out.json]

The world is ``bench/score_world.py``'s (database ``<name>_bench_score_<size>`` on
the server of ``DATABASE_URL``, generated once and reused, as ``bench/score.py``
uses it). A seeding process then scores the program ``bench-score`` when it has no
succeeded run (``scoring_run_create`` + ``scoring_run_inline``) and, once per
database, adds what the pages show: one user per role (``user_create``), all members
of the program (``program_settings_update``); 20 vetting cases brought through
``vetting.workflow`` to every state (candidate, medical, legal, regulatory review,
approved, rejected, on hold); 30 ``AdverseEventCase`` rows on posts with an
adverse-event finding, in every status; 6 alerts (``alert_raise``). A table
``bench_pages_seed`` marks it done. Last, ``VACUUM ANALYZE`` when the scores'
visibility map is not set: autovacuum would do it a minute after a run, but this
server runs with autovacuum off (``--no-vacuum`` measures the state right after a
run: no index-only scans on the scores).

A second process measures. Every page is requested in-process through
``django.test.Client`` (the whole middleware stack, templates rendered, no network:
server time), logged in as a medical reviewer and as an analyst: ``--warmup``
requests first (the first one is reported as "cold"), then ``--n`` timed ones
(median and p95 by nearest rank, so at n=15 the p95 is the 15th = slowest
request), then one more under ``CaptureQueriesContext`` for the number of SQL
queries, their summed time and the slowest one. A page whose warm requests are slow
gets fewer timed requests (``--page-budget`` seconds per page and user, at least 5;
the table says n).

The baseline, measured through the same client, URLconf and middleware at the
start and at the end of the run: a plain view returning a small ``JsonResponse``.
Every page is printed as a ratio to it. The target is a server median under 300 ms;
for every page whose median reaches ``--explain-over`` (250 ms: over or near the
target) the slowest queries of the counted request are run again under
``EXPLAIN (ANALYZE, BUFFERS)`` and printed (trimmed).

Settings: ``config.settings.test`` (DEBUG off, so the cached template loader and no
query log; the local-memory cache, as in production, which sets no ``CACHES``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SIZES = {
    "10k": (10_000, 100_000),
    "100k": (100_000, 1_000_000),
}
TARGET_MS = 300.0
RESULT = "RESULT "
SEED_VERSION = 1
PASSWORD = "Bench-pages-2026-pw"
# username -> role (vetting.constants.ROLES, spelled out so that this module imports
# nothing of the project before Django is set up)
USERS = {
    "bench-analyst": "analyst",
    "bench-medical": "medical reviewer",
    "bench-legal": "legal reviewer",
    "bench-regulatory": "regulatory reviewer",
    "bench-pv": "pharmacovigilance officer",
    "bench-admin": "admin",
}
MEASURED_AS = {"medical": "bench-medical", "analyst": "bench-analyst"}
# (state to reach, how many cases): 20 cases, every state
CASE_PLAN = (
    ("candidate", 5),
    ("medical_review", 4),
    ("legal_review", 3),
    ("regulatory_review", 2),
    ("approved", 3),
    ("rejected", 2),
    ("on_hold", 1),
)
AE_CASES = 30
EXPLAIN_QUERIES = 2  # slowest queries explained per slow page
EXPLAIN_MIN_MS = 5.0
EXPLAIN_LINES = 40


def _django(url: str, work_dir: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["SCORING_WORK_DIR"] = work_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    import django

    django.setup()


# --------------------------------------------------------------------------- seeding


def _seeded(cursor) -> bool:
    cursor.execute("SELECT to_regclass('bench_pages_seed') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SELECT max(version) FROM bench_pages_seed")
    return cursor.fetchone()[0] == SEED_VERSION


def worker_seed(url: str, *, vacuum: bool = True) -> dict:
    """Score the program if needed, then add users, cases, AE cases and alerts once."""
    with tempfile.TemporaryDirectory(prefix="pp-bench-pages-") as work_dir:
        _django(url, work_dir)
        from django.db import connection, transaction
        from score_world import PROGRAM_SLUG

        from vetting import services
        from vetting.models import Program, ScoringRun

        out: dict = {"scored_seconds": None, "seeded_seconds": None}
        program = Program.objects.get(slug=PROGRAM_SLUG)
        if not ScoringRun.objects.filter(
            program=program, status=ScoringRun.Status.SUCCEEDED
        ).exists():
            started = time.perf_counter()
            run, _ = services.scoring_run_create(program=program)
            run = services.scoring_run_inline(run_id=run.pk)
            if run.status != ScoringRun.Status.SUCCEEDED:
                raise SystemExit(f"the scoring run ended {run.status}: {run.error}")
            out["scored_seconds"] = time.perf_counter() - started
            out["scored"] = run.accounts_scored
        with connection.cursor() as cursor:
            if _seeded(cursor):
                if vacuum:
                    _vacuum(out)
                return out
        started = time.perf_counter()
        with transaction.atomic():  # all or nothing: a failed seed can run again
            out.update(_seed(program))
            with connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TABLE IF NOT EXISTS bench_pages_seed (version int, "
                    "detail jsonb, created_at timestamptz DEFAULT now())"
                )
                cursor.execute(
                    "INSERT INTO bench_pages_seed (version, detail) VALUES (%s, %s)",
                    (SEED_VERSION, json.dumps(out)),
                )
        out["seeded_seconds"] = time.perf_counter() - started
        if vacuum:
            _vacuum(out)
        return out


def _vacuum(out: dict) -> None:
    """``VACUUM ANALYZE`` when the scores' visibility map is not (nearly) all set.

    The run writes ~52K score rows at 100k; autovacuum would vacuum them within a
    minute (``autovacuum_vacuum_insert_threshold``) and then the counts and sorts can
    use index-only scans. This server runs with autovacuum off, so the bench does it,
    to measure the steady state (``--no-vacuum`` measures the state right after a
    run)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpages, relallvisible FROM pg_class "
            "WHERE oid = 'vetting_influencerscore'::regclass"
        )
        pages, visible = cursor.fetchone()
        out["scores_all_visible_before"] = visible / max(pages, 1)
        if visible >= 0.9 * pages:
            return
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        out["vacuum_seconds"] = time.perf_counter() - started


def _seed(program) -> dict:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from compliance.models import AdverseEventCase, Finding
    from vetting import services, workflow
    from vetting.models import Alert, InfluencerScore, VettingCase
    from vetting.selectors import program_latest_run

    user_model = get_user_model()
    users = {}
    for username, role in USERS.items():
        first, _, last = username.partition("-")
        users[username] = user_model.objects.filter(
            username=username
        ).first() or services.user_create(
            username=username,
            password=PASSWORD,
            role=role,
            first_name=first.title(),
            last_name=last.title(),
            email=f"{username}@bench.invalid",
        )
    services.program_settings_update(
        program=program,
        user=users["bench-admin"],
        changes={"members": list(users.values())},
    )

    # cases: the best-ranked candidates linked to a clinician, one case each
    run = program_latest_run(program)
    scores = list(
        InfluencerScore.objects.filter(run=run, clinician__isnull=False)
        .select_related("account")
        .order_by("rank")[: sum(count for _, count in CASE_PLAN) * 2]
    )
    seen_clinicians: set[int] = set()
    chosen = []
    for score in scores:
        if score.clinician_id not in seen_clinicians:
            seen_clinicians.add(score.clinician_id)
            chosen.append(score)
    analyst, medical = users["bench-analyst"], users["bench-medical"]
    signers = [
        users["bench-medical"],
        users["bench-legal"],
        users["bench-regulatory"],
    ]
    steps = {  # approvals on the way to each state
        "medical_review": 0,
        "legal_review": 1,
        "regulatory_review": 2,
        "approved": 3,
    }

    def sign(case, user, decision: str, reason: str) -> None:
        case.refresh_from_db()
        workflow.case_sign(
            case=case,
            user=user,
            decision=decision,
            reason=reason,
            password=PASSWORD,
            evidence_seen=workflow.evidence_sha256(workflow.case_evidence(case)),
        )

    cases: list[VettingCase] = []
    plan = [state for state, count in CASE_PLAN for _ in range(count)]
    for score, state in zip(chosen, plan, strict=False):
        case, _ = workflow.case_open(
            program=program, account=score.account, user=analyst
        )
        cases.append(case)
        if state == "candidate":
            continue
        workflow.case_submit(case=case, user=analyst, note="Bench: ready for review.")
        for signer in signers[: steps.get(state, 0)]:
            sign(case, signer, "approve", "Bench: evidence reviewed, no concern.")
        if state == "rejected":
            sign(case, medical, "reject", "Bench: repeated off-label dosing advice.")
        elif state == "on_hold":
            case.refresh_from_db()
            workflow.case_hold(case=case, user=medical, reason="Bench: waiting on PV.")
    states = dict.fromkeys(VettingCase.State.values, 0)
    for case in VettingCase.objects.filter(program=program):
        states[case.state] += 1

    # adverse-event cases on posts with an AE finding by a scored author
    now = timezone.now()
    scored = InfluencerScore.objects.filter(run=run).values("account_id")
    findings = list(
        Finding.objects.filter(
            rule_code="ADVERSE_EVENT", is_current=True, post__author_id__in=scored
        )
        .select_related("post")
        .order_by("pk")[:AE_CASES]
    )
    statuses = (
        ["triage"] * (AE_CASES - 10)
        + ["reportable"] * 5
        + ["not_reportable"] * 3
        + ["forwarded"] * 2
    )
    ae_rows = []
    for i, (finding, status) in enumerate(zip(findings, statuses, strict=False)):
        due = now + timedelta(hours=(i % 12) * 36 - 48)  # two overdue, most days left
        handled = status != "triage"
        ae = AdverseEventCase(
            post=finding.post,
            finding=finding,
            elements={
                "patient": ["my patient"],
                "reporter": ["treating physician"],
                "product": ["apixaban"],
                "event": ["major bleeding"],
            },
            awareness_at=due - timedelta(days=15),
            due_at=due,
            status=status,
            assignee=users["bench-pv"] if i % 3 == 0 else None,
            handled_by=users["bench-pv"] if handled else None,
            handled_at=now if handled else None,
            notes="Bench: seeded by bench/pages.py." if handled else "",
        )
        ae.full_clean()
        ae_rows.append(ae)
    AdverseEventCase.objects.bulk_create(ae_rows)

    # alerts: on cases, on the program, one per kind and level
    approved = [c for c in cases if c.state == "approved"] or cases
    alerts = [
        (Alert.Kind.CRITICAL_FINDING, Alert.Level.CRITICAL, approved[0]),
        (Alert.Kind.SCORE_DRIFT, Alert.Level.WARNING, approved[-1]),
        (Alert.Kind.AE_CLOCK, Alert.Level.WARNING, None),
        (Alert.Kind.AE_CLOCK, Alert.Level.CRITICAL, None),
        (Alert.Kind.NEW_PAYMENT, Alert.Level.INFO, cases[1]),
        (Alert.Kind.NEW_PAYMENT, Alert.Level.INFO, cases[2]),
    ]
    for i, (kind, level, case) in enumerate(alerts):
        workflow.alert_raise(
            kind=kind,
            level=level,
            key=f"bench-pages:{kind}:{i}",
            message=f"Bench {kind.label.lower()} alert {i}.",
            program=program,
            case=case,
            clinician_id=case.clinician_id if case else None,
            detail={"bench": True},
        )
    return {
        "users": sorted(users),
        "cases": states,
        "ae_cases": len(ae_rows),
        "alerts": len(alerts),
    }


# ------------------------------------------------------------------------- measuring


def ping(request):
    from django.http import JsonResponse

    return JsonResponse({"ok": True, "service": "peerproof"})


def _urlconf() -> str:
    """A URLconf with the baseline view in front of the project's own."""
    import types

    from django.urls import include, path

    module = types.ModuleType("bench_pages_urls")
    module.urlpatterns = [
        path("__bench__/ping.json", ping, name="bench-ping"),
        path("", include("config.urls")),
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def _targets(program) -> dict:
    """The rows the pages are opened on."""
    from django.db import connection
    from django.db.models import Count

    from compliance.models import AdverseEventCase, Finding
    from influencers.models import Specialty
    from vetting.models import InfluencerScore, VettingCase
    from vetting.selectors import program_latest_run

    run = program_latest_run(program)
    top = list(
        InfluencerScore.objects.filter(run=run)
        .order_by("rank")
        .values_list("pk", "account_id")[:3]
    )
    # engagement received in the program window by every scored account
    start = program.window_end - timedelta(days=program.window_days)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.account_id, count(i.id) AS n FROM vetting_influencerscore s "
            "LEFT JOIN listening_interaction i ON i.target_id = s.account_id "
            "AND i.occurred_at >= %s AND i.occurred_at < %s "
            "WHERE s.run_id = %s GROUP BY s.account_id ORDER BY n DESC, s.account_id",
            [start, program.window_end, run.pk],
        )
        engaged = cursor.fetchall()
    busiest, median = engaged[0], engaged[len(engaged) // 2]
    specialty = (  # the most frequent scored specialty: the biggest filtered list
        InfluencerScore.objects.filter(run=run)
        .exclude(specialty_code="")
        .values("specialty_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "specialty_code")
        .values_list("specialty_code", flat=True)
        .first()
    )
    named = Specialty.objects.filter(code=specialty).first()
    case = (
        VettingCase.objects.filter(program=program, state="approved")
        .order_by("pk")
        .first()
        or VettingCase.objects.filter(program=program).order_by("pk").first()
    )
    scored = InfluencerScore.objects.filter(run=run).values("account_id")
    finding = (
        Finding.objects.filter(
            severity="critical", is_current=True, post__author_id__in=scored
        )
        .order_by("pk")
        .first()
    )
    ae = AdverseEventCase.objects.filter(status="triage").order_by("due_at").first()
    return {
        "run": run.pk,
        "candidates": run.accounts_scored,
        "top_score_ids": [pk for pk, _ in top],
        "top_account": top[0][1],
        "busiest_account": busiest[0],
        "busiest_engagements": busiest[1],
        "median_account": median[0],
        "median_engagements": median[1],
        "specialty": specialty,
        "specialty_name": (named.display_name or named.label) if named else "",
        "case": case.pk if case else None,
        "finding": finding.pk if finding else None,
        "ae_case": ae.pk if ae else None,
    }


def _pages(slug: str, t: dict) -> list[tuple[str, str, tuple, dict]]:
    """(key, URL name, args, query) of every page measured."""
    compare = {"ids": ",".join(str(pk) for pk in t["top_score_ids"])}
    return [
        ("dashboard", "reports:home", (), {}),
        ("runs", "reports:runs", (), {}),
        ("program-list", "vetting:program-list", (), {}),
        ("program-detail", "vetting:program-detail", (slug,), {}),
        ("program-dashboard", "reports:program-dashboard", (slug,), {}),
        ("discover", "vetting:discover", (), {}),
        (
            "discover specialty+sort",
            "vetting:discover",
            (),
            {"specialty": t["specialty"], "sort": "-trust_density"},
        ),
        ("discover page 2", "vetting:discover", (), {"page": "2"}),
        ("compare (3)", "vetting:compare", (), compare),
        ("score-detail", "vetting:score-detail", (slug, t["top_account"]), {}),
        ("profile busiest", "vetting:profile", (slug, t["busiest_account"]), {}),
        ("profile median", "vetting:profile", (slug, t["median_account"]), {}),
        (
            "profile-network busiest",
            "vetting:profile-network",
            (slug, t["busiest_account"]),
            {},
        ),
        (
            "profile-network median",
            "vetting:profile-network",
            (slug, t["median_account"]),
            {},
        ),
        ("case-list", "vetting:case-list", (), {}),
        ("case-detail", "vetting:case-detail", (t["case"],), {}),
        ("finding-list", "review:finding-list", (), {}),
        ("finding-list critical", "review:finding-list", (), {"severity": "critical"}),
        ("finding-detail", "review:finding-detail", (t["finding"],), {}),
        ("ae-inbox", "review:ae-inbox", (), {}),
        ("ae-detail", "review:ae-detail", (t["ae_case"],), {}),
        ("listening runs", "listening:run-list", (), {}),
    ]


def _quantile(samples: list[float], q: float) -> float:
    """Nearest rank: the smallest sample with at least ``q`` of them at or below."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _time_url(client, url: str, *, n: int, warmup: int, budget: float) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cpu = []

    def get():
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        cpu.append((time.process_time() - cpu_started) * 1000)
        return (time.perf_counter() - started) * 1000, response

    warm = []
    for _ in range(max(1, warmup)):
        ms, response = get()
        warm.append(ms)
        if response.status_code != 200:
            return {"status": response.status_code, "cold_ms": warm[0]}
    runs = n
    if warm[-1] * n > budget * 1000:
        runs = max(5, int(budget * 1000 / warm[-1]))
    cpu.clear()
    samples = [get()[0] for _ in range(min(n, runs))]
    cpu_ms = statistics.median(cpu)
    with CaptureQueriesContext(connection) as captured:
        counted_ms, response = get()
    queries = [
        {"ms": float(q["time"]) * 1000, "sql": q["sql"]}
        for q in captured.captured_queries
    ]
    slowest = sorted(queries, key=lambda q: q["ms"], reverse=True)
    return {
        "status": response.status_code,
        "bytes": len(response.content),
        "cold_ms": warm[0],
        "n": len(samples),
        "median_ms": statistics.median(samples),
        "p95_ms": _quantile(samples, 0.95),
        "min_ms": min(samples),
        "cpu_ms": cpu_ms,
        "samples_ms": samples,
        "queries": len(queries),
        "sql_ms": sum(q["ms"] for q in queries),
        "counted_ms": counted_ms,
        "slowest": slowest[:EXPLAIN_QUERIES],
    }


def _explain(sql: str) -> list[str]:
    from django.db import connection

    if not re.match(r"\s*(SELECT|WITH)\b", sql, re.IGNORECASE):
        return ["(not a SELECT: not explained)"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def worker_measure(
    url: str,
    *,
    n: int,
    warmup: int,
    budget: float,
    only: str | None,
    explain_over: float = TARGET_MS,
) -> dict:
    with tempfile.TemporaryDirectory(prefix="pp-bench-pages-") as work_dir:
        _django(url, work_dir)
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.test import Client
        from django.test.utils import override_settings
        from django.urls import NoReverseMatch, reverse
        from django.utils.http import urlencode
        from score_world import PROGRAM_SLUG

        from vetting.models import Program

        program = Program.objects.get(slug=PROGRAM_SLUG)
        started = time.perf_counter()
        targets = _targets(program)
        targets_seconds = time.perf_counter() - started
        users = get_user_model().objects.in_bulk(
            list(MEASURED_AS.values()), field_name="username"
        )
        clients = {}
        for role, username in MEASURED_AS.items():
            clients[role] = Client()
            clients[role].force_login(users[username])
        out: dict = {
            "targets": targets,
            "targets_seconds": targets_seconds,
            "loadavg_start": os.getloadavg(),
        }
        with override_settings(ROOT_URLCONF=_urlconf(), ALLOWED_HOSTS=["testserver"]):
            ping_url = reverse("bench-ping")
            baseline = [
                _time_url(clients["medical"], ping_url, n=50, warmup=5, budget=60)
            ]
            pages = []
            for key, name, args, query in _pages(PROGRAM_SLUG, targets):
                if only and not re.search(only, key):
                    continue
                page = {"key": key, "name": name, "args": list(args), "query": query}
                pages.append(page)
                if any(a is None for a in args):
                    page["error"] = "no row to open"
                    continue
                try:
                    path = reverse(name, args=args)
                except NoReverseMatch:
                    page["error"] = "URL name not routed"
                    continue
                page["url"] = path + (f"?{urlencode(query)}" if query else "")
                for role, client in clients.items():
                    try:
                        result = _time_url(
                            client, page["url"], n=n, warmup=warmup, budget=budget
                        )
                    except Exception as exc:  # a page still being written
                        result = {
                            "status": "error",
                            "error": f"{type(exc).__name__}: {exc}",
                        }
                        connection.close()
                    page[role] = result
                    print(_progress(key, role, result), flush=True)
                over = [
                    page[role]
                    for role in clients
                    if page[role].get("median_ms", 0) >= explain_over
                ]
                if over:
                    worst = max(over, key=lambda r: r["median_ms"])
                    page["explain"] = [
                        {**q, "plan": _explain(q["sql"])}
                        for q in worst["slowest"]
                        if q["ms"] >= EXPLAIN_MIN_MS
                    ]
            baseline.append(
                _time_url(clients["medical"], ping_url, n=50, warmup=5, budget=60)
            )
        samples = baseline[0]["samples_ms"] + baseline[1]["samples_ms"]
        out["baseline"] = {
            "url": ping_url,
            "median_ms": statistics.median(samples),
            "p95_ms": _quantile(samples, 0.95),
            "start_median_ms": baseline[0]["median_ms"],
            "end_median_ms": baseline[1]["median_ms"],
            "queries": baseline[0]["queries"],
            "cpu_ms": statistics.median([b["cpu_ms"] for b in baseline]),
            "n": len(samples),
        }
        out["pages"] = pages
        out["loadavg_end"] = os.getloadavg()
        return out


def _progress(key: str, role: str, r: dict) -> str:
    if "median_ms" not in r:
        return f"  {key} as {role}: {r.get('status')} {r.get('error', '')}"
    return (
        f"  {key} as {role}: median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, "
        f"{r['queries']} queries ({r['sql_ms']:.1f} ms SQL), n={r['n']}"
    )


# --------------------------------------------------------------------------- driver


def spawn(args: list[str]) -> dict:
    """Run one worker of this file in a fresh process; return its RESULT."""
    command = [sys.executable, __file__, *args]
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    result = None
    lines = []
    for line in proc.stdout:
        if line.startswith(RESULT):
            result = json.loads(line[len(RESULT) :])
        else:
            lines.append(line)
            sys.stdout.write(line)
    stderr = proc.stderr.read()
    if proc.wait() or result is None:
        sys.stderr.write("".join(lines)[-4000:] + stderr[-8000:])
        raise SystemExit(f"the worker {args[:2]} failed (exit {proc.returncode})")
    return result


COLUMNS = (
    "median ms",
    "p95 ms",
    "x baseline",
    "CPU ms",
    "queries",
    "SQL ms",
    "< 300 ms",
)


def _cell(r: dict | None, base: float) -> list[str]:
    if not r:
        return ["-"] * len(COLUMNS)
    if "median_ms" not in r:
        error = str(r.get("error", ""))[:60].replace("|", "/")
        return [str(r.get("status")), error] + ["-"] * (len(COLUMNS) - 2)
    return [
        f"{r['median_ms']:.1f}",
        f"{r['p95_ms']:.1f}",
        f"{r['median_ms'] / base:.0f}x",
        f"{r['cpu_ms']:.0f}",
        f"{r['queries']}",
        f"{r['sql_ms']:.0f}",
        "PASS" if r["median_ms"] < TARGET_MS else "FAIL",
    ]


def table(result: dict) -> list[str]:
    """The markdown table: one row per page, the columns of each measured user."""
    base = result["baseline"]["median_ms"]
    head = ["page", "URL"]
    for role in MEASURED_AS:
        head += [f"{role} {COLUMNS[0]}", *COLUMNS[1:]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    b = result["baseline"]
    cells = ["baseline (JsonResponse)", f"`{b['url']}`"]
    cells += [f"{b['median_ms']:.2f}", f"{b['p95_ms']:.2f}", "1x"]
    cells += [f"{b['cpu_ms']:.2f}", str(b["queries"]), "0", "-"]
    cells += ["-"] * len(COLUMNS)
    lines.append("| " + " | ".join(cells) + " |")
    for page in result["pages"]:
        cells = [page["key"], f"`{page.get('url') or page['name']}`"]
        if "error" in page:
            cells += [page["error"]] + ["-"] * (len(head) - 3)
        else:
            for role in MEASURED_AS:
                cells += _cell(page.get(role), base)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="100k", help="10k, 100k or NxM")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--n", type=int, default=15, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--page-budget",
        type=float,
        default=20.0,
        help="seconds of timed requests per page and user (a slow page gets fewer)",
    )
    parser.add_argument("--only", help="a regex: measure only the pages it matches")
    parser.add_argument(
        "--explain-over",
        type=float,
        default=250.0,
        help="EXPLAIN the slowest queries of pages whose median reaches this (ms)",
    )
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--force-world", action="store_true", help="regenerate")
    parser.add_argument(
        "--no-vacuum",
        action="store_true",
        help="do not VACUUM ANALYZE the world before measuring (autovacuum is off here)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/peerproof"
        ),
    )
    parser.add_argument("--worker", choices=["seed", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker == "seed":
        print(RESULT + json.dumps(worker_seed(args.url, vacuum=not args.no_vacuum)))
        return 0
    if args.worker == "measure":
        result = worker_measure(
            args.url,
            n=args.n,
            warmup=args.warmup,
            budget=args.page_budget,
            only=args.only,
            explain_over=args.explain_over,
        )
        print(RESULT + json.dumps(result, default=str))
        return 0

    from score_world import manage, world_ensure

    if args.size in SIZES:
        accounts, interactions = SIZES[args.size]
    else:
        try:
            accounts, interactions = (int(v) for v in args.size.split("x", 1))
        except ValueError:
            parser.error(f"unknown size {args.size}: use {', '.join(SIZES)} or NxM")
    started = time.perf_counter()
    world = world_ensure(
        args.database_url,
        accounts=accounts,
        interactions=interactions,
        seed=args.seed,
        force=args.force_world,
    )
    name = world["url"].rsplit("/", 1)[-1]
    state = "generated" if world["generated"] else "reused"
    print(f"world {state}: {name} (generation took {world['seconds']:.0f} s)")
    if not world["generated"]:
        manage(world["url"], "migrate", "--verbosity", "0")  # the app moved on since
    seed_args = ["--worker", "seed", "--url", world["url"]]
    seed = spawn(seed_args + (["--no-vacuum"] if args.no_vacuum else []))
    if seed.get("vacuum_seconds") is not None:
        print(
            f"VACUUM ANALYZE: {seed['vacuum_seconds']:.1f} s (the scores' visibility "
            f"map was {seed['scores_all_visible_before']:.0%} set)"
        )
    if seed.get("scored_seconds"):
        print(f"scored {seed['scored']:,} candidates in {seed['scored_seconds']:.1f} s")
    if seed.get("seeded_seconds"):
        print(
            f"seeded users {', '.join(seed['users'])}; cases {seed['cases']}; "
            f"{seed['ae_cases']} AE cases; {seed['alerts']} alerts "
            f"({seed['seeded_seconds']:.1f} s)"
        )
    setup_seconds = time.perf_counter() - started
    measure_args = ["--worker", "measure", "--url", world["url"], "--n", str(args.n)]
    measure_args += ["--warmup", str(args.warmup)]
    measure_args += ["--page-budget", str(args.page_budget)]
    measure_args += ["--explain-over", str(args.explain_over)]
    if args.only:
        measure_args += ["--only", args.only]
    t = time.perf_counter()
    result = spawn(measure_args)
    measure_seconds = time.perf_counter() - t
    result.update(
        world={k: v for k, v in world.items() if k != "url"} | {"database": name},
        seed=seed,
        setup_seconds=setup_seconds,
        measure_seconds=measure_seconds,
        n=args.n,
        warmup=args.warmup,
        target_ms=TARGET_MS,
    )
    t = result["targets"]
    print(
        f"\n{t['candidates']:,} candidates in run {t['run']}; profiles of account "
        f"{t['busiest_account']} ({t['busiest_engagements']:,} engagements received in "
        f"the window, the most) and {t['median_account']} "
        f"({t['median_engagements']:,}, the median); specialty filter "
        f"{t['specialty']} ({t['specialty_name']})"
    )
    b = result["baseline"]
    print(
        f"baseline: median {b['median_ms']:.2f} ms (start {b['start_median_ms']:.2f}, "
        f"end {b['end_median_ms']:.2f}), n={b['n']}; measuring took "
        f"{measure_seconds:.0f} s, setup {setup_seconds:.0f} s; load average "
        f"{result['loadavg_start'][0]:.1f} at the start, "
        f"{result['loadavg_end'][0]:.1f} at the end ({os.cpu_count()} CPUs)\n"
    )
    print("\n".join(table(result)))
    for page in result["pages"]:
        if page.get("explain"):
            worst = max(page.get(role, {}).get("median_ms", 0) for role in MEASURED_AS)
            print(
                f"\n## {page['key']} ({page['url']}), median up to {worst:.0f} ms: "
                "slowest queries of the counted request"
            )
            for q in page["explain"]:
                print(
                    f"\n-- {q['ms']:.1f} ms in the counted request:\n{q['sql'][:1500]}"
                )
                print("\n".join(q["plan"][:EXPLAIN_LINES]))
    cold = [
        f"{page['key']} {page[role]['cold_ms']:.0f}"
        for page in result["pages"]
        for role in ("medical",)
        if "cold_ms" in (page.get(role) or {})
    ]
    print("\ncold (first request, as medical), ms: " + ", ".join(cold))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
