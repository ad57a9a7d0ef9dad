"""Shortlist and export endpoints of REST API v1 (mounted at /api/v1/): shells over
``reports.selectors`` and ``reports.services``.

Scoping: a shortlist of a program the user is not a member of is a 404 (a list
simply does not show it); an export is the requester's, or bound to a program the
user is a member of. Roles: changing a shortlist needs analyst or admin (others get
403); a read-only token may only read (``common.api.ReadOnlyTokenForbidsWrites``
from the default permissions). A service's ``ValidationError`` is a 400.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import KeysetCursorPagination
from common.renderers import OrjsonRenderer
from common.schema import NOT_FOUND, ErrorSerializer, ValidationErrorSerializer
from reports import selectors, services
from reports.api import serializers as s
from reports.filters import ExportFilterSet, ShortlistFilterSet
from reports.models import Export, Shortlist
from reports.views_exports import download_response
from vetting.selectors import program_get_for_user

MEMBER_ID = OpenApiParameter(
    "member_id",
    {"type": "integer", "minimum": 0},
    OpenApiParameter.PATH,
    description="Member id.",
)
TAGS = ["shortlists"]


def _field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def _bad_input(exc: DjangoValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError(_field_errors(exc))


def _writer(request: Request) -> None:
    if not services.shortlist_can_edit(request.user):
        raise exceptions.PermissionDenied("Only analysts and admins change shortlists.")


@extend_schema_view(
    list=extend_schema(
        summary="Shortlists of your programs, newest first",
        tags=TAGS,
    ),
    retrieve=extend_schema(
        summary="One shortlist with its members",
        description=(
            "Members in rank order, each with `frozen` (every score as it was when "
            "the member was added: components, composite, ranks, gates, flags, "
            "run, scoring version, `as_of`, and the compliance flags of that "
            "moment) next to `today` (its score in the program's latest run) and "
            "`composite_change`."
        ),
        responses=s.ShortlistDetailSerializer,
        tags=TAGS,
    ),
    create=extend_schema(
        summary="Create a shortlist (optionally with members)",
        request=s.ShortlistCreateInputSerializer,
        # the program named in the body must be one of yours
        responses={201: s.ShortlistDetailSerializer, 404: NOT_FOUND},
        tags=TAGS,
    ),
    partial_update=extend_schema(
        summary="Rename a shortlist or change its description",
        request=s.ShortlistUpdateInputSerializer,
        responses=s.ShortlistDetailSerializer,
        tags=TAGS,
    ),
    destroy=extend_schema(
        summary="Delete a shortlist (one that was exported is kept: 400)",
        responses={
            204: None,
            400: OpenApiResponse(
                ValidationErrorSerializer, description="It was exported: kept."
            ),
        },
        tags=TAGS,
    ),
)
class ShortlistViewSet(viewsets.GenericViewSet):
    """Shortlists: list and detail, create, rename, delete, and their members."""

    queryset = Shortlist.objects.none()  # the schema's model; rows: get_queryset
    serializer_class = s.ShortlistSerializer
    filterset_class = ShortlistFilterSet
    pagination_class = KeysetCursorPagination
    ordering = ("-created_at", "-id")

    def get_queryset(self):
        return selectors.shortlists_for_user(self.request.user)

    def get_object(self) -> Shortlist:
        return selectors.shortlist_get_for_user(self.request.user, self.kwargs["pk"])

    def _detail(self, shortlist: Shortlist, status_code: int = 200) -> Response:
        rows, run = selectors.shortlist_member_rows(shortlist)
        shortlist.member_count = len(rows)
        context = {
            "request": self.request,
            "run": run,
            "members": [row.member for row in rows],
            "today": {row.member.account_id: row.today for row in rows if row.today},
        }
        data = s.ShortlistDetailSerializer(shortlist, context=context).data
        return Response(data, status=status_code)

    def list(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._detail(self.get_object())

    def create(self, request: Request) -> Response:
        _writer(request)
        data = s.ShortlistCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        program = program_get_for_user(request.user, values["program"])
        try:
            if values["score_ids"]:
                shortlist, _ = services.shortlist_create_with_members(
                    program=program,
                    name=values["name"],
                    score_ids=values["score_ids"],
                    user=request.user,
                )
                if values["description"]:
                    services.shortlist_rename(
                        shortlist=shortlist,
                        user=request.user,
                        name=shortlist.name,
                        description=values["description"],
                    )
            else:
                shortlist = services.shortlist_create(
                    program=program,
                    name=values["name"],
                    description=values["description"],
                    user=request.user,
                )
        except DjangoValidationError as exc:
            raise _bad_input(exc) from exc
        shortlist = selectors.shortlist_get_for_user(request.user, shortlist.pk)
        return self._detail(shortlist, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        shortlist = self.get_object()
        _writer(request)
        data = s.ShortlistUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            services.shortlist_rename(
                shortlist=shortlist,
                user=request.user,
                name=values.get("name", shortlist.name),
                description=values.get("description"),
            )
        except DjangoValidationError as exc:
            raise _bad_input(exc) from exc
        return self._detail(self.get_object())

    def destroy(self, request: Request, pk: str) -> Response:
        shortlist = self.get_object()
        _writer(request)
        try:
            services.shortlist_delete(shortlist=shortlist, user=request.user)
        except DjangoValidationError as exc:
            raise _bad_input(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="shortlists_members_add",
        summary="Add candidates (scores of the program's latest run)",
        description=(
            "Each candidate is added at the end with its score frozen as it is now. "
            "Accounts already on the list are reported in `already` and left alone; "
            "a score of another program or of an older run is a 400."
        ),
        request=s.ShortlistMembersAddInputSerializer,
        responses=s.ShortlistMembersAddOutputSerializer,
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], url_path="members")
    def members(self, request: Request, pk: str) -> Response:
        shortlist = self.get_object()
        _writer(request)
        data = s.ShortlistMembersAddInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = services.shortlist_members_add(
                shortlist=shortlist,
                score_ids=data.validated_data["score_ids"],
                user=request.user,
            )
        except DjangoValidationError as exc:
            raise _bad_input(exc) from exc
        today = selectors.latest_scores_by_account(
            shortlist.program, [m.account_id for m in result.added]
        )
        output = s.ShortlistMembersAddOutputSerializer(
            {"added": result.added, "already": result.already},
            context={"request": request, "today": today},
        )
        return Response(output.data)

    @extend_schema(
        methods=["PATCH"],
        operation_id="shortlists_member_update",
        summary="Re-rank or annotate a member",
        description=(
            "`rank` moves the member to that rank (the others shift; ranks stay "
            "1..n), `direction` moves it one place up or down, `note` sets its "
            "note. Returns the shortlist."
        ),
        parameters=[MEMBER_ID],
        request=s.ShortlistMemberUpdateInputSerializer,
        responses=s.ShortlistDetailSerializer,
        tags=TAGS,
    )
    @extend_schema(
        methods=["DELETE"],
        operation_id="shortlists_member_remove",
        summary="Remove a member (the ones below move up)",
        parameters=[MEMBER_ID],
        request=None,
        responses={204: None},
        tags=TAGS,
    )
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"members/(?P<member_id>[0-9]+)",
        url_name="member",
    )
    def member(self, request: Request, pk: str, member_id: str) -> Response:
        shortlist = self.get_object()
        member = selectors.shortlist_member_get(shortlist, member_id)
        _writer(request)
        if request.method == "DELETE":
            services.shortlist_member_remove(member=member, user=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = s.ShortlistMemberUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            if "rank" in values or "direction" in values:
                member = services.shortlist_member_move(
                    member=member,
                    user=request.user,
                    direction=values.get("direction", ""),
                    rank=values.get("rank"),
                )
            if "note" in values:
                services.shortlist_member_annotate(
                    member=member, user=request.user, note=values["note"]
                )
        except DjangoValidationError as exc:
            raise _bad_input(exc) from exc
        return self._detail(self.get_object())


class PassthroughRenderer(BaseRenderer):
    """Lets a file download answer whatever the client accepts (the body is the
    file, not rendered); what it does render is an error, which is JSON and says so
    (not ``*/*``)."""

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = OrjsonRenderer.media_type
        return OrjsonRenderer().render(data)


@extend_schema_view(
    list=extend_schema(summary="Your exports, newest first", tags=["exports"]),
    retrieve=extend_schema(
        summary="One export: its status and progress",
        responses=s.ExportSerializer,
        tags=["exports"],
    ),
    create=extend_schema(
        summary="Export discovery results or a shortlist as CSV or XLSX",
        description=(
            "A small export (at most EXPORT_INLINE_MAX_ROWS rows) is written at "
            "once: 201 with `status` succeeded and a `download_url`. A larger one "
            "runs as a task: 202 with `status` pending; poll the export until it "
            "has succeeded. Columns: identity (name, NPI, identity status, link "
            "confidence, account), specialty, followers, every score component, "
            "composite, rank, gates, authenticity flag, open findings by severity "
            "and their rules, `as_of`, scoring version and run (shortlists: also "
            "rank, note, frozen composite and its date)."
        ),
        request=s.ExportCreateInputSerializer,
        # a shortlist named in the body must be one of yours
        responses={201: s.ExportSerializer, 202: s.ExportSerializer, 404: NOT_FOUND},
        tags=["exports"],
    ),
)
class ExportViewSet(viewsets.GenericViewSet):
    """Exports: create, list yours, status, download."""

    queryset = Export.objects.none()
    serializer_class = s.ExportSerializer
    filterset_class = ExportFilterSet
    pagination_class = KeysetCursorPagination
    ordering = ("-created_at", "-id")

    def get_queryset(self):
        return selectors.exports_for_user(self.request.user)

    def get_object(self) -> Export:
        return selectors.export_get_for_user(self.request.user, self.kwargs["pk"])

    def list(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        data = s.ExportCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        shortlist = None
        if values["kind"] == Export.Kind.SHORTLIST:
            shortlist = selectors.shortlist_get_for_user(
                request.user, values["shortlist"]
            )
        try:
            export = services.export_create(
                user=request.user,
                kind=values["kind"],
                file_format=values["format"],
                query=values.get("filters") or {},
                shortlist=shortlist,
            )
        except DjangoValidationError as exc:
            raise _bad_input(exc) from exc
        export = selectors.export_get_for_user(request.user, export.pk)
        code = (
            status.HTTP_201_CREATED
            if export.status in (Export.Status.SUCCEEDED, Export.Status.FAILED)
            else status.HTTP_202_ACCEPTED
        )
        return Response(self.get_serializer(export).data, status=code)

    @extend_schema(
        operation_id="exports_download",
        summary="Download an export's file",
        description=(
            "The CSV or XLSX file as an attachment (its SHA-256 in the "
            "`X-Content-SHA256` header). 409 while the export is not done. Every "
            "download is audited."
        ),
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiTypes.BINARY,
            409: OpenApiResponse(ErrorSerializer, description="Not done yet."),
        },
        tags=["exports"],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="download",
        renderer_classes=[OrjsonRenderer, PassthroughRenderer],
    )
    def download(self, request: Request, pk: str):
        export = self.get_object()
        if export.status != Export.Status.SUCCEEDED:
            return Response(
                {"detail": "This export has no file to download (yet)."},
                status=status.HTTP_409_CONFLICT,
            )
        response = download_response(export, request.user)
        if response.status_code != 200:
            raise Http404("The export's file is missing.")
        return response
