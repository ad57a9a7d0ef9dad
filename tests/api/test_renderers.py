"""``common.renderers.OrjsonRenderer`` writes the bytes DRF's ``JSONRenderer``
writes (floats in exponent form aside: the same number, spelled ``1e-7`` for
``1e-07``), and the API answers with it."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
import zoneinfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from common.renderers import OrjsonRenderer
from tests.api.world import token_client

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

SAMPLES = {
    "page": {
        "next": "http://testserver/api/v1/findings/?cursor=eyJ2IjpbMV19",
        "previous": None,
        "results": [
            {
                "id": 1,
                "score": 0.123456789012345,
                "rank": 3,
                "ok": True,
                "flags": [],
                "contributions": {"alignment": 0.1, "trust_density": None},
                "text": 'Post <b>not markup</b> "quoted" \\ été 🫀 \u2028 \u2029 \x00',
            }
        ],
    },
    "datetimes": {
        "utc": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
        "paris": dt.datetime(2026, 7, 1, 12, 0, tzinfo=PARIS),
        "naive": dt.datetime(2026, 1, 2, 3, 4, 5),
        "date": dt.date(2026, 1, 2),
        "time": dt.time(3, 4, 5),
        "delta": dt.timedelta(hours=1, seconds=1),
    },
    "others": {
        "decimal": decimal.Decimal("1.25"),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "lazy": gettext_lazy("Not found."),
        "error": ErrorDetail("This field may not be blank.", code="blank"),
        "int_keys": {1: "a", 2: "b"},
        "tuple": (1, 2),
        "big": 2**63 - 1,
        "huge": 2**70,  # beyond orjson: DRF's renderer writes it
        "floats": [0.1, 0.0025, 1e22, -0.0, 5e-324, 0.123456789012345],
    },
    "return_types": ReturnDict(
        {"rows": ReturnList([1, 2], serializer=None)}, serializer=None
    ),
    "empty": {},
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_it_writes_the_bytes_drf_writes(name):
    data = SAMPLES[name]
    assert OrjsonRenderer().render(data) == JSONRenderer().render(data)


def test_a_float_is_the_same_number_however_it_is_spelled():
    floats = [1e-7, 1.5e-05, 2.5e-10, 1e16, 1 / 3, 0.99 - 0.01 * 7]
    ours = OrjsonRenderer().render(floats)
    drfs = JSONRenderer().render(floats)
    assert ours != drfs  # "1e-7" and "0.000015" where json writes "1e-07", "1.5e-05"
    assert json.loads(ours) == json.loads(drfs) == floats


def test_an_indented_rendering_is_drfs():
    data = SAMPLES["page"]
    media_type = "application/json; indent=4"
    rendered = OrjsonRenderer().render(data, media_type, {})
    assert rendered == JSONRenderer().render(data, media_type, {})
    assert b'\n    "next"' in rendered


def test_nothing_renders_as_an_empty_body():
    assert OrjsonRenderer().render(None) == b""


def test_a_nan_is_null_where_drf_would_fail():
    with pytest.raises(ValueError):
        JSONRenderer().render({"x": float("nan")})
    assert OrjsonRenderer().render({"x": float("nan")}) == b'{"x":null}'


@pytest.mark.django_db
def test_the_api_answers_with_it(world):
    response = token_client(world.analyst).get("/api/v1/findings/")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, OrjsonRenderer)
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == json.loads(
        JSONRenderer().render(response.data)
    )
    assert response.json()["results"]
