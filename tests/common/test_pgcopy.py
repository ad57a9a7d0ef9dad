"""Binary COPY into numpy arrays (common.pgcopy) against the real PostgreSQL."""

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from django.db import connection

from common.pgcopy import NAT, copy_arrays, us_to_datetime


@pytest.mark.django_db
def test_fixed_width_columns_round_trip_with_infinity_as_missing_time():
    sql = """
        SELECT * FROM (VALUES
            (1::int8, 7::int2, 2.5::float8, true,
             '2025-01-09 12:30:00.123456+00'::timestamptz),
            (-9007199254740993::int8, -3::int2, 'NaN'::float8, false,
             '-infinity'::timestamptz),
            (42::int8, 0::int2, -1e300::float8, true,
             '1999-12-31 23:59:59+00'::timestamptz)
        ) AS t(a, b, c, d, e)
    """
    cols = [
        ("a", "int8"),
        ("b", "int2"),
        ("c", "float8"),
        ("d", "bool"),
        ("e", "timestamptz"),
    ]
    with connection.cursor() as cursor, cursor.connection.cursor() as cur:
        out = copy_arrays(cur, sql, cols)
    assert out["a"].tolist() == [1, -9007199254740993, 42]
    assert out["b"].tolist() == [7, -3, 0]
    assert out["c"][0] == 2.5 and np.isnan(out["c"][1]) and out["c"][2] == -1e300
    assert out["d"].tolist() == [True, False, True]
    assert out["e"][1] == NAT
    times = us_to_datetime(out["e"])
    assert times[0] == pd.Timestamp(datetime(2025, 1, 9, 12, 30, 0, 123456, tzinfo=UTC))
    assert pd.isna(times[1])
    assert times[2] == pd.Timestamp("1999-12-31 23:59:59", tz="UTC")


@pytest.mark.django_db
def test_an_empty_result_gives_empty_arrays():
    with connection.cursor() as cursor, cursor.connection.cursor() as cur:
        out = copy_arrays(cur, "SELECT 1::int8 WHERE false", [("x", "int8")])
    assert out["x"].dtype == np.int64 and len(out["x"]) == 0


@pytest.mark.django_db
def test_a_null_is_refused_with_the_column_named():
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor() as cur,
        pytest.raises(ValueError, match="not fixed-width|NULL"),
    ):
        copy_arrays(
            cur,
            "SELECT * FROM (VALUES (1::int8, 2::int8), (3::int8, NULL::int8)) t",
            [("x", "int8"), ("y", "int8")],
        )
