"""Review queues over the compliance app's rows: the findings queue (confirm,
dismiss or escalate with a reason) and the adverse-event inbox (triage against the
reporting clock).

They live in ``vetting`` because program membership scopes them (DESIGN 7) and
``compliance`` may not import ``vetting``: a user sees a finding or a case only when
its post's author is scored in, or put forward by a case of, a program they are a
member of (``vetting.selectors.scope_to_user_programs``); anything else is a 404,
also on POST. Deciding a finding needs one of ``DECIDER_ROLES``; triaging a case
one of ``AE_HANDLER_ROLES``; other members get 403 on POST and see no form. The
decisions are written by ``compliance.services`` (with their audit events).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import DetailView, ListView

from audit.selectors import events_for_objects
from audit.services import object_label
from common.roles import user_has_role
from compliance import selectors as compliance_selectors
from compliance import services as compliance_services
from compliance.forms import AdverseEventCaseUpdateForm, FindingDecideForm
from compliance.models import AdverseEventCase, Finding
from compliance.views import Segment, spans_segments
from vetting.constants import (
    ROLE_ADMIN,
    ROLE_LEGAL,
    ROLE_MEDICAL,
    ROLE_PHARMACOVIGILANCE,
    ROLE_REGULATORY,
)
from vetting.review_filters import ReviewFindingFilterSet
from vetting.selectors import scope_to_user_programs

DECIDER_ROLES = (
    ROLE_MEDICAL,
    ROLE_LEGAL,
    ROLE_REGULATORY,
    ROLE_PHARMACOVIGILANCE,
    ROLE_ADMIN,
)
AE_HANDLER_ROLES = (ROLE_PHARMACOVIGILANCE, ROLE_ADMIN)

PAGE_SIZE = 50
URGENT_SECONDS = 24 * 3600
ELEMENT_LABELS = (
    ("patient", "Patient"),
    ("reporter", "Reporter"),
    ("product", "Product"),
    ("event", "Event"),
)
ACCOUNT_PATH = "post__author"


def user_can_decide_finding(user: Any) -> bool:
    """Whether ``user`` may confirm, dismiss or escalate findings (one query)."""
    return user_has_role(user, DECIDER_ROLES)


def user_can_update_ae_case(user: Any) -> bool:
    """Whether ``user`` may triage adverse-event cases (one query)."""
    return user_has_role(user, AE_HANDLER_ROLES)


def findings_for_user(user: Any, *, current_only: bool = True) -> QuerySet[Finding]:
    """Findings ``user`` may see (program membership), newest first."""
    return scope_to_user_programs(
        compliance_selectors.finding_list(current_only=current_only),
        user,
        account_path=ACCOUNT_PATH,
    )


def ae_cases_for_user(user: Any, *, open_only: bool = True) -> QuerySet:
    """Adverse-event cases ``user`` may see, earliest due first."""
    return scope_to_user_programs(
        compliance_selectors.ae_case_list(open_only=open_only),
        user,
        account_path=ACCOUNT_PATH,
    )


# --- pure helpers -------------------------------------------------------------------


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


def finding_segments(text: str, finding: Finding) -> list[Segment]:
    """The post text with one stored finding's evidence spans highlighted. The
    evidence is JSON (``[{"start", "end", "text"}]``); malformed items are skipped.
    Pure."""
    spans = []
    for item in finding.evidence or []:
        try:
            start, end = int(item["start"]), int(item["end"])
        except (KeyError, TypeError, ValueError):
            continue
        spans.append((start, end, finding.rule_code, True))
    return spans_segments(text, spans)


def _set_clock(case: AdverseEventCase, now: datetime) -> None:
    case.time_left, case.urgent = time_left(case.due_at, now)
    case.overdue = case.due_at <= now


def _form_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form's fields (or the form)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages_ in errors.items():
        form.add_error(field if field in form.fields else None, messages_)


def _querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _audit_trail(obj: Any) -> list:
    return list(events_for_objects([(object_label(obj), obj.pk)]))


# --- findings -------------------------------------------------------------------------


class FindingListView(LoginRequiredMixin, ListView):
    """The current findings of the user's programs, newest first, filtered by
    ``ReviewFindingFilterSet`` (program, rule, severity, status, product,
    platform)."""

    template_name = "compliance/finding_list.html"
    context_object_name = "findings"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.filterset = ReviewFindingFilterSet(
            self.request.GET,
            queryset=findings_for_user(self.request.user),
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
    the decision so far with its audit trail, and (for reviewers) the decision form.

    POST: 404 outside the user's programs, 403 without a decider role; then
    ``finding_decide`` and a redirect here; an invalid form or a
    ``ValidationError`` re-renders the page with status 400.
    """

    template_name = "compliance/finding_detail.html"
    context_object_name = "finding"

    def get_object(self, queryset=None):
        try:
            return findings_for_user(self.request.user, current_only=False).get(
                pk=self.kwargs["pk"]
            )
        except Finding.DoesNotExist as exc:
            raise Http404("No such finding") from exc

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        finding = self.object
        context["segments"] = finding_segments(finding.post.text, finding)
        context["history"] = list(compliance_selectors.finding_history(finding=finding))
        context["audit_events"] = _audit_trail(finding)
        context["can_decide"] = user_can_decide_finding(self.request.user)
        context.setdefault("form", FindingDecideForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        if not user_can_decide_finding(request.user):
            raise PermissionDenied("Only reviewers may decide findings.")
        form = FindingDecideForm(request.POST)
        if form.is_valid():
            try:
                finding = compliance_services.finding_decide(
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
                return redirect("review:finding-detail", pk=finding.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- adverse events -------------------------------------------------------------------


class AdverseEventInboxView(LoginRequiredMixin, ListView):
    """Open adverse-event cases (triage or reportable) of the user's programs,
    earliest due first, each with the time left on its clock."""

    template_name = "compliance/adverseeventcase_list.html"
    context_object_name = "cases"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return ae_cases_for_user(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        for case in context["cases"]:
            _set_clock(case, now)
            case.element_rows = element_rows(case.elements)
        context["querystring"] = ""
        return context


class AdverseEventCaseDetailView(LoginRequiredMixin, DetailView):
    """One adverse-event case: the post, the four elements, the clock, the notes,
    the audit trail, and (for pharmacovigilance and admins) the triage form calling
    ``ae_case_update``. POST: 404 outside the user's programs, then 403 without a
    handler role."""

    template_name = "compliance/adverseeventcase_detail.html"
    context_object_name = "case"

    def get_object(self, queryset=None):
        try:
            return ae_cases_for_user(self.request.user, open_only=False).get(
                pk=self.kwargs["pk"]
            )
        except AdverseEventCase.DoesNotExist as exc:
            raise Http404("No such adverse-event case") from exc

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = self.object
        _set_clock(case, timezone.now())
        context["element_rows"] = element_rows(case.elements)
        context["is_open"] = case.status in (
            AdverseEventCase.Status.TRIAGE,
            AdverseEventCase.Status.REPORTABLE,
        )
        context["audit_events"] = _audit_trail(case)
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
        self.object = self.get_object()
        if not user_can_update_ae_case(request.user):
            raise PermissionDenied(
                "Only pharmacovigilance officers and admins may update AE cases."
            )
        form = AdverseEventCaseUpdateForm(request.POST)
        if form.is_valid():
            try:
                case = compliance_services.ae_case_update(
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
                return redirect("review:ae-detail", pk=case.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)
