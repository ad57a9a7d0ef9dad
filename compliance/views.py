"""Reviewer pages of the compliance app: the draft checker, the findings queue
(confirm, dismiss or escalate with a reason) and the adverse-event inbox.

Every page needs a login. Deciding a finding needs one of ``DECIDER_ROLES``;
updating an adverse-event case needs one of ``AE_HANDLER_ROLES``. Everyone else
gets 403 on POST and does not see the forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView

from common.roles import user_has_role
from compliance import selectors, services
from compliance.filters import FindingFilterSet
from compliance.forms import (
    AdverseEventCaseUpdateForm,
    DraftCheckForm,
    FindingDecideForm,
)
from compliance.models import AdverseEventCase, Finding
from compliance.rules.types import RuleHit
from compliance.selectors import draft_check

# Literal names of the vetting.constants roles: compliance comes before vetting in
# the dependency chain (STYLE 1), so it must not import vetting.
DECIDER_ROLES = (
    "medical reviewer",
    "legal reviewer",
    "regulatory reviewer",
    "pharmacovigilance officer",
    "admin",
)
AE_HANDLER_ROLES = ("pharmacovigilance officer", "admin")

PAGE_SIZE = 50
EXCERPT_CHARS = 160
URGENT_SECONDS = 24 * 3600
ELEMENT_LABELS = (
    ("patient", "Patient"),
    ("reporter", "Reporter"),
    ("product", "Product"),
    ("event", "Event"),
)


def user_can_decide_finding(user: Any) -> bool:
    """Whether ``user`` may confirm, dismiss or escalate findings (one query)."""
    return user_has_role(user, DECIDER_ROLES)


def user_can_update_ae_case(user: Any) -> bool:
    """Whether ``user`` may triage adverse-event cases (one query)."""
    return user_has_role(user, AE_HANDLER_ROLES)


def _span_text(seconds: int) -> str:
    minutes = seconds // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h"
    return f"{max(minutes, 1)} min"


def time_left(due_at: datetime, now: datetime) -> tuple[str, bool]:
    """How long until ``due_at``: ("3 d 4 h left", False) or ("overdue by 2 h",
    True). The flag is True when under 24 hours are left or the case is overdue.
    Pure."""
    seconds = int((due_at - now).total_seconds())
    if seconds <= 0:
        return f"overdue by {_span_text(-seconds)}", True
    return f"{_span_text(seconds)} left", seconds < URGENT_SECONDS


def element_rows(elements: Any) -> list[tuple[str, str]]:
    """The four FDA elements as (label, text) rows; lists are joined, missing
    ones shown as empty text. Pure."""
    elements = elements if isinstance(elements, dict) else {}
    rows = []
    for key, label in ELEMENT_LABELS:
        value = elements.get(key)
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        rows.append((label, str(value) if value not in (None, "") else ""))
    return rows


def _form_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form's fields (or the form)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages_ in errors.items():
        form.add_error(field if field in form.fields else None, messages_)


def _querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@dataclass(frozen=True)
class Segment:
    """A piece of the draft: plain, or covered by the evidence of some findings.
    The template escapes ``text``; nothing here is marked safe."""

    text: str
    codes: tuple[str, ...] = ()
    kind: str = ""  # "finding" or "mention" (product names only)


def spans_segments(text: str, spans: list[tuple[int, int, str, bool]]) -> list[Segment]:
    """Cut ``text`` at every span boundary; each piece knows which rules cover it.
    ``spans`` are ``(start, end, code, is_finding)``; spans outside the text are
    clipped and empty ones dropped. Pure."""
    spans = [
        (max(0, s), min(len(text), e), code, finding)
        for s, e, code, finding in spans
        if e > s
    ]
    cuts = sorted(
        {0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)}
    )
    segments: list[Segment] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        if end <= start:
            continue
        covering = [
            (code, finding) for s, e, code, finding in spans if s <= start and end <= e
        ]
        codes = tuple(dict.fromkeys(code for code, _ in covering))
        kind = (
            "finding"
            if any(f for _, f in covering)
            else ("mention" if covering else "")
        )
        segments.append(Segment(text[start:end], codes, kind))
    return segments


def highlight_segments(text: str, hits: list[RuleHit]) -> list[Segment]:
    """The draft checker's highlighting: every hit's evidence. Pure."""
    return spans_segments(
        text,
        [(e.start, e.end, h.code, h.is_finding) for h in hits for e in h.evidence],
    )


def finding_segments(text: str, finding: Finding) -> list[Segment]:
    """The post text with one stored finding's evidence spans highlighted. The
    evidence is JSON (``[{"start", "end", "text"}]``); malformed items are skipped."""
    spans = []
    for item in finding.evidence or []:
        try:
            start, end = int(item["start"]), int(item["end"])
        except (KeyError, TypeError, ValueError):
            continue
        spans.append((start, end, finding.rule_code, True))
    return spans_segments(text, spans)


class DraftCheckView(LoginRequiredMixin, FormView):
    """Check a draft post: findings with highlighted evidence. Stores nothing."""

    template_name = "compliance/draft_check.html"
    form_class = DraftCheckForm

    def form_valid(self, form: DraftCheckForm):
        data = form.cleaned_data
        result = draft_check(
            text=data["text"],
            author_npi=data.get("author_npi") or "",
            product=data.get("product") or "",
            posted_at=data.get("posted_at") or timezone.now(),
        )
        return self.render_to_response(
            self.get_context_data(
                form=form,
                result=result,
                segments=highlight_segments(result.text, result.hits),
                checked=True,
            )
        )


# --- findings ---------------------------------------------------------------------


class FindingListView(LoginRequiredMixin, ListView):
    """Current findings, newest first, filtered by ``FindingFilterSet``."""

    template_name = "compliance/finding_list.html"
    context_object_name = "findings"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.filterset = FindingFilterSet(
            self.request.GET,
            queryset=selectors.finding_list(current_only=True),
            request=self.request,
        )
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter"] = self.filterset
        context["querystring"] = _querystring_without_page(self.request)
        context["filtered"] = any(
            value for key, value in self.request.GET.items() if key != "page"
        )
        return context


class FindingDetailView(LoginRequiredMixin, DetailView):
    """One finding: the post with its evidence highlighted, why it was flagged,
    the decision so far, and (for reviewers) the decision form.

    POST calls ``finding_decide`` and redirects here; an invalid form or a
    ``ValidationError`` re-renders the page with status 400.
    """

    template_name = "compliance/finding_detail.html"
    context_object_name = "finding"

    def get_object(self, queryset=None):
        try:
            return selectors.finding_get(finding_id=self.kwargs["pk"])
        except Finding.DoesNotExist as exc:
            raise Http404("No such finding") from exc

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        finding = self.object
        context["segments"] = finding_segments(finding.post.text, finding)
        context["history"] = list(selectors.finding_history(finding=finding))
        context["can_decide"] = user_can_decide_finding(self.request.user)
        context.setdefault("form", FindingDecideForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_can_decide_finding(request.user):
            raise PermissionDenied("Only reviewers may decide findings.")
        self.object = self.get_object()
        form = FindingDecideForm(request.POST)
        if form.is_valid():
            try:
                finding = services.finding_decide(
                    finding=self.object,
                    user=request.user,
                    status=form.cleaned_data["status"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Finding {finding.pk} is now "
                    f"{finding.get_status_display().lower()}.",
                )
                return redirect("compliance:finding-detail", pk=finding.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- adverse events ---------------------------------------------------------------


class AdverseEventInboxView(LoginRequiredMixin, ListView):
    """Open adverse-event cases (triage or reportable), least time left first."""

    template_name = "compliance/adverseeventcase_list.html"
    context_object_name = "cases"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return selectors.ae_case_list(open_only=True)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        for case in context["cases"]:
            case.time_left, case.urgent = time_left(case.due_at, now)
            case.element_rows = element_rows(case.elements)
        context["querystring"] = ""
        return context


class AdverseEventCaseDetailView(LoginRequiredMixin, DetailView):
    """One adverse-event case: the post, the four elements, the clock, the notes,
    and (for pharmacovigilance and admins) the triage form calling
    ``ae_case_update``."""

    template_name = "compliance/adverseeventcase_detail.html"
    context_object_name = "case"

    def get_object(self, queryset=None):
        try:
            return selectors.ae_case_get(case_id=self.kwargs["pk"])
        except AdverseEventCase.DoesNotExist as exc:
            raise Http404("No such adverse-event case") from exc

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = self.object
        case.time_left, case.urgent = time_left(case.due_at, timezone.now())
        context["element_rows"] = element_rows(case.elements)
        context["is_open"] = case.status in (
            AdverseEventCase.Status.TRIAGE,
            AdverseEventCase.Status.REPORTABLE,
        )
        context["can_update"] = user_can_update_ae_case(self.request.user)
        context.setdefault(
            "form",
            AdverseEventCaseUpdateForm(
                initial={"status": case.status}
                if case.status != AdverseEventCase.Status.TRIAGE
                else None
            ),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_can_update_ae_case(request.user):
            raise PermissionDenied(
                "Only pharmacovigilance officers and admins may update AE cases."
            )
        self.object = self.get_object()
        form = AdverseEventCaseUpdateForm(request.POST)
        if form.is_valid():
            try:
                case = services.ae_case_update(
                    case=self.object,
                    user=request.user,
                    status=form.cleaned_data["status"],
                    notes=form.cleaned_data["notes"],
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"Case {case.pk} is now {case.get_status_display().lower()}.",
                )
                return redirect("compliance:ae-detail", pk=case.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)
