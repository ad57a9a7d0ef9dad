"""Reviewer pages of the listening app: ingest runs (with live progress) and the
quarantine (view, fix and replay, discard).

Every page needs a login. Replaying or discarding a quarantined record also needs
one of ``RESOLVER_ROLES``; everyone else gets 403 on POST and does not see the forms.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.generic import DetailView, ListView

from common.roles import user_has_role
from listening import selectors, services
from listening.filters import IngestRunFilterSet, QuarantinedRecordFilterSet
from listening.forms import QuarantineDiscardForm, QuarantineReplayForm
from listening.models import IngestRun, QuarantinedRecord

# Groups allowed to replay or discard quarantined records: the literal names of
# vetting.constants.ROLE_ANALYST and ROLE_ADMIN. listening comes before vetting in
# the dependency chain (STYLE 1), so it must not import vetting.
RESOLVER_ROLES = ("analyst", "admin")

PAGE_SIZE = 50
RUN_DETAIL_QUARANTINE_LIMIT = 50


def user_can_resolve_quarantine(user: Any) -> bool:
    """Whether ``user`` may replay or discard quarantined records (one query)."""
    return user_has_role(user, RESOLVER_ROLES)


def payload_pretty(payload: str) -> tuple[str, bool]:
    """The payload indented when it is a JSON object or array (and ``True``), else
    as stored (and ``False``)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return payload, False
    if not isinstance(data, dict | list):
        return payload, False
    return json.dumps(data, indent=2, ensure_ascii=False), True


def duration_text(seconds: float) -> str:
    """A short duration: "under 1 s", "42 s", "2 min 5 s", "3 h 4 min"."""
    seconds = max(0, round(seconds))
    if seconds < 1:
        return "under 1 s"
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


def _run_timings(run: IngestRun, now: datetime) -> IngestRun:
    """Set ``run.duration`` (so far, if unfinished) and ``run.heartbeat_age`` for the
    templates; seconds matter on a live page, so ``timesince`` will not do."""
    run.duration = (
        duration_text(((run.finished_at or now) - run.started_at).total_seconds())
        if run.started_at
        else ""
    )
    run.heartbeat_age = (
        duration_text((now - run.heartbeat_at).total_seconds())
        if run.heartbeat_at
        else ""
    )
    return run


def _querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _htmx_target(request: HttpRequest) -> str | None:
    htmx = getattr(request, "htmx", None)
    return htmx.target if htmx else None


class FilteredListView(LoginRequiredMixin, ListView):
    """A paginated list filtered by a FilterSet over a selector's queryset."""

    filterset_class: type
    # the selector whose queryset the FilterSet narrows (called once per request)
    selector: Callable[[], QuerySet]
    paginate_by = PAGE_SIZE

    def filter_data(self):
        return self.request.GET

    def get_queryset(self):
        self.filterset = self.filterset_class(
            self.filter_data(), queryset=self.selector(), request=self.request
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


# --- runs ----------------------------------------------------------------------------


class IngestRunListView(FilteredListView):
    """Ingest runs, newest first. While a run on the page is pending or running, the
    table body re-fetches itself every 2 s (htmx); the partial is rendered for the
    request whose HX-Target is the table body."""

    template_name = "listening/ingestrun_list.html"
    context_object_name = "runs"
    filterset_class = IngestRunFilterSet

    selector = staticmethod(selectors.ingest_run_list)

    def get_template_names(self):
        if _htmx_target(self.request) == "run-rows":
            return ["listening/_run_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        runs = [_run_timings(run, now) for run in context["runs"]]
        context["polling"] = any(run.status in IngestRun.ACTIVE for run in runs)
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response


class IngestRunDetailView(LoginRequiredMixin, DetailView):
    """One run: counts, cursor, error and the records it quarantined. Its progress
    panel polls like the runs table while the run is active."""

    template_name = "listening/ingestrun_detail.html"
    context_object_name = "run"

    def get_object(self, queryset=None):
        try:
            return selectors.ingest_run_get(run_id=self.kwargs["pk"])
        except IngestRun.DoesNotExist as exc:
            raise Http404("No such ingest run") from exc

    def get_template_names(self):
        if _htmx_target(self.request) == "run-progress":
            return ["listening/_run_progress.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = _run_timings(self.object, timezone.now())
        context["polling"] = run.status in IngestRun.ACTIVE
        context["cursor_pretty"] = json.dumps(run.cursor, indent=2, ensure_ascii=False)
        context["counts"] = [
            (label, key, getattr(run, key))
            for label, key in (
                ("Pages", "pages"),
                ("Received", "received"),
                ("Created", "created"),
                ("Updated", "updated"),
                ("Unchanged", "unchanged"),
                ("Quarantined", "quarantined"),
                ("Interactions", "interactions"),
            )
        ]
        if _htmx_target(self.request) != "run-progress":
            records = selectors.quarantined_record_list(status=None, run=run)
            records = list(records[: RUN_DETAIL_QUARANTINE_LIMIT + 1])
            context["records"] = records[:RUN_DETAIL_QUARANTINE_LIMIT]
            context["records_more"] = len(records) > RUN_DETAIL_QUARANTINE_LIMIT
            context["records_limit"] = RUN_DETAIL_QUARANTINE_LIMIT
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response


# --- quarantine ----------------------------------------------------------------------


class QuarantinedRecordListView(FilteredListView):
    """Quarantined records, newest first; open ones unless another status (or "any
    status") is chosen. Counts per reason follow the chosen status."""

    template_name = "listening/quarantinedrecord_list.html"
    context_object_name = "records"
    filterset_class = QuarantinedRecordFilterSet

    selector = staticmethod(partial(selectors.quarantined_record_list, status=None))

    def filter_data(self):
        data = self.request.GET.copy()
        if "status" not in data:  # absent means open; an empty value means any
            data["status"] = QuarantinedRecord.Status.OPEN
        return data

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.filterset.form
        status = form.cleaned_data.get("status") if form.is_valid() else None
        context["status"] = status or ""
        context["reason_counts"] = sorted(
            selectors.quarantine_reason_counts(status=status or None).items(),
            key=lambda item: (-item[1], item[0]),
        )
        context["can_resolve"] = user_can_resolve_quarantine(self.request.user)
        return context


def _record_get(pk: int) -> QuarantinedRecord:
    # No quarantined_record_get selector yet: the list selector (with its
    # select_related) narrowed to one row.
    return get_object_or_404(selectors.quarantined_record_list(status=None), pk=pk)


class QuarantinedRecordDetailView(LoginRequiredMixin, DetailView):
    """One quarantined record: reason, detail, the raw payload, and for analysts and
    admins the "fix and replay" and "discard" forms.

    POST with ``action=replay`` calls ``quarantine_replay``; ``action=discard`` calls
    ``quarantine_discard``. A parse or validation error re-renders the page with the
    error and the reviewer's text; success redirects here with a message.
    """

    template_name = "listening/quarantinedrecord_detail.html"
    context_object_name = "record"

    def get_object(self, queryset=None):
        return _record_get(self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        record = self.object
        pretty, is_json = payload_pretty(record.payload)
        context["payload_pretty"] = pretty
        context["payload_is_json"] = is_json
        context["can_resolve"] = user_can_resolve_quarantine(self.request.user)
        context["is_open"] = record.status == QuarantinedRecord.Status.OPEN
        context.setdefault(
            "replay_form", QuarantineReplayForm(initial={"payload": pretty})
        )
        context.setdefault("discard_form", QuarantineDiscardForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_can_resolve_quarantine(request.user):
            raise PermissionDenied("Only analysts and admins may resolve quarantine.")
        self.object = self.get_object()
        if self.object.status != QuarantinedRecord.Status.OPEN:
            messages.error(
                request,
                f"Record {self.object.pk} is already "
                f"{self.object.get_status_display().lower()}.",
            )
            return redirect("listening:quarantine-detail", pk=self.object.pk)
        action = request.POST.get("action")
        if action == "replay":
            return self._replay()
        if action == "discard":
            return self._discard()
        return HttpResponse("Unknown action", status=400)

    def _replay(self) -> HttpResponse:
        form = QuarantineReplayForm(self.request.POST)
        if form.is_valid():
            try:
                record = services.quarantine_replay(
                    record_id=self.object.pk,
                    fixed_payload=form.cleaned_data["payload"],
                    user=self.request.user,
                )
            except ValidationError as exc:
                form.add_error("payload", exc.messages)
            else:
                messages.success(
                    self.request,
                    f"Record {record.pk} was replayed ({record.resolution_note}).",
                )
                return redirect("listening:quarantine-detail", pk=record.pk)
        return self._invalid(replay_form=form)

    def _discard(self) -> HttpResponse:
        form = QuarantineDiscardForm(self.request.POST)
        if form.is_valid():
            try:
                record = services.quarantine_discard(
                    record_id=self.object.pk,
                    user=self.request.user,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                form.add_error("note", exc.messages)
            else:
                messages.success(self.request, f"Record {record.pk} was discarded.")
                return redirect("listening:quarantine-detail", pk=record.pk)
        return self._invalid(discard_form=form)

    def _invalid(self, **forms: Any) -> HttpResponse:
        context = self.get_context_data(**forms)
        return self.render_to_response(context, status=400)
