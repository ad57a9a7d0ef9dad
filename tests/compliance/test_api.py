"""Draft checker: the API endpoint and the page (wiring, permissions, nothing stored)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from compliance.models import AdverseEventCase, Finding, ScanRun
from compliance.rules.types import Evidence, RuleHit
from compliance.views import highlight_segments

pytestmark = pytest.mark.django_db

URL = "/api/v1/compliance/check"
DRAFT = "Eliquis is a miracle for LV thrombus! <script>alert(1)</script>"


@pytest.fixture
def user():
    return get_user_model().objects.create_user(
        username="checker", password="x-long-pass-3"
    )


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_check_requires_authentication():
    response = APIClient().post(URL, {"text": DRAFT}, format="json")
    assert response.status_code in (401, 403)


def test_check_returns_findings_with_spans_and_stores_nothing(api, reference_dir):
    from compliance.loaders.spl import product_labels_load

    product_labels_load(paths=sorted((reference_dir / "spl-labels").glob("*.xml")))
    response = api.post(
        URL, {"text": DRAFT, "posted_at": "2025-06-01T12:00:00Z"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    codes = {f["rule_code"] for f in body["findings"]}
    assert {"OFF_LABEL", "EFFICACY_OVERSTATEMENT", "FAIR_BALANCE"} <= codes
    off = next(f for f in body["findings"] if f["rule_code"] == "OFF_LABEL")
    span = off["evidence"][1]
    assert DRAFT[span["start"] : span["end"]] == span["text"] == "LV thrombus"
    assert off["label_version"] == 30 and off["basis"]
    assert body["products"] == ["ELIQUIS"]
    assert not Finding.objects.exists()
    assert not ScanRun.objects.exists()
    assert not AdverseEventCase.objects.exists()


def test_check_validates_its_input(api):
    assert api.post(URL, {}, format="json").status_code == 400
    bad_npi = api.post(URL, {"text": "hi", "author_npi": "1234567890"}, format="json")
    assert bad_npi.status_code == 400 and "author_npi" in bad_npi.json()


def test_the_check_page_needs_login(client):
    response = client.get(reverse("compliance:check"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_check_page_highlights_evidence_and_escapes_the_draft(client, user):
    client.force_login(user)
    response = client.post(reverse("compliance:check"), {"text": DRAFT})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<mark title="EFFICACY_OVERSTATEMENT' in html
    assert "21 CFR 202.1(e)(6)" in html
    assert not Finding.objects.exists()


def test_highlight_segments_cover_the_text_once_and_clip_bad_spans():
    text = "abc def ghi"
    hits = [
        RuleHit("X", "1.1", "major", (Evidence(0, 7, "abc def"),), "e", "b"),
        RuleHit("Y", "1.1", "minor", (Evidence(4, 99, "def ghi"),), "e", "b"),
    ]
    segments = highlight_segments(text, hits)
    assert "".join(s.text for s in segments) == text
    assert [(s.text, s.codes) for s in segments] == [
        ("abc ", ("X",)),
        ("def", ("X", "Y")),
        (" ghi", ("Y",)),
    ]


def test_the_schema_documents_the_check_endpoint(api):
    response = api.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/compliance/check" in response.content
