"""Bluesky connector: the recorded AppView responses of fixtures/social/bluesky.jsonl
parsed into records, malformed records quarantined, and live fetches against a
local server. Pure: no database, no network."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from listening.connectors.base import (
    ConnectorError,
    CredentialsError,
    Envelope,
    LiveCallsDisabled,
    RateLimited,
    UpstreamUnavailable,
)
from listening.connectors.bluesky import HANDLERS, BlueskyConnector, did_of, post_url
from tests.listening.connector_helpers import (
    assert_well_formed,
    envelope,
    json_values,
    kinds,
    leaf_paths,
    reasons,
    replaced,
    serve,
)

OWNER = "did:plc:wpe35pganb6d4pg4ekmfy6u5"  # chriskenny.bsky.social
FEED = "app.bsky.feed.getAuthorFeed"
connector = BlueskyConnector()


def parse(endpoint: str, **params: Any):
    return connector.parse(envelope("bluesky.jsonl", endpoint, **params))


def feed_envelope() -> Envelope:
    return envelope("bluesky.jsonl", FEED)


# --- recorded responses ----------------------------------------------------------------


def test_author_feed_gives_a_post_for_each_of_its_50_items():
    env = feed_envelope()
    page = connector.parse(env)
    item_uris = {item["post"]["uri"] for item in env.body["feed"]}
    assert len(item_uris) == 50
    assert item_uris <= {post.external_id for post in page.posts}
    assert page.quarantined == []
    assert page.next_cursor == "2024-03-21T23:36:16.378Z"
    assert_well_formed(page)


def test_author_feed_reposts_are_7_repost_edges_by_the_feed_owner():
    page = parse(FEED)
    reposts = [edge for edge in page.interactions if edge.kind == "repost"]
    assert len(reposts) == 7
    assert {edge.actor_external_id for edge in reposts} == {OWNER}
    mickael = next(e for e in reposts if e.post_external_id.endswith("/3lnneysi3ps2c"))
    assert mickael.target_external_id == "did:plc:n65dhyosfrm6t7jhzum76exq"
    assert mickael.occurred_at == datetime(2025, 4, 25, 18, 43, 12, 48000, tzinfo=UTC)
    reposted = {post.external_id: post for post in page.posts}[mickael.post_external_id]
    assert reposted.author_external_id == "did:plc:n65dhyosfrm6t7jhzum76exq"
    assert reposted.repost_of_external_id == ""  # the original, not a repost post


def test_author_feed_maps_text_counts_language_and_an_aware_timestamp():
    posts = {post.external_id: post for post in parse(FEED).posts}
    post = posts[f"at://{OWNER}/app.bsky.feed.post/3lo7irc7njk2p"]
    assert post.text.startswith("The university accepted my dissertation!")
    assert (post.likes, post.reposts, post.replies, post.quotes) == (6, 2, 2, 0)
    assert post.language == "en"
    assert post.created_at == datetime(2025, 5, 2, 18, 54, 36, 307000, tzinfo=UTC)
    assert post.created_at.tzinfo is not None
    assert post.url == f"https://bsky.app/profile/{OWNER}/post/3lo7irc7njk2p"
    assert post.author_external_id == OWNER


def test_facets_become_mentions_links_and_hashtags():
    page = parse(FEED)
    posts = {post.external_id: post for post in page.posts}
    dissertation = posts[f"at://{OWNER}/app.bsky.feed.post/3lo7irc7njk2p"]
    assert dissertation.mentions == [
        "did:plc:piqt524vrygsw4abvfzbp4el",
        "did:plc:yvu4igag5eha3sbbbx7poz2p",
    ]
    assert dissertation.links[0] == "https://github.com/christopherkenny/harvard-diss"
    quarto = posts[
        "at://did:plc:n65dhyosfrm6t7jhzum76exq/app.bsky.feed.post/3lnneysi3ps2c"
    ]
    assert quarto.hashtags[:3] == ["QuartoPub", "Quarto", "ObservableJS"]
    mentions = [
        e
        for e in page.interactions
        if e.kind == "mention" and e.post_external_id == dissertation.external_id
    ]
    assert {e.target_external_id for e in mentions} == set(dissertation.mentions)


def test_replies_reference_their_parent_and_root_and_become_reply_edges():
    page = parse(FEED)
    posts = {post.external_id: post for post in page.posts}
    reply = posts[f"at://{OWNER}/app.bsky.feed.post/3lof7sovfok2h"]
    parent = "at://did:plc:z4cp3uwgxiioi7uaxn2boq47/app.bsky.feed.post/3lobj4swhjo2x"
    assert reply.reply_to_external_id == parent
    assert reply.root_external_id == parent
    assert parent in posts  # the reply context's parent view is parsed too
    assert posts[parent].text.startswith("Daily number of Bluesky posts")
    edge = next(
        e
        for e in page.interactions
        if e.kind == "reply" and e.post_external_id == parent
    )
    assert edge.actor_external_id == OWNER
    assert edge.target_external_id == "did:plc:z4cp3uwgxiioi7uaxn2boq47"
    assert edge.occurred_at == reply.created_at


def test_quote_embeds_set_quote_of_and_parse_the_quoted_post():
    page = parse(FEED)
    posts = {post.external_id: post for post in page.posts}
    quoting = posts[f"at://{OWNER}/app.bsky.feed.post/3lktjjvxvdk2g"]
    quoted = "at://did:plc:5c2r73erhng4bszmxlfdtscf/app.bsky.feed.post/3lktj6pstuy2n"
    assert quoting.quote_of_external_id == quoted
    assert quoted in posts
    assert posts[quoted].author_external_id == "did:plc:5c2r73erhng4bszmxlfdtscf"
    assert any(
        e.kind == "quote"
        and e.post_external_id == quoted
        and e.actor_external_id == OWNER
        for e in page.interactions
    )
    assert kinds(page) == {"reply": 33, "quote": 9, "mention": 7, "repost": 7}


def test_profiles_map_counts_bio_and_creation_date():
    page = parse("app.bsky.actor.getProfiles")
    (account,) = page.accounts
    assert account.external_id == OWNER
    assert account.handle == "chriskenny.bsky.social"
    assert (account.followers_count, account.following_count, account.posts_count) == (
        554,
        296,
        65,
    )
    assert account.bio.startswith("PhD '25 Government")
    assert account.account_created_at == datetime(
        2023, 9, 19, 15, 47, 1, 417000, tzinfo=UTC
    )


def test_followers_are_48_follow_edges_to_the_subject():
    page = parse("app.bsky.graph.getFollowers")
    follows = [e for e in page.interactions if e.kind == "follow"]
    assert len(follows) == 48
    assert {e.target_external_id for e in follows} == {OWNER}
    assert len(page.accounts) == 49  # the subject and its 48 followers
    assert page.next_cursor == "3lktasir3le2j"


def test_follows_point_from_the_subject():
    follows = parse("app.bsky.graph.getFollows").interactions
    assert len(follows) == 48
    assert {e.actor_external_id for e in follows} == {OWNER}


def test_likes_target_the_author_named_in_the_subject_uri():
    page = parse("app.bsky.feed.getLikes")
    assert len(page.accounts) == 4
    assert [e.kind for e in page.interactions] == ["like"] * 4
    assert {e.target_external_id for e in page.interactions} == {
        "did:plc:ic6zqvuw5ulmfpjiwnhsr2ns"
    }
    first = page.interactions[0]
    assert first.actor_external_id == "did:plc:uzthbl6ktojhxfpzb4hrvilk"
    assert first.occurred_at == datetime(2023, 9, 23, 0, 44, 2, 135000, tzinfo=UTC)


def test_reposted_by_gives_repost_edges():
    page = parse("app.bsky.feed.getRepostedBy")
    (edge,) = page.interactions
    assert edge.kind == "repost"
    assert edge.actor_external_id == "did:plc:jyolltxtyl2yq2jamky6mwjn"
    assert edge.post_external_id.endswith("/3kaa2gxjhzr2a")


def test_thread_quotes_search_and_posts_parse_their_posts():
    assert len(parse("app.bsky.feed.getPostThread").posts) == 1
    quotes = parse("app.bsky.feed.getQuotes")
    assert {p.quote_of_external_id for p in quotes.posts if p.quote_of_external_id} == {
        "at://did:plc:5c2r73erhng4bszmxlfdtscf/app.bsky.feed.post/3lc5c5qv72r2w"
    }
    search = parse("app.bsky.feed.searchPosts")
    assert len(search.posts) == 26 and search.next_cursor == "25"
    assert len(parse("app.bsky.feed.getPosts").posts) == 1


def test_thread_replies_are_parsed_recursively_as_posts_and_reply_edges():
    env = envelope("bluesky.jsonl", "app.bsky.feed.getPostThread")
    root = env.body["thread"]["post"]
    reply = copy.deepcopy(envelope("bluesky.jsonl", FEED).body["feed"][2]["post"])
    reply["record"]["reply"] = {
        "parent": {"uri": root["uri"]},
        "root": {"uri": root["uri"]},
    }
    nested = copy.deepcopy(envelope("bluesky.jsonl", FEED).body["feed"][3]["post"])
    nested["record"]["reply"] = {
        "parent": {"uri": reply["uri"]},
        "root": {"uri": root["uri"]},
    }
    env.body["thread"]["replies"] = [
        {"post": reply, "replies": [{"post": nested, "replies": []}]},
        {"$type": "app.bsky.feed.defs#notFoundPost", "uri": "at://x", "notFound": True},
    ]
    page = connector.parse(env)
    assert len(page.posts) == 3
    replies = [e for e in page.interactions if e.kind == "reply"]
    assert {e.post_external_id for e in replies} == {
        root["uri"]
    }  # nested reply is a self-reply
    assert {p.root_external_id for p in page.posts if p.reply_to_external_id} == {
        root["uri"]
    }


def test_actor_likes_by_handle_keep_the_posts_and_quarantine_the_like_edges():
    env = envelope("bluesky.jsonl", "app.bsky.feed.getActorLikes")
    page = connector.parse(env)
    assert len(page.posts) == 11
    assert not [e for e in page.interactions if e.kind == "like"]
    assert reasons(page) == ["unresolved_target"]
    assert page.quarantined[0].raw["endpoint"] == "app.bsky.feed.getActorLikes"
    env.params["actor"] = "did:plc:5c2r73erhng4bszmxlfdtscf"
    fixed = connector.parse(env)
    likes = [e for e in fixed.interactions if e.kind == "like"]
    assert len(likes) == 5  # 7 liked posts, 2 of them the liker's own (no self-edges)
    assert fixed.quarantined == []


# --- malformed records -------------------------------------------------------------------


def test_each_malformed_feed_item_is_quarantined_while_the_rest_parses():
    env = feed_envelope()
    items = env.body["feed"]
    del items[1]["post"]["uri"]
    items[2]["post"]["record"]["createdAt"] = "yesterday"
    items[3]["post"]["likeCount"] = "many"
    items[4]["post"]["record"]["text"] += "\x00"
    page = connector.parse(env)
    assert reasons(page) == ["missing_id", "bad_timestamp", "wrong_type", "nul_byte"]
    assert page.quarantined[0].raw is items[1]
    assert "likeCount" in page.quarantined[2].detail
    feed_posts = {item["post"].get("uri") for item in items[5:]} | {
        items[0]["post"]["uri"]
    }
    assert feed_posts <= {post.external_id for post in page.posts}


def test_a_post_without_created_at_is_missing_timestamp_not_now():
    env = feed_envelope()
    del env.body["feed"][0]["post"]["record"]["createdAt"]
    page = connector.parse(env)
    assert reasons(page) == ["missing_timestamp"]


def test_negative_counter_is_a_bad_value():
    env = feed_envelope()
    env.body["feed"][0]["post"]["likeCount"] = -1
    assert reasons(connector.parse(env)) == ["bad_value"]


def test_an_unknown_endpoint_quarantines_the_whole_envelope():
    env = feed_envelope()
    env.endpoint = "app.bsky.feed.getSomethingNew"
    page = connector.parse(env)
    assert reasons(page) == ["unknown_endpoint"]
    assert page.quarantined[0].raw["body"] is env.body
    assert page.posts == []


def test_a_body_of_the_wrong_shape_is_quarantined_as_wrong_type():
    page = connector.parse(Envelope("bluesky", FEED, body=["not", "an", "object"]))
    assert reasons(page) == ["wrong_type"]


def test_a_not_found_reply_parent_is_skipped():
    env = feed_envelope()
    env.body["feed"][0]["reply"]["parent"] = {
        "$type": "app.bsky.feed.defs#notFoundPost",
        "uri": "at://did:plc:gone/app.bsky.feed.post/1",
        "notFound": True,
    }
    assert connector.parse(env).quarantined == []


def test_parse_record_reads_a_bare_feed_item_or_post_view():
    item = feed_envelope().body["feed"][4]
    assert len(connector.parse_record(item).posts) == 1
    assert (
        connector.parse_record(item["post"]).posts[0].external_id == item["post"]["uri"]
    )


def test_did_of_and_post_url():
    uri = "at://did:plc:abc/app.bsky.feed.post/3k7"
    assert did_of(uri) == "did:plc:abc"
    assert did_of("at://alice.bsky.social/app.bsky.feed.post/3k7") == ""
    assert did_of("https://bsky.app") == ""
    assert post_url(uri) == "https://bsky.app/profile/did:plc:abc/post/3k7"


# --- parse never raises ----------------------------------------------------------------

BSKY_KEYS = [
    "feed", "post", "uri", "cid", "author", "did", "handle", "record", "text",
    "createdAt", "facets", "features", "$type", "tag", "embed", "reply", "parent",
    "root", "reason", "by", "likeCount", "replyCount", "langs", "likes", "actor",
    "followers", "subject", "thread", "replies", "posts", "value", "profiles",
]  # fmt: skip


@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(endpoint=st.sampled_from(sorted(HANDLERS)), body=json_values(BSKY_KEYS))
def test_parse_never_raises_on_arbitrary_json(endpoint, body):
    page = connector.parse(
        Envelope("bluesky", endpoint, body, params={"uri": "at://x"})
    )
    assert_well_formed(page)


_FEED_BODY = {"feed": feed_envelope().body["feed"][:6]}
_FEED_PATHS = leaf_paths(_FEED_BODY)


@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(path=st.sampled_from(_FEED_PATHS), value=json_values(BSKY_KEYS))
def test_a_real_feed_with_any_one_value_replaced_still_parses(path, value):
    page = connector.parse(Envelope("bluesky", FEED, replaced(_FEED_BODY, path, value)))
    assert_well_formed(page)
    assert len(page.quarantined) <= 6


# --- live fetch (a local server stands in for the AppView) ------------------------------


def _appview(path: str, query: dict[str, list[str]]) -> tuple[int, dict, Any]:
    body = feed_envelope().body
    if path.endswith("app.bsky.actor.getProfile"):
        profile = envelope("bluesky.jsonl", "app.bsky.actor.getProfiles").body[
            "profiles"
        ][0]
        return 200, {}, profile
    if path.endswith(FEED):
        if query.get("cursor") == ["c1"]:
            return 200, {}, {"feed": body["feed"][25:]}
        return 200, {}, {"feed": body["feed"][:25], "cursor": "c1"}
    return 404, {}, {"error": "MethodNotImplemented"}


def test_fetch_is_refused_while_live_calls_are_off(settings):
    settings.LISTENING_LIVE_CALLS = False
    with pytest.raises(LiveCallsDisabled):
        next(
            connector.fetch(
                targets=["a"], kind="author_feed", cursor={}, credentials={}
            )
        )


def test_search_needs_an_app_password(settings):
    settings.LISTENING_LIVE_CALLS = True
    with pytest.raises(LiveCallsDisabled, match="app_password"):
        next(
            connector.fetch(
                targets=["q"], kind="search", cursor={}, credentials={"handle": "h"}
            )
        )


def test_an_unsupported_kind_fails_before_any_call(settings):
    settings.LISTENING_LIVE_CALLS = True
    with pytest.raises(ConnectorError, match="list"):
        next(connector.fetch(targets=["a"], kind="list", cursor={}, credentials={}))


def test_fetch_reads_profile_and_feed_pages_as_envelopes(settings):
    settings.LISTENING_LIVE_CALLS = True
    with serve(_appview) as server:
        live = BlueskyConnector(base_url=server.url)
        pages = list(
            live.fetch(
                targets=["chriskenny.bsky.social"],
                kind="author_feed",
                cursor={},
                credentials={},
            )
        )
    assert [p.envelope.endpoint for p in pages] == [
        "app.bsky.actor.getProfile",
        FEED,
        FEED,
    ]
    assert pages[1].envelope.params == {"actor": "chriskenny.bsky.social", "limit": 100}
    assert pages[1].cursor == {
        "target_index": 0,
        "page_cursor": "c1",
        "profile_done": True,
    }
    assert pages[2].cursor["target_index"] == 1
    assert pages[2].envelope.params["cursor"] == "c1"
    parsed = [live.parse(p.envelope) for p in pages]
    assert parsed[0].accounts[0].followers_count == 554
    assert sum(len(p.posts) for p in parsed) >= 50
    assert all(p.quarantined == [] for p in parsed)


def test_fetch_resumes_after_its_cursor_without_refetching(settings):
    settings.LISTENING_LIVE_CALLS = True
    with serve(_appview) as server:
        live = BlueskyConnector(base_url=server.url)
        cursor = {"target_index": 0, "page_cursor": "c1", "profile_done": True}
        pages = list(
            live.fetch(
                targets=["chriskenny.bsky.social"],
                kind="author_feed",
                cursor=cursor,
                credentials={},
            )
        )
    assert len(pages) == 1
    assert [path for path, _ in server.calls] == [f"/xrpc/{FEED}"]


@pytest.mark.parametrize(
    ("status", "headers", "error"),
    [
        (401, {}, CredentialsError),
        (403, {}, CredentialsError),
        (429, {"Retry-After": "30"}, RateLimited),
        (503, {}, UpstreamUnavailable),
        (500, {}, UpstreamUnavailable),
        (400, {}, ConnectorError),
    ],
)
def test_http_errors_map_to_connector_errors(settings, status, headers, error):
    settings.LISTENING_LIVE_CALLS = True
    with serve(
        lambda path, query: (status, headers, {"error": "X", "message": "no"})
    ) as server:
        live = BlueskyConnector(base_url=server.url)
        with pytest.raises(error) as caught:
            next(
                live.fetch(targets=["a"], kind="author_feed", cursor={}, credentials={})
            )
    if status == 429:
        assert caught.value.retry_after == 30
    if status == 400:
        assert not isinstance(
            caught.value, CredentialsError | RateLimited | UpstreamUnavailable
        )


def test_a_refused_login_is_a_credentials_error(settings):
    settings.LISTENING_LIVE_CALLS = True
    with serve(
        lambda path, query: (401, {}, {"error": "AuthenticationRequired"})
    ) as server:
        live = BlueskyConnector(base_url=server.url)
        creds = {"handle": "me.bsky.social", "app_password": "wrong"}
        with pytest.raises(CredentialsError, match="app password"):
            next(
                live.fetch(
                    targets=["rstats"], kind="hashtag", cursor={}, credentials=creds
                )
            )


def test_an_unreachable_server_is_upstream_unavailable(settings):
    settings.LISTENING_LIVE_CALLS = True
    with serve(lambda path, query: (200, {}, {})) as server:
        url = server.url
    live = BlueskyConnector(base_url=url)  # the server is gone: connection refused
    with pytest.raises(UpstreamUnavailable):
        next(live.fetch(targets=["a"], kind="author_feed", cursor={}, credentials={}))
