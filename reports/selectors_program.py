"""Read-only queries behind one program's dashboard (issue 8, item 5).

Two kinds of figures:

- **Of the latest scoring run** (scores are written once and never updated): the
  distribution of the composite and of every component (``width_bucket`` in SQL),
  candidates by specialty and platform, gates passed and failed by reason, and the
  drift of the composite from the run before. These come from one scan of the run's
  scores each (``GROUPING SETS``), whatever the number of candidates, and are cached
  by run (``SCORE_FIGURES_CACHE_SECONDS``): a new run has a new key.
- **Live**: findings by rule and week on posts of the run's candidates in the
  program window, adverse-event cases by status (and overdue), vetting cases by
  state and the unacknowledged alerts. Each is one grouped query.

Nothing here writes. The caller has already checked membership
(``vetting.selectors.program_get_for_user``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from compliance.models import AdverseEventCase, Finding
from influencers.models import SocialAccount, Specialty
from reports.selectors import AE_OPEN_STATUSES
from vetting.models import InfluencerScore, Program, ScoringRun
from vetting.scoring.explain import LABELS
from vetting.scoring.weights import COMPONENTS

BINS = 20  # histogram bins over [0, 1], 0.05 wide
DRIFT_BINS = 20  # change in composite, bins over [-0.5, 0.5], 0.05 wide
DRIFT_RANGE = 0.5
TOP_SPECIALTIES = 15
SCORE_FIGURES_CACHE_SECONDS = 24 * 3600
CACHE_VERSION = 1

HISTOGRAM_KEYS: tuple[str, ...] = ("composite", *COMPONENTS)
HISTOGRAM_LABELS = {"composite": "Composite fit", **LABELS}


def _bin_labels(low: float, high: float, bins: int) -> list[str]:
    width = (high - low) / bins
    return [
        f"{low + i * width:.2f}–{low + (i + 1) * width:.2f}".replace("-", "−")
        for i in range(bins)
    ]


SCORE_BIN_LABELS = _bin_labels(0.0, 1.0, BINS)
DRIFT_BIN_LABELS = _bin_labels(-DRIFT_RANGE, DRIFT_RANGE, DRIFT_BINS)
DRIFT_BIN_LABELS[0] = f"≤ {-DRIFT_RANGE + 1 / DRIFT_BINS:.2f}".replace("-", "−")
DRIFT_BIN_LABELS[-1] = f"≥ {DRIFT_RANGE - 1 / DRIFT_BINS:.2f}"


# --- figures of one run ------------------------------------------------------------


@dataclass(frozen=True)
class Histogram:
    """Candidates of one run by value of one score: ``counts[i]`` in bin ``i`` of
    ``BINS`` equal bins over [0, 1] (1.0 falls in the last); ``missing`` have no
    value (not computable)."""

    key: str
    label: str
    counts: tuple[int, ...]
    missing: int

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def rows(self) -> list[tuple[str, int]]:
        return list(zip(SCORE_BIN_LABELS, self.counts, strict=True))

    def chart(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "bins": SCORE_BIN_LABELS,
            "counts": list(self.counts),
            "missing": self.missing,
        }


@dataclass(frozen=True)
class Bar:
    """One bar of a categorical chart: a key, its label and a count."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class RunFigures:
    """What the dashboard shows of the latest run's scores."""

    run_id: int
    candidates: int
    passed: int
    flagged: int
    histograms: dict[str, Histogram]
    specialties: tuple[Bar, ...]  # top ``TOP_SPECIALTIES``, then "other", "none"
    specialty_count: int  # distinct specialties scored
    platforms: tuple[Bar, ...]
    gate_reasons: tuple[Bar, ...]  # a candidate may fail several gates

    @property
    def failed(self) -> int:
        return self.candidates - self.passed

    @property
    def component_rows(self) -> list[tuple[str, list[int]]]:
        """``(bin label, count per component)`` for the components' table."""
        return [
            (label, [self.histograms[key].counts[i] for key in COMPONENTS])
            for i, label in enumerate(SCORE_BIN_LABELS)
        ]

    @property
    def component_missing(self) -> list[int]:
        return [self.histograms[key].missing for key in COMPONENTS]


def _bucket(column: str) -> str:
    # NULL stays NULL (not computable); 1.0, the top of the range, gets bin BINS + 1
    # and is counted in the last bin by ``_bin_counts`` (LEAST/GREATEST would turn
    # NULL into a bin: PostgreSQL's ignore NULL arguments)
    return f"width_bucket({column}, 0, 1, {BINS})"


def _bin_counts(grouped: dict[Any, int], bins: int) -> tuple[int, ...]:
    """Counts of bins 1..``bins`` from ``width_bucket`` groups: bin 0 (below the
    range) joins the first, ``bins + 1`` (at or above the top) the last. Over the
    at most ``bins + 3`` grouped rows, not over candidates."""
    counts = [0] * bins
    for bin_, n in grouped.items():
        if bin_ is not None:
            counts[min(max(bin_, 1), bins) - 1] += n
    return tuple(counts)


# one scan of the run's scores, grouped by each key alone (GROUPING SETS): the
# GROUPING() bit mask says which key a row counts by
_RUN_KEYS = (*HISTOGRAM_KEYS, "specialty_code", "platform", "gates", "flagged")
_RUN_SQL = f"""
SELECT GROUPING({", ".join(f"k_{key}" for key in _RUN_KEYS)}) AS g,
       {", ".join(f"k_{key}" for key in _RUN_KEYS)}, count(*)
FROM (
    SELECT {", ".join(f"{_bucket('s.' + key)} AS k_{key}" for key in HISTOGRAM_KEYS)},
           s.specialty_code AS k_specialty_code,
           a.platform AS k_platform,
           CASE WHEN s.gates_passed THEN '' ELSE s.gate_failures::text END AS k_gates,
           s.authenticity_flagged AS k_flagged
    FROM {InfluencerScore._meta.db_table} s
    LEFT JOIN {SocialAccount._meta.db_table} a ON a.id = s.account_id
    WHERE s.run_id = %s
) AS t
GROUP BY GROUPING SETS ({", ".join(f"(k_{key})" for key in _RUN_KEYS)}, ())
"""


def _mask(key: str | None) -> int:
    """The GROUPING() value of the rows grouped by ``key`` alone (None: the total)."""
    full = (1 << len(_RUN_KEYS)) - 1
    if key is None:
        return full
    return full ^ (1 << (len(_RUN_KEYS) - 1 - _RUN_KEYS.index(key)))


def _run_key(run: ScoringRun) -> str:
    """The run in a cache key: its id and when it finished (a database rebuilt from
    scratch reuses ids, not finish times)."""
    finished = run.finished_at.timestamp() if run.finished_at else 0
    return f"{run.pk}:{finished:.6f}"


def run_figures(run: ScoringRun) -> RunFigures:
    """The distributions of ``run``'s scores, cached by run (its scores never
    change). Uncached: two queries (the grouped scan and the specialty names)."""
    key = f"reports:program-dashboard:run:{CACHE_VERSION}:{_run_key(run)}"
    figures = cache.get(key)
    if figures is None:
        figures = _run_figures(run)
        cache.set(key, figures, SCORE_FIGURES_CACHE_SECONDS)
    return figures


def _run_figures(run: ScoringRun) -> RunFigures:
    with connection.cursor() as cursor:
        cursor.execute(_RUN_SQL, [run.pk])
        rows = cursor.fetchall()
    by_key: dict[str, dict[Any, int]] = {key: {} for key in _RUN_KEYS}
    total = 0
    masks = {_mask(key): key for key in _RUN_KEYS}
    for row in rows:
        mask, values, n = row[0], row[1:-1], row[-1]
        if mask == _mask(None):
            total = n
            continue
        key = masks[mask]
        by_key[key][values[_RUN_KEYS.index(key)]] = n
    histograms = {}
    for key in HISTOGRAM_KEYS:
        counts = by_key[key]
        histograms[key] = Histogram(
            key=key,
            label=HISTOGRAM_LABELS[key],
            counts=_bin_counts(counts, BINS),
            missing=counts.get(None, 0),
        )
    passed = 0
    reasons: dict[str, int] = {}
    for failures, n in by_key["gates"].items():
        if failures == "":
            passed += n
            continue
        # a few distinct combinations of reasons, not one row per candidate
        for reason in json.loads(failures or "[]") or ["unknown"]:
            reasons[reason] = reasons.get(reason, 0) + n
    platform_labels = dict(SocialAccount.Platform.choices)
    platforms = tuple(
        Bar(key or "", platform_labels.get(key, key or "unknown"), n)
        for key, n in sorted(
            by_key["platform"].items(), key=lambda item: (-item[1], item[0] or "")
        )
    )
    return RunFigures(
        run_id=run.pk,
        candidates=total,
        passed=passed,
        flagged=by_key["flagged"].get(True, 0),
        histograms=histograms,
        specialties=_specialty_bars(by_key["specialty_code"]),
        specialty_count=sum(1 for code in by_key["specialty_code"] if code),
        platforms=platforms,
        gate_reasons=tuple(
            Bar(reason, reason, n)
            for reason, n in sorted(reasons.items(), key=lambda item: -item[1])
        ),
    )


def _specialty_bars(counts: dict[str | None, int]) -> tuple[Bar, ...]:
    """The ``TOP_SPECIALTIES`` largest specialties by name, then the rest as one
    "other specialties" bar, then candidates without a specialty (unlinked)."""
    ranked = sorted(
        ((code, n) for code, n in counts.items() if code),
        key=lambda item: (-item[1], item[0]),
    )
    top, rest = ranked[:TOP_SPECIALTIES], ranked[TOP_SPECIALTIES:]
    names = {
        specialty.code: specialty.display_name or specialty.label
        for specialty in Specialty.objects.filter(code__in=[code for code, _ in top])
    }
    bars = [Bar(code, names.get(code) or code, n) for code, n in top]
    if rest:
        bars.append(
            Bar(
                "other",
                f"{len(rest)} other specialt{'y' if len(rest) == 1 else 'ies'}",
                sum(n for _, n in rest),
            )
        )
    none = counts.get("", 0) + counts.get(None, 0)
    if none:
        bars.append(Bar("", "No specialty (account not linked to an NPI)", none))
    return tuple(bars)


# --- drift between the last two runs -----------------------------------------------


@dataclass(frozen=True)
class Drift:
    """How the composite of the candidates of ``run_id`` moved from ``previous_id``:
    ``up``/``down`` moved by more than ``threshold``; ``within`` did not; ``new``
    were not scored before, ``gone`` are no longer scored; ``uncomparable`` have no
    composite in one of the runs. ``counts`` bins the change (``DRIFT_BINS`` bins
    over [-0.5, 0.5], the end bins open)."""

    run_id: int
    previous_id: int
    threshold: float
    up: int
    down: int
    within: int
    new: int
    gone: int
    uncomparable: int
    counts: tuple[int, ...]

    @property
    def moved(self) -> int:
        return self.up + self.down

    @property
    def compared(self) -> int:
        return self.up + self.down + self.within

    @property
    def rows(self) -> list[tuple[str, int]]:
        return list(zip(DRIFT_BIN_LABELS, self.counts, strict=True))

    def chart(self) -> dict[str, Any]:
        return {
            "bins": DRIFT_BIN_LABELS,
            "counts": list(self.counts),
            "threshold": self.threshold,
            "binWidth": 2 * DRIFT_RANGE / DRIFT_BINS,
            "low": -DRIFT_RANGE,
        }


_DRIFT_SQL = f"""
SELECT GROUPING(bin) AS g, bin, count(*),
       count(*) FILTER (WHERE delta > %(t)s), count(*) FILTER (WHERE delta < -%(t)s),
       count(*) FILTER (WHERE delta BETWEEN -%(t)s AND %(t)s),
       count(*) FILTER (WHERE NOT matched),
       count(*) FILTER (WHERE matched AND delta IS NULL),
       count(*) FILTER (WHERE matched)
FROM (
    SELECT l.composite - p.composite AS delta, p.id IS NOT NULL AS matched,
           width_bucket(l.composite - p.composite,
                        -{DRIFT_RANGE}, {DRIFT_RANGE}, {DRIFT_BINS}) AS bin
    FROM {InfluencerScore._meta.db_table} l
    LEFT JOIN {InfluencerScore._meta.db_table} p
           ON p.run_id = %(previous)s AND p.account_id = l.account_id
    WHERE l.run_id = %(run)s
) AS t
GROUP BY GROUPING SETS ((bin), ())
"""


def score_drift(
    run: ScoringRun, previous: ScoringRun | None, threshold: float
) -> Drift | None:
    """The drift from ``previous`` to ``run`` (None without a previous run), cached
    by the pair of runs and the threshold. Uncached: one query (and one to count
    the previous run's candidates)."""
    if previous is None:
        return None
    key = (
        f"reports:program-dashboard:drift:{CACHE_VERSION}:{_run_key(run)}:"
        f"{_run_key(previous)}:{threshold!r}"
    )
    drift = cache.get(key)
    if drift is None:
        drift = _score_drift(run, previous, threshold)
        cache.set(key, drift, SCORE_FIGURES_CACHE_SECONDS)
    return drift


def _score_drift(run: ScoringRun, previous: ScoringRun, threshold: float) -> Drift:
    with connection.cursor() as cursor:
        cursor.execute(
            _DRIFT_SQL, {"run": run.pk, "previous": previous.pk, "t": threshold}
        )
        rows = cursor.fetchall()
    bins: dict[int, int] = {}
    totals = (0,) * 6
    for grouping, bin_, n, *counts in rows:
        if grouping:
            totals = tuple(counts)
        elif bin_ is not None:
            bins[bin_] = n
    up, down, within, new, uncomparable, matched = totals
    previous_total = InfluencerScore.objects.filter(run=previous).count()
    return Drift(
        run_id=run.pk,
        previous_id=previous.pk,
        threshold=threshold,
        up=up,
        down=down,
        within=within,
        new=new,
        gone=previous_total - matched,
        uncomparable=uncomparable,
        counts=_bin_counts(bins, DRIFT_BINS),
    )


def program_last_runs(program: Program) -> tuple[ScoringRun | None, ScoringRun | None]:
    """The latest and the one-before succeeded runs (the order of
    ``vetting.selectors.program_latest_run``; one query)."""
    runs = list(
        ScoringRun.objects.filter(
            program=program, status=ScoringRun.Status.SUCCEEDED
        ).order_by("-finished_at", "-pk")[:2]
    )
    runs += [None, None]
    return runs[0], runs[1]


# --- live figures ------------------------------------------------------------------


def _scored_in(run: ScoringRun, account_path: str) -> Exists:
    return Exists(
        InfluencerScore.objects.filter(run=run, account_id=OuterRef(account_path))
    )


def program_window(
    program: Program, run: ScoringRun | None
) -> tuple[datetime, datetime]:
    """The window the run scored (else the program's, ending now if not pinned)."""
    if run is not None and run.window_start and run.window_end:
        return run.window_start, run.window_end
    end = program.window_end or timezone.now()
    return end - timedelta(days=program.window_days), end


@dataclass(frozen=True)
class WeeklyFindings:
    """Findings by rule and week: ``series[rule][i]`` in week ``weeks[i]``
    (Monday, UTC), over the window; rules with the most findings first."""

    weeks: tuple[datetime, ...]
    rules: tuple[str, ...]
    series: dict[str, tuple[int, ...]]
    total: int

    @property
    def rows(self) -> list[tuple[datetime, list[int], int]]:
        """``(week, count per rule, week total)`` for the table."""
        out = []
        for i, week in enumerate(self.weeks):
            counts = [self.series[rule][i] for rule in self.rules]
            out.append((week, counts, sum(counts)))
        return out

    @property
    def rule_rows(self) -> list[tuple[str, int]]:
        """``(rule, findings in the window)``, most first."""
        return [(rule, sum(self.series[rule])) for rule in self.rules]

    def chart(self) -> dict[str, Any]:
        return {
            "weeks": [week.strftime("%Y-%m-%d") for week in self.weeks],
            "series": [
                {"name": rule, "data": list(self.series[rule])} for rule in self.rules
            ],
        }


def findings_by_week(run: ScoringRun, start: datetime, end: datetime) -> WeeklyFindings:
    """Current findings (dismissed ones left out) on posts published in
    [``start``, ``end``) by the candidates of ``run``, counted by rule and week of
    the post (one GROUP BY query)."""
    rows = (
        Finding.objects.filter(
            is_current=True, post__posted_at__gte=start, post__posted_at__lt=end
        )
        .exclude(status=Finding.Status.DISMISSED)
        .filter(_scored_in(run, "post__author_id"))
        .annotate(week=TruncWeek("post__posted_at"))
        .order_by()
        .values_list("week", "rule_code")
        .annotate(n=Count("pk"))
    )
    first = (start - timedelta(days=start.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    weeks = []
    week = first
    while week < end:
        weeks.append(week)
        week += timedelta(days=7)
    index = {week.date(): i for i, week in enumerate(weeks)}
    series: dict[str, list[int]] = {}
    for week, rule, n in rows:
        i = index.get(week.date())
        if i is not None:
            series.setdefault(rule, [0] * len(weeks))[i] += n
    rules = sorted(series, key=lambda rule: (-sum(series[rule]), rule))
    return WeeklyFindings(
        weeks=tuple(weeks),
        rules=tuple(rules),
        series={rule: tuple(series[rule]) for rule in rules},
        total=sum(sum(counts) for counts in series.values()),
    )


@dataclass(frozen=True)
class AeCounts:
    """Adverse-event cases on posts by the run's candidates, by status; ``overdue``
    are open (triage or reportable) past their due time."""

    by_status: tuple[tuple[str, str, int, int], ...]  # status, label, count, overdue
    total: int
    overdue: int

    def chart(self) -> dict[str, Any]:
        return {
            "bars": [
                {"key": status, "label": label, "count": n, "overdue": late}
                for status, label, n, late in self.by_status
            ]
        }


def ae_case_counts(run: ScoringRun, *, now: datetime | None = None) -> AeCounts:
    """Adverse-event cases of the run's candidates by status, with the overdue
    (one GROUP BY query; statuses without a case count 0)."""
    now = now or timezone.now()
    rows = {
        status: (n, late)
        for status, n, late in AdverseEventCase.objects.filter(
            _scored_in(run, "post__author_id")
        )
        .order_by()
        .values_list("status")
        .annotate(
            n=Count("pk"),
            late=Count("pk", filter=Q(status__in=AE_OPEN_STATUSES, due_at__lt=now)),
        )
    }
    by_status = tuple(
        (status, label, *rows.get(status, (0, 0)))
        for status, label in AdverseEventCase.Status.choices
    )
    return AeCounts(
        by_status=by_status,
        total=sum(row[2] for row in by_status),
        overdue=sum(row[3] for row in by_status),
    )
