"""Schemathesis against the API's own OpenAPI schema, on the real stack.

Schemathesis's engine (what ``schemathesis run`` drives) fetches the schema from
``/api/v1/schema/`` of pytest-django's ``live_server`` and sends every case over
HTTP: the whole middleware stack, real PostgreSQL. It authenticates with a full
(not read-only) API token of an analyst who is a member of a small program
(``tests/vetting/conftest.py``'s ``program``, scored by ``scoring_run_inline``) to
which the fixture adds a row of every other kind the API lists. Two runs:

1. every operation, with generated path parameters (mostly rows that do not exist,
   so the 404s are checked too);
2. the operations with a path parameter again, pinned to rows that exist (the
   program's slug, a finding, a score, a shortlist and its member...), so that the
   details and the actions answer with real rows; their query and body are still
   generated.

Phases: the schema's examples and fuzzing, at most ``MAX_EXAMPLES`` generated cases
per operation; no coverage phase (it combines every optional query parameter: on
the scores list alone that is thousands of cases and gigabytes) and no stateful
phase (the schema declares no links). Checks: no 5xx (``not_a_server_error``),
responses match their schema (``response_schema_conformance``), their status
codes are documented (``status_code_conformance``) and so is their content type
(``content_type_conformance``). The counts are printed and each check must have
run; a second test shows that the same run catches a 500 and a schema violation.

The error responses it checks against are the ones ``common.schema.AutoSchema``
adds to every operation (400 field errors, 401, 403, 404, 429); a path under /api/
that no route matches is a JSON 404 (``common.api.api_not_found``). About 320
cases, a minute, 250 MB.

The engine sends from a worker thread and the live server answers from its own,
each with its own database connection, so the world is committed
(``transaction=True``) and flushed after. Tasks the actions queue are recorded,
not sent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import schemathesis
from celery.app.task import Task
from rest_framework.response import Response
from schemathesis.checks import load_all_checks
from schemathesis.engine import Status, events, from_schema

from reports import services as report_services
from reports.services_tokens import api_token_create
from tests.reports import world as w
from tests.vetting.conftest import program  # noqa: F401  (a fixture)
from vetting import workflow
from vetting.api import views as api_views
from vetting.constants import ROLE_ANALYST
from vetting.models import Alert, InfluencerScore, ScoringRun
from vetting.services import scoring_run_create, scoring_run_inline

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMA_PATH = "/api/v1/schema/"
MAX_EXAMPLES = 6  # generated cases per operation (fuzzing phase)
MIN_CASES_PER_OPERATION = 5  # over both runs, for every operation
MIN_OPERATIONS = 40
CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
)
SEED = 20261122


@dataclass
class Outcome:
    """What one engine run did."""

    operations: set[str] = field(default_factory=set)
    cases: Counter = field(default_factory=Counter)  # per operation
    checks: Counter = field(default_factory=Counter)  # per check, passed or not
    # check failures and errors: (operation, check, title) -> [count, first example]
    failures: dict[tuple[str, str, str], list] = field(default_factory=dict)

    def fail(self, key: tuple[str, str, str], text: str) -> None:
        self.failures.setdefault(key, [0, text])[0] += 1

    def report(self) -> list[str]:
        return [f"{n} x {text}" for n, text in sorted(self.failures.values(), key=str)]


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    """Names of the tasks the requests queue (recorded, never sent)."""
    names: list[str] = []
    monkeypatch.setattr(
        Task, "apply_async", lambda self, *a, **k: names.append(self.name)
    )
    return names


@pytest.fixture
def api_world(program, settings, tmp_path, queued):  # noqa: F811
    """The scored program with a member analyst, a full token, and at least one
    row of every kind the API lists. Returns ``(token, pinned path parameters by
    path)``."""
    settings.MEDIA_ROOT = tmp_path / "media"
    program, star = program
    run, _ = scoring_run_create(program=program)
    run = scoring_run_inline(run_id=run.pk)
    assert run.status == ScoringRun.Status.SUCCEEDED
    analyst = w.user(ROLE_ANALYST, username="fuzz-analyst", programs=[program])
    scores = list(InfluencerScore.objects.filter(run=run).order_by("rank"))
    assert len(scores) >= 4
    accounts = [score.account for score in scores]
    finding = w.finding(accounts[0], "OFF_LABEL", "critical")
    w.finding(accounts[1], "UNDISCLOSED_SPONSORSHIP", "minor")
    ae = w.ae_case(accounts[0], due_in=timedelta(days=3))
    case, _ = workflow.case_open(program=program, account=accounts[0], user=analyst)
    alert = w.alert(program, "Composite moved", kind=Alert.Kind.SCORE_DRIFT)
    ingest_run = w.ingest_run()
    scan_run = w.scan_run()
    shortlist, _ = report_services.shortlist_create_with_members(
        program=program,
        name="Fuzzed shortlist",
        score_ids=[s.pk for s in scores[:3]],
        user=analyst,
    )
    member = shortlist.members.order_by("rank").first()
    export = report_services.export_create(
        user=analyst, kind="shortlist", file_format="csv", shortlist=shortlist
    )
    token = api_token_create(user=analyst, name="schemathesis", read_only=False).key
    shortlist_ids = {"path.id": shortlist.pk, "path.member_id": member.pk}
    pinned = {
        "/api/v1/programs/{slug}/": {"path.slug": program.slug},
        "/api/v1/programs/{slug}/score/": {"path.slug": program.slug},
        "/api/v1/clinicians/{id}/": {"path.id": star.clinician_id},
        "/api/v1/accounts/{id}/": {"path.id": star.pk},
        "/api/v1/posts/{id}/": {"path.id": finding.post_id},
        "/api/v1/findings/{id}/": {"path.id": finding.pk},
        "/api/v1/findings/{id}/decide/": {"path.id": finding.pk},
        "/api/v1/scores/{id}/": {"path.id": scores[0].pk},
        "/api/v1/scoring-runs/{id}/": {"path.id": run.pk},
        "/api/v1/ingest-runs/{id}/": {"path.id": ingest_run.pk},
        "/api/v1/sources/{id}/": {"path.id": ingest_run.source_id},
        "/api/v1/sources/{id}/ingest/": {"path.id": ingest_run.source_id},
        "/api/v1/scan-runs/{id}/": {"path.id": scan_run.pk},
        "/api/v1/ae-cases/{id}/": {"path.id": ae.pk},
        "/api/v1/cases/{id}/": {"path.id": case.pk},
        "/api/v1/alerts/{id}/": {"path.id": alert.pk},
        "/api/v1/alerts/{id}/acknowledge/": {"path.id": alert.pk},
        "/api/v1/exports/{id}/": {"path.id": export.pk},
        "/api/v1/exports/{id}/download/": {"path.id": export.pk},
        "/api/v1/shortlists/{id}/": shortlist_ids,
        "/api/v1/shortlists/{id}/members/": shortlist_ids,
        "/api/v1/shortlists/{id}/members/{member_id}/": shortlist_ids,
    }
    return token, pinned


def _config(base_url: str, token: str, operations: list[dict]):
    checks = {name: {"enabled": True} for name in CHECKS}
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": base_url,
            "workers": 1,
            # every case runs, also after a failure: stable counts, a full report
            "continue-on-failure": True,
            "headers": {"Authorization": f"Token {token}"},
            "checks": {"enabled": False, **checks},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": False},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                "no-shrink": True,
                # the token header authenticates: no generated session cookie
                "with-security-parameters": False,
            },
            "operations": operations,
        }
    )


def _run(base_url: str, token: str, operations: list[dict] | None = None) -> Outcome:
    """Run the engine over HTTP against ``base_url`` with ``operations``
    (schemathesis's per-operation settings: pinned parameters, disabled ones)."""
    load_all_checks()  # the OpenAPI checks register on import (the CLI does this)
    config = _config(base_url, token, operations or [])
    schema = schemathesis.openapi.from_url(base_url + SCHEMA_PATH, config=config)
    out = Outcome(operations={r.ok().label for r in schema.get_all_operations()})
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError):
            text = f"{event.label}: error {event.info.format()}"
            out.fail((event.label, "error", event.info.title), text)
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.ScenarioFinished) and event.label:
            out.cases[event.label] += len(event.recorder.interactions)
            for case_id, nodes in event.recorder.checks.items():
                for node in nodes:
                    out.checks[node.name] += 1
                    if node.status == Status.FAILURE:
                        title = node.failure_info.failure.title
                        out.fail(
                            (event.label, node.name, title),
                            _failure(event, case_id, node),
                        )
    return out


def _failure(event, case_id: str, node) -> str:
    """The operation, the check, the request and the response of a failure."""
    interaction = event.recorder.interactions.get(case_id)
    request = interaction.request if interaction else None
    response = interaction.response if interaction else None
    failure = node.failure_info.failure
    text = f"{event.label} [{node.name}] {failure.title}: {failure.message}"
    if request is not None:
        text += f"\n  request: {request.method} {request.uri} body={request.body!r}"
    if response is not None:
        text += f"\n  response: {response.status_code} {response.content[:800]!r}"
    return text


def _only(*paths: str) -> list[dict]:
    """Operations settings that leave only ``paths`` enabled."""
    alternatives = "|".join(p.replace("{", r"\{").replace("}", r"\}") for p in paths)
    return [{"include-path-regex": f"^(?!({alternatives})$)", "enabled": False}]


def pinned_labels(operations: set[str], pinned: dict) -> list[str]:
    """The operations whose path has pinned parameters."""
    return [op for op in operations if op.split(" ", 1)[1] in pinned]


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    api_world, live_server, queued, capsys, record_property
):
    token, pinned = api_world
    generated = _run(live_server.url, token)
    existing = _run(
        live_server.url,
        token,
        [{"include-path": path, "parameters": ids} for path, ids in pinned.items()]
        + _only(*pinned),
    )
    cases = generated.cases + existing.cases
    checks = generated.checks + existing.checks
    total = sum(cases.values())
    lines = [
        f"schemathesis {schemathesis.__version__}: {total} cases = "
        f"{sum(generated.cases.values())} with generated path parameters "
        f"({len(generated.operations)} operations) + "
        f"{sum(existing.cases.values())} on rows that exist "
        f"({len(existing.operations)} operations)",
        "  checks run: " + ", ".join(f"{n} {checks[n]}" for n in CHECKS),
        *(
            f"  {generated.cases[op]:3d} + {existing.cases[op]:2d}  {op}"
            for op in sorted(generated.operations)
        ),
        f"  tasks the actions queued (recorded, not sent): {dict(Counter(queued))}",
    ]
    record_property("schemathesis_cases", total)
    with capsys.disabled():
        print("\n" + "\n".join(lines))  # noqa: T201  (the counts the issue asks for)

    problems = generated.report() + existing.report()
    assert not problems, f"{len(problems)} problems:\n\n" + "\n\n".join(problems)
    assert len(generated.operations) >= MIN_OPERATIONS, sorted(generated.operations)
    assert existing.operations == set(pinned_labels(generated.operations, pinned))
    thin = {op: cases[op] for op in generated.operations}
    thin = {op: n for op, n in thin.items() if n < MIN_CASES_PER_OPERATION}
    assert not thin, thin
    # every case is checked for a 5xx; a check that does not apply to a response
    # (no schema for its status, say) is not counted, so the others only must run
    assert checks["not_a_server_error"] == total, (checks, total)
    assert all(checks[name] > 0 for name in CHECKS), checks


def test_the_same_run_catches_a_server_error_and_a_schema_violation(
    db, live_server, monkeypatch
):
    analyst = w.user(ROLE_ANALYST, username="fuzz-canary")
    token = api_token_create(user=analyst, name="canary", read_only=True).key

    def crash(self, request, *args, **kwargs):
        raise RuntimeError("canary")

    def malformed(self, request, *args, **kwargs):
        return Response({"results": "not a list"})

    monkeypatch.setattr(api_views.ProgramViewSet, "list", crash)
    monkeypatch.setattr(api_views.AlertViewSet, "list", malformed)
    outcome = _run(
        live_server.url, token, _only("/api/v1/programs/", "/api/v1/alerts/")
    )
    assert outcome.operations == {"GET /api/v1/programs/", "GET /api/v1/alerts/"}
    text = "\n".join(outcome.report())
    assert "GET /api/v1/programs/ [not_a_server_error]" in text, text
    assert "GET /api/v1/alerts/ [response_schema_conformance]" in text, text
