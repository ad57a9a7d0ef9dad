"""X API v2: native JSON -> records, and live reads with ``tweepy``.

Identifiers: a post's ``external_id`` is the tweet id, an account's the user id
(``handle`` is the username). Tweets come from ``data`` and ``includes.tweets``,
accounts from ``includes.users`` (or ``data`` on user endpoints).

* A retweet is not a post of the retweeter: it becomes a ``repost`` edge to the
  original tweet, whose author comes from ``includes.tweets`` (or the ``RT @user``
  mention). If neither names the author it is quarantined (``unresolved_target``).
* A tweet without ``created_at`` is quarantined with ``missing_timestamp``: X sends
  it only when ``tweet.fields=created_at`` was requested (tweepy's recorded tests ask
  for default fields only). We never invent a time (not even the recording's).
* ``liking_users`` and ``retweeted_by`` do not say who wrote the tweet: the envelope's
  params must carry ``subject_author`` (the author's user id) for the like/repost
  edges; without it the accounts are kept and the envelope is quarantined.
* Long tweets use ``note_tweet.text``; ``impression_count`` becomes ``views``; empty
  arrays serialised as ``{}`` (R's jsonlite, academictwitteR) are read as empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from listening import constants as c
from listening.connectors.base import (
    ConnectorError,
    Envelope,
    FetchedPage,
    RateLimited,
    UpstreamUnavailable,
)
from listening.connectors.live import (
    DEFAULT_TIMEOUT,
    live_credentials,
    next_cursor,
    now_iso,
    raise_for_status,
    retry_after_seconds,
    target_cursor,
)
from listening.connectors.parsing import (
    Handler,
    PageBuilder,
    RecordError,
    Staged,
    as_dict,
    as_list,
    count,
    cursor_str,
    opt_bool,
    opt_int,
    opt_str,
    opt_time,
    parse_with,
    req_id,
    req_time,
    unique,
)
from listening.records import AccountRecord, ParsedPage, PostRecord

PLATFORM = "x"
FETCH_KINDS = ("author_feed", "search", "hashtag")
TWEET_FIELDS = (
    "author_id,conversation_id,created_at,edit_history_tweet_ids,entities,"
    "in_reply_to_user_id,lang,note_tweet,public_metrics,referenced_tweets"
)
EXPANSIONS = (
    "author_id,referenced_tweets.id,referenced_tweets.id.author_id,"
    "in_reply_to_user_id,entities.mentions.username"
)
USER_FIELDS = "created_at,description,public_metrics,url,verified,verified_type"


@dataclass(slots=True)
class _Index:
    """The tweets and users of one response, by id (and users by username)."""

    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)

    def add_tweets(self, items: Any) -> None:
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                self.tweets.setdefault(item["id"], item)

    def add_users(self, items: Any) -> None:
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                self.users.setdefault(item["id"], item)
                if isinstance(item.get("username"), str):
                    self.usernames[item["username"].lower()] = item["id"]

    def author_of(self, tweet_id: str) -> str:
        author = self.tweets.get(tweet_id, {}).get("author_id")
        return author if isinstance(author, str) else ""


def _index(body: dict[str, Any], data: list[Any], users_in_data: bool) -> _Index:
    index = _Index()
    includes = body.get("includes")
    includes = includes if isinstance(includes, dict) else {}
    if users_in_data:
        index.add_users(data)
    else:
        index.add_tweets(data)
    index.add_tweets(includes.get("tweets"))
    index.add_users(includes.get("users"))
    return index


# --- records ----------------------------------------------------------------------------


def user_record(view: Any, where: str = "user") -> AccountRecord:
    """An X user object as an ``AccountRecord``."""
    user = as_dict(view, where)
    uid = req_id(user, "id", where)
    username = req_id(user, "username", where)
    metrics = user.get("public_metrics")
    metrics = {} if metrics is None else as_dict(metrics, f"{where}.public_metrics")
    verified = opt_bool(user, "verified", where) or opt_str(
        user, "verified_type", where
    ) in ("business", "government")
    return AccountRecord(
        platform=PLATFORM,
        external_id=uid,
        handle=username,
        display_name=opt_str(user, "name", where),
        bio=opt_str(user, "description", where),
        url=f"https://x.com/{username}",
        followers_count=opt_int(metrics, "followers_count", where),
        following_count=opt_int(metrics, "following_count", where),
        posts_count=opt_int(metrics, "tweet_count", where),
        account_created_at=opt_time(user, "created_at", where),
        is_verified=verified,
        raw=user,
    )


def _retweeted_author(tweet: dict[str, Any], index: _Index, original: str) -> str:
    """The author of a retweeted tweet: from includes, else the ``RT @user`` mention."""
    author = index.author_of(original)
    if author:
        return author
    text = tweet.get("text")
    entities = tweet.get("entities")
    if not (
        isinstance(text, str) and text.startswith("RT @") and isinstance(entities, dict)
    ):
        return ""
    for mention in entities.get("mentions") or []:
        if isinstance(mention, dict) and mention.get("start") == 3:
            if isinstance(mention.get("id"), str):
                return mention["id"]
            name = mention.get("username")
            return (
                index.usernames.get(name.lower(), "") if isinstance(name, str) else ""
            )
    return ""


def tweet_record(
    out: Staged, view: Any, where: str, index: _Index, author_hint: str = ""
) -> PostRecord | None:
    """Stage one tweet and its edges; a retweet stages only its repost edge."""
    tweet = as_dict(view, where)
    tid = req_id(tweet, "id", where)
    refs: dict[str, str] = {}
    for i, ref in enumerate(
        as_list(tweet.get("referenced_tweets"), f"{where}.referenced_tweets")
    ):
        ref = as_dict(ref, f"{where}.referenced_tweets[{i}]")
        refs[opt_str(ref, "type", where)] = req_id(
            ref, "id", f"{where}.referenced_tweets[{i}]"
        )
    author = opt_str(tweet, "author_id", where) or author_hint
    if "retweeted" in refs:
        original = refs["retweeted"]
        if not author:
            raise RecordError(c.MISSING_ID, f"{where}.author_id is missing (a retweet)")
        target = _retweeted_author(tweet, index, original)
        if not target:
            raise RecordError(
                c.UNRESOLVED_TARGET,
                f"retweet of {original} whose author is unknown; request "
                "expansions=referenced_tweets.id.author_id",
            )
        out.edge(
            PLATFORM,
            "repost",
            author,
            target,
            original,
            opt_time(tweet, "created_at", where),
        )
        return None
    created_at = req_time(tweet, "created_at", where)
    if not author:
        raise RecordError(c.MISSING_ID, f"{where}.author_id is missing")
    entities = tweet.get("entities")
    entities = {} if entities is None else as_dict(entities, f"{where}.entities")
    tags = [
        opt_str(as_dict(tag, f"{where}.entities.hashtags"), "tag", where)
        for tag in as_list(entities.get("hashtags"), f"{where}.entities.hashtags")
    ]
    mentions = []
    for mention in as_list(entities.get("mentions"), f"{where}.entities.mentions"):
        mention = as_dict(mention, f"{where}.entities.mentions")
        mid = opt_str(mention, "id", where)
        name = opt_str(mention, "username", where).lower()
        mentions.append(mid or index.usernames.get(name, ""))
    links = []
    for link in as_list(entities.get("urls"), f"{where}.entities.urls"):
        link = as_dict(link, f"{where}.entities.urls")
        links.append(
            opt_str(link, "unwound_url", where)
            or opt_str(link, "expanded_url", where)
            or opt_str(link, "url", where)
        )
    metrics = tweet.get("public_metrics")
    metrics = {} if metrics is None else as_dict(metrics, f"{where}.public_metrics")
    note = tweet.get("note_tweet")
    text = opt_str(tweet, "text", where)
    if isinstance(note, dict) and isinstance(note.get("text"), str):
        text = note["text"]
    conversation = opt_str(tweet, "conversation_id", where)
    username = index.users.get(author, {}).get("username")
    reply_to, quote = refs.get("replied_to", ""), refs.get("quoted", "")
    post = out.post(
        PostRecord(
            platform=PLATFORM,
            external_id=tid,
            author_external_id=author,
            text=text,
            created_at=created_at,
            language=opt_str(tweet, "lang", where),
            url=(
                f"https://x.com/{username}/status/{tid}"
                if isinstance(username, str)
                else f"https://x.com/i/web/status/{tid}"
            ),
            reply_to_external_id=reply_to,
            root_external_id=conversation if conversation != tid else "",
            quote_of_external_id=quote,
            hashtags=unique(tags),
            mentions=unique(mentions),
            links=unique(links),
            likes=count(metrics, "like_count", where),
            reposts=count(metrics, "retweet_count", where),
            replies=count(metrics, "reply_count", where),
            quotes=count(metrics, "quote_count", where),
            views=opt_int(metrics, "impression_count", where),
            raw=tweet,
        )
    )
    if reply_to:
        target = opt_str(tweet, "in_reply_to_user_id", where) or index.author_of(
            reply_to
        )
        out.edge(PLATFORM, "reply", author, target, reply_to, created_at)
    if quote:
        out.edge(PLATFORM, "quote", author, index.author_of(quote), quote, created_at)
    for mid in post.mentions:
        out.edge(PLATFORM, "mention", author, mid, tid, created_at)
    return post


# --- endpoint handlers ------------------------------------------------------------------


def _data(body: dict[str, Any]) -> list[Any]:
    data = body.get("data")
    return [data] if isinstance(data, dict) else as_list(data, "body.data")


def _add_includes(
    b: PageBuilder, body: dict[str, Any], index: _Index, done: set[str]
) -> None:
    """Parse ``includes.users`` as accounts and ``includes.tweets`` not yet seen."""
    includes = body.get("includes")
    includes = {} if includes is None else as_dict(includes, "body.includes")
    for i, user in enumerate(as_list(includes.get("users"), "body.includes.users")):
        with b.record(user) as out:
            out.account(user_record(user, f"includes.users[{i}]"))
    for i, tweet in enumerate(as_list(includes.get("tweets"), "body.includes.tweets")):
        if isinstance(tweet, dict) and str(tweet.get("id")) in done:
            continue
        with b.record(tweet) as out:
            tweet_record(out, tweet, f"includes.tweets[{i}]", index)


def _tweets(likes_by_subject: bool = False, author_is_subject: bool = False) -> Handler:
    """Handler of a tweet list; ``liked_tweets`` adds like edges by ``params.id``."""

    def handler(b: PageBuilder, body: Any, params: dict[str, Any]) -> str | None:
        body = as_dict(body, "body")
        data = _data(body)
        index = _index(body, data, users_in_data=False)
        subject = params.get("id") if isinstance(params.get("id"), str) else ""
        done: set[str] = set()
        for i, tweet in enumerate(data):
            with b.record(tweet) as out:
                hint = subject if author_is_subject else ""
                post = tweet_record(out, tweet, f"data[{i}]", index, hint)
                if post is not None and likes_by_subject:
                    out.edge(
                        PLATFORM,
                        "like",
                        subject,
                        post.author_external_id,
                        post.external_id,
                    )
            if isinstance(tweet, dict) and isinstance(tweet.get("id"), str):
                done.add(tweet["id"])
        _add_includes(b, body, index, done)
        meta = body.get("meta")
        return cursor_str(meta.get("next_token")) if isinstance(meta, dict) else None

    return handler


def _users(kind: str = "", role: str = "") -> Handler:
    """Handler of a user list. ``role`` says how each user relates to the subject:
    ``engager`` (liked/retweeted tweet ``params.id`` by ``params.subject_author``),
    ``follower`` (follows user ``params.id``), ``followed`` (``params.id`` follows)."""

    def handler(b: PageBuilder, body: Any, params: dict[str, Any]) -> str | None:
        body = as_dict(body, "body")
        data = _data(body)
        index = _index(body, data, users_in_data=True)
        subject = params.get("id") if isinstance(params.get("id"), str) else ""
        author = params.get("subject_author")
        author = author if isinstance(author, str) else ""
        for i, user in enumerate(data):
            with b.record(user) as out:
                uid = out.account(user_record(user, f"data[{i}]")).external_id
                if role == "engager":
                    out.edge(PLATFORM, kind, uid, author, subject)
                elif role == "follower":
                    out.edge(PLATFORM, kind, uid, subject)
                elif role == "followed":
                    out.edge(PLATFORM, kind, subject, uid)
        _add_includes(b, body, index, set())
        if role == "engager" and data and not author:
            b.quarantine_envelope(
                c.UNRESOLVED_TARGET,
                f"no params.subject_author: {len(data)} accounts kept, their {kind} "
                f"edges to tweet {subject} not formed; replay with its author's id",
            )
        meta = body.get("meta")
        return cursor_str(meta.get("next_token")) if isinstance(meta, dict) else None

    return handler


HANDLERS: dict[str, Handler] = {
    "/2/users/:id/tweets": _tweets(author_is_subject=True),
    "/2/users/:id/mentions": _tweets(),
    "/2/users/:id/liked_tweets": _tweets(likes_by_subject=True),
    "/2/tweets": _tweets(),
    "/2/tweets/:id": _tweets(),
    "/2/tweets/search/recent": _tweets(),
    "/2/tweets/search/all": _tweets(),
    "/2/tweets/:id/quote_tweets": _tweets(),
    "/2/tweets/:id/liking_users": _users("like", "engager"),
    "/2/tweets/:id/retweeted_by": _users("repost", "engager"),
    "/2/users/:id/followers": _users("follow", "follower"),
    "/2/users/:id/following": _users("follow", "followed"),
    "/2/users/:id": _users(),
    "/2/users": _users(),
    "/2/users/by": _users(),
    "/2/users/by/username/:username": _users(),
}


def _endpoint(name: Any) -> Any:
    """``GET /2/...`` and ``/2/...`` name the same endpoint."""
    if isinstance(name, str) and name.startswith("GET "):
        return name[4:]
    return name


# --- the connector ----------------------------------------------------------------------


class _TimeoutAdapter(HTTPAdapter):
    """tweepy sets no timeout; a stuck socket must not hang a worker forever."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = DEFAULT_TIMEOUT
        return super().send(request, **kwargs)


class XConnector:
    """Parses X API v2 responses; fetches them live with ``tweepy`` (bearer token)."""

    platform = PLATFORM

    def __init__(
        self,
        *,
        adapter_factory: Callable[[], HTTPAdapter] = _TimeoutAdapter,
        page_limit: int = 100,
    ) -> None:
        self.adapter_factory = adapter_factory  # tests mount a fake transport here
        self.page_limit = page_limit

    def parse(self, envelope: Envelope) -> ParsedPage:
        """Turn one v2 response envelope into records (pure; never raises)."""
        return parse_with(PLATFORM, envelope, HANDLERS, _endpoint(envelope.endpoint))

    def parse_record(self, raw: Any) -> ParsedPage:
        """Parse one bare native record (a tweet or a user)."""
        endpoint = "/2/tweets/:id"
        if isinstance(raw, dict) and "username" in raw:
            endpoint = "/2/users/:id"
        return self.parse(
            Envelope(platform=PLATFORM, endpoint=endpoint, body={"data": raw})
        )

    def fetch(
        self,
        *,
        targets: list[str],
        kind: str,
        cursor: dict[str, Any],
        credentials: dict,
    ) -> Iterator[FetchedPage]:
        """Yield user and timeline pages (``author_feed``: usernames) or recent-search
        pages (``search``: queries; ``hashtag``: tags), with rich fields and
        expansions, resuming after ``cursor``. Needs ``bearer_token``."""
        if kind not in FETCH_KINDS:
            raise ConnectorError(f"x sources support {FETCH_KINDS}, not {kind!r}")
        creds = live_credentials(PLATFORM, credentials, ("bearer_token",))
        client = self._client(creds["bearer_token"])
        fields = {
            "tweet_fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "user_fields": USER_FIELDS,
            "max_results": self.page_limit,
        }
        start, page_cursor, profile_done = target_cursor(cursor)
        for index in range(start, len(targets)):
            if index > start:
                page_cursor, profile_done = None, False
            target = targets[index].strip()
            if kind == "author_feed":
                username = target.lstrip("@")
                response = _call(
                    client.get_user, username=username, user_fields=USER_FIELDS
                )
                body = response.json()
                if page_cursor is None and not profile_done:
                    params = {"username": username, "user.fields": USER_FIELDS}
                    yield FetchedPage(
                        Envelope(
                            PLATFORM,
                            "/2/users/by/username/:username",
                            body,
                            params,
                            now_iso(),
                        ),
                        {
                            "target_index": index,
                            "page_cursor": None,
                            "profile_done": True,
                        },
                    )
                data = body.get("data") if isinstance(body, dict) else None
                if not isinstance(data, dict) or not isinstance(data.get("id"), str):
                    raise ConnectorError(f"x: no user {username!r}: {body!r:.200}")
                endpoint, token_name = "/2/users/:id/tweets", "pagination_token"
                method: Any = client.get_users_tweets
                arg, base = data["id"], {"id": data["id"]}
            else:
                query = target if kind == "search" else "#" + target.lstrip("#")
                endpoint, token_name = "/2/tweets/search/recent", "next_token"
                method, arg, base = client.search_recent_tweets, query, {"query": query}
            while True:
                extra = {token_name: page_cursor} if page_cursor else {}
                response = _call(method, arg, **fields, **extra)
                body = response.json()
                meta = body.get("meta") if isinstance(body, dict) else None
                following = (
                    cursor_str(meta.get("next_token"))
                    if isinstance(meta, dict)
                    else None
                )
                if following == page_cursor:
                    following = None
                params = {
                    **base,
                    "tweet.fields": TWEET_FIELDS,
                    "expansions": EXPANSIONS,
                    "user.fields": USER_FIELDS,
                    "max_results": self.page_limit,
                    **extra,
                }
                yield FetchedPage(
                    Envelope(PLATFORM, endpoint, body, params, now_iso()),
                    next_cursor(index, following),
                )
                if not following:
                    break
                page_cursor = following

    def _client(self, bearer_token: str) -> Any:
        import tweepy

        client = tweepy.Client(
            bearer_token=bearer_token,
            return_type=requests.Response,
            wait_on_rate_limit=False,
        )
        client.session.mount("https://", self.adapter_factory())
        return client


def _call(method: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a tweepy ``Client`` method, mapping its errors to connector errors."""
    import tweepy

    try:
        return method(*args, **kwargs)
    except tweepy.TooManyRequests as exc:
        wait = retry_after_seconds(exc.response.headers)
        raise RateLimited(
            f"x rate limit hit (HTTP 429): {exc}", retry_after=wait
        ) from exc
    except tweepy.HTTPException as exc:
        status = getattr(exc.response, "status_code", None)
        detail = "; ".join(exc.api_messages) if exc.api_messages else str(exc)
        try:
            raise_for_status(
                PLATFORM, status, detail, credential_hint="the bearer token"
            )
        except ConnectorError as mapped:
            raise mapped from exc
    except requests.RequestException as exc:
        raise UpstreamUnavailable(f"x is unreachable: {exc!r}") from exc
