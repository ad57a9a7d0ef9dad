"""Shared pieces of the REST API (no models, no app imports): keyset cursor
pagination and the permission that keeps read-only tokens to safe methods."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import BooleanField, Expression, F, Q, QuerySet, Value
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class ReadOnlyTokenForbidsWrites(BasePermission):
    """A request authenticated by a read-only API token may only use safe methods
    (GET, HEAD, OPTIONS); anything else is a 403. Session requests and full tokens
    pass. The token is whatever the authentication put on ``request.auth``; any
    object with a true ``read_only`` attribute counts as read-only."""

    message = "This API token is read-only: it may only use GET, HEAD and OPTIONS."

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return not getattr(request.auth, "read_only", False)


class RowCompare(Expression):
    """``(a, b, c) > (x, y, z)``: a row-value comparison, which PostgreSQL can use
    as an index condition on an index over the same columns (or a prefix of them),
    so a page deep in a large list costs the same as the first one."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, columns: list[str], values: list[Any], op: str):
        super().__init__(output_field=BooleanField())
        if op not in ("<", ">"):
            raise ValueError(op)
        self.op = op
        self.width = len(columns)
        self.exprs = [F(c) for c in columns] + [Value(v) for v in values]

    def get_source_expressions(self):
        return self.exprs

    def set_source_expressions(self, exprs):
        self.exprs = list(exprs)

    def as_sql(self, compiler, connection):
        parts, params = [], []
        for expr in self.exprs:
            sql, expr_params = compiler.compile(expr)
            parts.append(sql)
            params.extend(expr_params)
        lhs = ", ".join(parts[: self.width])
        rhs = ", ".join(parts[self.width :])
        return f"(({lhs}) {self.op} ({rhs}))", params


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


class KeysetCursorPagination(BasePagination):
    """Cursor pagination on the view's fixed ``ordering`` (a tuple of non-null
    fields whose last one is unique, e.g. ``("-created_at", "-id")``).

    The cursor holds the ordering values of the row a page starts after (and the
    direction), so a page is ``WHERE (keys) > (cursor) ORDER BY keys LIMIT n``:
    rows inserted meanwhile never shift or repeat a page, and with an index on the
    ordering every page costs the same. Unlike DRF's ``CursorPagination`` (which
    keys on the first field only and skips ties by offset), every ordering field is
    part of the key. The response is ``{"next", "previous", "results"}``; an
    unreadable cursor is a 400.

    Partitions: PostgreSQL 15 cannot read an index in order across several values
    of its leading column (``program_id IN (1, 2, 3) ORDER BY program_id, rank``
    sorts every matching row). A view whose ordering starts with
    ``cursor_partition_fields`` (ascending) and whose ``cursor_partitions()``
    returns their values (e.g. ``[(program_id, run_id), ...]``) is paged one
    partition at a time, in order: each query is an index range scan with a
    ``LIMIT``, and a page spans the next partition only when it runs out."""

    cursor_query_param = "cursor"
    cursor_query_description = "The pagination cursor value."
    page_size_query_param = "page_size"
    page_size_query_description = "Number of results per page (at most 200)."
    max_page_size = 200

    def __init__(self) -> None:
        self.page_size = settings.REST_FRAMEWORK.get("PAGE_SIZE") or 50
        self.next_values: list[Any] | None = None
        self.previous_values: list[Any] | None = None

    # --- parameters ------------------------------------------------------------

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        try:
            size = int(raw)
        except ValueError as exc:
            raise exceptions.ValidationError(
                {self.page_size_query_param: ["A whole number is required."]}
            ) from exc
        if size < 1:
            raise exceptions.ValidationError(
                {self.page_size_query_param: ["Must be at least 1."]}
            )
        return min(size, self.max_page_size)

    def _fields(self, queryset: QuerySet, view: Any) -> list[tuple[str, bool, Any]]:
        ordering = getattr(view, "ordering", None)
        if not ordering:
            raise exceptions.APIException("The view has no ordering for its cursor.")
        fields = []
        for name in ordering:
            column = name.removeprefix("-")
            field = queryset.model._meta.get_field(column)
            fields.append((column, name.startswith("-"), field))
        return fields

    def _decode(self, request: Request, fields) -> tuple[list[Any] | None, bool]:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None, False
        try:
            data = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
            values = data["v"]
            reverse = bool(data.get("r", False))
            if not isinstance(values, list) or len(values) != len(fields):
                raise ValueError("wrong length")
            if any(v is None for v in values):
                raise ValueError("null key")
            values = [
                field.to_python(v)
                for v, (_c, _d, field) in zip(values, fields, strict=True)
            ]
        except (
            ValueError,
            TypeError,
            KeyError,
            UnicodeError,
            binascii.Error,
            DjangoValidationError,
        ) as exc:
            raise exceptions.ValidationError(
                {self.cursor_query_param: ["Invalid cursor."]}
            ) from exc
        return values, reverse

    def _encode(self, values: list[Any], reverse: bool) -> str:
        data = {"v": [_json_value(v) for v in values]}
        if reverse:
            data["r"] = 1
        text = json.dumps(data, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode("ascii")

    # --- the page --------------------------------------------------------------

    @staticmethod
    def _after(fields, values: list[Any], forward: bool) -> Q | RowCompare:
        """Rows after ``values`` in the ordering (before, when not ``forward``)."""
        directions = {descending for _c, descending, _f in fields}
        if len(directions) == 1:
            descending = directions.pop()
            op = ">" if forward != descending else "<"
            return RowCompare([c for c, _d, _f in fields], values, op)
        # mixed directions: (a > x) OR (a = x AND b < y) OR ...
        condition = Q()
        equal: dict[str, Any] = {}
        for (column, descending, _field), value in zip(fields, values, strict=True):
            lookup = "lt" if descending == forward else "gt"
            condition |= Q(**equal, **{f"{column}__{lookup}": value})
            equal[column] = value
        return condition

    @staticmethod
    def _order(fields, reverse: bool) -> list[str]:
        return [f"-{c}" if (desc != reverse) else c for c, desc, _f in fields]

    def _rows(self, queryset, fields, values, reverse: bool, limit: int) -> list:
        if values is not None:
            queryset = queryset.filter(self._after(fields, values, not reverse))
        return list(queryset.order_by(*self._order(fields, reverse))[:limit])

    def _rows_by_partition(
        self, queryset, fields, values, reverse: bool, limit: int, view
    ) -> list:
        """The page one partition at a time (see the class docstring), in order."""
        names = tuple(view.cursor_partition_fields)
        width = len(names)
        if tuple(c for c, _d, _f in fields[:width]) != names or any(
            desc for _c, desc, _f in fields[:width]
        ):
            raise exceptions.APIException("Partitions must lead the ordering, asc.")
        rest = fields[width:]
        at = tuple(values[:width]) if values is not None else None
        parts = sorted(tuple(p) for p in view.cursor_partitions())
        if reverse:
            parts = [p for p in reversed(parts) if at is None or p <= at]
        else:
            parts = [p for p in parts if at is None or p >= at]
        rows: list = []
        for part in parts:
            within = queryset.filter(**dict(zip(names, part, strict=True)))
            rest_values = values[width:] if part == at else None
            rows += self._rows(within, rest, rest_values, reverse, limit - len(rows))
            if len(rows) >= limit:
                break
        return rows

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None):
        self.request = request
        fields = self._fields(queryset, view)
        size = self._page_size(request)
        values, reverse = self._decode(request, fields)
        if getattr(view, "cursor_partition_fields", None):
            rows = self._rows_by_partition(
                queryset, fields, values, reverse, size + 1, view
            )
        else:
            rows = self._rows(queryset, fields, values, reverse, size + 1)
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
        has_next = (values is not None) if reverse else more
        has_previous = more if reverse else (values is not None)

        def key(row):  # a model instance, or a dict from ``.values()``
            if isinstance(row, dict):
                return [row[c] for c, _d, _f in fields]
            return [getattr(row, c) for c, _d, _f in fields]

        self.next_values = key(rows[-1]) if rows and has_next else None
        self.previous_values = key(rows[0]) if rows and has_previous else None
        return rows

    def _link(self, values: list[Any] | None, reverse: bool) -> str | None:
        if values is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(
            url, self.cursor_query_param, self._encode(values, reverse)
        )

    def get_next_link(self) -> str | None:
        return self._link(self.next_values, False)

    def get_previous_link(self) -> str | None:
        return self._link(self.previous_values, True)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": self.cursor_query_description,
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": self.page_size_query_description,
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
