"""The binary COPY of a run's scores (vetting.score_copy) against the real PostgreSQL:
every column, NULLs, NaN sub-scores, text and JSON with quotes, newlines and non-ASCII
characters, several chunks."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from influencers.models import TherapeuticArea
from vetting import services
from vetting.models import InfluencerScore, Program, ScoringRun
from vetting.score_copy import float_array, rows, subscore_columns, texts
from vetting.scoring.weights import COMPONENTS

AS_OF = datetime(2025, 7, 1, 12, 30, 0, 250, tzinfo=UTC)
FLAG = {"signal": "pod", "value": 0.5, "evidence": 'a "pod" of 9\naccounts — é'}


def _scores(n: int) -> pd.DataFrame:
    """A frame shaped like ``composite_scores`` output, with every edge case."""
    ids = np.arange(1, n + 1, dtype=np.int64) * 7
    i = np.arange(n)
    frame = pd.DataFrame(index=pd.Index(ids, name="account_id"))
    frame["taxonomy_match"] = np.where(i % 2 == 0, 1.0, 0.5)
    frame["peers_engaged"] = (i % 5).astype(np.int64)
    frame["pagerank"] = np.where(i % 3 == 0, np.nan, 1 / (i + 3))
    frame["flagged"] = i % 4 == 0
    frame["community_id"] = np.where(i % 3 == 0, "", "207RC0000X:1").astype(object)
    frame["community_label"] = np.where(
        i % 2 == 0, 'afib, "dvt"\nstroke é', None
    ).astype(object)
    frame["flags"] = [[FLAG] if k % 4 == 0 else [] for k in i]
    for c in COMPONENTS:
        frame[f"value_{c}"] = np.where(i % 6 == 1, np.nan, (i % 10) / 10)
        frame[f"contribution_{c}"] = np.where(i % 6 == 1, 0.0, (i % 10) / 100)
    frame["composite"] = (i % 10) / 10
    frame["gate_failures"] = [
        [] if k % 3 else ["identity not verified", "followers outside 1,000-50,000"]
        for k in i
    ]
    frame["gates_passed"] = [bool(k % 3) for k in i]
    frame["followers"] = (i * 100).astype(np.int64)
    frame["specialty"] = np.where(i % 5 == 0, "", "207RC0000X").astype(object)
    frame["clinician_id"] = np.where(i % 2 == 0, -1, i + 100).astype(np.int64)
    frame["rank"] = (i + 1).astype(np.int64)
    frame["specialty_rank"] = pd.array(
        [None if k % 5 == 0 else k for k in i], dtype="Int64"
    )
    return frame


@pytest.fixture
def run(db):
    area = TherapeuticArea.objects.create(name="Area", slug="area")
    program = Program.objects.create(name="P", slug="p", therapeutic_area=area)
    return ScoringRun.objects.create(
        program=program, status="running", scoring_version="1.0"
    )


@pytest.mark.django_db
def test_every_column_round_trips_through_postgresql(run, monkeypatch):
    monkeypatch.setattr(services, "SCORES_WRITE_CHUNK", 7)  # several chunks
    frame = _scores(40)
    written, numbers = services._scores_write(run, frame, as_of=AS_OF)
    run.subscore_columns = numbers
    run.save()

    assert written == 40
    assert numbers == ["taxonomy_match", "peers_engaged", "pagerank", "flagged"]
    stored = {
        s.account_id: s
        for s in InfluencerScore.objects.filter(run=run).select_related("run")
    }
    assert len(stored) == 40
    for account, row in frame.iterrows():
        score = stored[account]
        assert score.program_id == run.program_id and score.as_of == AS_OF
        assert score.scoring_version == "1.0"
        assert score.followers == row["followers"] and score.rank == row["rank"]
        assert score.clinician_id == (
            None if row["clinician_id"] < 0 else row["clinician_id"]
        )
        assert score.specialty_code == row["specialty"]
        assert score.specialty_rank == (
            None if pd.isna(row["specialty_rank"]) else row["specialty_rank"]
        )
        assert score.gates_passed == row["gates_passed"]
        assert score.gate_failures == row["gate_failures"]
        assert score.authenticity_flagged == row["flagged"]
        for c in COMPONENTS:
            expected = row[f"value_{c}"]
            value = getattr(score, c)
            assert (value is None) if math.isnan(expected) else value == expected
            assert score.contributions[c] == pytest.approx(row[f"contribution_{c}"])
        assert score.composite == row["composite"]
        assert score.flags == row["flags"]
        details = score.details
        assert details["taxonomy_match"] == row["taxonomy_match"]
        assert details["peers_engaged"] == row["peers_engaged"]
        assert details["flagged"] == float(row["flagged"])
        if math.isnan(row["pagerank"]):
            assert details["pagerank"] is None
        else:
            assert details["pagerank"] == row["pagerank"]  # all 64 bits
        assert details["community_id"] == row["community_id"]
        label = row["community_label"]
        assert details["community_label"] == (None if pd.isna(label) else label)
        assert details["flags"] == row["flags"]


@pytest.mark.django_db
def test_a_score_without_sub_scores_reads_as_empty_details(run):
    frame = _scores(3)[
        [c for c in _scores(3).columns if c not in ("taxonomy_match", "peers_engaged")]
    ].drop(columns=["pagerank", "flagged", "community_id", "community_label"])
    assert subscore_columns(frame) == ([], [])
    written, numbers = services._scores_write(run, frame, as_of=AS_OF)
    assert written == 3 and numbers == []
    score = InfluencerScore.objects.select_related("run").first()
    assert score.subscores == [] and score.subscore_texts == {}
    assert score.details == {"flags": score.flags}


def test_arrays_and_texts_encode_as_postgresql_reads_them():
    matrix = np.array([[1.5, np.nan], [-0.0, 2.0]])
    encoded = rows([float_array(matrix), texts([b"ab", b""])])
    first = encoded[:56]  # 2 + (4 + 44) + (4 + 2)
    assert len(encoded) == 56 + 54
    assert first[:2] == b"\x00\x02"  # two fields
    assert int.from_bytes(first[2:6], "big") == 20 + 2 * 12  # the array's size
    assert first[6:26] == bytes.fromhex("00000001 00000000 000002bd 00000002 00000001")
    assert first[26:30] == b"\x00\x00\x00\x08"
    assert np.frombuffer(first[30:38], ">f8")[0] == 1.5
    assert first[-6:] == b"\x00\x00\x00\x02ab"
    assert encoded.endswith(b"\x00\x00\x00\x00")  # the empty text: length 0
