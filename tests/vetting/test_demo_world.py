"""The demo world end to end through real workers: generate, load, ingest, scan."""

import json

import pytest

from compliance.models import AdverseEventCase, Finding, ScanRun
from influencers.models import Clinician, SocialAccount
from listening.models import IngestRun, Post
from tests.workers import ALL_QUEUES
from vetting.demo import demo_world_load, demo_world_recordings

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_demo_world_goes_through_ingest_and_scan_and_a_rerun_skips_it(
    celery_worker_factory, tmp_path, reference_dir
):
    from compliance.loaders.spl import product_labels_load

    # The scan needs the labelled products, as the main job loads them first.
    product_labels_load(paths=sorted((reference_dir / "spl-labels").glob("*.xml")))
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

    lines.clear()
    again = demo_world_load(world_dir=tmp_path / "world", say=lines.append)

    assert not again.generated and again.runs == []
    assert again.skipped_recordings == len(recordings)
    assert any("already ingested" in line for line in lines)
