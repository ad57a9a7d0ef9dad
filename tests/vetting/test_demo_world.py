"""The demo world end to end through real workers: generate, load, ingest, scan,
link, score."""

import io
import json

import pytest
from django.core.management import call_command

from compliance.models import AdverseEventCase, Finding, ScanRun
from influencers.models import Clinician, SocialAccount
from listening.models import IngestRun, Post
from tests.workers import ALL_QUEUES
from vetting.demo import demo_world_load, demo_world_recordings
from vetting.evaluation import quality_report
from vetting.models import InfluencerScore, ScoringRun

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_demo_world_goes_through_ingest_and_scan_and_a_rerun_skips_it(
    celery_worker_factory, tmp_path, reference_dir
):
    from compliance.loaders.spl import product_labels_load

    # The scan needs the labelled products, as the main job loads them first.
    product_labels_load(paths=sorted((reference_dir / "spl-labels").glob("*.xml")))
    # Programs target NUCC specialties of a therapeutic area, as the main job loads.
    call_command("load_nucc", stdout=io.StringIO())
    celery_worker_factory(
        queues=ALL_QUEUES, LISTENING_POST_INGEST_TASKS=["compliance.tasks.posts_scan"]
    )
    lines: list[str] = []

    result = demo_world_load(world_dir=tmp_path / "world", say=lines.append)

    summary = json.loads((tmp_path / "world" / "summary.json").read_text())
    recordings = demo_world_recordings(tmp_path / "world")
    assert result.generated and not result.failed_runs
    assert len(result.runs) == len(recordings)
    assert IngestRun.objects.filter(status=IngestRun.Status.SUCCEEDED).count() == len(
        recordings
    )
    # Every generated post (and the file-import sample) landed, none quarantined.
    assert (
        Post.objects.filter(platform__in=["bluesky", "mastodon"]).count()
        == (summary["counts"]["posts"]["total"])
    )
    assert not IngestRun.objects.exclude(quarantined=0).exists()
    assert Clinician.objects.count() >= summary["counts"]["clinicians"]["total"]
    assert (
        Clinician.objects.filter(source=Clinician.Source.GENERATED).count()
        == summary["counts"]["clinicians"]["generated"]
    )
    assert SocialAccount.objects.count() >= summary["counts"]["accounts"]["total"]
    # The post-ingest hook scanned what changed: findings and adverse-event cases.
    assert ScanRun.objects.filter(status=ScanRun.Status.SUCCEEDED).exists()
    assert Finding.objects.filter(rule_code="OFF_LABEL").exists()
    assert AdverseEventCase.objects.exists()
    # Then links and scores: every demo program scored, measured against the truth.
    assert ScoringRun.objects.filter(status="succeeded").count() == 3
    assert len(result.scoring_runs) == 3
    quality = quality_report(tmp_path / "world" / "truth")
    links = quality["links"]
    assert links["precision"] >= 0.97 and links["recall_linkable"] >= 0.9, links
    flags = quality["authenticity"]
    assert flags["precision"] >= 0.9 and flags["recall"] >= 0.7, flags
    rows = [q for q in quality["specialties"] if q["true_mi"]]
    hits = sum(q["hits_in_decile"] for q in rows)
    possible = sum(min(q["true_mi"], q["decile"]) for q in rows)
    assert hits / possible >= 0.9, rows  # true micro-influencers fill the top decile
    assert InfluencerScore.objects.filter(run__status="succeeded").exists()

    lines.clear()
    again = demo_world_load(world_dir=tmp_path / "world", say=lines.append)

    assert not again.generated and again.runs == []
    assert again.skipped_recordings == len(recordings)
    assert any("already ingested" in line for line in lines)
    # nothing changed: the new scoring runs are recorded as skipped
    assert set(
        ScoringRun.objects.filter(pk__in=again.scoring_runs).values_list(
            "status", flat=True
        )
    ) == {"skipped"}
