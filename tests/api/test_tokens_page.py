"""The API tokens page (/account/tokens/): list, create (key shown once), revoke;
a user only ever sees and revokes their own tokens."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.models import ApiToken
from reports.services_tokens import api_token_create, api_token_key_hash
from tests.reports import world as w
from vetting.constants import ROLE_ANALYST, ROLE_PHARMACOVIGILANCE

pytestmark = pytest.mark.django_db

URL = "/account/tokens/"


@pytest.fixture
def alice(client):
    user = w.user(ROLE_ANALYST, username="alice")
    client.force_login(user)
    return user


def test_the_url_is_named_and_needs_a_login(client):
    assert reverse("reports:tokens") == URL
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_creating_shows_the_key_once_in_a_copyable_field(client, alice):
    response = client.post(URL, {"action": "create", "name": "Warehouse"})
    assert response.status_code == 200
    html = response.content.decode()
    key = re.search(r'id="new-token-key"[^>]*value="(pp_[^"]+)"', html).group(1)
    token = ApiToken.objects.get(user=alice)
    assert token.key_sha256 == api_token_key_hash(key)
    assert token.read_only is False  # an unticked checkbox is a full token
    assert '<label for="new-token-key">' in html
    assert "readonly" in html and 'data-copy-target="new-token-key"' in html
    assert "no-store" in response["Cache-Control"]
    # never again
    again = client.get(URL).content.decode()
    assert key not in again
    assert token.prefix in again


def test_a_read_only_token_is_created_when_ticked(client, alice):
    client.post(URL, {"action": "create", "name": "BI", "read_only": "on"})
    assert ApiToken.objects.get(user=alice).read_only is True


def test_an_invalid_form_is_a_400_with_the_error(client, alice):
    response = client.post(URL, {"action": "create", "name": ""})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    api_token_create(user=alice, name="Dup")
    dup = client.post(URL, {"action": "create", "name": "Dup"})
    assert dup.status_code == 400
    assert "already have an active token" in dup.content.decode()
    assert client.post(URL, {"action": "explode"}).status_code == 400


def test_the_list_shows_only_my_tokens(client, alice):
    mine = api_token_create(user=alice, name="Mine").token
    bob = w.user(ROLE_PHARMACOVIGILANCE, username="bob")
    theirs = api_token_create(user=bob, name="Bobs token").token
    html = client.get(URL).content.decode()
    assert "Mine" in html and mine.prefix in html
    assert "Bobs token" not in html and theirs.prefix not in html
    assert '<th scope="col">Last used (UTC)</th>' in html


def test_revoking_my_token_and_not_someone_elses(client, alice):
    mine = api_token_create(user=alice, name="Mine").token
    bob = w.user(ROLE_PHARMACOVIGILANCE, username="bob")
    theirs = api_token_create(user=bob, name="Bobs").token
    response = client.post(URL, {"action": "revoke", "token": theirs.pk})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    response = client.post(URL, {"action": "revoke", "token": mine.pk})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    html = client.get(URL).content.decode()
    assert "Revoked" in html
    assert client.post(URL, {"action": "revoke", "token": "x"}).status_code == 404


def test_the_header_links_to_the_page(client, alice):
    html = client.get("/").content.decode()
    assert f'href="{URL}"' in html
    assert 'aria-current="page">API tokens' in client.get(URL).content.decode()


def test_the_query_count_does_not_grow_with_tokens(client, alice):
    api_token_create(user=alice, name="one")
    with CaptureQueriesContext(connection) as first:
        client.get(URL)
    for n in range(5):
        api_token_create(user=alice, name=f"more {n}")
    with CaptureQueriesContext(connection) as second:
        client.get(URL)
    assert len(second.captured_queries) == len(first.captured_queries)
