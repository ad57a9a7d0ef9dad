"""Shared pieces of the REST API (no models, no app imports): keyset cursor
pagination (and the pre-built statements of its busiest pages), the permission that
keeps read-only tokens to safe methods, and the JSON answers of a path under /api/
that no route matches or that fails."""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections
from django.db.models import (
    BooleanField,
    Expression,
    F,
    JSONField,
    Q,
    QuerySet,
    Value,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
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


API_PREFIX = "/api/"


@csrf_exempt  # a POST with a token (no CSRF cookie) must get this 404, not a 403
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """The last route under ``api/``: a path no API route matches (``/api/v1/
    findings/abc/decide/`` where the id must be a number, an unknown endpoint) is a
    JSON 404 like DRF's, whatever ``DEBUG`` says, not Django's HTML page."""
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """``handler500``: a JSON 500 under /api/ (``{"detail": "Server error."}``),
    Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request, *args, **kwargs)


class RowCompare(Expression):
    """``(a, b, c) > (x, y, z)``: a row-value comparison, which PostgreSQL can use
    as an index condition on an index over the same columns (or a prefix of them),
    so a page deep in a large list costs the same as the first one."""

    conditional = True
    output_field = BooleanField()

    def __init__(
        self,
        columns: list[str],
        values: list[Any],
        op: str,
        output_fields: list[Any] | None = None,
    ):
        super().__init__(output_field=BooleanField())
        if op not in ("<", ">"):
            raise ValueError(op)
        self.op = op
        self.width = len(columns)
        # typed as their columns (a bigint id is bound as one, not as an int4)
        fields = output_fields or [None] * len(values)
        self.exprs = [F(c) for c in columns] + [
            Value(v, output_field=f) for v, f in zip(values, fields, strict=True)
        ]

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


# --- pre-built statements ---------------------------------------------------------------

# values that stand for the real ones while a statement is compiled: no id, user
# or timestamp the API binds is below -2**62 or in 1901, and no text holds a NUL
# (PostgreSQL refuses it)
_INT_SENTINEL = -(2**62)
_DATETIME_SENTINEL = dt.datetime(1901, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
_STATEMENTS_MAX = 512
# psycopg prepares a statement after this many executions: never, by count
_NEVER_BY_COUNT = 2**31 - 1


@dataclass(frozen=True)
class _Statement:
    """One compiled ``.values()`` query: its SQL and parameters, which of them
    are the values bound per call (position -> name), the row's keys and the
    fields' converters by column."""

    alias: str
    sql: str
    params: tuple
    slots: tuple[tuple[int, str, type], ...]  # position, name, type bound as
    names: tuple[str, ...]
    converters: tuple


_statements: dict[tuple, _Statement | None] = {}


def _stands_for(param: Any, sentinel: Any) -> bool:
    """Whether a compiled parameter is ``sentinel`` (as itself, or wrapped in the
    type the database backend binds it as: psycopg's ``Int4``, ``Int8``...)."""
    if isinstance(sentinel, int):
        return (
            isinstance(param, int) and not isinstance(param, bool) and param == sentinel
        )
    if isinstance(sentinel, str):
        return isinstance(param, str) and param == sentinel
    return isinstance(param, dt.datetime) and param == sentinel


def _sentinel(value: Any, i: int) -> Any:
    """A stand-in for ``value`` (the i-th bound value), or None when its type is
    not one that can stand in (then the ORM runs the query)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _INT_SENTINEL - i
    if isinstance(value, str):
        return f"\x00stand-in {i}\x00"
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return _DATETIME_SENTINEL + dt.timedelta(microseconds=i)
    return None


def _compile(build: Callable[..., QuerySet], values: dict[str, Any]):
    """``build`` called with stand-ins for ``values``, compiled; None when a
    stand-in does not reach the parameters as itself."""
    sentinels = {}
    for i, (name, value) in enumerate(sorted(values.items())):
        sentinel = _sentinel(value, i)
        if sentinel is None:
            return None
        sentinels[name] = sentinel
    try:
        queryset = build(**sentinels)
        query = queryset.query
        compiler = query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
    except (EmptyResultSet, TypeError, ValueError):
        # an empty IN, or a stand-in the ORM had to convert (a text for an id)
        return None
    slots = tuple(
        (position, name, type(param))
        for position, param in enumerate(params)
        for name, sentinel in sentinels.items()
        if _stands_for(param, sentinel)
    )
    if {name for _p, name, _t in slots} != set(sentinels):
        return None
    if query.selected:
        names = tuple(query.selected)
    else:
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
    columns = [column for column, _s, _a in compiler.select[: compiler.col_count]]
    if len(names) != len(columns):
        return None
    converters = tuple(
        (position, (tuple(_faster(c) for c in convs), expression))
        for position, (convs, expression) in compiler.get_converters(columns).items()
    )
    return _Statement(queryset.db, sql, tuple(params), slots, names, converters)


def _faster(converter: Callable) -> Callable:
    """``JSONField.from_db_value`` (with the standard decoder) reading with orjson,
    which gives the same values (and hands what it refuses, an integer beyond 64
    bits, back to the field); any other converter as it is."""
    field = getattr(converter, "__self__", None)
    if not (
        isinstance(field, JSONField)
        and field.decoder is None
        and converter.__func__ is JSONField.from_db_value
    ):
        return converter

    def from_db_value(value, expression, connection):
        if isinstance(value, str):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                pass
        return converter(value, expression, connection)

    return from_db_value


@functools.cache
def _c_timestamptz_loader() -> type | None:
    """psycopg's C loader of ``timestamptz`` (the binary package's), or None when
    psycopg runs its Python implementation."""
    try:
        from psycopg import adapters
        from psycopg.pq import Format
    except ImportError:  # psycopg2
        return None
    oid = adapters.types["timestamptz"].oid
    loader = adapters.get_loader(oid, Format.TEXT)
    if loader is None or not loader.__module__.startswith(
        ("psycopg_binary", "psycopg_c")
    ):
        return None
    return loader


def fast_timestamps(connection: Any, cursor: Any | None) -> bool:
    """Read this cursor's ``timestamptz`` columns with psycopg's C loader instead
    of Django's (a Python subclass of psycopg's Python loader that then replaces
    the time zone): the same aware datetimes, with the same ``tzinfo``, when the
    session's time zone is UTC (Django's when ``USE_TZ`` is on and the database
    sets no other), 3-6 microseconds less each; a findings page holds about a
    hundred. Anything else (another time zone, psycopg2, psycopg's Python
    implementation) keeps Django's loader. Returns whether it switched."""
    loader = _c_timestamptz_loader()
    if (
        loader is None
        or connection.vendor != "postgresql"
        or not settings.USE_TZ
        or connection.timezone_name != "UTC"
    ):
        return False
    if cursor is None:  # only asked whether it would
        return True
    raw = getattr(cursor, "cursor", cursor)  # Django's wrapper, or psycopg's own
    adapters = getattr(raw, "adapters", None)
    if adapters is None:
        return False
    adapters.register_loader("timestamptz", loader)
    return True


@functools.cache
def _preparing_cursor_class() -> type | None:
    """A psycopg 3 cursor (server-side binding) whose ``execute`` asks for the
    statement to be prepared; None without psycopg 3."""
    try:
        import psycopg
    except ImportError:  # psycopg2
        return None

    class PreparingCursor(psycopg.Cursor):
        def execute(self, query, params=None, *, prepare=True, binary=None):
            return super().execute(query, params, prepare=prepare, binary=binary)

        def _convert_query(self, query, params=None):
            # psycopg keeps the query it sent only when it was not prepared;
            # Django's query log (``connection.queries``) reads it from there
            converted = super()._convert_query(query, params)
            self._query = converted
            return converted

    return PreparingCursor


@contextlib.contextmanager
def prepared_cursor(connection: Any):
    """A cursor of ``connection`` (Django's wrapper: execute wrappers, the query
    log and ``CaptureQueriesContext`` see its queries) whose statements
    PostgreSQL keeps prepared on the connection, and which reads ``timestamptz``
    with psycopg's C loader (``fast_timestamps``).

    For the few statements every API request runs (the token lookup, the latest
    runs, a list page, each compiled once per process): PostgreSQL spent more
    time planning the findings and scores pages (0.6-1.5 ms, their joins and the
    scope's EXISTS) than running them. Prepared (psycopg's ``prepare=True``:
    parsed once per connection, a generic plan after five executions when it is
    not costlier than the custom ones), a findings page costs the server 0.7 ms
    instead of 2.0 ms and a scores page 1.0 ms instead of 1.9 ms
    (bench/README.md, ``api.py``). The parameters are bound server-side (typed:
    Django's ``Int4``/``Int8`` wrappers, ``timestamptz``, and texts as
    ``unknown``, which PostgreSQL types from their column). psycopg keeps at most
    ``prepared_max`` (100) statements per connection and a new connection starts
    with none. Django leaves psycopg's preparing off by default, for
    transaction-mode poolers (PgBouncer before 1.21) that do not carry prepared
    statements between server connections: behind one, set
    ``API_PREPARED_STATEMENTS = False``. That, or anything but psycopg 3 on
    PostgreSQL with a UTC session, gets Django's ordinary cursor."""
    cursor_class = _preparing_cursor_class()
    with connection.cursor() as cursor:
        raw = connection.connection  # connected by ``cursor()``
        if (
            cursor_class is not None
            and connection.vendor == "postgresql"
            and settings.API_PREPARED_STATEMENTS
            and hasattr(raw, "prepare_threshold")
            and fast_timestamps(connection, None)
        ):
            if raw.prepare_threshold is None:
                # Django turns psycopg's prepared statements off for poolers;
                # with a threshold no count reaches, only these cursors'
                # ``prepare=True`` prepares (Django's own cursors bind
                # client-side and never prepare)
                raw.prepare_threshold = _NEVER_BY_COUNT
            client_side = cursor.cursor
            cursor.cursor = cursor_class(raw)
            client_side.close()
            fast_timestamps(connection, cursor.cursor)
        yield cursor


def statement_rows(
    key: tuple, build: Callable[..., QuerySet], values: dict[str, Any]
) -> list[dict] | None:
    """The rows of ``build(**values)`` (a ``.values()`` queryset), as dicts, from
    SQL compiled once per process for ``key``.

    Building and compiling the queryset of a list page (its joins, the scope's
    EXISTS, the keyset condition and order) costs Django more than PostgreSQL
    takes to run it (bench/README.md, ``api.py``). The first call for ``key``
    builds it with stand-ins for ``values`` (integers below -2**62, datetimes in
    1901, texts with a NUL), compiles it and keeps the SQL with the positions the
    stand-ins took among its parameters; every call binds ``values`` there and
    runs that SQL, converting the rows as ``.values()`` does. ``key`` must name
    everything else that shapes the query (filters, the cursor's presence and
    direction, the limit); the values' types are added to it. None when the query
    cannot be kept so (a value of another type, a stand-in the ORM did not pass
    through as itself, an empty ``IN``): run the queryset."""
    full_key = (*key, tuple(sorted((n, type(v).__name__) for n, v in values.items())))
    if full_key not in _statements:
        if len(_statements) >= _STATEMENTS_MAX:
            _statements.clear()
        _statements[full_key] = _compile(build, values)
    statement = _statements[full_key]
    if statement is None:
        return None
    params = list(statement.params)
    for position, name, kind in statement.slots:
        value = values[name]
        # an integer goes in the wrapper its stand-in was bound in (Int4, Int8)
        params[position] = kind(value) if isinstance(value, int) else value
    connection = connections[statement.alias]
    with prepared_cursor(connection) as cursor:
        cursor.execute(statement.sql, params)
        rows = cursor.fetchall()
    names = statement.names
    out = []
    for row in rows:
        if statement.converters:
            row = list(row)
            for position, (convs, expression) in statement.converters:
                value = row[position]
                for converter in convs:
                    value = converter(value, expression, connection)
                row[position] = value
        out.append(dict(zip(names, row, strict=True)))
    return out


@dataclass(frozen=True)
class PrebuiltRows:
    """What a list view hands the keyset paginator instead of a queryset, for a
    page whose query differs between requests only in values: ``build(**params)``
    makes the ``.values()`` queryset and ``filter(**equal)`` adds equality filters
    (a filter of the query, a cursor partition). The paginator adds the keyset
    condition, the order and the limit, and runs it through ``statement_rows``
    (falling back to the queryset when the statement cannot be kept); every value
    is bound per call. ``require`` names equality filters without which the rows
    must not be read (say, the partition that limits them to the user's runs)."""

    key: str
    model: type
    build: Callable[..., QuerySet]
    params: tuple[tuple[str, Any], ...] = ()
    equal: tuple[tuple[str, Any], ...] = ()
    require: tuple[str, ...] = ()

    def filter(self, **equal: Any) -> PrebuiltRows:
        return dataclasses.replace(
            self, equal=tuple(sorted({**dict(self.equal), **equal}.items()))
        )

    def queryset(self, **values: Any) -> QuerySet:
        """The queryset, with ``values`` for the params and equality filters."""
        missing = set(self.require) - {name for name, _v in self.equal}
        if missing:
            raise ValueError(f"{self.key}: filter on {sorted(missing)} first")
        params = {name: values[name] for name, _v in self.params}
        equal = {name: values[f"eq_{name}"] for name, _v in self.equal}
        queryset = self.build(**params)
        return queryset.filter(**equal) if equal else queryset

    def values(self) -> dict[str, Any]:
        return {**dict(self.params), **{f"eq_{n}": v for n, v in self.equal}}


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

    Pre-built pages: a view may hand ``paginate_queryset`` a ``PrebuiltRows``
    instead of a queryset (when the page's query differs between requests only in
    values); the page then runs as a statement compiled once per shape
    (``statement_rows``), with the same rows as the queryset would give.

    Partitions: PostgreSQL 15 cannot read an index in order across several values
    of its leading column (``program_id IN (1, 2, 3) ORDER BY program_id, rank``
    sorts every matching row). A view whose ordering starts with
    ``cursor_partition_fields`` (ascending) and whose ``cursor_partitions()``
    returns their values (e.g. ``[(program_id, run_id), ...]``) is paged one
    partition at a time, in order: each query is an index range scan with a
    ``LIMIT``, and a page spans the next partition only when it runs out."""

    cursor_query_param = "cursor"
    cursor_query_description = (
        "The pagination cursor: take it from a page's `next` or `previous` link "
        "(an unreadable one is a 400)."
    )
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
            return RowCompare(
                [c for c, _d, _f in fields], values, op, [f for _c, _d, f in fields]
            )
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

    def _page(self, queryset, fields, values, reverse: bool, limit: int) -> QuerySet:
        if values is not None:
            queryset = queryset.filter(self._after(fields, values, not reverse))
        return queryset.order_by(*self._order(fields, reverse))[:limit]

    def _rows(self, queryset, fields, values, reverse: bool, limit: int) -> list:
        if isinstance(queryset, PrebuiltRows):
            return self._prebuilt_rows(queryset, fields, values, reverse, limit)
        return list(self._page(queryset, fields, values, reverse, limit))

    def _prebuilt_rows(
        self, source: PrebuiltRows, fields, values, reverse: bool, limit: int
    ) -> list:
        """The page of ``source`` through a statement kept per shape (which
        fields, whether there is a cursor, its direction, the limit)."""
        keys = [f"key_{column}" for column, _d, _f in fields]
        bound = source.values()
        if values is not None:
            bound.update(zip(keys, values, strict=True))

        def build(**given: Any) -> QuerySet:
            cursor = [given[k] for k in keys] if values is not None else None
            return self._page(source.queryset(**given), fields, cursor, reverse, limit)

        shape = (
            "keyset",
            source.key,
            tuple(name for name, _v in source.equal),
            tuple(column for column, _d, _f in fields),
            values is not None,
            reverse,
            limit,
        )
        rows = statement_rows(shape, build, bound)
        return list(build(**bound)) if rows is None else rows

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
                # URL-safe base64 (of the JSON of the keys): anything else is a 400
                "schema": {"type": "string", "pattern": r"^[A-Za-z0-9_=-]*$"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": self.page_size_query_description,
                "schema": {"type": "integer", "minimum": 1},
            },
        ]
