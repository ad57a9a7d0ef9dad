"""A small scored world for the shortlist and export tests: a program ("Heart") the
analyst, an admin and a medical reviewer are members of, with five candidates of
its latest run (and an older run), compliance findings on two of them, tricky text
(formula prefixes) in handles and names; and a second program ("Secret") whose
analyst is an outsider to Heart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count

from compliance.models import Finding
from influencers.models import SocialAccount, TherapeuticArea
from tests.influencers.factories import (
    ClinicianFactory,
    SocialAccountFactory,
    SpecialtyFactory,
)
from tests.reports import world as w
from vetting.constants import ROLE_ADMIN, ROLE_ANALYST, ROLE_MEDICAL
from vetting.models import InfluencerScore, Program, ScoringRun
from vetting.scoring.weights import COMPONENTS

AS_OF = datetime(2025, 7, 1, tzinfo=UTC)
CARDIO = "207RC0000X"
_seq = count(1)


@dataclass
class World:
    heart: Program
    secret: Program
    run: ScoringRun
    old_run: ScoringRun
    secret_run: ScoringRun
    accounts: list[SocialAccount]
    scores: list[InfluencerScore]
    secret_score: InfluencerScore
    analyst: object
    admin: object
    medical: object
    outsider: object
    findings: dict[str, Finding] = field(default_factory=dict)


def scoring_run(program: Program, *, day: int) -> ScoringRun:
    return ScoringRun.objects.create(
        program=program,
        status=ScoringRun.Status.SUCCEEDED,
        scoring_version="1.0",
        started_at=datetime(2025, 7, day, tzinfo=UTC),
        finished_at=datetime(2025, 7, day, 1, tzinfo=UTC),
        parameters={"weights": dict.fromkeys(COMPONENTS, 0.1)},
    )


def score(run: ScoringRun, account: SocialAccount, *, rank: int, composite, **values):
    """A score of ``account`` in ``run`` with every component (0.5 unless given)."""
    fields = dict.fromkeys(COMPONENTS, 0.5)
    fields.update(values.pop("components", {}))
    clinician = account.clinician
    return InfluencerScore.objects.create(
        run=run,
        program=run.program,
        account=account,
        clinician=clinician,
        specialty_code=clinician.primary_taxonomy_code if clinician else "",
        as_of=values.pop("as_of", AS_OF),
        scoring_version=values.pop("scoring_version", "1.0"),
        followers=account.followers_count,
        composite=composite,
        rank=rank,
        specialty_rank=rank,
        contributions={c: round(0.1 * (fields[c] or 0.0), 4) for c in COMPONENTS},
        flags=[],
        **fields,
        **values,
    )


def account(handle: str, *, display_name: str = "", clinician=True, **extra):
    if clinician:
        extra.setdefault(
            "clinician",
            ClinicianFactory(
                primary_specialty=_cardio(),
                first_name=extra.pop("first_name", "ADA"),
                last_name=extra.pop("last_name", f"LOVELACE{next(_seq)}"),
            ),
        )
    else:
        extra.update(clinician=None, link_method="", link_confidence=None)
    return SocialAccountFactory(
        handle=handle, display_name=display_name or handle.title(), **extra
    )


def _cardio():
    from influencers.models import Specialty

    found = Specialty.objects.filter(code=CARDIO).first()
    return found or SpecialtyFactory(
        code=CARDIO, classification="Internal Medicine", display_name="Cardiology"
    )


def build() -> World:
    area, _ = TherapeuticArea.objects.get_or_create(
        slug="anticoag", defaults={"name": "Anticoagulation"}
    )
    heart = Program.objects.create(name="Heart", slug="heart", therapeutic_area=area)
    secret = Program.objects.create(name="Secret", slug="secret", therapeutic_area=area)
    analyst = w.user(ROLE_ANALYST, username="ana", programs=[heart])
    admin = w.user(ROLE_ADMIN, username="adm", programs=[heart])
    medical = w.user(ROLE_MEDICAL, username="med", programs=[heart])
    outsider = w.user(ROLE_ANALYST, username="out", programs=[secret])

    accounts = [
        account("star.bsky.social", first_name="ADA", last_name="STAR"),
        account('=HYPERLINK("http://evil")', display_name="+cmd|calc"),
        account("mid.bsky.social", first_name="BORIS", last_name="MID"),
        account("@sum.bsky.social", display_name="-2+3", clinician=False),
        account("low.bsky.social", first_name="CARL", last_name="LOW"),
    ]
    old_run = scoring_run(heart, day=1)
    for i, acc in enumerate(accounts):
        score(old_run, acc, rank=i + 1, composite=0.9 - 0.1 * i)
    run = scoring_run(heart, day=2)
    scores = [
        score(
            run,
            accounts[0],
            rank=1,
            composite=0.81,
            components={"trust_density": 0.93, "alignment": 0.9},
        ),
        score(run, accounts[1], rank=2, composite=0.7),
        score(
            run,
            accounts[2],
            rank=3,
            composite=0.6,
            gates_passed=False,
            gate_failures=["open critical finding"],
        ),
        score(run, accounts[3], rank=4, composite=0.4, authenticity_flagged=True),
        score(run, accounts[4], rank=5, composite=None, components={"spread": None}),
    ]
    for s in scores[:2] + scores[3:]:
        InfluencerScore.objects.filter(pk=s.pk).update(gates_passed=True)
        s.gates_passed = True
    secret_run = scoring_run(secret, day=2)
    secret_account = account("secret.bsky.social", first_name="EVE", last_name="SECRET")
    secret_score = score(secret_run, secret_account, rank=1, composite=0.95)

    findings = {
        "critical": w.finding(accounts[2], "OFF_LABEL", "critical"),
        "major": w.finding(accounts[2], "FAIR_BALANCE", "major"),
        "confirmed": w.finding(
            accounts[2],
            "UNDISCLOSED_SPONSORSHIP",
            "minor",
            status=Finding.Status.CONFIRMED,
            decided_by=analyst,
        ),
        "dismissed": w.finding(
            accounts[2],
            "AE_MENTION",
            "critical",
            status=Finding.Status.DISMISSED,
            decided_by=analyst,
        ),
        "superseded": w.finding(accounts[2], "OLD_RULE", "critical", is_current=False),
        "minor": w.finding(accounts[0], "OVERSTATED", "minor"),
    }
    return World(
        heart=heart,
        secret=secret,
        run=run,
        old_run=old_run,
        secret_run=secret_run,
        accounts=accounts,
        scores=scores,
        secret_score=secret_score,
        analyst=analyst,
        admin=admin,
        medical=medical,
        outsider=outsider,
        findings=findings,
    )
