"""The permission matrix (DESIGN 7): every page and every action, for every role,
a member of another program only ("outsider") and an anonymous visitor, with the
status each must get. Membership scopes everything: an outsider gets 404 on the
program's objects (never 403 with data); a member whose role may not act gets 403."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from compliance.models import AdverseEventCase, Finding
from influencers.models import TherapeuticArea
from vetting import services, workflow
from vetting.constants import (
    ROLE_ADMIN,
    ROLE_ANALYST,
    ROLE_LEGAL,
    ROLE_MEDICAL,
    ROLE_PHARMACOVIGILANCE,
    ROLE_REGULATORY,
)
from vetting.models import Alert, InfluencerScore, Program, VettingCase

PASSWORD = "matrix-Pass-2026"
ROLES = {
    "analyst": ROLE_ANALYST,
    "medical": ROLE_MEDICAL,
    "legal": ROLE_LEGAL,
    "regulatory": ROLE_REGULATORY,
    "pv": ROLE_PHARMACOVIGILANCE,
    "admin": ROLE_ADMIN,
    "outsider": ROLE_ANALYST,  # a member of another program only
}
WHO = [*ROLES, "anonymous"]


class Rollback(Exception):
    pass


@pytest.fixture
def world(program, django_user_model):
    program, star = program
    run, _ = services.scoring_run_create(program=program)
    services.scoring_run_inline(run_id=run.pk)
    other = Program.objects.create(
        name="Another team's program", slug="other-team",
        therapeutic_area=TherapeuticArea.objects.get(slug="anticoagulation"),
    )  # fmt: skip
    users = {}
    for name, role in ROLES.items():
        user = django_user_model.objects.create_user(
            username=name, password=PASSWORD, first_name=name.title()
        )
        user.groups.add(Group.objects.get(name=role))
        (other if name == "outsider" else program).members.add(user)
        users[name] = user
    scores = list(
        InfluencerScore.objects.filter(run__program=program, clinician__isnull=False)
        .exclude(account=star)
        .order_by("rank")[:2]
    )
    review, _ = workflow.case_open(program=program, account=star, user=users["analyst"])
    workflow.case_submit(case=review, user=users["analyst"])
    candidate, _ = workflow.case_open(
        program=program, account=scores[0].account, user=users["analyst"]
    )
    post = star.posts.first()
    finding = Finding.objects.create(
        post=post, rule_code="OFF_LABEL", rule_version="1", severity="major",
        evidence=[{"start": 0, "end": 4, "text": "afib"}], explanation="x",
        fingerprint="m" * 64,
    )  # fmt: skip
    now = timezone.now()
    ae = AdverseEventCase.objects.create(
        post=post, finding=finding, elements={"patient": True}, awareness_at=now,
        due_at=now + timedelta(days=15),
    )  # fmt: skip
    alert, _ = workflow.alert_raise(
        kind=Alert.Kind.NEW_PAYMENT, level=Alert.Level.INFO, key="matrix",
        message="x", program=program, case=review,
    )  # fmt: skip
    star_score = InfluencerScore.objects.get(run__program=program, account=star)
    return {
        "program": program,
        "star": star,
        "users": users,
        "review": review,
        "candidate": candidate,
        "finding": finding,
        "ae": ae,
        "alert": alert,
        "compare": f"?ids={star_score.pk}&ids={scores[1].pk}",
    }


ALL = {name: 200 for name in ROLES}
MEMBERS_ONLY = {**ALL, "outsider": 404}


def _only(roles: set[str], ok: int = 302) -> dict[str, int]:
    return {
        name: (404 if name == "outsider" else ok if name in roles else 403)
        for name in ROLES
    }


def pages(w) -> list[tuple[str, str, dict[str, int]]]:
    slug, star = w["program"].slug, w["star"].pk
    return [
        ("dashboard", reverse("reports:home"), ALL),
        ("runs", reverse("reports:runs"), ALL),
        ("reference data", reverse("reports:reference"), ALL),
        ("programs", reverse("vetting:program-list"), ALL),
        ("discovery", reverse("vetting:discover"), ALL),
        ("cases", reverse("vetting:case-list"), ALL),
        ("findings queue", reverse("review:finding-list"), ALL),
        ("AE inbox", reverse("review:ae-inbox"), ALL),
        ("draft checker", reverse("compliance:check"), ALL),
        ("ingest runs", reverse("listening:run-list"), ALL),
        ("quarantine", reverse("listening:quarantine-list"), ALL),
        ("program", reverse("vetting:program-detail", args=[slug]), MEMBERS_ONLY),
        (
            "program settings",
            reverse("vetting:program-settings", args=[slug]),
            _only({"admin"}, ok=200),
        ),
        ("score", reverse("vetting:score-detail", args=[slug, star]), MEMBERS_ONLY),
        ("profile", reverse("vetting:profile", args=[slug, star]), MEMBERS_ONLY),
        (
            "profile network",
            reverse("vetting:profile-network", args=[slug, star]),
            MEMBERS_ONLY,
        ),
        ("compare", reverse("vetting:compare") + w["compare"], MEMBERS_ONLY),
        ("case", reverse("vetting:case-detail", args=[w["review"].pk]), MEMBERS_ONLY),
        (
            "finding",
            reverse("review:finding-detail", args=[w["finding"].pk]),
            MEMBERS_ONLY,
        ),
        ("AE case", reverse("review:ae-detail", args=[w["ae"].pk]), MEMBERS_ONLY),
    ]


def actions(w) -> list[tuple[str, str, dict, dict[str, int]]]:
    slug, star = w["program"].slug, w["star"].pk
    review, candidate = w["review"].pk, w["candidate"].pk
    return [
        (
            "start scoring",
            reverse("vetting:program-score", args=[slug]),
            {},
            _only({"analyst", "admin"}),
        ),
        (
            "open case",
            reverse("vetting:case-open", args=[slug, star]),
            {},
            _only({"analyst", "medical", "admin"}),
        ),
        (
            "submit case",
            reverse("vetting:case-action", args=[candidate, "submit"]),
            {},
            _only({"analyst", "medical", "admin"}),
        ),
        (
            "hold case",
            reverse("vetting:case-action", args=[review, "hold"]),
            {"reason": "waiting"},
            _only({"medical", "legal", "regulatory", "admin"}),
        ),
        (
            "sign medical stage",
            reverse("vetting:case-detail", args=[review]),
            "SIGN",
            _only({"medical"}),
        ),
        (
            "acknowledge alert",
            reverse("vetting:alert-ack", args=[w["alert"].pk]),
            {},
            _only(set(ROLES)),
        ),
        (
            "decide finding",
            reverse("review:finding-detail", args=[w["finding"].pk]),
            {"status": "confirmed", "reason": "Off-label dosing."},
            _only({"medical", "legal", "regulatory", "pv", "admin"}),
        ),
        (
            "triage AE case",
            reverse("review:ae-detail", args=[w["ae"].pk]),
            {"status": "reportable", "notes": "Four elements present."},
            _only({"pv", "admin"}),
        ),
    ]


def _sign_data(w) -> dict:
    case = VettingCase.objects.get(pk=w["review"].pk)
    return {
        "decision": "approve",
        "reason": "Reviewed.",
        "password": PASSWORD,
        "evidence_sha256": workflow.evidence_sha256(workflow.case_evidence(case)),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
def test_every_page_and_action_gives_the_expected_status(
    who, world, client, monkeypatch
):
    from vetting import tasks

    monkeypatch.setattr(tasks.scoring_run_execute, "delay", lambda **kw: None)
    if who != "anonymous":
        client.force_login(world["users"][who])
    problems = []
    checked = 0
    for name, url, expected in pages(world):
        want = 302 if who == "anonymous" else expected[who]
        got = client.get(url).status_code
        checked += 1
        if got != want:
            problems.append(f"GET {name} {url}: {got}, expected {want}")
    for name, url, data, expected in actions(world):
        want = 302 if who == "anonymous" else expected[who]
        try:
            with transaction.atomic():  # each action sees the same starting state
                body = _sign_data(world) if data == "SIGN" else data
                got = client.post(url, body).status_code
                raise Rollback
        except Rollback:
            pass
        checked += 1
        if got != want:
            problems.append(f"POST {name} {url}: {got}, expected {want}")
    assert not problems, "\n".join(problems)
    assert checked == len(pages(world)) + len(actions(world))
