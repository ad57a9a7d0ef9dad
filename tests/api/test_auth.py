"""Token authentication (``Authorization: Token <key>``), read-only tokens, and
the token services (hashed keys, audit events, the throttled "last used")."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from reports.models import ApiToken
from reports.services_tokens import (
    api_token_create,
    api_token_revoke,
    api_token_touch,
)
from tests.api.world import session_client, token_client

pytestmark = pytest.mark.django_db

PROGRAMS = "/api/v1/programs/"


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_valid_token_authenticates_as_its_user(world):
    created = api_token_create(user=world.analyst, name="warehouse")
    response = _client(created.key).get(PROGRAMS)
    assert response.status_code == 200
    assert [p["slug"] for p in response.json()["results"]] == [world.a.program.slug]


def test_a_wrong_key_is_a_401(world):
    api_token_create(user=world.analyst, name="warehouse")
    response = _client("pp_not-a-real-key").get(PROGRAMS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "header", ["Token", "Token a b", "Token " + "x" * 300, "Token \u00e9t\u00e9"]
)
def test_a_malformed_header_is_a_401(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(PROGRAMS).status_code == 401


def test_a_revoked_token_is_a_401(world):
    created = api_token_create(user=world.analyst, name="warehouse")
    client = _client(created.key)
    assert client.get(PROGRAMS).status_code == 200
    api_token_revoke(token=created.token, user=world.analyst)
    response = client.get(PROGRAMS)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_an_inactive_users_token_is_a_401(world):
    created = api_token_create(user=world.analyst, name="warehouse")
    world.analyst.is_active = False
    world.analyst.save()
    assert _client(created.key).get(PROGRAMS).status_code == 401


def test_a_read_only_token_may_read_but_not_write(world):
    client = token_client(world.analyst, read_only=True)
    alert = world.a.alerts[0]
    assert client.get(f"/api/v1/alerts/{alert.pk}/").status_code == 200
    response = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    slug = world.a.program.slug
    assert client.post(f"/api/v1/programs/{slug}/score/").status_code == 403


def test_a_full_token_may_write(world):
    client = token_client(world.analyst, read_only=False)
    alert = world.a.alerts[0]
    response = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == "analyst"


def test_session_authentication_still_works(world):
    assert session_client(world.analyst).get(PROGRAMS).status_code == 200


def test_only_the_hash_of_the_key_is_stored_and_the_prefix_identifies_it(world):
    created = api_token_create(user=world.analyst, name="warehouse", read_only=False)
    token = ApiToken.objects.get(pk=created.token.pk)
    assert created.key.startswith("pp_") and len(created.key) >= 40
    assert token.key_sha256 == hashlib.sha256(created.key.encode()).hexdigest()
    assert created.key not in str(ApiToken.objects.filter(pk=token.pk).values()[0])
    assert created.key.startswith(token.prefix) and len(token.prefix) == 11
    assert token.read_only is False


def test_creating_and_revoking_are_audited(world):
    created = api_token_create(user=world.analyst, name="warehouse")
    event = AuditEvent.objects.get(action="api_token.created")
    assert event.actor == world.analyst
    assert event.object_id == str(created.token.pk)
    assert created.key not in str(event.after)
    api_token_revoke(token=created.token, user=world.analyst)
    api_token_revoke(token=created.token, user=world.analyst)  # idempotent
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


def test_a_name_is_required_and_unique_among_active_tokens(world):
    with pytest.raises(ValidationError):
        api_token_create(user=world.analyst, name="  ")
    first = api_token_create(user=world.analyst, name="warehouse")
    with pytest.raises(ValidationError):
        api_token_create(user=world.analyst, name="warehouse")
    api_token_revoke(token=first.token, user=world.analyst)
    api_token_create(user=world.analyst, name="warehouse")  # the name is free again


def test_last_used_is_stamped_at_most_once_a_minute(world):
    created = api_token_create(user=world.analyst, name="warehouse")
    client = _client(created.key)
    client.get(PROGRAMS)
    token = ApiToken.objects.get(pk=created.token.pk)
    first = token.last_used_at
    assert first is not None
    client.get(PROGRAMS)
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: not rewritten
    later = first + timedelta(seconds=61)
    assert api_token_touch(token=token, now=later) is True
    token.refresh_from_db()
    assert token.last_used_at == later
    assert api_token_touch(token=token, now=later + timedelta(seconds=5)) is False


def test_a_stale_in_memory_token_does_not_stamp_twice(world):
    created = api_token_create(user=world.analyst, name="warehouse")
    now = timezone.now()
    one = ApiToken.objects.get(pk=created.token.pk)
    two = ApiToken.objects.get(pk=created.token.pk)
    assert api_token_touch(token=one, now=now) is True
    assert api_token_touch(token=two, now=now + timedelta(seconds=1)) is False
