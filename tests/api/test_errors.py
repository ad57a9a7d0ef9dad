"""Errors of the REST API: every one is JSON, and the schema documents it.

A path under /api/ that no route matches (an action whose id is not a number, an
unknown endpoint) is a JSON 404 whatever ``DEBUG`` says; a server error under /api/
is a JSON 500; the schema (``common.schema.AutoSchema``) gives every operation the
error responses it can answer, and its parameters the bounds the filters enforce.
"""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from tests.api.world import token_client
from vetting.api import views as api_views

pytestmark = pytest.mark.django_db

NOT_ROUTED = (
    ("post", "/api/v1/findings/abc/decide/"),
    ("post", "/api/v1/alerts/-1/acknowledge/"),
    ("post", "/api/v1/sources/null/ingest/"),
    ("post", "/api/v1/programs/%C3%A9t%C3%A9/score/"),
    ("patch", "/api/v1/shortlists/1/members/false/"),
    ("delete", "/api/v1/shortlists/1/members/-1/"),
    ("get", "/api/v1/no-such-endpoint/"),
    ("get", "/api/v2/"),
)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(("method", "path"), NOT_ROUTED)
def test_a_path_no_api_route_matches_is_a_json_404(
    world, settings, debug, method, path
):
    settings.DEBUG = debug
    response = getattr(token_client(world.analyst, read_only=False), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_pages_outside_the_api_keep_djangos_404(world):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_server_error_under_the_api_is_a_json_500(world, monkeypatch):
    def crash(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api_views.AlertViewSet, "list", crash)
    client = token_client(world.analyst)
    client.raise_request_exception = False
    response = client.get("/api/v1/alerts/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Server error."}


def test_a_download_error_is_json_even_when_the_file_format_is_asked(world):
    response = token_client(world.analyst).get(
        "/api/v1/exports/999999/download/?format=file"
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("schema") / "schema.yaml"
    call_command("spectacular", "--file", str(out))
    return yaml.safe_load(out.read_text())


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def _ref(response: dict) -> str:
    return response["content"]["application/json"]["schema"]["$ref"]


def test_every_operation_documents_the_errors_it_can_answer(schema):
    error = "#/components/schemas/Error"
    validation = "#/components/schemas/ValidationError"
    for path, method, operation in _operations(schema):
        label = f"{method} {path}"
        responses = operation["responses"]
        parameters = operation.get("parameters", [])
        assert _ref(responses["401"]) == error, label
        assert _ref(responses["429"]) == error, label
        if any(p["in"] == "path" for p in parameters):
            assert _ref(responses["404"]) == error, label
        if "requestBody" in operation or any(
            p["in"] == "query" and p["name"] != "format" for p in parameters
        ):
            assert _ref(responses["400"]) == validation, label
        if method != "GET":
            assert _ref(responses["403"]) == error, label
    # what AutoSchema cannot infer, the views say: objects named in the query or body
    for path, method in (
        ("/api/v1/scores/", "get"),  # ?run=
        ("/api/v1/shortlists/", "post"),  # its program
        ("/api/v1/exports/", "post"),  # its shortlist
    ):
        assert _ref(schema["paths"][path][method]["responses"]["404"]) == error
    errors = schema["components"]["schemas"]
    assert errors["Error"]["required"] == ["detail"]
    assert errors["ValidationError"]["type"] == "object"


def test_parameters_carry_the_bounds_the_filters_enforce(schema):
    scores = {
        p["name"]: p["schema"]
        for p in schema["paths"]["/api/v1/scores/"]["get"]["parameters"]
    }
    assert scores["composite_min"]["minimum"] == 0
    assert scores["composite_min"]["maximum"] == 1
    assert scores["followers_min"]["minimum"] == 0
    assert scores["run"]["minimum"] == 0
    assert scores["page_size"]["minimum"] == 1
    assert scores["cursor"]["pattern"] == "^[A-Za-z0-9_=-]*$"
    posts = {
        p["name"]: p["schema"]
        for p in schema["paths"]["/api/v1/posts/"]["get"]["parameters"]
    }
    assert posts["author"]["maximum"] == 1e50  # django-filter's cap on numbers


def test_request_bodies_say_what_input_must_be(schema):
    components = schema["components"]["schemas"]
    name = components["ShortlistCreateInputRequest"]["properties"]["name"]
    assert name["minLength"] == 1
    assert name["pattern"] == r"\S"  # "  " is trimmed to blank
    text = components["ComplianceCheckInputRequest"]["properties"]["text"]
    assert text["minLength"] == 1
    assert "pattern" not in text  # not trimmed: "  " is a draft to check
    member = components["PatchedShortlistMemberUpdateInputRequest"]
    assert member["minProperties"] == 1


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("composite_min=0", 200),
        ("composite_min=1", 200),
        ("composite_min=-0.01", 400),
        ("composite_min=1.01", 400),
        ("followers_min=-1", 400),
        ("cursor=not!base64", 400),
        ("run=-1", 400),
        ("run=%C2%B2", 400),  # "²" is a digit to str.isdigit, not a run id
    ],
)
def test_the_bounds_are_the_ones_enforced(world, query, status):
    response = token_client(world.analyst).get(f"/api/v1/scores/?{query}")
    assert response.status_code == status, response.content
