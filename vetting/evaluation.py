"""Quality of the scores against the demo world's ground truth (``truth/`` files).

- per specialty: do the true micro-influencers rank in the top decile by composite
  fit among the specialty's scored candidates? precision@k and recall@k with k the
  decile size, and R-precision (k = number of true micro-influencers);
- authenticity: precision and recall of the flags against the boosted accounts;
- identity links: precision and recall against the clinicians behind the accounts.

Reads the latest succeeded run of each program; a specialty is evaluated in every
program that targets it.
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from influencers.models import SocialAccount
from vetting.models import InfluencerScore, Program
from vetting.selectors import program_latest_run


@dataclass
class SpecialtyQuality:
    program: str
    specialty: str
    candidates: int
    decile: int
    true_mi: int  # true micro-influencers among the specialty's scored candidates
    true_mi_unscored: int  # true MIs of the specialty not scored there (unlinked)
    hits_in_decile: int
    precision_at_decile: float
    recall_at_decile: float
    r_precision: float


@dataclass
class FlagQuality:
    scored: int
    flagged: int
    amplified_scored: int
    true_flags: int
    precision: float
    recall: float
    false_flags: list[str]


@dataclass
class LinkQuality:
    linked: int
    correct: int
    linkable: int
    clinician_accounts: int
    precision: float
    recall_linkable: float
    recall_all: float


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def _account_ids() -> dict[tuple[str, str], int]:
    return {
        (p, e): pk
        for pk, p, e in SocialAccount.objects.values_list(
            "pk", "platform", "external_id"
        )
    }


def specialty_quality(truth_dir: Path) -> list[SpecialtyQuality]:
    ids = _account_ids()
    mi_by_specialty: dict[str, set[int]] = {}
    for row in _read(truth_dir / "micro_influencers.csv"):
        pk = ids.get((row["platform"], row["external_id"]))
        if pk is not None:
            mi_by_specialty.setdefault(row["specialty_code"], set()).add(pk)
    out = []
    for program in Program.objects.prefetch_related("target_specialties"):
        run = program_latest_run(program)
        if run is None:
            continue
        for code in sorted(program.target_specialties.values_list("code", flat=True)):
            truth = mi_by_specialty.get(code, set())
            ranked = list(
                InfluencerScore.objects.filter(run=run, specialty_code=code)
                .order_by("specialty_rank")
                .values_list("account_id", flat=True)
            )
            if not ranked:
                continue
            decile = max(1, math.ceil(len(ranked) / 10))
            scored_truth = truth & set(ranked)
            top = set(ranked[:decile])
            r = len(scored_truth)
            out.append(
                SpecialtyQuality(
                    program=program.slug,
                    specialty=code,
                    candidates=len(ranked),
                    decile=decile,
                    true_mi=r,
                    true_mi_unscored=len(truth - set(ranked)),
                    hits_in_decile=len(top & scored_truth),
                    precision_at_decile=_ratio(len(top & scored_truth), decile),
                    recall_at_decile=_ratio(len(top & scored_truth), r),
                    r_precision=_ratio(len(set(ranked[:r]) & scored_truth), r),
                )
            )
    return out


def flag_quality(truth_dir: Path) -> FlagQuality:
    """Authenticity flags over every account scored in any program's latest run."""
    ids = _account_ids()
    amplified = {
        ids[(r["platform"], r["external_id"])]
        for r in _read(truth_dir / "amplified_accounts.csv")
        if (r["platform"], r["external_id"]) in ids
    }
    latest = [
        run.pk
        for program in Program.objects.all()
        if (run := program_latest_run(program))
    ]
    rows = InfluencerScore.objects.filter(run_id__in=latest).values_list(
        "account_id", "authenticity_flagged"
    )
    scored, flagged = set(), set()
    for account, flag in rows:
        scored.add(account)
        if flag:
            flagged.add(account)
    amplified_scored = amplified & scored
    true_flags = flagged & amplified
    false = SocialAccount.objects.filter(pk__in=flagged - amplified).values_list(
        "handle", flat=True
    )
    return FlagQuality(
        scored=len(scored),
        flagged=len(flagged),
        amplified_scored=len(amplified_scored),
        true_flags=len(true_flags),
        precision=_ratio(len(true_flags), len(flagged)),
        recall=_ratio(len(true_flags), len(amplified_scored)),
        false_flags=sorted(false),
    )


def link_quality(truth_dir: Path) -> LinkQuality:
    """Links of the accounts on the truth's platforms (the file-import sample's
    LinkedIn/YouTube/podcast accounts have no truth rows)."""
    truth = {
        (r["platform"], r["external_id"]): r
        for r in _read(truth_dir / "accounts.csv")
        if r["kind"] == "clinician"
    }
    platforms = {platform for platform, _ in truth}
    linked = correct = 0
    for platform, external_id, npi in (
        SocialAccount.objects.filter(clinician__isnull=False, platform__in=platforms)
        .exclude(link_status="rejected")
        .values_list("platform", "external_id", "clinician__npi")
    ):
        linked += 1
        row = truth.get((platform, external_id))
        correct += bool(row and row["npi"] == npi)
    linkable = sum(1 for r in truth.values() if r["link_method_expected"] != "none")
    return LinkQuality(
        linked=linked,
        correct=correct,
        linkable=linkable,
        clinician_accounts=len(truth),
        precision=_ratio(correct, linked),
        recall_linkable=_ratio(correct, linkable),
        recall_all=_ratio(correct, len(truth)),
    )


def quality_report(truth_dir: Path) -> dict:
    return {
        "specialties": [asdict(q) for q in specialty_quality(truth_dir)],
        "authenticity": asdict(flag_quality(truth_dir)),
        "links": asdict(link_quality(truth_dir)),
    }
