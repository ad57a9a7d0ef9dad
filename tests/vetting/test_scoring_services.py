"""Scoring runs through the services: inputs from PostgreSQL, parts, composite, the
scores written; an unchanged input is skipped; the fast path equals the reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from listening.models import Post
from vetting import services
from vetting.inputs import scoring_inputs_load
from vetting.models import InfluencerScore, ScoringRun
from vetting.scoring.pipeline import score_all

END = datetime(2025, 7, 1, tzinfo=UTC)


@pytest.mark.django_db
def test_a_run_writes_every_score_and_an_unchanged_rerun_is_skipped(program):
    program, star = program
    run, created = services.scoring_run_create(program=program)
    assert created and run.status == "pending"
    again, created_again = services.scoring_run_create(program=program)
    assert again.pk == run.pk and not created_again  # one active run per program

    run = services.scoring_run_inline(run_id=run.pk)

    assert run.status == ScoringRun.Status.SUCCEEDED, run.error
    assert run.parts_total == run.parts_done == 3  # two specialty groups + activity
    scores = InfluencerScore.objects.filter(run=run)
    assert scores.count() == run.accounts_scored == 16  # the fans are under 1,000
    top = scores.get(rank=1)
    assert top.account_id == star.pk and top.gates_passed
    assert top.trust_density == pytest.approx(1.0)  # all 7 cardiology peers engaged
    assert sum(top.contributions.values()) == pytest.approx(top.composite)
    assert set(top.contributions) == {
        "alignment", "trust_density", "peer_influence", "engagement_quality",
        "authenticity", "longevity", "spread", "community", "compliance",
    }  # fmt: skip
    assert top.details["peers_engaged"] == 7 and top.details["peers_active"] == 7
    derm = scores.filter(specialty_code="207N00000X")
    assert all(s.details["taxonomy_match"] == 0.0 for s in derm)
    # finishing again (a redelivered task) changes nothing
    assert services.scoring_run_finish(run_id=run.pk).status == "succeeded"
    assert InfluencerScore.objects.filter(run=run).count() == 16

    rerun, _ = services.scoring_run_create(program=program)
    rerun = services.scoring_run_inline(run_id=rerun.pk)
    assert rerun.status == ScoringRun.Status.SKIPPED
    assert rerun.input_hash == run.input_hash
    assert InfluencerScore.objects.filter(run=rerun).count() == 0


@pytest.mark.django_db
def test_unchanged_tables_skip_without_loading_and_unchanged_inputs_after_loading(
    program, monkeypatch
):
    program, star = program
    run, _ = services.scoring_run_create(program=program)
    run = services.scoring_run_inline(run_id=run.pk)
    assert run.status == "succeeded" and run.source_hash

    def no_load(**kwargs):
        raise AssertionError("the tables did not change: nothing to load")

    monkeypatch.setattr("vetting.inputs.scoring_inputs_load", no_load)
    rerun, _ = services.scoring_run_create(program=program)
    rerun = services.scoring_run_inline(run_id=rerun.pk)
    assert rerun.status == ScoringRun.Status.SKIPPED
    assert rerun.source_hash == run.source_hash
    assert rerun.input_hash == run.input_hash and "load" not in rerun.timings
    monkeypatch.undo()

    # a post long before the window: the tables changed, the inputs did not
    Post.objects.create(
        platform="bluesky", external_id="old/1", author=star, text="old",
        posted_at=END - timedelta(days=900), content_sha256="y" * 64,
        first_seen_at=END, content_changed_at=END,
    )  # fmt: skip
    third, _ = services.scoring_run_create(program=program)
    third = services.scoring_run_inline(run_id=third.pk)
    assert third.status == ScoringRun.Status.SKIPPED
    assert third.source_hash != run.source_hash and "load" in third.timings
    assert third.input_hash == run.input_hash


@pytest.mark.django_db
def test_the_fast_path_equals_the_networkx_reference_on_database_inputs(program):
    program, _ = program
    params = services.program_params(program)
    loaded = scoring_inputs_load(params=params, lexicon=["afib"], hashtags=[])
    fast = score_all(loaded.inputs, params, engine="fast")
    reference = score_all(loaded.inputs, params, engine="reference")
    assert fast.index.tolist() == reference.index.tolist()
    numeric = [c for c in fast.columns if fast[c].dtype.kind in "fi"]
    for column in numeric:
        a, b = fast[column].to_numpy(float), reference[column].to_numpy(float)
        assert np.allclose(a, b, rtol=0, atol=1e-9, equal_nan=True), column
    assert fast["rank"].tolist() == reference["rank"].tolist()


@pytest.mark.django_db
def test_the_stored_details_hold_every_sub_score_of_the_scorers(program):
    program, _ = program
    run, _ = services.scoring_run_create(program=program)
    run = services.scoring_run_inline(run_id=run.pk)
    params = services.program_params(program)
    loaded = scoring_inputs_load(params=params, lexicon=["afib"], hashtags=[])
    frame = score_all(loaded.inputs, params, engine="fast")
    skip = {"gate_failures", "gates_passed", "rank", "specialty_rank", "followers",
            "specialty", "clinician_id", "composite"}  # fmt: skip
    expected_keys = {
        c
        for c in frame.columns
        if c not in skip and not c.startswith(("value_", "contribution_"))
    }
    assert "community_label" in expected_keys and "flags" in expected_keys
    assert set(run.subscore_columns) < expected_keys
    scores = InfluencerScore.objects.filter(run=run).select_related("run")
    assert scores.count() == len(frame)
    for score in scores:
        details = score.details
        assert set(details) == expected_keys
        row = frame.loc[score.account_id]
        for key in expected_keys:
            value = row[key]
            if key == "flags":
                assert details[key] == value == score.flags
            elif isinstance(value, str):
                assert details[key] == value, key
            elif value is None or np.isnan(float(value)):
                assert details[key] is None, key
            else:
                assert details[key] == float(value), key  # every bit
