"""The scoring benchmark's world writer (bench/score_world.py): its vectorised binary
COPY and NPIs, against the real PostgreSQL."""

import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from django.db import connection

from influencers.verification.npi import npi_is_valid

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import score_world as sw  # noqa: E402


def test_npis_are_valid_distinct_individual_numbers():
    values = sw.npis(np.random.default_rng(3), 5_000)
    texts = [bytes(row).decode() for row in values.mat]
    assert len(set(texts)) == 5_000
    assert all(t.startswith("1") and npi_is_valid(t) for t in texts)


def test_text_helpers_concatenate_and_choose_per_row():
    ids = np.array([7, 1234])
    text = sw.where(
        np.array([True, False]),
        sw.cat(sw.const("u", 2), sw.digits(ids, 5)),
        sw.vocab(["", "zz"], np.array([1, 1])),
    )
    rows = [bytes(m[:n]).decode() for m, n in zip(text.mat, text.lens, strict=True)]
    assert rows == ["u00007", "zz"]


@pytest.mark.django_db
def test_copy_table_round_trips_every_type_and_defaults_not_null_columns():
    n = 600_001 // 1000  # a few rows over two chunks
    when = int(datetime(2025, 3, 1, 12, 0, 0, 5, tzinfo=UTC).timestamp() * sw.US)
    with connection.cursor() as cursor, cursor.connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_t (id bigint, i integer, s smallint, f float8, "
            "b boolean, t timestamptz, d date, v varchar(20), x text, j jsonb NOT NULL, "
            "must text NOT NULL, maybe integer)"
        )
        ids = np.arange(n, dtype=np.int64)
        sw.copy_table(
            cur,
            "bench_t",
            n,
            {
                "id": ids,
                "i": (ids * 3, ids % 2 == 1),  # NULL on odd rows
                "s": 7,
                "f": ids / 2,
                "b": ids % 3 == 0,
                "t": np.full(n, when),
                "d": when,
                "v": sw.vocab(["é", "", "bluesky"], ids % 3),
                "x": sw.digits(ids, 4),
                "j": sw.vocab(['["a"]', "{}"], ids % 2),
            },
            chunk=250,
        )
        cur.execute(
            "SELECT count(*), sum(i), count(i), min(s), sum(f), count(*) FILTER "
            "(WHERE b), min(t), min(d), string_agg(DISTINCT v, ','), max(x), "
            "count(*) FILTER (WHERE j = '[\"a\"]'), min(must), count(maybe) FROM bench_t"
        )
        row = cur.fetchone()
    even = ids[ids % 2 == 0]
    assert row[0] == n and row[1] == int((even * 3).sum()) and row[2] == len(even)
    assert row[3] == 7 and row[4] == pytest.approx(ids.sum() / 2)
    assert row[5] == int((ids % 3 == 0).sum())
    assert row[6] == datetime(2025, 3, 1, 12, 0, 0, 5, tzinfo=UTC)
    assert str(row[7]) == "2025-03-01"
    assert set(row[8].split(",")) == {"", "bluesky", "é"}
    assert row[9] == f"{n - 1:04d}" and row[10] == len(even)
    assert row[11] == "" and row[12] == 0


def test_bench_database_names_derive_from_the_url():
    url = sw.bench_database_url("postgresql://u@h:5432/pp_h4?x=1", 100_000, 1_000_000)
    assert url == "postgresql://u@h:5432/pp_h4_bench_score_100k_1m?x=1"
