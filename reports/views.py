"""Read-only report pages: the dashboard (open work in the user's programs), every
run in one table with live progress, and the reference data that is loaded.

Every page needs a login. What a page shows is scoped by the selectors to the
programs the user is a member of; nothing here writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.generic import ListView, TemplateView

from reports import selectors
from reports.forms import RunFilterForm

RUNS_PAGE_SIZE = 50
DASHBOARD_LIST_LIMIT = 8
RECENT_RUNS_PER_KIND = 4

# URL names of pages other apps own. The findings queue and AE inbox are moving from
# ``compliance`` to ``review``; the first name that resolves wins, so these pages
# link correctly before and after the move. A page that does not exist yet (the case
# page, acknowledging an alert) gets no link or button at all.
FINDING_LIST_URLS = ("review:finding-list", "compliance:finding-list")
AE_INBOX_URLS = ("review:ae-inbox", "compliance:ae-inbox")
AE_DETAIL_URLS = ("review:ae-detail", "compliance:ae-detail")
CASE_LIST_URLS = ("vetting:case-list",)
CASE_DETAIL_URLS = ("vetting:case-detail",)
ALERT_ACK_URLS = ("vetting:alert-ack",)


def reverse_first(names: tuple[str, ...], **kwargs: Any) -> str:
    """The URL of the first of ``names`` that resolves with ``kwargs``, else ""."""
    for name in names:
        try:
            return reverse(name, kwargs=kwargs or None)
        except NoReverseMatch:
            continue
    return ""


def duration_text(seconds: float) -> str:
    """A short duration: "under 1 s", "42 s", "2 min 5 s", "3 h 4 min", "2 d 3 h"."""
    seconds = max(0, round(seconds))
    if seconds < 1:
        return "under 1 s"
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


def time_left(due_at: datetime, now: datetime) -> tuple[str, bool, bool]:
    """``(text, overdue, urgent)`` for a clock due at ``due_at``: "3 d 4 h left",
    or "overdue by 2 h"; urgent when under a day is left. Pure."""
    seconds = (due_at - now).total_seconds()
    if seconds <= 0:
        return f"overdue by {duration_text(-seconds)}", True, True
    return f"{duration_text(seconds)} left", False, seconds < 24 * 3600


def _htmx_target(request: HttpRequest) -> str | None:
    htmx = getattr(request, "htmx", None)
    return htmx.target if htmx else None


def _count(key: str, value: int, singular: str, plural: str | None = None):
    label = singular if value == 1 else (plural or singular)
    return (key, f"{value:,}", label)


def _run_counts(row: selectors.RunRow) -> list[tuple[str, str, str]]:
    """``(key, value, label)`` of the counts a run's row shows, by kind: built here
    once rather than by a dozen template lookups and filters per row."""
    run = row.run
    if row.kind == selectors.RunKind.INGEST:
        counts = [
            _count("received", run.received, "received"),
            _count("created", run.created, "new"),
            _count("updated", run.updated, "updated"),
        ]
        if run.interactions:
            counts.append(_count("interactions", run.interactions, "interactions"))
        if run.quarantined:
            counts.append(_count("quarantined", run.quarantined, "quarantined"))
        return counts
    if row.kind == selectors.RunKind.SCAN:
        counts = [
            _count("posts_scanned", run.posts_scanned, "post scanned", "posts scanned"),
            _count(
                "findings_created", run.findings_created, "new finding", "new findings"
            ),
        ]
        if run.findings_superseded:
            counts.append(
                _count("findings_superseded", run.findings_superseded, "superseded")
            )
        if run.ae_cases_opened:
            counts.append(
                _count(
                    "ae_cases_opened",
                    run.ae_cases_opened,
                    "AE case opened",
                    "AE cases opened",
                )
            )
        return counts
    return [
        _count(
            "accounts_scored", run.accounts_scored, "account scored", "accounts scored"
        ),
        _count("edges", run.edges, "edge", "edges"),
    ]


def _run_row_annotate(row: selectors.RunRow, now: datetime) -> selectors.RunRow:
    """Add what the runs tables show but the row does not store: the counts, the
    duration (so far, if unfinished), the run's page and what it ran on (with its
    page), and for a scoring run the parts done."""
    run = row.run
    extra = row.extra
    extra["counts"] = _run_counts(row)
    if run.started_at:
        extra["duration"] = duration_text(
            ((run.finished_at or now) - run.started_at).total_seconds()
        )
    if row.kind == selectors.RunKind.INGEST:
        extra["url"] = reverse("listening:run-detail", kwargs={"pk": run.pk})
        extra["subject"] = run.source.name
    elif row.kind == selectors.RunKind.SCORING:
        extra["url"] = reverse(
            "vetting:program-detail", kwargs={"slug": run.program.slug}
        )
        extra["subject"] = run.program.name
        if run.parts_total and row.is_active:
            extra["parts"] = (run.parts_done, run.parts_total)
    elif run.ingest_run_id:
        extra["after"] = (
            run.ingest_run_id,
            reverse("listening:run-detail", kwargs={"pk": run.ingest_run_id}),
        )
    else:
        extra["subject"] = run.trigger or "scan"
    return row


class DashboardView(LoginRequiredMixin, TemplateView):
    """Open work in the user's programs: open findings by rule and severity, the
    adverse-event clocks, vetting cases by state, unacknowledged alerts, and the
    latest runs. A fixed number of queries (aggregates and short lists)."""

    template_name = "reports/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        now = timezone.now()
        scope = selectors.program_scope(user)

        findings = selectors.open_finding_counts(scope)
        clocks = selectors.open_ae_clocks(scope, limit=DASHBOARD_LIST_LIMIT, now=now)
        for case in clocks.cases:
            case.time_left, case.overdue, case.urgent = time_left(case.due_at, now)
            case.url = reverse_first(AE_DETAIL_URLS, pk=case.pk)
        case_counts = selectors.vetting_case_counts(scope)
        cases = selectors.vetting_case_open_list(
            scope, user, limit=DASHBOARD_LIST_LIMIT
        )
        case_links = bool(reverse_first(CASE_DETAIL_URLS, pk=1))
        for case in cases:
            case.url = reverse_first(CASE_DETAIL_URLS, pk=case.pk) if case_links else ""
        alerts = selectors.alert_open_list(scope, limit=DASHBOARD_LIST_LIMIT)
        ack = bool(reverse_first(ALERT_ACK_URLS, pk=1))
        for alert in alerts.alerts:
            alert.ack_url = reverse_first(ALERT_ACK_URLS, pk=alert.pk) if ack else ""
        runs = [
            _run_row_annotate(row, now)
            for row in selectors.run_recent_list(scope, per_kind=RECENT_RUNS_PER_KIND)
        ]

        findings_url = reverse_first(FINDING_LIST_URLS)
        context.update(
            programs=scope.programs,
            findings=findings,
            findings_chart={**findings.chart(), "url": findings_url},
            findings_url=findings_url,
            clocks=clocks,
            ae_inbox_url=reverse_first(AE_INBOX_URLS),
            case_counts=case_counts,
            cases_chart=case_counts.chart(),
            cases=cases,
            case_list_url=reverse_first(CASE_LIST_URLS),
            alerts=alerts,
            runs=runs,
            now=now,
        )
        return context


class RunListView(LoginRequiredMixin, ListView):
    """Ingest, scan and scoring runs in one table, newest first, filtered by kind
    and status and paginated in SQL. While a run on the page is pending or running
    the table body re-fetches itself every 2 s (htmx): the request whose HX-Target
    is the table body gets only the rows."""

    template_name = "reports/run_list.html"
    paginate_by = RUNS_PAGE_SIZE
    context_object_name = "run_keys"

    def get_queryset(self):
        self.form = RunFilterForm(self.request.GET)
        self.form.is_valid()  # an invalid value is reported and ignored
        data = getattr(self.form, "cleaned_data", {})
        return selectors.run_key_list(
            selectors.program_scope(self.request.user),
            kind=data.get("kind") or "",
            status=data.get("status") or "",
        )

    def get_template_names(self) -> list[str]:
        if _htmx_target(self.request) == "run-rows":
            return ["reports/_run_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        rows = [
            _run_row_annotate(row, now)
            for row in selectors.run_rows(context["object_list"])
        ]
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(
            rows=rows,
            form=self.form,
            polling=any(row.is_active for row in rows),
            querystring=params.urlencode(),
            filtered=any(value for key, value in params.items()),
        )
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response


class ReferenceDataView(LoginRequiredMixin, TemplateView):
    """What is loaded: counts of reference data and the last run of each loader."""

    template_name = "reports/reference_data.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["counts"] = selectors.reference_counts()
        context["loads"] = selectors.reference_load_latest_list()
        return context
