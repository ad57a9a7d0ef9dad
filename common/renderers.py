"""The REST API's JSON renderer: DRF's ``JSONRenderer`` output, written by orjson.

A page of 50 scores is 45 KB of JSON: the standard library's encoder (DRF's) took
0.5-1.0 ms of it, orjson 0.13-0.19 ms (bench/README.md, ``api.py``).
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

# datetimes, dates and times go to DRF's encoder (``...Z`` for UTC, as DRF writes
# them); keys that are not strings are written as strings, as ``json`` does
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
# U+2028 and U+2029 are valid in JSON but not in JavaScript: DRF escapes them
LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class OrjsonRenderer(JSONRenderer):
    """``JSONRenderer`` with orjson: the same JSON for what the API returns
    (compact, UTF-8, DRF's encodings of dates, decimals, lazy strings, querysets),
    byte for byte but for floats in exponent form (the same number, spelled
    ``1e-7`` where ``json`` writes ``1e-07``). An indented rendering (``Accept:
    application/json; indent=4``, the browsable API), the non-default
    ``UNICODE_JSON``/``COMPACT_JSON`` settings and whatever orjson refuses (an
    integer beyond 64 bits) fall back to DRF's renderer. A NaN or infinite float
    is written as ``null``, where DRF's strict mode raises (a 500)."""

    _encoder = JSONEncoder()

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict | None = None,
    ) -> bytes:
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if indent is not None or self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=self._encoder.default, option=OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        for raw, escaped in LINE_SEPARATORS:
            if raw in body:
                body = body.replace(raw, escaped)
        return body
