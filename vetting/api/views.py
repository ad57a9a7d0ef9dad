"""REST API v1 (mounted at /api/v1/): read-only lists and details, and one
endpoint per action. Shells over ``vetting.api.selectors`` and the services.

Scoping: every list and detail is limited to the programs the user is a member of
(a row outside is absent: a detail is a 404, a list simply does not show it).
Ingest runs, scan runs and sources are not program data and are shown to every
signed-in user, as on the runs page. Roles: starting a run needs analyst or admin,
deciding a finding a reviewer role (``vetting.views.review.DECIDER_ROLES``); a
member without the role gets 403. Bad input is a 400 with field errors. The
schema documents these error responses for every operation
(``common.schema.AutoSchema``); views only add what it cannot infer.

Lists use keyset cursor pagination (``common.api.KeysetCursorPagination``) on a
fixed ``ordering`` per endpoint; filters are the FilterSets the pages use.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django_filters.constants import EMPTY_VALUES
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import KeysetCursorPagination, PrebuiltRows, statement_rows
from common.roles import user_has_role
from common.schema import NOT_FOUND
from compliance import services as compliance_services
from compliance.models import Finding
from compliance.tasks import posts_scan as posts_scan_task
from listening import services as listening_services
from listening.filters import IngestRunFilterSet
from vetting import services as vetting_services
from vetting import workflow
from vetting.api import selectors
from vetting.api import serializers as s
from vetting.api.filters import (
    AdverseEventCaseFilterSet,
    AlertFilterSet,
    ClinicianFilterSet,
    PostFilterSet,
    ScanRunFilterSet,
    ScoreApiFilterSet,
    ScoringRunFilterSet,
    SocialAccountFilterSet,
    VettingCaseFilterSet,
)
from vetting.discovery import scored_specialty_codes
from vetting.models import InfluencerScore
from vetting.review_filters import ReviewFindingFilterSet
from vetting.tasks import scoring_run_execute as scoring_run_execute_task
from vetting.views.programs import RUN_STARTER_ROLES
from vetting.views.review import DECIDER_ROLES


def _field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A service's ``ValidationError`` as DRF field errors ("__all__" becomes
    "non_field_errors")."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def _require_role(request: Request, roles: tuple[str, ...], what: str) -> None:
    if not user_has_role(request.user, roles):
        raise exceptions.PermissionDenied(f"Your role may not {what}.")


@functools.lru_cache(maxsize=256)  # the names are the client's choice: bounded
def _narrowed(filterset_class: type, names: frozenset[str]) -> type:
    """``filterset_class`` with only the filters ``names`` (made once per set)."""
    narrowed = type(filterset_class.__name__, (filterset_class,), {})
    narrowed.base_filters = {
        name: f for name, f in filterset_class.base_filters.items() if name in names
    }
    return narrowed


class FilterSetBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` that builds the FilterSet with only the filters the
    request names: none, and the queryset is left alone; some, and only those are
    copied, validated and applied. A filter that is not in the query filters
    nothing, so the rows are the same; but a FilterSet deep-copies every filter it
    declares, some thirty here, which cost more than the page query."""

    def get_filterset_class(self, view, queryset=None):
        filterset_class = super().get_filterset_class(view, queryset)
        request = getattr(view, "request", None)
        # the schema (drf-spectacular's fake view) documents every filter
        if (
            filterset_class is None
            or request is None
            or getattr(view, "swagger_fake_view", False)
        ):
            return filterset_class
        names = frozenset(
            name
            for name in filterset_class.base_filters
            if name in request.query_params
        )
        return _narrowed(filterset_class, names)

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not filterset_class.base_filters:
            return queryset
        return super().filter_queryset(request, queryset, view)


class ScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """A read-only list and detail over a scoped selector, paginated by a keyset
    cursor on ``ordering``."""

    pagination_class = KeysetCursorPagination
    filter_backends = [FilterSetBackend]
    ordering: tuple[str, ...] = ("id",)

    def list(self, request: Request, *args, **kwargs) -> Response:
        rows = self.prebuilt_rows()
        if rows is None:
            return super().list(request, *args, **kwargs)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def prebuilt_rows(self) -> PrebuiltRows | None:
        """The list's rows as a statement the paginator keeps compiled
        (``common.api.PrebuiltRows``), when this request's page differs from
        another's only in values; None: the queryset (``get_queryset``)."""
        return None

    def filters_asked(self) -> bool:
        """Whether the query names a filter of the list's FilterSet."""
        filterset_class = getattr(self, "filterset_class", None)
        return filterset_class is not None and any(
            name in self.request.query_params for name in filterset_class.base_filters
        )

    def equality_filters(self, model: type) -> dict[str, Any] | None:
        """The filters the query asks for, validated by the list's FilterSet (a
        400 when they are not valid, as the filter backend would answer), as
        ``{column: value}`` when every one is a plain equality on a text (an
        exact lookup, no method: what a pre-built statement can bind); None when
        one is not (the FilterSet then filters the queryset)."""
        if not self.filters_asked():
            return {}
        backend = self.filter_backends[0]()
        filterset = backend.get_filterset(
            self.request, model._default_manager.none(), self
        )
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        equal = {}
        for name, value in filterset.form.cleaned_data.items():
            if value in EMPTY_VALUES:
                continue
            found = filterset.filters[name]
            if not _plain_equality(found, value):
                return None
            equal[found.field_name] = value
        return equal

    def member_id(self) -> int | None:
        """The user's id when the scope is a membership (not a superuser)."""
        user = self.request.user
        if getattr(user, "is_superuser", False) or not user.is_authenticated:
            return None
        return user.pk


def _plain_equality(found: django_filters.Filter, value: Any) -> bool:
    """Whether ``found`` filters ``value`` as ``.filter(field_name=value)``."""
    return (
        isinstance(found, django_filters.CharFilter | django_filters.ChoiceFilter)
        # not a subclass that filters its own way
        and type(found).filter
        in (django_filters.Filter.filter, django_filters.ChoiceFilter.filter)
        and isinstance(value, str)
        and found.method is None
        and found.lookup_expr == "exact"
        and not found.exclude
        and not found.distinct
        and value != getattr(found, "null_value", None)
    )


# --- programs and people --------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Programs you are a member of", tags=["programs"]),
    retrieve=extend_schema(summary="One program", tags=["programs"]),
)
class ProgramViewSet(ScopedViewSet):
    serializer_class = s.ProgramSerializer
    lookup_field = "slug"
    ordering = ("id",)

    def get_queryset(self):
        return selectors.program_list_for_user(self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="Clinicians with an account in your programs", tags=["people"]
    ),
    retrieve=extend_schema(summary="One clinician", tags=["people"]),
)
class ClinicianViewSet(ScopedViewSet):
    serializer_class = s.ClinicianSerializer
    filterset_class = ClinicianFilterSet

    def get_queryset(self):
        return selectors.clinician_list_for_user(self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="Social accounts scored in (or under review for) your programs",
        tags=["people"],
    ),
    retrieve=extend_schema(summary="One social account", tags=["people"]),
)
class SocialAccountViewSet(ScopedViewSet):
    serializer_class = s.SocialAccountSerializer
    filterset_class = SocialAccountFilterSet

    def get_queryset(self):
        return selectors.account_list_for_user(self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="Posts of the accounts you may see, newest first", tags=["posts"]
    ),
    retrieve=extend_schema(summary="One post", tags=["posts"]),
)
class PostViewSet(ScopedViewSet):
    serializer_class = s.PostSerializer
    filterset_class = PostFilterSet
    ordering = ("-posted_at", "-id")

    def get_queryset(self):
        return selectors.post_list_for_user(self.request.user)


# --- findings and adverse events ------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Current findings in your programs, newest first",
        description=(
            "The findings queue's filters (program, rule, severity, status, "
            "product, platform). Superseded findings are not listed; a detail "
            "shows any finding, with its post's text."
        ),
        tags=["findings"],
    ),
    retrieve=extend_schema(
        summary="One finding with its post's text",
        responses=s.FindingDetailSerializer,
        tags=["findings"],
    ),
)
class FindingViewSet(ScopedViewSet):
    serializer_class = s.FindingSerializer
    filterset_class = ReviewFindingFilterSet
    ordering = ("-created_at", "-id")

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.finding_list_for_user(
                self.request.user, current_only=False
            ).only(*selectors.FINDING_FIELDS, "post__text", "details")
        return selectors.finding_rows_for_user(self.request.user)

    def prebuilt_rows(self) -> PrebuiltRows | None:
        user = self.member_id()
        if user is None:
            return None
        equal = self.equality_filters(Finding)
        if equal is None:
            return None
        rows = PrebuiltRows(
            "findings",
            Finding,
            selectors.finding_rows_for_member,
            params=(("user", user),),
        )
        return rows.filter(**equal)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.FindingDetailSerializer
        return s.FindingSerializer


class FindingDecideApi(APIView):
    """Confirm, dismiss or escalate a finding, with a reason (audited)."""

    @extend_schema(
        operation_id="finding_decide",
        summary="Decide a finding",
        request=s.FindingDecideInputSerializer,
        responses=s.FindingDetailSerializer,
        tags=["findings"],
    )
    def post(self, request: Request, pk: int) -> Response:
        finding = selectors.finding_get_for_user(request.user, pk)
        if finding is None:
            raise Http404("No such finding.")
        _require_role(request, DECIDER_ROLES, "decide findings")
        data = s.FindingDecideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            compliance_services.finding_decide(
                finding=finding,
                user=request.user,
                status=data.validated_data["status"],
                reason=data.validated_data["reason"],
            )
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(_field_errors(exc)) from exc
        finding = selectors.finding_get_for_user(request.user, pk)
        return Response(s.FindingDetailSerializer(finding).data)


@extend_schema_view(
    list=extend_schema(
        summary="Adverse-event cases in your programs, earliest due first",
        tags=["adverse events"],
    ),
    retrieve=extend_schema(summary="One adverse-event case", tags=["adverse events"]),
)
class AdverseEventCaseViewSet(ScopedViewSet):
    serializer_class = s.AdverseEventCaseSerializer
    filterset_class = AdverseEventCaseFilterSet
    ordering = ("due_at", "id")

    def get_queryset(self):
        return selectors.ae_case_list_for_user(self.request.user)


# --- scores ---------------------------------------------------------------------------


class ScoreFilterBackend(FilterSetBackend):
    """Passes the run's scored specialties (cached per run) to the FilterSet when a
    specialty is asked for, instead of a sub-query over every score."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        if request.query_params.get("specialty") and getattr(view, "runs", None):
            kwargs["specialty_codes"] = scored_specialty_codes(list(view.runs.values()))
        return kwargs


RUN_PARAMETER = OpenApiParameter(
    "run",
    {"type": "integer", "minimum": 0},
    description=(
        "A scoring run of one of your programs. Default: the latest succeeded run "
        "of each of your programs."
    ),
)


@extend_schema_view(
    list=extend_schema(
        summary="Scores: every component, composite, rank, gates and flags",
        description=(
            "By default the latest succeeded run of each of your programs; `run` "
            "picks one run. Ordered by program, run, then rank within the run. "
            "Each row carries `as_of` and `scoring_version`. The filters are the "
            "discovery page's (without its sort)."
        ),
        parameters=[RUN_PARAMETER],
        responses={200: s.InfluencerScoreSerializer(many=True), 404: NOT_FOUND},
        tags=["scores"],
    ),
    retrieve=extend_schema(summary="One score (of any run)", tags=["scores"]),
)
class InfluencerScoreViewSet(ScopedViewSet):
    serializer_class = s.InfluencerScoreSerializer
    filterset_class = ScoreApiFilterSet
    filter_backends = [ScoreFilterBackend]
    ordering = ("program_id", "run_id", "rank", "id")
    # one (program, run) at a time: each page query walks the (program, run, rank)
    # index instead of sorting every score of every program
    cursor_partition_fields = ("program_id", "run_id")
    runs: dict[int, int] | None = None

    def cursor_partitions(self) -> list[tuple[int, int]]:
        return sorted((self.runs or {}).items())

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return InfluencerScore.objects.none()
        user = self.request.user
        if self.action == "retrieve":
            return selectors.score_list_any_run_for_user(user)
        if self.runs is None:  # not yet read for this request
            self.runs = self._runs()
        return selectors.score_rows(self.runs)

    def _runs(self) -> dict[int, int]:
        """program id -> run id: the ``run`` asked for, else the latest run of
        each of the user's programs."""
        user = self.request.user
        raw = self.request.query_params.get("run", "")
        if not raw:
            member = self.member_id()
            rows = None
            if member is not None:
                rows = statement_rows(
                    ("latest-runs",),
                    selectors.latest_run_rows_for_member,
                    {"user": member},
                )
            if rows is None:
                return selectors.latest_runs_for_user(user)
            return {row["program_id"]: row["pk"] for row in rows}
        if not (raw.isascii() and raw.isdigit()):  # "²".isdigit() is true
            raise exceptions.ValidationError({"run": ["A run id is a number."]})
        run = selectors.scoring_run_get_for_user(user, int(raw))
        if run is None:
            raise Http404("No such scoring run.")
        return {run.program_id: run.pk}

    def equality_filters(self, model: type) -> dict[str, Any] | None:
        """``ScopedViewSet.equality_filters``, with a shortcut for the common
        ``?specialty=<code>`` alone: a code scored in the runs listed is what the
        FilterSet's ``CodeField`` accepts (stripped, then one of the codes), and
        an equality on ``specialty_code``; building the FilterSet and its form to
        say so cost 0.5 ms a request. A blank value, a code not scored (a 400) or
        any other filter goes through the FilterSet as before."""
        params = self.request.query_params
        raw = params.get("specialty")
        if raw is not None and self.runs:
            asked = [n for n in self.filterset_class.base_filters if n in params]
            value = raw.strip()
            if asked == ["specialty"] and value:
                codes = scored_specialty_codes(list(self.runs.values()))
                if value in codes:
                    return {"specialty_code": value}
        return super().equality_filters(model)

    def prebuilt_rows(self) -> PrebuiltRows | None:
        # the runs are the user's (latest, or the one asked for and checked): the
        # paginator reads one (program, run) of them at a time, which is the scope
        self.runs = self._runs()
        equal = self.equality_filters(InfluencerScore)
        if equal is None:
            return None
        rows = PrebuiltRows(
            "scores",
            InfluencerScore,
            selectors.score_rows_ranked,
            require=self.cursor_partition_fields,
        )
        return rows.filter(**equal)


# --- runs and sources -----------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Scoring runs of your programs, newest first", tags=["runs"]
    ),
    retrieve=extend_schema(summary="One scoring run", tags=["runs"]),
)
class ScoringRunViewSet(ScopedViewSet):
    serializer_class = s.ScoringRunSerializer
    filterset_class = ScoringRunFilterSet
    ordering = ("-id",)

    def get_queryset(self):
        return selectors.scoring_run_list_for_user(self.request.user)


class ScoringRunStartApi(APIView):
    """Queue a scoring run of a program (analyst or admin)."""

    @extend_schema(
        operation_id="scoring_run_start",
        summary="Start a scoring run of a program",
        description=(
            "Creates a pending run and queues it; if the program already has a "
            "pending or running run, that run is returned (`created: false`). A run "
            "whose inputs are unchanged ends SKIPPED and keeps the previous scores."
        ),
        request=None,
        responses={202: s.ScoringRunStartOutputSerializer},
        tags=["runs"],
    )
    def post(self, request: Request, slug: str) -> Response:
        program = selectors.program_list_for_user(request.user).filter(slug=slug)
        program = program.first()
        if program is None:
            raise Http404("No such program.")
        _require_role(request, RUN_STARTER_ROLES, "start scoring runs")
        run, created = vetting_services.scoring_run_create(
            program=program, requested_by=request.user
        )
        if created:
            run_id = run.pk
            transaction.on_commit(lambda: scoring_run_execute_task.delay(run_id=run_id))
        run = selectors.scoring_run_list_for_user(request.user).get(pk=run.pk)
        body = s.ScoringRunStartOutputSerializer({"created": created, "run": run})
        return Response(body.data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(summary="Ingest runs, newest first", tags=["runs"]),
    retrieve=extend_schema(summary="One ingest run", tags=["runs"]),
)
class IngestRunViewSet(ScopedViewSet):
    serializer_class = s.IngestRunSerializer
    filterset_class = IngestRunFilterSet
    ordering = ("-id",)

    def get_queryset(self):
        return selectors.ingest_run_list()


@extend_schema_view(
    list=extend_schema(summary="Connector sources", tags=["runs"]),
    retrieve=extend_schema(summary="One source", tags=["runs"]),
)
class SourceViewSet(ScopedViewSet):
    serializer_class = s.SourceSerializer

    def get_queryset(self):
        return selectors.source_list()


class IngestRunStartApi(APIView):
    """Queue an ingest run of a source (analyst or admin)."""

    @extend_schema(
        operation_id="ingest_run_start",
        summary="Start an ingest run of a source",
        description=(
            "Creates a pending run (optionally over a window) and queues it. A "
            "source has at most one pending or running run: asking again is a 400."
        ),
        request=s.IngestRunStartInputSerializer,
        responses={202: s.IngestRunSerializer},
        tags=["runs"],
    )
    def post(self, request: Request, pk: int) -> Response:
        _require_role(request, RUN_STARTER_ROLES, "start ingest runs")
        source = selectors.source_get(pk)
        if source is None:
            raise Http404("No such source.")
        data = s.IngestRunStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        active = selectors.ingest_run_active(source)
        if active is not None:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        f"Source {source.pk} already has a {active.status} run "
                        f"({active.pk}): wait for it to finish."
                    ]
                }
            )
        try:
            with transaction.atomic():
                run = listening_services.ingest_run_create(
                    source=source,
                    window_start=data.validated_data.get("window_start"),
                    window_end=data.validated_data.get("window_end"),
                    requested_by=request.user,
                )
                listening_services.ingest_run_enqueue(run=run)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(_field_errors(exc)) from exc
        run = selectors.ingest_run_list().get(pk=run.pk)
        return Response(
            s.IngestRunSerializer(run).data, status=status.HTTP_202_ACCEPTED
        )


@extend_schema_view(
    list=extend_schema(summary="Compliance scan runs, newest first", tags=["runs"]),
    retrieve=extend_schema(summary="One scan run", tags=["runs"]),
)
class ScanRunViewSet(ScopedViewSet):
    serializer_class = s.ScanRunSerializer
    filterset_class = ScanRunFilterSet
    ordering = ("-id",)

    def get_queryset(self):
        return selectors.scan_run_list()


class ScanStartApi(APIView):
    """Queue a compliance scan (analyst or admin)."""

    @extend_schema(
        operation_id="scan_start",
        summary="Start a compliance scan",
        description=(
            "Queues `compliance.tasks.posts_scan`: of the given posts, or of every "
            "post whose content changed since the last complete scan. The worker "
            "creates the scan run; follow it in `/api/v1/scan-runs/`."
        ),
        request=s.ScanStartInputSerializer,
        responses={202: s.ScanStartOutputSerializer},
        tags=["runs"],
    )
    def post(self, request: Request) -> Response:
        _require_role(request, RUN_STARTER_ROLES, "start compliance scans")
        data = s.ScanStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post_ids = data.validated_data.get("post_ids")
        if post_ids is not None:
            post_ids = sorted(set(post_ids))
            visible = selectors.post_get_ids_for_user(request.user, post_ids)
            unknown = [pk for pk in post_ids if pk not in visible]
            if unknown:
                raise exceptions.ValidationError(
                    {
                        "post_ids": [
                            f"No such post: {', '.join(map(str, unknown[:10]))}."
                        ]
                    }
                )
        task_id = str(uuid.uuid4())
        transaction.on_commit(
            lambda: posts_scan_task.apply_async(
                kwargs={"post_ids": post_ids}, task_id=task_id
            )
        )
        body = s.ScanStartOutputSerializer(
            {"task_id": task_id, "posts": len(post_ids) if post_ids else None}
        )
        return Response(body.data, status=status.HTTP_202_ACCEPTED)


# --- vetting cases and alerts ---------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Vetting cases of your programs, newest first", tags=["cases"]
    ),
    retrieve=extend_schema(
        summary="One vetting case with its evidence snapshot",
        responses=s.VettingCaseDetailSerializer,
        tags=["cases"],
    ),
)
class VettingCaseViewSet(ScopedViewSet):
    serializer_class = s.VettingCaseSerializer
    filterset_class = VettingCaseFilterSet
    ordering = ("-id",)

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.vetting_case_detail_list_for_user(self.request.user)
        return selectors.vetting_case_list_for_user(self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return s.VettingCaseDetailSerializer
        return s.VettingCaseSerializer


@extend_schema_view(
    list=extend_schema(
        summary="Alerts of your programs, newest first", tags=["alerts"]
    ),
    retrieve=extend_schema(summary="One alert", tags=["alerts"]),
)
class AlertViewSet(ScopedViewSet):
    serializer_class = s.AlertSerializer
    filterset_class = AlertFilterSet
    ordering = ("-id",)

    def get_queryset(self):
        return selectors.alert_list_for_user(self.request.user)


class AlertAcknowledgeApi(APIView):
    """Mark an alert seen (any member of its program; audited; idempotent)."""

    @extend_schema(
        operation_id="alert_acknowledge",
        summary="Acknowledge an alert",
        request=None,
        responses=s.AlertSerializer,
        tags=["alerts"],
    )
    def post(self, request: Request, pk: int) -> Response:
        alert = selectors.alert_list_for_user(request.user).filter(pk=pk).first()
        if alert is None:
            raise Http404("No such alert.")
        workflow.alert_acknowledge(alert=alert, user=request.user)
        alert = selectors.alert_list_for_user(request.user).get(pk=pk)
        return Response(s.AlertSerializer(alert).data)
