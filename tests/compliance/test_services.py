"""Service tests (database): scans, idempotency, supersede, AE clocks, decisions."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

import compliance.rules
from compliance.loaders.spl import product_labels_load
from compliance.models import AdverseEventCase, Finding, PaymentRecord, ScanRun
from compliance.services import ae_case_update, finding_decide, posts_scan
from compliance.tasks import posts_scan as posts_scan_task
from listening.models import IngestRun, Post, Source
from tests.influencers.factories import SocialAccountFactory

pytestmark = pytest.mark.django_db

SEEN = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
OFF_LABEL_TEXT = "Using Eliquis off-label for LV thrombus. Main risk is bleeding."
AE_TEXT = "My patient on Humira developed a serious infection and was hospitalized."


@pytest.fixture
def labels(reference_dir: Path):
    product_labels_load(paths=sorted((reference_dir / "spl-labels").glob("*.xml")))


@pytest.fixture
def account():
    return SocialAccountFactory()


def make_post(account, text: str, n: int = 0, **extra) -> Post:
    sha = hashlib.sha256(f"{n}:{text}".encode()).hexdigest()
    values = {
        "platform": "bluesky",
        "external_id": f"at://post/{n}-{sha[:8]}",
        "author": account,
        "text": text,
        "posted_at": datetime(2025, 6, 1, 12, 0, tzinfo=UTC),
        "content_sha256": sha,
        "first_seen_at": SEEN,
        "content_changed_at": SEEN,
        "raw": {},
    }
    values.update(extra)
    return Post.objects.create(**values)


@pytest.fixture
def reviewer():
    return get_user_model().objects.create_user(
        username="rev", password="x-long-pass-1"
    )


def test_scan_stores_findings_but_not_product_mentions(labels, account):
    post = make_post(account, OFF_LABEL_TEXT)
    run = posts_scan(post_ids=[post.pk])
    assert run.status == ScanRun.Status.SUCCEEDED
    assert run.rule_versions["OFF_LABEL"] == compliance.rules.RULE_VERSIONS["OFF_LABEL"]
    finding = Finding.objects.get(post=post)
    assert finding.rule_code == "OFF_LABEL"
    assert finding.product.brand_name == "ELIQUIS"
    assert finding.product_label.version == 30
    at = OFF_LABEL_TEXT.index("LV thrombus")
    assert finding.evidence[1] == {"start": at, "end": at + 11, "text": "LV thrombus"}
    assert not Finding.objects.filter(rule_code="PRODUCT_MENTION").exists()
    assert run.posts_scanned == 1 and run.findings_created == 1


def test_scanning_again_with_the_same_versions_creates_no_duplicates(labels, account):
    post = make_post(account, OFF_LABEL_TEXT)
    posts_scan(post_ids=[post.pk])
    again = posts_scan(post_ids=[post.pk])
    assert again.findings_created == 0
    assert again.findings_unchanged == 1
    assert again.findings_superseded == 0
    assert Finding.objects.filter(post=post).count() == 1


def test_a_new_rule_version_rescans_and_supersedes(labels, account, monkeypatch):
    post = make_post(account, OFF_LABEL_TEXT)
    posts_scan(post_ids=[post.pk])
    old = Finding.objects.get(post=post)
    monkeypatch.setitem(compliance.rules.RULE_VERSIONS, "OFF_LABEL", "1.99")
    run = posts_scan(post_ids=[post.pk])
    new = Finding.objects.get(post=post, is_current=True)
    old.refresh_from_db()
    assert new.rule_version == "1.99"
    assert not old.is_current and old.superseded_by == new
    assert run.findings_created == 1 and run.findings_superseded == 1


def test_a_decision_carries_over_to_the_next_version_of_the_same_evidence(
    labels, account, monkeypatch, reviewer
):
    post = make_post(account, OFF_LABEL_TEXT)
    posts_scan(post_ids=[post.pk])
    finding_decide(
        finding=Finding.objects.get(post=post),
        user=reviewer,
        status="dismissed",
        reason="Scientific exchange, not promotion.",
    )
    monkeypatch.setitem(compliance.rules.RULE_VERSIONS, "OFF_LABEL", "1.99")
    posts_scan(post_ids=[post.pk])
    new = Finding.objects.get(post=post, is_current=True)
    assert new.status == "dismissed" and new.decided_by == reviewer


def test_changed_content_supersedes_findings_that_no_longer_hold(labels, account):
    post = make_post(account, OFF_LABEL_TEXT)
    posts_scan(post_ids=[post.pk])
    post.text = "Eliquis in AF. Main risk is bleeding."
    post.content_sha256 = "0" * 64
    post.save()
    run = posts_scan(post_ids=[post.pk])
    assert run.findings_superseded == 1
    assert not Finding.objects.filter(post=post, is_current=True).exists()


def test_an_adverse_event_opens_one_case_with_its_clock(labels, account, settings):
    settings.COMPLIANCE_AE_DUE_DAYS = 7
    post = make_post(account, AE_TEXT)
    run = posts_scan(post_ids=[post.pk])
    case = AdverseEventCase.objects.get(post=post)
    assert run.ae_cases_opened == 1
    assert case.awareness_at == SEEN
    assert case.due_at == SEEN + timedelta(days=7)
    assert case.finding.rule_code == "ADVERSE_EVENT"
    assert case.product.brand_name == "Humira"
    assert case.elements["patient"].lower() == "my patient"
    assert posts_scan(post_ids=[post.pk]).ae_cases_opened == 0
    assert AdverseEventCase.objects.filter(post=post).count() == 1


def test_conflicts_come_from_the_authors_open_payments(labels, account):
    PaymentRecord.objects.create(
        record_id="900001",
        program_year=2024,
        covered_recipient_npi=account.clinician.npi,
        manufacturer_name="AbbVie, Inc.",
        amount_usd=Decimal("2500.00"),
        date_of_payment=date(2024, 5, 1),
        nature_of_payment="Consulting Fee",
        raw={},
        content_sha256="x",
    )
    post = make_post(account, "Humira in RA: boxed warning on serious infections.")
    posts_scan(post_ids=[post.pk])
    coi = Finding.objects.get(post=post, rule_code="COI_UNDISCLOSED")
    assert coi.details["total_usd"] == 2500.0


def test_the_scan_works_in_chunks(labels, account):
    posts = [make_post(account, OFF_LABEL_TEXT, n) for n in range(5)]
    run = posts_scan(post_ids=[p.pk for p in posts], chunk_size=2)
    assert run.posts_scanned == 5 and run.findings_created == 5


def test_an_ingest_run_scan_covers_the_posts_that_run_changed(labels, account):
    source = Source.objects.create(name="s", platform="bluesky", kind="recording")
    ingest = IngestRun.objects.create(
        source=source, started_at=SEEN - timedelta(hours=1)
    )
    changed = make_post(account, OFF_LABEL_TEXT, 1, last_run=ingest)
    make_post(account, OFF_LABEL_TEXT, 2)  # another run's post
    run = posts_scan(ingest_run_id=ingest.pk)
    assert run.ingest_run == ingest and run.posts_scanned == 1
    assert Finding.objects.get().post == changed


def test_an_incremental_scan_skips_posts_unchanged_since_the_last_one(labels, account):
    make_post(account, OFF_LABEL_TEXT)
    first = posts_scan()
    assert first.trigger == "all" and first.posts_scanned == 1
    assert posts_scan().posts_scanned == 0


def test_a_failed_scan_is_marked_failed_with_its_error(account, monkeypatch):
    post = make_post(account, OFF_LABEL_TEXT)

    def broken():
        raise RuntimeError("labels unavailable")

    monkeypatch.setattr("compliance.services.knowledge_build", broken)
    with pytest.raises(RuntimeError):
        posts_scan(post_ids=[post.pk])
    run = ScanRun.objects.get()
    assert run.status == ScanRun.Status.FAILED
    assert "labels unavailable" in run.error


def test_the_task_scans_an_ingest_runs_posts(labels, account):
    source = Source.objects.create(name="s", platform="bluesky", kind="recording")
    ingest = IngestRun.objects.create(source=source)
    make_post(account, AE_TEXT, last_run=ingest)
    result = posts_scan_task.run(run_id=ingest.pk)
    assert result["posts_scanned"] == 1 and result["ae_cases_opened"] == 1
    assert posts_scan_task.name == "compliance.tasks.posts_scan"


def test_deciding_a_finding_needs_a_reason(labels, account, reviewer):
    post = make_post(account, OFF_LABEL_TEXT)
    posts_scan(post_ids=[post.pk])
    finding = Finding.objects.get(post=post)
    with pytest.raises(ValidationError):
        finding_decide(finding=finding, user=reviewer, status="confirmed", reason=" ")
    with pytest.raises(ValidationError):
        finding_decide(finding=finding, user=reviewer, status="open", reason="x")
    decided = finding_decide(
        finding=finding, user=reviewer, status="confirmed", reason="Promotional."
    )
    assert decided.status == "confirmed" and decided.decided_by == reviewer
    assert decided.decided_at is not None and decided.decision_reason == "Promotional."


def test_an_ae_case_is_forwarded_to_pharmacovigilance(labels, account, reviewer):
    post = make_post(account, AE_TEXT)
    posts_scan(post_ids=[post.pk])
    case = AdverseEventCase.objects.get(post=post)
    officer = get_user_model().objects.create_user(
        username="pv", password="x-long-pass-2"
    )
    with pytest.raises(ValidationError):
        ae_case_update(case=case, user=reviewer, status="not_reportable")
    case = ae_case_update(case=case, user=reviewer, assignee=officer, notes="Urgent")
    assert case.assignee == officer and "Urgent" in case.notes
    case = ae_case_update(case=case, user=officer, status="forwarded")
    assert case.status == "forwarded" and case.handled_by == officer


def test_settings_due_days_default_is_fifteen():
    assert settings.COMPLIANCE_AE_DUE_DAYS == 15
