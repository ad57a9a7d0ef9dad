"""X API v2 connector: the recorded tweepy and academictwitteR responses of
fixtures/social/x.jsonl parsed into records, timestamp-less tweets quarantined, and
live fetches through tweepy with a fake HTTP transport. Pure: no database, no network."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter

from listening.connectors.base import (
    ConnectorError,
    CredentialsError,
    Envelope,
    LiveCallsDisabled,
    RateLimited,
    UpstreamUnavailable,
)
from listening.connectors.x import HANDLERS, XConnector
from tests.listening.connector_helpers import (
    assert_well_formed,
    envelope,
    json_values,
    kinds,
    leaf_paths,
    reasons,
    recording,
    replaced,
)

SEARCH_ALL = "/2/tweets/search/all"
NATCOMM = "17880989"
connector = XConnector()


def commtwitter() -> Envelope:
    return envelope("x.jsonl", SEARCH_ALL, query="#commtwitter")


def reuters() -> Envelope:
    recorded = recording("x.jsonl")
    return next(
        env for env in recorded if env.endpoint == SEARCH_ALL and env.params == {}
    )


# --- academictwitteR: rich fields ----------------------------------------------------------


def test_commtwitter_5_tweets_are_2_posts_and_3_retweets_plus_the_included_original():
    env = commtwitter()
    assert len(env.body["data"]) == 5
    page = connector.parse(env)
    assert page.quarantined == []
    assert {p.external_id for p in page.posts} == {
        "1399780280710221834",
        "1399765322509557763",
        "1391807748346683397",  # only in includes.tweets
    }
    assert len(page.accounts) == 4
    assert kinds(page) == {"repost": 3}
    assert_well_formed(page)


def test_retweets_are_repost_edges_to_the_original_author():
    page = connector.parse(commtwitter())
    edges = {e.actor_external_id: e for e in page.interactions}
    assert set(edges) == {"45648666", "956624418", "1145936974064177152"}
    rahul = edges["45648666"]
    assert (rahul.target_external_id, rahul.post_external_id) == (
        NATCOMM,
        "1391807748346683397",
    )
    assert rahul.occurred_at == datetime(2021, 6, 2, 21, 15, 24, tzinfo=UTC)
    assert not any(p.text.startswith("RT @") for p in page.posts)


def test_public_metrics_entities_language_and_time_are_mapped():
    posts = {p.external_id: p for p in connector.parse(commtwitter()).posts}
    post = posts["1391807748346683397"]
    assert (post.likes, post.reposts, post.replies, post.quotes) == (13, 6, 0, 3)
    assert post.hashtags == ["AltAC", "CommTwitter", "career", "phdchat"]
    assert post.links == [
        "https://www.youtube.com/watch?v=5yHsZcys44E&list=PLaETCkw7w_Q8qHrMC8fE--PU2VLSPpAWf"
    ]  # the unwound url, not t.co
    assert post.language == "en"
    assert post.created_at == datetime(2021, 5, 10, 17, 30, tzinfo=UTC)
    assert post.author_external_id == NATCOMM
    assert post.url == "https://x.com/NatComm/status/1391807748346683397"
    assert post.views is None


def test_includes_users_become_accounts_with_counts():
    accounts = {a.external_id: a for a in connector.parse(commtwitter()).accounts}
    rahul = accounts["45648666"]
    assert rahul.handle == "rahulmitra"
    assert (rahul.followers_count, rahul.following_count, rahul.posts_count) == (
        1945,
        2677,
        16519,
    )
    assert rahul.bio.startswith("I study env. organizing")
    assert rahul.account_created_at == datetime(2009, 6, 8, 19, 35, 34, tzinfo=UTC)


def test_reuters_page_gives_500_posts_and_a_self_reply_without_an_edge():
    page = connector.parse(reuters())
    assert len(page.posts) == 500 and len(page.accounts) == 33
    reply = next(p for p in page.posts if p.external_id == "1219995725997772800")
    assert reply.reply_to_external_id
    assert reply.root_external_id == "1219940269241651201"
    assert "reply" not in kinds(page)
    reuters_account = next(a for a in page.accounts if a.external_id == "1652541")
    assert reuters_account.is_verified is True


def test_replies_and_quotes_become_edges_when_the_author_is_known():
    env = commtwitter()
    tweet = env.body["data"][4]
    tweet["referenced_tweets"] = [{"type": "quoted", "id": "1391807748346683397"}]
    tweet["author_id"] = "45648666"
    other = dict(
        env.body["data"][3], id="1", author_id="956624418", in_reply_to_user_id=NATCOMM
    )
    other["referenced_tweets"] = [{"type": "replied_to", "id": "1399765322509557763"}]
    env.body["data"].append(other)
    page = connector.parse(env)
    posts = {p.external_id: p for p in page.posts}
    assert posts["1399765322509557763"].quote_of_external_id == "1391807748346683397"
    assert posts["1"].reply_to_external_id == "1399765322509557763"
    assert {
        (e.kind, e.actor_external_id, e.target_external_id) for e in page.interactions
    } >= {
        ("quote", "45648666", NATCOMM),
        ("reply", "956624418", NATCOMM),
    }


# --- tweepy recordings: default fields only -------------------------------------------------


def test_tweets_without_created_at_are_quarantined_as_missing_timestamp():
    page = connector.parse(envelope("x.jsonl", "/2/tweets/search/recent"))
    assert page.posts == []
    assert reasons(page) == ["missing_timestamp"] * 10
    assert page.quarantined[0].raw["text"] == "2022-10-07 22:42:12.637103 tweepy"
    assert page.next_cursor == "b26v89c19zqg8o3fpzbn1e0ffhxjiofzw6po136rvbnul"


def test_followers_are_100_follow_edges_to_the_user_in_the_path():
    page = connector.parse(envelope("x.jsonl", "/2/users/:id/followers"))
    assert len(page.accounts) == 100
    assert kinds(page) == {"follow": 100}
    assert {e.target_external_id for e in page.interactions} == {"783214"}
    assert page.next_cursor == "5CS0O0C6II61EZZZ"
    following = connector.parse(envelope("x.jsonl", "/2/users/:id/following"))
    assert {e.actor_external_id for e in following.interactions} == {"783214"}


def test_liking_users_without_the_tweet_author_keep_43_accounts_and_quarantine_the_edges():
    env = envelope("x.jsonl", "/2/tweets/:id/liking_users")
    page = connector.parse(env)
    assert len(page.accounts) == 43 and page.interactions == []
    assert reasons(page) == ["unresolved_target"]
    env.params["subject_author"] = "2244994945"
    fixed = connector.parse(env)
    assert kinds(fixed) == {"like": 43}
    assert {e.post_external_id for e in fixed.interactions} == {"1293593516040269825"}


def test_user_lookups_give_accounts_without_counts():
    page = connector.parse(envelope("x.jsonl", "/2/users/by"))
    assert [a.handle for a in page.accounts] == ["Twitter", "TwitterDev"]
    assert page.accounts[0].followers_count is None


# --- malformed records -------------------------------------------------------------------


def test_each_malformed_tweet_is_quarantined_while_the_rest_parses():
    env = commtwitter()
    tweets = env.body["data"]
    tweets[1]["text"] += "\x00"
    tweets[3]["public_metrics"]["like_count"] = "many"
    tweets[4]["created_at"] = "2021-06-31T16:30:33.000Z"
    no_id = dict(tweets[2], referenced_tweets=[])
    del no_id["id"]
    tweets.append(no_id)
    page = connector.parse(env)
    assert reasons(page) == ["nul_byte", "wrong_type", "bad_timestamp", "missing_id"]
    assert [p.external_id for p in page.posts] == ["1391807748346683397"]
    assert kinds(page) == {"repost": 2}


def test_a_retweet_whose_author_cannot_be_found_is_unresolved_target():
    env = commtwitter()
    env.body["includes"]["tweets"] = []
    retweet = env.body["data"][0]
    retweet["entities"]["mentions"] = []
    page = connector.parse(env)
    assert reasons(page) == ["unresolved_target"]
    assert "expansions" in page.quarantined[0].detail


def test_the_rt_mention_names_the_original_author_when_includes_do_not():
    env = commtwitter()
    env.body["includes"]["tweets"] = []
    page = connector.parse(env)
    assert page.quarantined == []
    assert {e.target_external_id for e in page.interactions} == {NATCOMM}


def test_long_tweets_use_the_note_tweet_text_and_impressions_are_views():
    env = commtwitter()
    tweet = env.body["data"][4]
    tweet["note_tweet"] = {"text": "the full long text"}
    tweet["public_metrics"]["impression_count"] = 1200
    post = next(p for p in connector.parse(env).posts if p.external_id == tweet["id"])
    assert post.text == "the full long text"
    assert post.views == 1200


def test_get_prefixed_endpoint_names_are_accepted():
    env = commtwitter()
    env.endpoint = "GET /2/tweets/search/all"
    assert len(connector.parse(env).posts) == 3


def test_parse_record_reads_a_bare_tweet_or_user():
    env = commtwitter()
    assert (
        connector.parse_record(env.body["data"][4]).posts[0].external_id
        == "1399765322509557763"
    )
    assert (
        connector.parse_record(env.body["includes"]["users"][0]).accounts[0].handle
        == "rahulmitra"
    )


# --- parse never raises ----------------------------------------------------------------

X_KEYS = [
    "data", "includes", "users", "tweets", "meta", "next_token", "id", "text",
    "author_id", "created_at", "public_metrics", "like_count", "retweet_count",
    "referenced_tweets", "type", "entities", "hashtags", "mentions", "urls", "tag",
    "username", "expanded_url", "note_tweet", "conversation_id", "in_reply_to_user_id",
]  # fmt: skip


@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(endpoint=st.sampled_from(sorted(HANDLERS)), body=json_values(X_KEYS))
def test_parse_never_raises_on_arbitrary_json(endpoint, body):
    params = {"id": "783214", "subject_author": "2244994945"}
    assert_well_formed(connector.parse(Envelope("x", endpoint, body, params)))


_BODY = commtwitter().body
_PATHS = leaf_paths(_BODY)


@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(path=st.sampled_from(_PATHS), value=json_values(X_KEYS))
def test_a_real_page_with_any_one_value_replaced_still_parses(path, value):
    assert_well_formed(
        connector.parse(Envelope("x", SEARCH_ALL, replaced(_BODY, path, value)))
    )


# --- live fetch through tweepy (a fake transport stands in for api.twitter.com) -----------


class FakeTransport(HTTPAdapter):
    """Answers tweepy's requests from ``route(path, query)``; never opens a socket."""

    def __init__(self, route: Any) -> None:
        super().__init__()
        self.route = route
        self.calls: list[tuple[str, dict]] = []

    def send(self, request: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url)
        query = parse_qs(parts.query)
        self.calls.append((parts.path, query))
        status, headers, body = self.route(parts.path, query)
        if isinstance(body, Exception):
            raise body
        response = requests.Response()
        response.status_code = status
        response.headers.update({"content-type": "application/json", **headers})
        response._content = json.dumps(body).encode()
        response.url, response.request, response.reason = request.url, request, "fake"
        return response


def _api(path: str, query: dict) -> tuple[int, dict, Any]:
    if path == "/2/users/by/username/NatComm":
        return 200, {}, {"data": {"id": NATCOMM, "name": "NCA", "username": "NatComm"}}
    if path == f"/2/users/{NATCOMM}/tweets":
        body = commtwitter().body
        if "pagination_token" in query:
            return (
                200,
                {},
                {"data": body["data"][3:], "includes": body["includes"], "meta": {}},
            )
        page = {
            "data": body["data"][:3],
            "includes": body["includes"],
            "meta": {"next_token": "n2"},
        }
        return 200, {}, page
    return 404, {}, {"title": "Not Found Error", "detail": "no"}


def _live(route: Any) -> tuple[XConnector, list[FakeTransport]]:
    made: list[FakeTransport] = []

    def factory() -> FakeTransport:
        made.append(FakeTransport(route))
        return made[-1]

    return XConnector(adapter_factory=factory), made


def test_fetch_needs_live_calls_and_a_bearer_token(settings):
    settings.LISTENING_LIVE_CALLS = False
    with pytest.raises(LiveCallsDisabled):
        next(
            connector.fetch(
                targets=["a"],
                kind="author_feed",
                cursor={},
                credentials={"bearer_token": "t"},
            )
        )
    settings.LISTENING_LIVE_CALLS = True
    with pytest.raises(LiveCallsDisabled, match="bearer_token"):
        next(
            connector.fetch(
                targets=["a"], kind="author_feed", cursor={}, credentials={}
            )
        )


def test_fetch_reads_the_user_and_timeline_pages_with_rich_fields(settings):
    settings.LISTENING_LIVE_CALLS = True
    live, transports = _live(_api)
    pages = list(
        live.fetch(
            targets=["@NatComm"],
            kind="author_feed",
            cursor={},
            credentials={"bearer_token": "t"},
        )
    )
    endpoints = [p.envelope.endpoint for p in pages]
    assert endpoints == [
        "/2/users/by/username/:username",
        "/2/users/:id/tweets",
        "/2/users/:id/tweets",
    ]
    assert pages[1].cursor == {
        "target_index": 0,
        "page_cursor": "n2",
        "profile_done": True,
    }
    assert pages[2].cursor["target_index"] == 1
    (_, first), (_, second), (_, third) = transports[0].calls
    assert (
        "created_at" in second["tweet.fields"][0]
        and "public_metrics" in second["tweet.fields"][0]
    )
    assert third["pagination_token"] == ["n2"]
    parsed = [live.parse(p.envelope) for p in pages]
    assert sum(len(p.posts) for p in parsed) >= 3
    assert all(p.quarantined == [] for p in parsed)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, CredentialsError),
        (403, CredentialsError),
        (429, RateLimited),
        (500, UpstreamUnavailable),
        (503, UpstreamUnavailable),
        (404, ConnectorError),
    ],
)
def test_http_errors_map_to_connector_errors(settings, status, error):
    settings.LISTENING_LIVE_CALLS = True
    reset = str(int(time.time()) + 60)
    live, _ = _live(
        lambda path, query: (status, {"x-rate-limit-reset": reset}, {"title": "x"})
    )
    with pytest.raises(error) as caught:
        next(
            live.fetch(
                targets=["rstats"],
                kind="hashtag",
                cursor={},
                credentials={"bearer_token": "t"},
            )
        )
    if status == 429:
        assert 50 <= caught.value.retry_after <= 61
    if status in (401, 403):
        assert "bearer token" in str(caught.value)


def test_a_timeout_is_upstream_unavailable(settings):
    settings.LISTENING_LIVE_CALLS = True
    live, _ = _live(lambda path, query: (0, {}, requests.ReadTimeout("slow")))
    with pytest.raises(UpstreamUnavailable):
        next(
            live.fetch(
                targets=["q"],
                kind="search",
                cursor={},
                credentials={"bearer_token": "t"},
            )
        )
