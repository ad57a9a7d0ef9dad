"""How the OpenAPI schema (drf-spectacular) describes the REST API's errors and
filters, in one place instead of on every view.

``AutoSchema`` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) adds to each operation
the error responses it can give, unless the view already documents that status:

- 400 ``ValidationError`` (field errors) when the operation has query parameters
  (filters, the cursor, the page size) or a request body;
- 404 ``Error`` when its path has a parameter (an id or slug that does not exist,
  or is not yours: scoping makes both absent);
- 401 ``Error`` when it needs authentication; 403 ``Error`` as well when it is a
  write (a read-only token, a role without the right, a missing CSRF token);
- 429 ``Error`` when it is throttled.

``ConstrainedFilterExtension`` documents a number filter's bounds (``minimum``,
``maximum``) from the validators of its form field, so the schema accepts what the
FilterSet accepts (django-filter caps every number filter at 1e50).
"""

from __future__ import annotations

import copy
from typing import Any

from django.core import validators as django_validators
from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings


class ErrorSerializer(serializers.Serializer):
    """DRF's error body: ``{"detail": "..."}``."""

    detail = serializers.CharField(help_text="What went wrong.")


VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Field errors: each key is a field (or a query parameter, or "
        "`non_field_errors`) and its value the list of messages; a field of a list "
        "or a nested object gives the errors by index or key. An unreadable body "
        "gives `detail`."
    ),
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {}},
            {"type": "object", "additionalProperties": {}},
            {"type": "string"},
        ]
    },
}


class ValidationErrorSerializer(serializers.Serializer):
    """DRF's field errors (a 400). Only documents them: its schema is
    ``VALIDATION_ERROR_SCHEMA`` (keys are field names, so it has no fixed fields)."""


class ValidationErrorSchema(OpenApiSerializerExtension):
    target_class = ValidationErrorSerializer

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return copy.deepcopy(VALIDATION_ERROR_SCHEMA)


NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Not found (or not yours).")

JSON = ["application/json"]
ERROR_DESCRIPTIONS = {
    "400": "Invalid input: a query parameter or the body.",
    "401": "Not authenticated (no, unknown or revoked token; no session).",
    "403": (
        "Not allowed: your role, a read-only token, or a session request without "
        "its CSRF token."
    ),
    "404": "Not found (or not yours).",
    "429": "Too many requests: wait and retry.",
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's ``AutoSchema`` plus the error responses each operation can
    give (see the module docstring). A status the view documents itself is kept."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(
            path, path_regex, path_prefix, method, registry
        )
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = self._error_response(code)
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        """A required text that DRF trims (``CharField``, not blank) must have a
        character that is not white space: ``pattern: \\S`` next to drf-spectacular's
        ``minLength: 1`` (``"  "`` is as blank as ``""``)."""
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not field.allow_blank
            and field.trim_whitespace
            and isinstance(schema, dict)
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & set(schema)
        ):
            schema["pattern"] = r"\S"
        return schema

    def _map_basic_serializer(self, serializer, direction):
        """An input serializer's ``schema_extra`` (e.g. ``{"minProperties": 1}``
        when its ``validate`` wants at least one field) joins its request schema."""
        schema = super()._map_basic_serializer(serializer, direction)
        extra = getattr(serializer, "schema_extra", None)
        if extra and direction == "request":
            schema.update(extra)
        return schema

    def _error_codes(self, operation: dict) -> list[str]:
        parameters = operation.get("parameters", [])
        locations = {parameter["in"] for parameter in parameters}
        # ``format`` (the renderer override) is not input: an unknown one is a 404
        queries = {p["name"] for p in parameters if p["in"] == "query"} - {
            api_settings.URL_FORMAT_OVERRIDE
        }
        codes = []
        if queries or "requestBody" in operation:
            codes.append("400")
        security = operation.get("security") or []
        if security and {} not in security:
            codes.append("401")
            if self.method not in SAFE_METHODS:
                codes.append("403")
        if "path" in locations:
            codes.append("404")
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _error_response(self, code: str) -> dict:
        body = ValidationErrorSerializer if code == "400" else ErrorSerializer
        response = OpenApiResponse(body, description=ERROR_DESCRIPTIONS[code])
        return self._get_response_for_code(response, code, JSON)


class ConstrainedFilterExtension(DjangoFilterExtension):
    """django-filter parameters with the bounds their form fields enforce: a
    ``minimum`` and ``maximum`` from the number filter's validators."""

    priority = 1  # before drf-spectacular's own DjangoFilterExtension

    def resolve_filter_field(
        self, auto_schema, model, filterset_class, field_name, filter_field
    ):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        bounds = _number_bounds(filter_field)
        for parameter in parameters:
            schema = parameter["schema"]
            if schema.get("type") in ("integer", "number"):
                for key, value in bounds.items():
                    schema.setdefault(key, value)
        return parameters


def _number_bounds(filter_field: Any) -> dict[str, float]:
    """``{"minimum": ..., "maximum": ...}`` of a number filter's form field."""
    from django_filters import filters

    if not isinstance(filter_field, filters.NumberFilter):
        return {}
    # the ``field`` property builds (and caches) the form field: build it on a copy
    # so that the FilterSet's declared filter stays as it was
    field = copy.deepcopy(filter_field).field
    bounds: dict[str, float] = {}
    for validator in field.validators:
        limit = getattr(validator, "limit_value", None)
        if limit is None or callable(limit):
            continue
        if isinstance(validator, django_validators.MinValueValidator):
            bounds["minimum"] = max(limit, bounds.get("minimum", limit))
        elif isinstance(validator, django_validators.MaxValueValidator):
            bounds["maximum"] = min(limit, bounds.get("maximum", limit))
    return {key: _plain_number(value) for key, value in bounds.items()}


def _plain_number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number
