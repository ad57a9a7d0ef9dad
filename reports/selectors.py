"""Read-only queries behind the report pages: the dashboard (open work in the
user's programs), the runs page (ingest, scan and scoring runs in one table) and
the reference-data page. Nothing here writes.

Program data (findings, adverse-event cases, vetting cases, alerts, scoring runs) is
scoped to the programs the user is a member of; ingest and scan runs are not
program data and are shown to every logged-in user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.http import Http404, QueryDict
from django.utils import timezone

from compliance.models import (
    AdverseEventCase,
    Finding,
    PaymentRecord,
    Product,
    ProductLabel,
    ScanRun,
)
from influencers.models import (
    Clinician,
    MedicareSpecialtyCrosswalk,
    ReferenceLoad,
    Specialty,
)
from listening.models import IngestRun
from reports.models import Export, Shortlist, ShortlistMember
from vetting.discovery import (
    discovery_scores,
    latest_run_ids_for_user,
    specialty_names,
)
from vetting.filters import SCORE_LABELS, InfluencerScoreFilterSet
from vetting.models import (
    Alert,
    InfluencerScore,
    Program,
    ScoringRun,
    VettingCase,
)
from vetting.scoring.weights import COMPONENTS
from vetting.selectors import (
    program_latest_run,
    programs_for_user,
    scope_to_user_programs,
)


@dataclass(frozen=True)
class LoadedCount:
    """One card of the home page: how many rows of one kind are loaded."""

    key: str
    label: str
    count: int
    source: str
    # Sub-counts shown under the total, e.g. (("individuals", 9), ("organization", 1)).
    parts: tuple[tuple[str, int], ...] = ()
    detail: str = ""


def reference_counts() -> list[LoadedCount]:
    """How much reference data is loaded, one card per kind, for the home page.

    Six aggregate queries (one per table), whatever the table sizes.
    """
    clinicians = Clinician.objects.aggregate(
        total=Count("pk"),
        individuals=Count("pk", filter=Q(entity_type=Clinician.EntityType.INDIVIDUAL)),
        organizations=Count(
            "pk", filter=Q(entity_type=Clinician.EntityType.ORGANIZATION)
        ),
        generated=Count("pk", filter=Q(source=Clinician.Source.GENERATED)),
    )
    branded = Q(
        market_category=Product.MarketCategory.RX,
        approval_category__in=Product.BRANDED_APPROVALS,
    )
    products = Product.objects.aggregate(
        total=Count("pk"),
        branded=Count("pk", filter=branded),
        rx=Count("pk", filter=Q(market_category=Product.MarketCategory.RX)),
        otc=Count("pk", filter=Q(market_category=Product.MarketCategory.OTC)),
    )
    labels = ProductLabel.objects.aggregate(
        total=Count("pk"),
        branded=Count(
            "pk",
            filter=Q(
                product__market_category=Product.MarketCategory.RX,
                product__approval_category__in=Product.BRANDED_APPROVALS,
            ),
        ),
    )
    payments = PaymentRecord.objects.aggregate(
        total=Count("pk"),
        amount=Sum("amount_usd"),
        first_year=Min("program_year"),
        last_year=Max("program_year"),
    )
    return [
        LoadedCount(
            key="specialties",
            label="NUCC specialties",
            count=Specialty.objects.count(),
            source="NUCC Health Care Provider Taxonomy",
        ),
        LoadedCount(
            key="medicare-crosswalk",
            label="Medicare crosswalk rows",
            count=MedicareSpecialtyCrosswalk.objects.count(),
            source="CMS Medicare specialty to NUCC taxonomy (2019)",
        ),
        LoadedCount(
            key="npi-records",
            label="NPI records",
            count=clinicians["total"],
            source="NPPES NPI Registry",
            parts=(
                _part(clinicians["individuals"], "individual", "individuals"),
                _part(clinicians["organizations"], "organization", "organizations"),
            ),
            detail=(
                f"{clinicians['total'] - clinicians['generated']:,} real NPPES records, "
                f"{clinicians['generated']:,} generated for the demo world"
                if clinicians["generated"]
                else ""
            ),
        ),
        LoadedCount(
            key="products",
            label="Labelled Rx products (NDA/BLA)",
            count=products["branded"],
            source="FDA Structured Product Labels",
            parts=(_part(labels["branded"], "label version", "label versions"),),
        ),
        LoadedCount(
            key="other-labels",
            label="Other labelled products",
            count=products["total"] - products["branded"],
            source="Generic (ANDA) and OTC labels",
            parts=(
                ("generic Rx", products["rx"] - products["branded"]),
                ("OTC", products["otc"]),
                _part(
                    labels["total"] - labels["branded"],
                    "label version",
                    "label versions",
                ),
            ),
        ),
        LoadedCount(
            key="open-payments",
            label="Open Payments records",
            count=payments["total"],
            source="CMS Open Payments general payments",
            detail=_payments_detail(payments),
        ),
    ]


def _part(count: int, singular: str, plural: str) -> tuple[str, int]:
    return (singular if count == 1 else plural, count)


def _payments_detail(payments: dict) -> str:
    if not payments["total"]:
        return ""
    amount: Decimal = payments["amount"] or Decimal(0)
    first, last = payments["first_year"], payments["last_year"]
    years = (
        f"program year {first}" if first == last else f"program years {first}–{last}"
    )
    return f"${amount:,.2f} in {years}"


def reference_load_latest_list() -> list[ReferenceLoad]:
    """The most recent run of each loader, newest first (one query)."""
    latest = ReferenceLoad.objects.order_by("loader", "-started_at").distinct("loader")
    return sorted(latest, key=lambda load: load.started_at, reverse=True)


# --- what program data a user may see ------------------------------------------------


@dataclass(frozen=True)
class ProgramScope:
    """The programs a user is a member of (every program for a superuser), read
    once per request, and the filters that limit program data to them."""

    user: Any
    programs: tuple[Program, ...]

    @property
    def program_ids(self) -> list[int]:
        return [program.pk for program in self.programs]

    def accounts(self, queryset: models.QuerySet, account_path: str) -> models.QuerySet:
        """``queryset`` limited to rows whose account (reached by ``account_path``,
        e.g. ``"post__author"``) the user may see: the rule of
        ``vetting.selectors.scope_to_user_programs`` (scored in, or put forward by a
        case of, one of the programs; a superuser sees every row)."""
        return scope_to_user_programs(queryset, self.user, account_path=account_path)

    def of_programs(self, queryset: models.QuerySet) -> models.QuerySet:
        """``queryset`` (of rows with a ``program``) limited to the programs; rows
        without a program are left out, even for a superuser."""
        return queryset.filter(program_id__in=self.program_ids)


def program_scope(user: Any) -> ProgramScope:
    """The programs ``user`` may see, by name (one query)."""
    return ProgramScope(
        user=user, programs=tuple(programs_for_user(user).order_by("name"))
    )


# --- dashboard: open work in the user's programs -------------------------------------

SEVERITIES: tuple[str, ...] = tuple(Finding.Severity.values)  # critical first
AE_OPEN_STATUSES = (AdverseEventCase.Status.TRIAGE, AdverseEventCase.Status.REPORTABLE)
CASE_CLOSED_STATES = (VettingCase.State.APPROVED, VettingCase.State.REJECTED)
AE_URGENT = timedelta(hours=24)


@dataclass(frozen=True)
class RuleCounts:
    """Open findings of one rule: ``counts`` per severity in ``SEVERITIES`` order."""

    rule_code: str
    counts: tuple[int, ...]
    total: int

    @property
    def by_severity(self) -> list[tuple[str, int]]:
        return list(zip(SEVERITIES, self.counts, strict=True))


@dataclass(frozen=True)
class FindingCounts:
    """Open findings by rule (most first) and severity, with the totals."""

    rules: tuple[RuleCounts, ...]
    severity_totals: tuple[int, ...]
    total: int

    @property
    def by_severity(self) -> list[tuple[str, str, int]]:
        """``(severity, label, count)`` in ``SEVERITIES`` order."""
        labels = dict(Finding.Severity.choices)
        return [
            (severity, labels[severity], n)
            for severity, n in zip(SEVERITIES, self.severity_totals, strict=True)
        ]

    def chart(self) -> dict[str, Any]:
        """The data of the "findings by rule, stacked by severity" chart."""
        labels = dict(Finding.Severity.choices)
        return {
            "rules": [rule.rule_code for rule in self.rules],
            "series": [
                {
                    "key": severity,
                    "name": labels[severity],
                    "data": [rule.counts[i] for rule in self.rules],
                }
                for i, severity in enumerate(SEVERITIES)
            ],
        }


def open_finding_counts(scope: ProgramScope) -> FindingCounts:
    """Open, current findings on posts by accounts of the scope's programs, counted
    by rule and severity (one GROUP BY query, whatever the number of findings)."""
    findings = scope.accounts(
        Finding.objects.filter(status=Finding.Status.OPEN, is_current=True),
        "post__author",
    )
    rows = (
        findings.order_by()
        .values_list("rule_code", "severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    index = {severity: i for i, severity in enumerate(SEVERITIES)}
    per_rule: dict[str, list[int]] = {}
    for rule_code, severity, n in rows:
        if severity in index:
            per_rule.setdefault(rule_code, [0] * len(SEVERITIES))[index[severity]] += n
    rules = sorted(
        (
            RuleCounts(code, tuple(counts), sum(counts))
            for code, counts in per_rule.items()
        ),
        key=lambda rule: (-rule.counts[0], -rule.total, rule.rule_code),
    )
    totals = tuple(
        sum(rule.counts[i] for rule in rules) for i in range(len(SEVERITIES))
    )
    return FindingCounts(rules=tuple(rules), severity_totals=totals, total=sum(totals))


@dataclass(frozen=True)
class AeClocks:
    """Open adverse-event cases (triage or reportable): the soonest due, and how many
    there are, are overdue and are due within a day."""

    cases: list[AdverseEventCase]
    total: int
    overdue: int
    due_soon: int


def open_ae_clocks(
    scope: ProgramScope, *, limit: int = 8, now: datetime | None = None
) -> AeClocks:
    """The user's open adverse-event cases, soonest due first (two queries: the
    counts, and at most ``limit`` cases with their post, author and product)."""
    now = now or timezone.now()
    cases = scope.accounts(
        AdverseEventCase.objects.filter(status__in=AE_OPEN_STATUSES), "post__author"
    )
    counts = cases.order_by().aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(due_at__lte=now)),
        due_soon=Count("pk", filter=Q(due_at__gt=now, due_at__lte=now + AE_URGENT)),
    )
    listed = list(
        cases.select_related("post", "post__author", "product", "assignee").order_by(
            "due_at", "pk"
        )[:limit]
    )
    return AeClocks(cases=listed, **counts)


@dataclass(frozen=True)
class CaseCounts:
    """Vetting cases of the user's programs by state, in workflow order."""

    by_state: tuple[tuple[str, str, int], ...]  # (state, label, count), every state
    total: int

    @property
    def open(self) -> int:
        return sum(
            n for state, _, n in self.by_state if state not in CASE_CLOSED_STATES
        )

    def chart(self) -> dict[str, Any]:
        return {
            "states": [label for _, label, _ in self.by_state],
            "keys": [state for state, _, _ in self.by_state],
            "counts": [n for _, _, n in self.by_state],
        }


def vetting_case_counts(scope: ProgramScope) -> CaseCounts:
    """How many cases of the user's programs are in each state (one GROUP BY query;
    states without a case count 0)."""
    rows = dict(
        scope.of_programs(VettingCase.objects.all())
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    by_state = tuple(
        (state, label, rows.get(state, 0)) for state, label in VettingCase.State.choices
    )
    return CaseCounts(by_state=by_state, total=sum(n for _, _, n in by_state))


def vetting_case_open_list(
    scope: ProgramScope, user: Any, *, limit: int = 8
) -> list[VettingCase]:
    """Open cases (not approved or rejected) of the user's programs: those assigned
    to the user first, then the most recently updated (one query)."""
    mine = Case(When(assignee_id=user.pk, then=Value(0)), default=Value(1))
    return list(
        scope.of_programs(VettingCase.objects.all())
        .exclude(state__in=CASE_CLOSED_STATES)
        .select_related("program", "clinician", "account", "assignee")
        .annotate(mine_first=mine)
        .order_by("mine_first", "-updated_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class OpenAlerts:
    alerts: list[Alert]
    total: int


ALERT_LEVEL_ORDER = Case(
    *(When(level=level, then=Value(i)) for i, level in enumerate(Alert.Level.values)),
    default=Value(len(Alert.Level.values)),
)


def alert_open_list(scope: ProgramScope, *, limit: int = 8) -> OpenAlerts:
    """Unacknowledged alerts of the user's programs, most severe then newest first
    (two queries). An alert without a program is not listed: it cannot be tied to a
    membership (and the acknowledge view would not find it)."""
    alerts = scope.of_programs(Alert.objects.filter(acknowledged_at__isnull=True))
    total = alerts.order_by().count()
    listed = list(
        alerts.select_related("program")
        .annotate(level_order=ALERT_LEVEL_ORDER)
        .order_by("level_order", "-created_at", "-pk")[:limit]
    )
    return OpenAlerts(alerts=listed, total=total)


# --- runs: ingest, scan and scoring runs in one list ----------------------------------


class RunKind(models.TextChoices):
    INGEST = "ingest", "Ingest"
    SCAN = "scan", "Compliance scan"
    SCORING = "scoring", "Scoring"


def _status_choices() -> list[tuple[str, str]]:
    """Every run status once, in lifecycle order (the kinds share most of them)."""
    labels: dict[str, str] = {}
    for model in (IngestRun, ScanRun, ScoringRun):
        for value, label in model.Status.choices:
            labels.setdefault(value, label.split(" (")[0])
    order = ("pending", "running", "succeeded", "partial", "skipped", "failed")
    return sorted(labels.items(), key=lambda item: order.index(item[0]))


RUN_STATUS_CHOICES = _status_choices()
RUN_ACTIVE_STATUSES = ("pending", "running")


@dataclass
class RunRow:
    """One run of any kind for the runs tables; ``run`` is the model instance."""

    kind: str
    run: IngestRun | ScanRun | ScoringRun
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return RunKind(self.kind).label

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.run.pk}"

    @property
    def is_active(self) -> bool:
        return self.run.status in RUN_ACTIVE_STATUSES


def _ingest_runs() -> models.QuerySet[IngestRun]:
    return IngestRun.objects.all()


def _scan_runs() -> models.QuerySet[ScanRun]:
    return ScanRun.objects.all()


def _scoring_runs(scope: ProgramScope) -> models.QuerySet[ScoringRun]:
    return scope.of_programs(ScoringRun.objects.all())


def run_key_list(
    scope: ProgramScope, *, kind: str = "", status: str = ""
) -> models.QuerySet:
    """``{"kind", "id", "status", "created_at"}`` of every run the user may see,
    newest first: ingest and scan runs (not program data) and the scoring runs of
    the user's programs, as one ``UNION ALL`` that paginates in SQL. Load the rows of
    a page with ``run_rows``."""
    sources = {
        RunKind.INGEST: _ingest_runs(),
        RunKind.SCAN: _scan_runs(),
        RunKind.SCORING: _scoring_runs(scope),
    }
    parts = []
    for run_kind, runs in sources.items():
        if kind and kind != run_kind:
            continue
        if status:
            runs = runs.filter(status=status)
        parts.append(
            runs.order_by()
            .annotate(kind=Value(run_kind.value, output_field=CharField()))
            .values("id", "status", "created_at", "kind")
        )
    if not parts:
        return IngestRun.objects.none().values("id", "status", "created_at")
    first, *rest = parts
    union = first.union(*rest, all=True) if rest else first
    return union.order_by("-created_at", "-id")


def run_rows(keys: Iterable[dict[str, Any]]) -> list[RunRow]:
    """The runs named by ``keys`` (from ``run_key_list``) in the same order, with
    what their rows show loaded: at most one query per kind."""
    keys = list(keys)
    wanted: dict[str, list[int]] = {}
    for key in keys:
        wanted.setdefault(key["kind"], []).append(key["id"])
    loaded: dict[tuple[str, int], Any] = {}
    loaders = {
        RunKind.INGEST: lambda ids: IngestRun.objects.select_related("source").filter(
            pk__in=ids
        ),
        RunKind.SCAN: lambda ids: ScanRun.objects.filter(pk__in=ids),
        RunKind.SCORING: lambda ids: ScoringRun.objects.select_related(
            "program"
        ).filter(pk__in=ids),
    }
    for run_kind, ids in wanted.items():
        for run in loaders[RunKind(run_kind)](ids):
            loaded[(run_kind, run.pk)] = run
    return [
        RunRow(kind=key["kind"], run=loaded[(key["kind"], key["id"])])
        for key in keys
        if (key["kind"], key["id"]) in loaded
    ]


def run_recent_list(scope: ProgramScope, *, per_kind: int = 4) -> list[RunRow]:
    """The latest ``per_kind`` runs of each kind the user may see, newest first
    (three queries)."""
    rows = [
        RunRow(kind=RunKind.INGEST.value, run=run)
        for run in _ingest_runs()
        .select_related("source")
        .order_by("-created_at", "-pk")[:per_kind]
    ]
    rows += [
        RunRow(kind=RunKind.SCAN.value, run=run)
        for run in _scan_runs().order_by("-created_at", "-pk")[:per_kind]
    ]
    rows += [
        RunRow(kind=RunKind.SCORING.value, run=run)
        for run in _scoring_runs(scope)
        .select_related("program")
        .order_by("-created_at", "-pk")[:per_kind]
    ]
    return sorted(rows, key=lambda row: row.run.created_at, reverse=True)


# --- shortlists and exports ------------------------------------------------------------
# Shortlists belong to a program: every member of it sees them (analysts and admins
# change them, reports.services checks the role). An export is visible to whoever
# asked for it and, when it is bound to a program (a shortlist, or discovery
# filtered to one program), to the members of that program. Anything else is a 404.

# Findings that count as compliance flags in an export and a frozen score.
FLAG_STATUSES = (
    Finding.Status.OPEN,
    Finding.Status.CONFIRMED,
    Finding.Status.ESCALATED,
)


def shortlists_for_user(user: Any) -> models.QuerySet[Shortlist]:
    """Shortlists of the programs ``user`` is a member of, with their program, owner
    and number of members, most recently changed first (one query)."""
    return (
        Shortlist.objects.filter(program__in=programs_for_user(user).values("pk"))
        .select_related("program", "owner")
        .annotate(member_count=Count("members"))
        .order_by("-updated_at", "-pk")
    )


def shortlist_get_for_user(user: Any, pk: Any) -> Shortlist:
    """The shortlist with its program, or 404 when ``user`` is not a member of its
    program (or it does not exist)."""
    shortlist = (
        Shortlist.objects.filter(
            pk=_int_or_none(pk), program__in=programs_for_user(user).values("pk")
        )
        .select_related("program", "owner")
        .first()
    )
    if shortlist is None:
        raise Http404("No such shortlist.")
    return shortlist


def shortlist_member_get(shortlist: Shortlist, pk: Any) -> ShortlistMember:
    """A member of ``shortlist`` (404 when it is on another list or gone)."""
    member = (
        ShortlistMember.objects.filter(pk=_int_or_none(pk), shortlist=shortlist)
        .select_related("account", "clinician")
        .first()
    )
    if member is None:
        raise Http404("No such member.")
    return member


def latest_scores_by_account(
    program: Program, account_ids: Iterable[int], *, run: ScoringRun | None = None
) -> dict[int, InfluencerScore]:
    """account id -> its score in the program's latest run (``run`` when the caller
    already has it); one query, none when there is no run or no account."""
    run = run or program_latest_run(program)
    ids = list(account_ids)
    if run is None or not ids:
        return {}
    return {
        score.account_id: score
        for score in InfluencerScore.objects.filter(
            run=run, program=program, account_id__in=ids
        ).defer("subscores", "subscore_texts")
    }


@dataclass
class MemberRow:
    """One member of a shortlist as its page shows it: the frozen score (as it was
    when added) next to today's (the program's latest run), and the change. The
    view fills in the name and links."""

    member: ShortlistMember
    today: InfluencerScore | None
    specialty: str
    name: str = ""
    profile_url: str = ""
    detail_url: str = ""

    @property
    def frozen_as_of(self) -> datetime | None:
        value = (self.member.frozen or {}).get("as_of")
        return datetime.fromisoformat(value) if value else None

    @property
    def change(self) -> float | None:
        """Today's composite minus the frozen one (None when either is unknown)."""
        before = self.member.frozen_composite
        if self.today is None or self.today.composite is None or before is None:
            return None
        return self.today.composite - before

    @property
    def components(self) -> list[dict[str, Any]]:
        """Every component: frozen, today and the change (for the details row)."""
        frozen = self.member.frozen or {}
        rows = []
        for name in (*COMPONENTS, "composite"):
            before = frozen.get(name)
            now = getattr(self.today, name) if self.today is not None else None
            rows.append(
                {
                    "name": name,
                    "label": SCORE_LABELS[name],
                    "frozen": before,
                    "today": now,
                    "change": None
                    if before is None or now is None
                    else float(now) - float(before),
                }
            )
        return rows


def shortlist_member_rows(shortlist: Shortlist) -> tuple[list[MemberRow], Any]:
    """The members in rank order with today's scores, and the program's latest run
    (four queries whatever the number of members)."""
    members = list(
        shortlist.members.select_related("account", "clinician", "added_by").order_by(
            "rank", "pk"
        )
    )
    run = program_latest_run(shortlist.program)
    today = latest_scores_by_account(
        shortlist.program, [m.account_id for m in members], run=run
    )
    codes = {(m.frozen or {}).get("specialty_code") or "" for m in members}
    names = specialty_names({code for code in codes if code})
    rows = [
        MemberRow(
            member=m,
            today=today.get(m.account_id),
            specialty=names.get((m.frozen or {}).get("specialty_code") or "", ""),
        )
        for m in members
    ]
    return rows, run


@dataclass(frozen=True)
class FindingFlags:
    """The compliance flags of one account: current findings on its posts that are
    not dismissed, counted by severity (open ones apart from confirmed or
    escalated ones), and the rule codes behind them."""

    open_critical: int = 0
    open_major: int = 0
    open_minor: int = 0
    confirmed_or_escalated: int = 0
    rules: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "open_critical": self.open_critical,
            "open_major": self.open_major,
            "open_minor": self.open_minor,
            "confirmed_or_escalated": self.confirmed_or_escalated,
            "rules": list(self.rules),
        }


NO_FLAGS = FindingFlags()


def finding_flags_by_account(account_ids: Iterable[int]) -> dict[int, FindingFlags]:
    """account id -> its ``FindingFlags`` (one grouped query; accounts without a
    flag are absent)."""
    ids = list(account_ids)
    if not ids:
        return {}
    counts: dict[int, dict[str, Any]] = {}
    grouped = (
        Finding.objects.filter(
            is_current=True, status__in=FLAG_STATUSES, post__author_id__in=ids
        )
        .values_list("post__author_id", "status", "severity", "rule_code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for author_id, status, severity, rule, n in grouped:
        entry = counts.setdefault(
            author_id,
            {"open_critical": 0, "open_major": 0, "open_minor": 0, "other": 0},
        )
        entry.setdefault("rules", set()).add(rule)
        if status == Finding.Status.OPEN:
            entry[f"open_{severity}"] = entry.get(f"open_{severity}", 0) + n
        else:
            entry["other"] += n
    return {
        author_id: FindingFlags(
            open_critical=entry["open_critical"],
            open_major=entry["open_major"],
            open_minor=entry["open_minor"],
            confirmed_or_escalated=entry["other"],
            rules=tuple(sorted(entry.get("rules", ()))),
        )
        for author_id, entry in counts.items()
    }


class _UserRequest:
    """What ``InfluencerScoreFilterSet`` reads of a request (its user), for an
    export built outside a request (a task)."""

    def __init__(self, user: Any):
        self.user = user


def discovery_filter_keys() -> tuple[str, ...]:
    """The query parameters of the discovery page that choose rows and order."""
    return tuple(InfluencerScoreFilterSet.base_filters)


def discovery_export_scores(
    user: Any, query: dict[str, list[str]], *, run_ids: list[int] | None = None
) -> models.QuerySet[InfluencerScore]:
    """The scores the discovery page lists for ``user`` with ``query`` (its GET
    parameters), in the page's order, unpaged: the same selector
    (``vetting.discovery.discovery_scores``) and FilterSet. ``run_ids`` (the runs
    that were the latest when the export was asked for) are kept only while they
    are still runs of the user's programs. A filter the page would ignore (a bad
    value) is ignored here too."""
    allowed = latest_run_ids_for_user(user)
    if run_ids is not None:
        allowed_runs = set(
            ScoringRun.objects.filter(
                pk__in=run_ids, program__in=programs_for_user(user).values("pk")
            ).values_list("pk", flat=True)
        )
        allowed = [pk for pk in run_ids if pk in allowed_runs]
    data = QueryDict(mutable=True)
    for key in discovery_filter_keys():
        values = query.get(key) or []
        if isinstance(values, str):
            values = [values]
        data.setlist(key, [str(v) for v in values])
    filterset = InfluencerScoreFilterSet(
        data, queryset=discovery_scores(allowed), request=_UserRequest(user)
    )
    return filterset.qs


def exports_for_user(user: Any) -> models.QuerySet[Export]:
    """The exports ``user`` asked for, newest first, with program and shortlist."""
    if not getattr(user, "is_authenticated", False):
        return Export.objects.none()
    return (
        Export.objects.filter(requested_by=user)
        .select_related("program", "shortlist", "requested_by")
        .order_by("-created_at", "-pk")
    )


def export_get_for_user(user: Any, pk: Any) -> Export:
    """An export ``user`` may see and download: theirs, or bound to a program they
    are a member of. Anything else is a 404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such export.")
    exports = Export.objects.select_related("program", "shortlist", "requested_by")
    if not user.is_superuser:
        programs = programs_for_user(user).values("pk")
        exports = exports.filter(
            Q(requested_by=user)
            | Q(program__in=programs)
            | Q(shortlist__program__in=programs)
        )
    export = exports.filter(pk=_int_or_none(pk)).first()
    if export is None:
        raise Http404("No such export.")
    return export


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
