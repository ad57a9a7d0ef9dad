"""Reads of the discovery and compare pages (DESIGN 8): the latest scores of every
program the user is a member of, and a handful of them side by side.

Everything is scoped by program membership (``vetting.selectors.programs_for_user``):
a score of another program is absent, so asking for it is a 404, never a 403.
Filtering and sorting happen in SQL through ``vetting.filters.InfluencerScoreFilterSet``.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import F, QuerySet
from django.http import Http404

from vetting.models import InfluencerScore, ScoringRun
from vetting.selectors import programs_for_user

COMPARE_MAX = 4
SPECIALTY_CACHE_SECONDS = 7 * 24 * 3600
COMPARE_MIN = 2

# Large columns a list row never shows (the explanation and NPPES payloads).
LIST_DEFERRED = (
    "subscores",
    "subscore_texts",
    "flags",
    "contributions",
    "account__bio",
    "account__link_evidence",
    "clinician__nppes_payload",
    "clinician__identity_evidence",
)

DEFAULT_ORDERING = (F("composite").desc(nulls_last=True), "pk")


def latest_run_ids_for_user(user: Any) -> list[int]:
    """Ids of the latest succeeded run of each program ``user`` is a member of (one
    query; the same choice as ``selectors.program_latest_run``, per program)."""
    return list(
        ScoringRun.objects.filter(
            program__in=programs_for_user(user).values("pk"),
            status=ScoringRun.Status.SUCCEEDED,
        )
        .order_by("program_id", "-finished_at", "-pk")
        .distinct("program_id")
        .values_list("pk", flat=True)
    )


def discovery_scores(run_ids: list[int]) -> QuerySet[InfluencerScore]:
    """The scores of ``run_ids`` (from ``latest_run_ids_for_user``) with their account,
    clinician and program in the same query, best composite first. The base queryset
    of ``InfluencerScoreFilterSet``."""
    return (
        InfluencerScore.objects.filter(run_id__in=run_ids)
        .select_related("account", "clinician", "program", "program__therapeutic_area")
        .defer(*LIST_DEFERRED)
        .order_by(*DEFAULT_ORDERING)
    )


def discovery_scores_by_ids(ids: list[int]) -> list[InfluencerScore]:
    """The scores ``ids`` in that order, loaded as ``discovery_scores`` loads them
    (one query).

    A page is fetched in two steps: the filtered, sorted query selects only the ids
    of the page (PostgreSQL then keeps a 50-row top-N heap of narrow rows instead of
    sorting every wide joined row of a 100K-candidate run, which spilled to disk),
    then this loads those rows with their joins by primary key."""
    if not ids:
        return []
    rows = {
        score.pk: score
        for score in InfluencerScore.objects.filter(pk__in=ids)
        .select_related("account", "clinician", "program", "program__therapeutic_area")
        .defer(*LIST_DEFERRED)
    }
    return [rows[pk] for pk in ids if pk in rows]


def scored_specialty_codes(run_ids: list[int]) -> list[str]:
    """The NUCC codes scored in ``run_ids``, sorted. A succeeded run's scores never
    change, so each run's codes are cached (by run id) after one scan of its rows;
    a 100K-candidate run would otherwise pay that scan on every page view."""
    keys = {run_id: f"vetting:discover:run-specialties:{run_id}" for run_id in run_ids}
    cached = cache.get_many(list(keys.values()))
    codes: set[str] = set()
    missing = []
    for run_id, key in keys.items():
        if key in cached:
            codes.update(cached[key])
        else:
            missing.append(run_id)
    if missing:
        found: dict[int, set[str]] = {run_id: set() for run_id in missing}
        for run_id, code in (
            InfluencerScore.objects.filter(run_id__in=missing)
            .exclude(specialty_code="")
            .order_by()
            .values_list("run_id", "specialty_code")
            .distinct()
        ):
            found[run_id].add(code)
        cache.set_many(
            {keys[run_id]: sorted(c) for run_id, c in found.items()},
            timeout=SPECIALTY_CACHE_SECONDS,
        )
        for c in found.values():
            codes.update(c)
    return sorted(codes)


class CompareError(ValueError):
    """The selection cannot be compared (too many, too few, not numbers); the
    message is shown to the user."""


def compare_ids_parse(values: list[str]) -> list[int]:
    """Score ids from ``?ids=1&ids=2`` and/or ``?ids=1,2``: de-duplicated, in order.
    Raises ``CompareError`` unless there are ``COMPARE_MIN`` to ``COMPARE_MAX``."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise CompareError(f"“{part[:20]}” is not a candidate id.")
            if int(part) not in ids:
                ids.append(int(part))
    if len(ids) > COMPARE_MAX:
        raise CompareError(
            f"You can compare at most {COMPARE_MAX} candidates at a time; you "
            f"selected {len(ids)}. Untick some and compare again."
        )
    if len(ids) < COMPARE_MIN:
        raise CompareError(
            f"Select at least {COMPARE_MIN} candidates (at most {COMPARE_MAX}) to "
            "compare them."
        )
    return ids


def compare_scores_get_for_user(user: Any, ids: list[int]) -> list[InfluencerScore]:
    """The scores ``ids`` in that order, with account, clinician, program and run
    (one query). 404 when any of them is not in a program ``user`` is a member of."""
    scores = {
        score.pk: score
        for score in InfluencerScore.objects.filter(
            pk__in=ids, program__in=programs_for_user(user).values("pk")
        ).select_related(
            "account",
            "clinician",
            "clinician__primary_specialty",
            "program",
            "program__therapeutic_area",
            "run",
        )
    }
    if len(scores) != len(ids):
        raise Http404("No such candidate.")
    return [scores[pk] for pk in ids]


def specialty_names(codes: set[str]) -> dict[str, str]:
    """NUCC code -> display name of ``codes`` (one query, none when empty)."""
    from influencers.models import Specialty

    if not codes:
        return {}
    return {
        code: name or classification
        for code, name, classification in Specialty.objects.filter(
            code__in=codes
        ).values_list("code", "display_name", "classification")
    }
