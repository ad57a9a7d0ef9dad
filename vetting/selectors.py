"""Reads of the vetting app, scoped to what the user may see (DESIGN 7: users see
only the programs they are members of; anything else is a 404, never a 403)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from vetting.models import InfluencerScore, Program, ScoringRun, VettingCase


def programs_for_user(user: Any) -> QuerySet[Program]:
    """Programs ``user`` is a member of (every program for a superuser)."""
    programs = Program.objects.select_related("therapeutic_area")
    if not getattr(user, "is_authenticated", False):
        return programs.none()
    if user.is_superuser:
        return programs
    return programs.filter(members=user)


def program_get_for_user(user: Any, slug: str) -> Program:
    """The program, or 404 when it does not exist or ``user`` is not a member."""
    program = programs_for_user(user).filter(slug=slug).first()
    if program is None:
        raise Http404("No such program.")
    return program


def scope_to_user_programs(
    queryset: QuerySet, user: Any, *, account_path: str
) -> QuerySet:
    """``queryset`` limited to rows whose account (reached by ``account_path``, e.g.
    ``"post__author"``) ``user`` may see: accounts scored in, or put forward by a
    case of, a program they are a member of (a superuser sees all). Rows outside
    are simply absent, so a detail lookup on them is a 404, never a 403."""
    if getattr(user, "is_superuser", False):
        return queryset
    programs = programs_for_user(user).values("pk")
    # correlated EXISTS: the planner probes the (account, program) index once per
    # candidate row instead of scanning every post to build an IN list
    account = OuterRef(account_path)
    scored = InfluencerScore.objects.filter(program__in=programs, account_id=account)
    cased = VettingCase.objects.filter(program__in=programs, account_id=account)
    return queryset.filter(Exists(scored) | Exists(cased))


def program_latest_run(program: Program) -> ScoringRun | None:
    """The latest run that wrote scores (a skipped run keeps the previous scores)."""
    return (
        ScoringRun.objects.filter(program=program, status=ScoringRun.Status.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .first()
    )


def program_runs(program: Program, limit: int = 10) -> list[ScoringRun]:
    return list(ScoringRun.objects.filter(program=program).order_by("-pk")[:limit])


def program_scores(
    program: Program,
    run: ScoringRun,
    *,
    specialty: str = "",
    gates: str = "",
) -> QuerySet[InfluencerScore]:
    """The run's scores ranked, with the account and clinician (one query)."""
    scores = InfluencerScore.objects.filter(run=run, program=program).select_related(
        "account", "clinician", "clinician__primary_specialty"
    )
    if specialty:
        scores = scores.filter(specialty_code=specialty)
    if gates == "passed":
        scores = scores.filter(gates_passed=True)
    elif gates == "failed":
        scores = scores.filter(gates_passed=False)
    return scores.order_by("rank")


def _run_key(run: ScoringRun) -> str:
    """A cache key part for a run's scores: its id and when it finished."""
    finished = run.finished_at.timestamp() if run.finished_at else 0
    return f"{run.pk}:{finished}"


def program_specialties(run: ScoringRun) -> list[tuple[str, str, int]]:
    """``(code, name, candidates)`` of the specialties scored in ``run`` (cached per
    run: a succeeded run's scores never change)."""
    return cache.get_or_set(
        f"vetting:program_specialties:{_run_key(run)}",
        lambda: _run_specialties(run),
        24 * 3600,
    )


def _run_specialties(run: ScoringRun) -> list[tuple[str, str, int]]:
    from influencers.models import Specialty

    counts = (
        InfluencerScore.objects.filter(run=run)
        .exclude(specialty_code="")
        .values("specialty_code")
        .annotate(n=Count("*"))
        .order_by("specialty_code")
    )
    names = dict(
        Specialty.objects.filter(
            code__in=[c["specialty_code"] for c in counts]
        ).values_list("code", "display_name")
    )
    return [
        (c["specialty_code"], names.get(c["specialty_code"], ""), c["n"])
        for c in counts
    ]


def score_get(program: Program, run: ScoringRun, account_id: int) -> InfluencerScore:
    score = (
        InfluencerScore.objects.filter(run=run, program=program, account_id=account_id)
        .select_related("account", "clinician", "clinician__primary_specialty")
        .first()
    )
    if score is None:
        raise Http404("This account was not scored in the program's latest run.")
    return score


def program_counts(program: Program, run: ScoringRun | None) -> dict[str, int]:
    if run is None:
        return {"candidates": 0, "passed": 0, "flagged": 0}
    # a succeeded run's scores never change: count them once per run (a full scan
    # of the run's rows, ~100 ms at 52K candidates)
    return cache.get_or_set(
        f"vetting:program_counts:{_run_key(run)}", lambda: _run_counts(run), 24 * 3600
    )


def _run_counts(run: ScoringRun) -> dict[str, int]:
    return InfluencerScore.objects.filter(run=run).aggregate(
        candidates=Count("*"),
        passed=Count("pk", filter=Q(gates_passed=True)),
        flagged=Count("pk", filter=Q(authenticity_flagged=True)),
    )
