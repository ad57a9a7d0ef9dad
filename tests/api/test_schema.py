"""The OpenAPI 3 schema (drf-spectacular) validates with no warning, and the docs
UI is served offline (from the sidecar package, nothing from a CDN)."""

from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.api.world import session_client

ENDPOINTS = (
    "programs",
    "clinicians",
    "accounts",
    "posts",
    "findings",
    "scores",
    "scoring-runs",
    "ingest-runs",
    "scan-runs",
    "sources",
    "ae-cases",
    "cases",
    "alerts",
)


def test_spectacular_validates_the_schema_with_no_warning(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn raises on any warning or error; --validate checks OpenAPI 3
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    paths = schema["paths"]
    for endpoint in ENDPOINTS:
        assert f"/api/v1/{endpoint}/" in paths, endpoint
    for action in (
        "/api/v1/programs/{slug}/score/",
        "/api/v1/sources/{id}/ingest/",
        "/api/v1/scan/",
        "/api/v1/findings/{id}/decide/",
        "/api/v1/alerts/{id}/acknowledge/",
        "/api/v1/compliance/check",
    ):
        assert "post" in paths[action], action
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["tokenAuth"]["description"],
    }
    assert "cookieAuth" in schemes
    names = {p["name"] for p in paths["/api/v1/scores/"]["get"]["parameters"]}
    assert {"cursor", "run", "program", "composite_min", "specialty"} <= names
    assert "sort" not in names  # the cursor's order is fixed
    decide = paths["/api/v1/findings/{id}/decide/"]["post"]["responses"]
    assert {"200", "400", "403", "404"} <= set(decide)


@pytest.mark.django_db
def test_the_schema_is_served():
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/findings/" in response.content


@pytest.mark.django_db
def test_the_docs_page_renders_offline():
    response = APIClient().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    sources = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', html)
    assert sources, html
    for url in sources:
        assert url.startswith("/static/drf_spectacular_sidecar/"), url
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    assert 'url: "/api/v1/schema/"' in html


def test_the_sidecar_files_the_page_loads_are_installed():
    from django.contrib.staticfiles import finders

    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{name}"), name


@pytest.mark.django_db
def test_the_draft_checker_endpoint_still_works(world):
    response = session_client(world.analyst).post(
        "/api/v1/compliance/check", {"text": "A plain post."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["findings"] == []
