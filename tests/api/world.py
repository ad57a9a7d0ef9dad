"""Builders of the REST API tests' world: two programs, each with ranked scores, posts,
findings, an adverse-event case, a vetting case and an alert; members of one
program or the other in each role; API clients by session or by token."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count

from django.utils import timezone
from rest_framework.test import APIClient

from compliance.models import AdverseEventCase, Finding
from influencers.models import SocialAccount
from listening.models import Post
from reports.services_tokens import api_token_create
from tests.influencers.factories import SocialAccountFactory
from tests.reports import world as w
from vetting.models import Alert, InfluencerScore, Program, ScoringRun, VettingCase

_seq = count(1)


@dataclass
class ProgramWorld:
    """One program's rows, by kind."""

    program: Program
    run: ScoringRun
    old_run: ScoringRun
    accounts: list[SocialAccount] = field(default_factory=list)
    scores: list[InfluencerScore] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    ae_cases: list[AdverseEventCase] = field(default_factory=list)
    cases: list[VettingCase] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def add_candidates(pw: ProgramWorld, n: int) -> None:
    """``n`` more candidates of the program: an account scored in its latest run
    (and in the old run), a post, a finding, an adverse-event case, a vetting case
    and an alert each."""
    now = timezone.now()
    for _ in range(n):
        i = next(_seq)
        account = SocialAccountFactory(followers_count=1000 + i)
        pw.accounts.append(account)
        rank = len(pw.scores) + 1
        composite = max(0.0, 0.99 - rank * 0.01)
        pw.scores.append(
            InfluencerScore.objects.create(
                run=pw.run,
                program=pw.program,
                account=account,
                clinician=account.clinician,
                specialty_code=account.clinician.primary_taxonomy_code,
                as_of=now,
                scoring_version="2.1.0",
                followers=account.followers_count,
                alignment=0.5,
                trust_density=0.4,
                composite=composite,
                rank=rank,
                gates_passed=rank % 2 == 1,
                gate_failures=[] if rank % 2 == 1 else ["identity"],
                authenticity_flagged=rank % 3 == 0,
                contributions={"alignment": 0.1},
                flags=[{"signal": "pod", "value": 0.5, "evidence": "a pod"}]
                if rank % 3 == 0
                else [],
            )
        )
        InfluencerScore.objects.create(
            run=pw.old_run,
            program=pw.program,
            account=account,
            as_of=now - timedelta(days=7),
            scoring_version="2.0.0",
            composite=0.5,
            rank=rank,
        )
        post = Post.objects.create(
            platform="bluesky",
            external_id=f"at://api-tests/post/{i}",
            author=account,
            text=f"Post {i} <b>not markup</b> about #afib",
            posted_at=now - timedelta(minutes=i),
            content_sha256=hashlib.sha256(str(i).encode()).hexdigest(),
            first_seen_at=now - timedelta(minutes=i),
            content_changed_at=now - timedelta(minutes=i),
            raw={},
        )
        pw.posts.append(post)
        pw.findings.append(
            Finding.objects.create(
                post=post,
                rule_code="OFF_LABEL" if i % 2 else "UNDISCLOSED_SPONSORSHIP",
                rule_version="1.0",
                severity="critical" if i % 2 else "minor",
                evidence=[{"start": 0, "end": 4, "text": "Post"}],
                explanation="Flagged for the test.",
                fingerprint=f"api-test-{i}",
            )
        )
        pw.ae_cases.append(
            AdverseEventCase.objects.create(
                post=post,
                elements={"patient": "my patient", "event": ["bleed"]},
                awareness_at=now - timedelta(days=1),
                due_at=now + timedelta(days=14, minutes=i),
            )
        )
        pw.cases.append(
            VettingCase.objects.create(
                program=pw.program,
                clinician=account.clinician,
                account=account,
                evidence={"npi": account.clinician.npi},
            )
        )
        pw.alerts.append(w.alert(pw.program, f"Alert {i}"))


def program_world(name: str, n: int) -> ProgramWorld:
    program = w.program(name)
    old_run = w.scoring_run(program, finished_at=timezone.now() - timedelta(days=7))
    run = w.scoring_run(program)
    pw = ProgramWorld(program=program, run=run, old_run=old_run)
    add_candidates(pw, n)
    return pw


@dataclass
class World:
    a: ProgramWorld
    b: ProgramWorld
    analyst: object  # member of A
    medical: object  # member of A
    admin: object  # member of A
    outsider: object  # an analyst, member of B only


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def token_client(user, *, read_only: bool = True) -> APIClient:
    created = api_token_create(
        user=user, name=f"test {next(_seq)}", read_only=read_only
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {created.key}")
    return client
