"""The statements every API request runs: the token lookup
(``reports.auth.api_token_with_user``) and the pre-built pages, through
``common.api.prepared_cursor`` (prepared on the connection, timestamps read by
psycopg's C loader). They give what the ORM gives, a revoked token or a
deactivated user is refused at once, and the shortcut of ``?specialty=`` answers
as the FilterSet does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from common import api
from reports.auth import api_token_with_user
from reports.models import ApiToken
from reports.services_tokens import api_token_create, api_token_key_hash
from tests.api.world import session_client
from vetting.api import selectors
from vetting.api.views import FilterSetBackend

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_statements")]

BASE = "/api/v1"


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _prepared() -> set[str]:
    """The statements PostgreSQL holds prepared on this connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


# --- the token lookup ---------------------------------------------------------------


def test_the_lookup_gives_the_token_and_user_the_orm_gives(world):
    created = api_token_create(user=world.analyst, name="warehouse")
    ApiToken.objects.filter(pk=created.token.pk).update(last_used_at=timezone.now())
    expected = ApiToken.objects.select_related("user").get(pk=created.token.pk)

    token = api_token_with_user(api_token_key_hash(created.key))

    for field in ApiToken._meta.concrete_fields:
        assert getattr(token, field.attname) == getattr(expected, field.attname)
    for field in type(expected.user)._meta.concrete_fields:
        assert getattr(token.user, field.attname) == getattr(
            expected.user, field.attname
        )
    assert token.last_used_at.tzinfo is dt.UTC
    assert not token._state.adding and token._state.db == "default"
    with CaptureQueriesContext(connection) as captured:
        assert token.user.pk == world.analyst.pk  # cached: no query
    assert captured.captured_queries == []
    assert api_token_with_user(api_token_key_hash("pp_unknown")) is None


def test_a_token_request_runs_one_lookup(world):
    created = api_token_create(user=world.analyst, name="warehouse")
    client = _client(created.key)
    assert client.get(f"{BASE}/sources/").status_code == 200  # stamps last_used
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"{BASE}/sources/").status_code == 200
    lookups = [q for q in captured.captured_queries if "reports_apitoken" in q["sql"]]
    assert len(lookups) == 1


def test_a_token_revoked_elsewhere_is_refused_at_once(world):
    """No cache between requests: a revocation written by another process (here
    a bare UPDATE) or a user deactivated is seen by the next request."""
    created = api_token_create(user=world.analyst, name="warehouse")
    client = _client(created.key)
    for _ in range(6):  # past psycopg's and PostgreSQL's plan caching
        assert client.get(f"{BASE}/findings/").status_code == 200
    ApiToken.objects.filter(pk=created.token.pk).update(revoked_at=timezone.now())
    response = client.get(f"{BASE}/findings/")
    assert response.status_code == 401
    assert response.json()["detail"] == "This token has been revoked."

    other = api_token_create(user=world.analyst, name="other")
    client = _client(other.key)
    assert client.get(f"{BASE}/findings/").status_code == 200
    type(world.analyst).objects.filter(pk=world.analyst.pk).update(is_active=False)
    assert client.get(f"{BASE}/findings/").status_code == 401


# --- prepared statements ------------------------------------------------------------


def test_the_pages_statements_are_prepared_and_read_what_the_orm_reads(world):
    def build(user):
        return selectors.finding_rows_for_member(user).order_by("-created_at", "-id")

    rows = api.statement_rows(("test-prepared",), build, {"user": world.analyst.pk})
    again = api.statement_rows(("test-prepared",), build, {"user": world.analyst.pk})
    expected = list(
        selectors.finding_rows_for_user(world.analyst).order_by("-created_at", "-id")
    )
    assert rows == again == expected and rows
    for row, orm in zip(rows, expected, strict=True):
        assert row["created_at"].tzinfo is orm["created_at"].tzinfo is dt.UTC
        assert row["post_posted_at"] == orm["post_posted_at"]
    # one statement on the server, with its values as parameters ($1...)
    findings = [s for s in _prepared() if '"compliance_finding"' in s]
    assert len(findings) == 1 and "$1" in findings[0]


def test_django_s_own_queries_stay_unprepared(world):
    client = session_client(world.analyst)
    assert client.get(f"{BASE}/findings/").status_code == 200  # prepares one
    for _ in range(8):  # past psycopg's default threshold of five
        list(ApiToken.objects.filter(name="x"))
    assert not any("reports_apitoken" in s for s in _prepared())
    assert any("compliance_finding" in s for s in _prepared())


def test_prepared_statements_can_be_turned_off(world, settings):
    settings.API_PREPARED_STATEMENTS = False
    client = session_client(world.analyst)
    before = _prepared()
    first = client.get(f"{BASE}/findings/").json()
    for _ in range(3):
        assert client.get(f"{BASE}/findings/").json() == first
    assert first["results"]
    assert _prepared() == before


def test_the_c_loader_only_when_the_session_is_utc(world, monkeypatch):
    with connection.cursor() as cursor:
        assert api.fast_timestamps(connection, cursor) is True
    monkeypatch.setitem(connection.__dict__, "timezone_name", "Europe/Paris")
    with connection.cursor() as cursor:
        assert api.fast_timestamps(connection, cursor) is False


# --- ?specialty= without the FilterSet -----------------------------------------------


def test_a_scored_specialty_is_answered_as_the_filterset_does(world, monkeypatch):
    client = session_client(world.analyst)
    code = world.a.scores[2].specialty_code
    expected = [s.pk for s in world.a.scores if s.specialty_code == code]

    def ids(url):
        response = client.get(url)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    # the FilterSet's answers, then the same without it
    through_filterset = [
        ids(f"{BASE}/scores/?specialty={code}&platform="),
        ids(f"{BASE}/scores/?specialty=%20{code}%20&platform="),
    ]
    assert through_filterset == [expected, expected]

    def no_filterset(*args, **kwargs):
        raise AssertionError("the FilterSet was built")

    monkeypatch.setattr(FilterSetBackend, "get_filterset", no_filterset)
    assert ids(f"{BASE}/scores/?specialty={code}") == expected
    assert ids(f"{BASE}/scores/?specialty=%20{code}%20") == expected
    monkeypatch.undo()
    # blank: no filter; a code not scored: the FilterSet's 400
    assert ids(f"{BASE}/scores/?specialty=") == [s.pk for s in world.a.scores]
    bad = client.get(f"{BASE}/scores/?specialty=000000000X")
    assert bad.status_code == 400
    assert "specialty" in bad.json()
