"""Builders of program data for the dashboard and runs tests: programs with
members, accounts scored in them (which is what scopes findings and adverse-event
cases to a program), findings, adverse-event cases, vetting cases, alerts and runs
of every kind."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from itertools import count

from django.utils import timezone

from compliance.models import AdverseEventCase, Finding, ScanRun
from influencers.models import SocialAccount, TherapeuticArea
from listening.models import IngestRun, Post
from tests.influencers.factories import SocialAccountFactory
from tests.listening.factories import SourceFactory
from vetting.models import Alert, InfluencerScore, Program, ScoringRun, VettingCase
from vetting.services import user_create

PASSWORD = "correct horse battery staple 91"
_seq = count(1)


def user(role: str, *, username: str | None = None, programs=(), **extra):
    """A user with ``role``, a member of ``programs``."""
    n = next(_seq)
    extra.setdefault("first_name", "Test")
    extra.setdefault("last_name", f"User {n}")
    created = user_create(
        username=username or f"{role.split()[0]}-{n}",
        password=PASSWORD,
        role=role,
        **extra,
    )
    for program in programs:
        program.members.add(created)
    return created


def program(name: str) -> Program:
    area, _ = TherapeuticArea.objects.get_or_create(
        slug="area", defaults={"name": "Area"}
    )
    slug = name.lower().replace(" ", "-")
    return Program.objects.create(name=name, slug=slug, therapeutic_area=area)


def scoring_run(prog: Program, **fields) -> ScoringRun:
    fields.setdefault("status", ScoringRun.Status.SUCCEEDED)
    fields.setdefault("scoring_version", "1.0")
    finished = fields["status"] not in ("pending", "running")
    return ScoringRun.objects.create(program=prog, **_timed(fields, finished))


def scored_account(prog: Program, run: ScoringRun | None = None) -> SocialAccount:
    """An account scored in ``prog`` (so its posts' findings belong to the program)."""
    account = SocialAccountFactory()
    run = run or prog.scoring_runs.first() or scoring_run(prog)
    InfluencerScore.objects.create(
        run=run,
        program=prog,
        account=account,
        as_of=timezone.now(),
        scoring_version="1.0",
    )
    return account


def post(author: SocialAccount, text: str = "A post about #afib") -> Post:
    n = next(_seq)
    now = timezone.now()
    return Post.objects.create(
        platform="bluesky",
        external_id=f"at://reports/post/{n}",
        author=author,
        text=text,
        posted_at=now - timedelta(hours=2),
        content_sha256=hashlib.sha256(f"{n}{text}".encode()).hexdigest(),
        first_seen_at=now - timedelta(hours=1),
        content_changed_at=now - timedelta(hours=1),
        raw={},
    )


def finding(author: SocialAccount, rule_code: str, severity: str, **fields) -> Finding:
    fields.setdefault("rule_version", "1.1")
    fields.setdefault("explanation", "Flagged for the test.")
    return Finding.objects.create(
        post=post(author),
        rule_code=rule_code,
        severity=severity,
        fingerprint=f"reports-{next(_seq)}",
        **fields,
    )


def ae_case(author: SocialAccount, *, due_in: timedelta, **fields) -> AdverseEventCase:
    due_at = timezone.now() + due_in
    return AdverseEventCase.objects.create(
        post=post(author, "My patient had a bleed on Eliquis."),
        elements={"patient": "my patient", "event": ["bleed"]},
        awareness_at=min(due_at, timezone.now()) - timedelta(days=15),
        due_at=due_at,
        **fields,
    )


def vetting_case(prog: Program, state: str = "candidate", **fields) -> VettingCase:
    account = fields.pop("account", None) or SocialAccountFactory()
    if state == VettingCase.State.APPROVED:
        fields.setdefault("approved_at", timezone.now())
        fields.setdefault("approved_composite", 0.8)
    return VettingCase.objects.create(
        program=prog,
        clinician=account.clinician,
        account=account,
        state=state,
        **fields,
    )


def alert(prog: Program | None, message: str = "Score drifted", **fields) -> Alert:
    fields.setdefault("kind", Alert.Kind.SCORE_DRIFT)
    fields.setdefault("level", Alert.Level.WARNING)
    return Alert.objects.create(
        program=prog, message=message, key=f"reports-alert-{next(_seq)}", **fields
    )


def _timed(fields: dict, finished: bool) -> dict:
    """Start and finish times for a run that has finished (and a start for a
    running one), unless given."""
    if fields["status"] not in ("pending",):
        fields.setdefault("started_at", timezone.now() - timedelta(seconds=42))
    if finished:
        fields.setdefault("finished_at", fields["started_at"] + timedelta(seconds=12))
    return fields


def ingest_run(**fields) -> IngestRun:
    fields.setdefault("status", IngestRun.Status.SUCCEEDED)
    finished = fields["status"] not in IngestRun.ACTIVE
    return IngestRun.objects.create(source=SourceFactory(), **_timed(fields, finished))


def scan_run(**fields) -> ScanRun:
    fields.setdefault("status", ScanRun.Status.SUCCEEDED)
    finished = fields["status"] not in ("pending", "running")
    return ScanRun.objects.create(**_timed(fields, finished))
