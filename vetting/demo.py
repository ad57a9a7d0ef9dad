"""The demo world end to end: generate it, load its people and payments, ingest its
recordings through the Celery worker (which then queues the compliance scans).

Everything goes through the same services as live data: the generated clinicians are
NPI Registry API responses, the payments an Open Payments CSV, the posts native
Bluesky and Mastodon payloads.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from compliance.loaders.open_payments import payments_link_clinicians, payments_load
from compliance.models import ScanRun
from influencers.loaders.nppes_api import clinicians_load_from_api_responses
from influencers.services import clinicians_mark_generated
from listening import services as listening_services
from listening.models import IngestRun, Source
from vetting.services import demo_programs_ensure, therapeutic_areas_ensure

# Order matters only for readability of the runs page: profiles first, then the posts,
# then the engagement that refers to them. The pipeline resolves any order.
RECORDING_ORDER = ("profiles", "feeds", "threads", "reposts", "likes", "followers")
DONE = (IngestRun.Status.SUCCEEDED, IngestRun.Status.PARTIAL)
FINISHED = (*DONE, IngestRun.Status.FAILED)


@dataclass
class DemoWorldResult:
    world_dir: Path
    generated: bool
    runs: list[int] = field(default_factory=list)
    skipped_recordings: int = 0
    failed_runs: list[int] = field(default_factory=list)
    scoring_runs: list[int] = field(default_factory=list)


def demo_world_recordings(world_dir: Path) -> list[Path]:
    """The world's recording files in ingestion order (Bluesky, Mastodon, file import)."""

    def rank(path: Path) -> tuple[int, str]:
        prefix = path.name.split("-")[0]
        order = RECORDING_ORDER.index(prefix) if prefix in RECORDING_ORDER else 99
        return order, path.name

    files: list[Path] = []
    for platform in ("bluesky", "mastodon"):
        files.extend(sorted((world_dir / platform).glob("*.jsonl"), key=rank))
    files.extend(sorted((world_dir / "file-import").glob("*.csv")))
    return files


def demo_world_load(
    *,
    world_dir: Path,
    size: str = "small",
    seed: int = 7,
    force: bool = False,
    timeout: float = 1800,
    say: Callable[[str], None] = print,
) -> DemoWorldResult:
    """Generate (unless present), load and ingest the demo world through the worker.

    Steps: (1) generate the world into ``world_dir`` if it has no ``summary.json``
    for this size and seed; (2) load its clinicians (NPI Registry API responses) and
    Open Payments rows, and link payments to clinicians; (3) for each recording not
    yet ingested successfully (all of them with ``force``), create an ingest run and
    queue it on the worker, one at a time, waiting for each; the post-ingest hook
    queues the compliance scan of what changed; (4) wait for those scans. Idempotent:
    loaders and ingestion skip unchanged rows, and finished recordings are skipped.
    Needs a running Celery worker on the ``ingest`` and ``scan`` queues.
    """
    result = DemoWorldResult(world_dir=world_dir, generated=False)
    summary_path = world_dir / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    if summary.get("size") != size or summary.get("seed") != seed:
        from demoworld.generate import generate_world

        started = time.monotonic()
        generate_world(out_dir=world_dir, size=size, seed=seed)
        result.generated = True
        say(
            f"generated the {size} demo world (seed {seed}) in {time.monotonic() - started:.1f} s"
        )
    else:
        say(f"reusing the {size} demo world in {world_dir}")

    report = clinicians_load_from_api_responses(
        paths=sorted((world_dir / "clinicians").glob("*.json"))
    )
    say(report.summary())
    with (world_dir / "truth" / "clinicians.csv").open(newline="") as handle:
        generated = [
            row["npi"] for row in csv.DictReader(handle) if row["source"] == "generated"
        ]
    marked = clinicians_mark_generated(npis=generated)
    say(f"{len(generated)} generated clinicians ({marked} newly marked as generated)")
    for csv_path in sorted((world_dir / "payments").glob("*.csv")):
        say(payments_load(path=csv_path).summary())
    say(f"linked {payments_link_clinicians()} payments to clinicians")
    window_end = _window_end(world_dir)
    areas = therapeutic_areas_ensure()
    if areas:
        say(areas.summary())
    programs = demo_programs_ensure(window_end=window_end)
    say(f"{len(programs)} demo programs, window ending {window_end:%Y-%m-%d}")

    started = time.monotonic()
    for path in demo_world_recordings(world_dir):
        source = Source.objects.filter(path=str(path.resolve())).first()
        if (
            not force
            and source is not None
            and source.runs.filter(status__in=DONE).exists()
        ):
            result.skipped_recordings += 1
            continue
        run = listening_services.ingest_run_for_recording(path=path)
        listening_services.ingest_run_enqueue(run=run)  # autocommit: queued at once
        run = _wait_for_run(run.pk, timeout=timeout)
        result.runs.append(run.pk)
        if run.status == IngestRun.Status.FAILED:
            result.failed_runs.append(run.pk)
        say(
            f"  {path.parent.name}/{path.name}: {run.status}, {run.received} received, "
            f"{run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
            f"{run.quarantined} quarantined, {run.interactions} interactions"
        )
    if result.skipped_recordings:
        say(f"{result.skipped_recordings} recordings were already ingested (skipped)")
    if result.runs:
        say(
            f"ingested {len(result.runs)} recordings in {time.monotonic() - started:.1f} s"
        )
        _wait_for_scans(result.runs, timeout=timeout, say=say)
    _link_accounts(timeout=timeout, say=say)
    result.scoring_runs = _score_programs(programs, timeout=timeout, say=say)
    _demo_cases(programs, say=say)
    return result


# (state the demo case is brought to, the signatures on the way as
# (demo user, decision, reason))
DEMO_CASE_PLAN = (
    (
        "approved",
        (
            ("medical", "approve", "Accurate anticoagulation teaching; risks stated."),
            ("legal", "approve", "Sponsorship disclosed; payments reviewed."),
            ("regulatory", "approve", "Fair balance and AE handling are adequate."),
        ),
    ),
    ("legal_review", (("medical", "approve", "Content is on-label and balanced."),)),
    ("medical_review", ()),
    ("candidate", ()),
    ("rejected", (("medical", "reject", "Repeated off-label dosing advice."),)),
)


def _demo_cases(programs, *, say: Callable) -> None:
    """Open demo vetting cases on the first program's top linked candidates, signed
    with the demo users' passwords, so every state has an example (idempotent: a
    program that has cases is left alone). Then raise the alerts they call for."""
    from django.contrib.auth import get_user_model

    from vetting import workflow
    from vetting.constants import demo_password
    from vetting.models import InfluencerScore, VettingCase
    from vetting.selectors import program_latest_run

    users = {u.username: u for u in get_user_model().objects.all()}
    if not programs or "analyst" not in users:
        return
    program = programs[0]
    run = program_latest_run(program)
    if run is None or VettingCase.objects.filter(program=program).exists():
        return
    scores = (
        InfluencerScore.objects.filter(run=run, clinician__isnull=False)
        .select_related("account")
        .order_by("rank")[: len(DEMO_CASE_PLAN)]
    )
    for score, (target, signatures) in zip(scores, DEMO_CASE_PLAN, strict=False):
        case, _ = workflow.case_open(
            program=program, account=score.account, user=users["analyst"]
        )
        if target != "candidate":
            workflow.case_submit(case=case, user=users["analyst"])
        for username, decision, reason in signatures:
            case.refresh_from_db()
            workflow.case_sign(
                case=case,
                user=users[username],
                decision=decision,
                reason=reason,
                password=demo_password(username),
                evidence_seen=workflow.evidence_sha256(workflow.case_evidence(case)),
            )
    alerts = workflow.alerts_refresh()
    say(
        f"demo cases: {VettingCase.objects.filter(program=program).count()} in "
        f"{program.name}; alerts raised: {sum(alerts.values())}"
    )


def _window_end(world_dir: Path) -> datetime:
    summary = json.loads((world_dir / "summary.json").read_text())
    return datetime.fromisoformat(summary["window"]["end"].replace("Z", "+00:00"))


def _link_accounts(*, timeout: float, say: Callable) -> None:
    """Link the world's accounts to clinicians on the worker and wait."""
    from influencers.tasks import accounts_link

    started = time.monotonic()
    report = accounts_link.delay().get(timeout=timeout)
    say(
        f"identity links: {report.get('linked', 0)} linked, "
        f"{report.get('unchanged', 0)} unchanged "
        f"({time.monotonic() - started:.1f} s)"
    )


def _score_programs(programs, *, timeout: float, say: Callable) -> list[int]:
    """Score every demo program on the worker (after links and scans) and wait.

    Runs the ingest hook queued meanwhile are waited for first, so the run made here
    sees the final links and findings; with unchanged inputs it is recorded as
    skipped."""
    from vetting.models import ScoringRun
    from vetting.services import scoring_run_create
    from vetting.tasks import scoring_run_execute

    started = time.monotonic()
    _wait_for_scoring(programs, timeout=timeout, pending_too=False)
    run_ids = []
    for program in programs:
        run, _ = scoring_run_create(program=program)
        if run.status == ScoringRun.Status.PENDING:
            scoring_run_execute.delay(run_id=run.pk)
        run_ids.append(run.pk)
    _wait_for_scoring(programs, timeout=timeout, pending_too=True)
    for run in ScoringRun.objects.filter(pk__in=run_ids).select_related("program"):
        say(
            f"scored {run.program.name}: {run.status}, {run.accounts_scored} "
            f"candidates, {run.edges} engagement edges"
            + (f" ({run.error})" if run.error else "")
        )
    say(f"scoring took {time.monotonic() - started:.1f} s")
    return run_ids


def _wait_for_scoring(programs, *, timeout: float, pending_too: bool) -> None:
    from vetting.models import ScoringRun

    states = ["running", "pending"] if pending_too else ["running"]
    deadline = time.monotonic() + timeout
    while ScoringRun.objects.filter(program__in=programs, status__in=states).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"scoring did not finish within {timeout:.0f} s: is a Celery worker "
                "consuming the 'score' queue?"
            )
        time.sleep(0.25)


def _wait_for_run(run_id: int, *, timeout: float) -> IngestRun:
    deadline = time.monotonic() + timeout
    while True:
        run = IngestRun.objects.get(pk=run_id)
        if run.status in FINISHED:
            return run
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"ingest run {run_id} did not finish within {timeout:.0f} s: is a "
                "Celery worker consuming the 'ingest' queue?"
            )
        time.sleep(0.25)


def _wait_for_scans(run_ids: list[int], *, timeout: float, say: Callable) -> None:
    """Wait until every run that created or changed posts has a finished scan."""
    expected = set(
        IngestRun.objects.filter(pk__in=run_ids)
        .exclude(created=0, updated=0)
        .values_list("pk", flat=True)
    )
    if not expected:
        return
    started = time.monotonic()
    deadline = started + timeout
    finished = (ScanRun.Status.SUCCEEDED, ScanRun.Status.FAILED)
    while True:
        scans = ScanRun.objects.filter(ingest_run_id__in=expected, status__in=finished)
        if set(scans.values_list("ingest_run_id", flat=True)) >= expected:
            break
        if time.monotonic() > deadline:
            say("compliance scans are still running on the worker; continuing")
            return
        time.sleep(0.5)
    totals = {"posts_scanned": 0, "findings_created": 0, "ae_cases_opened": 0}
    for scan in scans:
        for key in totals:
            totals[key] += getattr(scan, key)
    say(
        f"compliance scans: {totals['posts_scanned']} posts scanned, "
        f"{totals['findings_created']} findings, {totals['ae_cases_opened']} "
        f"adverse-event cases opened ({time.monotonic() - started:.1f} s after ingest)"
    )
