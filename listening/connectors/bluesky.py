"""Bluesky (AT Protocol): native XRPC JSON -> records, and live reads with ``atproto``.

Identifiers: an account's ``external_id`` is its DID (stable across handle changes),
``handle`` its handle; a post's ``external_id`` is its ``at://`` uri.

Interactions (``post`` is the post engaged with; for a mention, the mentioning post):
a reply, a quote and a mention come from every post's own record (``reply.parent``,
``embed`` of a record, mention facets); a ``reasonRepost`` feed entry is a repost by
the feed owner (timed by the entry's ``indexedAt``); ``getLikes``, ``getRepostedBy``,
``getFollowers`` and ``getFollows`` give likes, reposts and follows. The target of a
like or repost is the DID inside the subject's ``at://`` uri. Self-interactions are
dropped. Reply parents, thread roots and quoted posts that come with a view are
parsed as posts too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from listening import constants as c
from listening.connectors.base import (
    ConnectorError,
    CredentialsError,
    Envelope,
    FetchedPage,
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
    Staged,
    as_dict,
    as_list,
    count,
    cursor_str,
    opt_int,
    opt_str,
    opt_time,
    parse_with,
    req_id,
    req_time,
    unique,
)
from listening.records import AccountRecord, ParsedPage, PostRecord

PLATFORM = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
PUBLIC_APPVIEW = "https://public.api.bsky.app"  # reads without a login
LOGIN_SERVICE = "https://bsky.social"  # search needs a session (app password)
FETCH_KINDS = ("author_feed", "search", "hashtag")


def did_of(uri: str) -> str:
    """The DID inside an ``at://`` uri, or "" when the authority is not a DID."""
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return ""
    authority = uri[5:].split("/", 1)[0]
    return authority if authority.startswith("did:") else ""


def is_post_uri(uri: Any) -> bool:
    """Whether ``uri`` names an ``app.bsky.feed.post`` record."""
    return (
        isinstance(uri, str)
        and uri.startswith("at://")
        and (f"/{POST_COLLECTION}/" in uri)
    )


def post_url(uri: str) -> str:
    """The bsky.app web address of a post uri (by DID, which survives renames)."""
    did = did_of(uri)
    rkey = uri.rsplit("/", 1)[-1]
    return f"https://bsky.app/profile/{did}/post/{rkey}" if did and rkey else ""


# --- records ----------------------------------------------------------------------------


def account_record(view: Any, where: str = "actor") -> AccountRecord:
    """A profile view (basic, full or detailed) as an ``AccountRecord``."""
    view = as_dict(view, where)
    did = req_id(view, "did", where)
    handle = req_id(view, "handle", where)
    verification = view.get("verification")
    verified = (
        isinstance(verification, dict) and verification.get("verifiedStatus") == "valid"
    )
    return AccountRecord(
        platform=PLATFORM,
        external_id=did,
        handle=handle,
        display_name=opt_str(view, "displayName", where),
        bio=opt_str(view, "description", where),
        url=f"https://bsky.app/profile/{handle}",
        followers_count=opt_int(view, "followersCount", where),
        following_count=opt_int(view, "followsCount", where),
        posts_count=opt_int(view, "postsCount", where),
        account_created_at=opt_time(view, "createdAt", where),
        is_verified=verified,
        raw=view,
    )


def _facets(record: dict[str, Any], where: str) -> tuple[list, list, list]:
    """Hashtags, mentioned DIDs and links of a post record's facets (and ``tags``)."""
    tags: list[str] = []
    mentions: list[str] = []
    links: list[str] = []
    for i, facet in enumerate(as_list(record.get("facets"), f"{where}.facets")):
        facet = as_dict(facet, f"{where}.facets[{i}]")
        for feature in as_list(facet.get("features"), f"{where}.facets[{i}]"):
            feature = as_dict(feature, f"{where}.facets[{i}].features")
            kind = opt_str(feature, "$type", f"{where}.facets[{i}]")
            if kind.endswith("#tag"):
                tags.append(opt_str(feature, "tag", where).lstrip("#"))
            elif kind.endswith("#mention"):
                mentions.append(opt_str(feature, "did", where))
            elif kind.endswith("#link"):
                links.append(opt_str(feature, "uri", where))
    for tag in as_list(record.get("tags"), f"{where}.tags"):
        if isinstance(tag, str):
            tags.append(tag.lstrip("#"))
    return unique(tags), unique(mentions), unique(links)


def _embed_refs(embed: Any, where: str) -> tuple[str, list[str]]:
    """The quoted post uri and external links of a post record's ``embed``."""
    if embed is None:
        return "", []
    embed = as_dict(embed, where)
    kind = opt_str(embed, "$type", where)
    quote, links = "", []
    media: Any = None
    if kind == "app.bsky.embed.record":
        quote = opt_str(as_dict(embed.get("record"), f"{where}.record"), "uri", where)
    elif kind == "app.bsky.embed.recordWithMedia":
        outer = as_dict(embed.get("record"), f"{where}.record")
        inner = as_dict(outer.get("record"), f"{where}.record.record")
        quote = opt_str(inner, "uri", where)
        media = embed.get("media")
    elif kind == "app.bsky.embed.external":
        media = embed
    if isinstance(media, dict) and isinstance(media.get("external"), dict):
        links.append(opt_str(media["external"], "uri", f"{where}.external"))
    return (quote if is_post_uri(quote) else ""), links


def post_record(
    out: Staged, view: Any, where: str, record_key: str = "record"
) -> PostRecord:
    """Stage a post view (or an embedded ``viewRecord``), its author and its edges."""
    view = as_dict(view, where)
    uri = req_id(view, "uri", where)
    author = out.account_view(
        view.get("author"), "did", account_record, f"{where}.author"
    )
    record = as_dict(view.get(record_key), f"{where}.{record_key}")
    rwhere = f"{where}.{record_key}"
    created_at = req_time(record, "createdAt", rwhere)
    tags, mentions, links = _facets(record, rwhere)
    quote, embed_links = _embed_refs(record.get("embed"), f"{rwhere}.embed")
    parent = root = ""
    reply = record.get("reply")
    if reply is not None:
        reply = as_dict(reply, f"{rwhere}.reply")
        parent = opt_str(
            as_dict(reply.get("parent"), f"{rwhere}.reply.parent"), "uri", rwhere
        )
        root = opt_str(
            as_dict(reply.get("root"), f"{rwhere}.reply.root"), "uri", rwhere
        )
    langs = as_list(record.get("langs"), f"{rwhere}.langs")
    post = PostRecord(
        platform=PLATFORM,
        external_id=uri,
        author_external_id=author.external_id,
        text=opt_str(record, "text", rwhere),
        created_at=created_at,
        language=langs[0] if langs and isinstance(langs[0], str) else "",
        url=post_url(uri),
        reply_to_external_id=parent,
        root_external_id=root if root != uri else "",
        quote_of_external_id=quote,
        hashtags=tags,
        mentions=mentions,
        links=unique(links + embed_links),
        likes=count(view, "likeCount", where),
        reposts=count(view, "repostCount", where),
        replies=count(view, "replyCount", where),
        quotes=count(view, "quoteCount", where),
        raw=view,
    )
    out.post(post)
    me = author.external_id
    if parent:
        out.edge(PLATFORM, "reply", me, did_of(parent), parent, created_at)
    if quote:
        out.edge(PLATFORM, "quote", me, did_of(quote), quote, created_at)
    for did in mentions:
        out.edge(PLATFORM, "mention", me, did, uri, created_at)
    return post


def _quoted_view(view: Any) -> dict[str, Any] | None:
    """The quoted post's ``viewRecord`` inside a post view's ``embed``, if any."""
    embed = view.get("embed") if isinstance(view, dict) else None
    if not isinstance(embed, dict):
        return None
    record = embed.get("record")
    if embed.get("$type") == "app.bsky.embed.recordWithMedia#view":
        record = record.get("record") if isinstance(record, dict) else None
    elif embed.get("$type") != "app.bsky.embed.record#view":
        return None
    if (
        isinstance(record, dict)
        and record.get("$type") == "app.bsky.embed.record#viewRecord"
        and is_post_uri(record.get("uri"))
    ):
        return record
    return None


def _add_quoted(b: PageBuilder, view: Any, where: str) -> None:
    quoted = _quoted_view(view)
    if quoted is not None:
        with b.record(quoted) as out:
            post_record(out, quoted, f"{where}.embed.record", record_key="value")


def _add_view(b: PageBuilder, view: Any, where: str) -> None:
    """Parse one post view (and the post it quotes), each as its own record."""
    with b.record(view) as out:
        post_record(out, view, where)
    _add_quoted(b, view, where)


def _add_accounts(b: PageBuilder, views: list[Any], where: str) -> None:
    """Parse profile views, each as its own record."""
    for i, view in enumerate(views):
        with b.record(view) as out:
            out.account(account_record(view, f"{where}[{i}]"))


# --- endpoint handlers ------------------------------------------------------------------


def _feed(
    b: PageBuilder, body: Any, params: dict[str, Any], liker: str = ""
) -> str | None:
    body = as_dict(body, "body")
    for i, item in enumerate(as_list(body.get("feed"), "body.feed")):
        where = f"feed[{i}]"
        with b.record(item) as out:
            entry = as_dict(item, where)
            post = post_record(out, entry.get("post"), f"{where}.post")
            reason = entry.get("reason")
            if isinstance(reason, dict) and str(reason.get("$type")).endswith(
                "#reasonRepost"
            ):
                by = out.account(account_record(reason.get("by"), f"{where}.reason.by"))
                out.edge(
                    PLATFORM,
                    "repost",
                    by.external_id,
                    post.author_external_id,
                    post.external_id,
                    opt_time(reason, "indexedAt", f"{where}.reason"),
                )
            if liker:
                out.edge(
                    PLATFORM, "like", liker, post.author_external_id, post.external_id
                )
        if not isinstance(item, dict):
            continue
        _add_quoted(b, item.get("post"), f"{where}.post")
        reply = item.get("reply")
        if isinstance(reply, dict):
            for key in ("parent", "root"):
                view = reply.get(key)
                if isinstance(view, dict) and "record" in view:  # not notFound/blocked
                    _add_view(b, view, f"{where}.reply.{key}")
    return cursor_str(body.get("cursor"))


def _actor_likes(b: PageBuilder, body: Any, params: dict[str, Any]) -> str | None:
    actor = params.get("actor")
    if isinstance(actor, str) and actor.startswith("did:"):
        return _feed(b, body, params, liker=actor)
    cursor = _feed(b, body, params)
    b.quarantine_envelope(
        c.UNRESOLVED_TARGET,
        "getActorLikes with a handle, not a DID, in params.actor: the posts were "
        "kept but not the likes; request it with the actor's DID",
    )
    return cursor


def _posts(b: PageBuilder, body: Any, params: dict[str, Any]) -> str | None:
    body = as_dict(body, "body")
    for i, view in enumerate(as_list(body.get("posts"), "body.posts")):
        _add_view(b, view, f"posts[{i}]")
    return cursor_str(body.get("cursor"))


def _thread(b: PageBuilder, body: Any, params: dict[str, Any]) -> None:
    body = as_dict(body, "body")
    stack: list[tuple[Any, str]] = [
        (as_dict(body.get("thread"), "body.thread"), "thread")
    ]
    while stack:  # iterative: a deep thread must not exhaust the Python stack
        node, where = stack.pop()
        if not isinstance(node, dict) or "post" not in node:
            continue  # notFoundPost / blockedPost
        _add_view(b, node.get("post"), f"{where}.post")
        if isinstance(node.get("parent"), dict):
            stack.append((node["parent"], f"{where}.parent"))
        replies = node.get("replies")
        if isinstance(replies, list):
            stack.extend((r, f"{where}.replies[{i}]") for i, r in enumerate(replies))
        elif replies is not None:
            b.quarantine(replies, c.WRONG_TYPE, f"{where}.replies is not a list")


def _subject_uri(
    b: PageBuilder, body: dict[str, Any], params: dict[str, Any]
) -> tuple[str, str]:
    """The subject post uri of a likes/reposts list and its author's DID.

    Without them the accounts are still kept and the envelope is quarantined
    (``unresolved_target``) so it can be replayed with a fixed ``params.uri``.
    """
    uri = body.get("uri") or params.get("uri")
    author = did_of(uri) if isinstance(uri, str) else ""
    if not author:
        b.quarantine_envelope(
            c.UNRESOLVED_TARGET,
            f"subject uri {uri!r:.80} names no author DID: edges were not formed",
        )
        return "", ""
    return uri, author


def _likes(b: PageBuilder, body: Any, params: dict[str, Any]) -> str | None:
    body = as_dict(body, "body")
    likes = as_list(body.get("likes"), "body.likes")
    uri, author = _subject_uri(b, body, params)
    for i, like in enumerate(likes):
        with b.record(like) as out:
            like = as_dict(like, f"likes[{i}]")
            actor = out.account(account_record(like.get("actor"), f"likes[{i}].actor"))
            when = opt_time(like, "createdAt", f"likes[{i}]")
            out.edge(PLATFORM, "like", actor.external_id, author, uri, when)
    return cursor_str(body.get("cursor"))


def _reposted_by(b: PageBuilder, body: Any, params: dict[str, Any]) -> str | None:
    body = as_dict(body, "body")
    views = as_list(body.get("repostedBy"), "body.repostedBy")
    uri, author = _subject_uri(b, body, params)
    for i, view in enumerate(views):
        with b.record(view) as out:
            actor = out.account(account_record(view, f"repostedBy[{i}]"))
            out.edge(PLATFORM, "repost", actor.external_id, author, uri)
    return cursor_str(body.get("cursor"))


def _graph(key: str, inbound: bool) -> Handler:
    """Handler of getFollowers (``inbound``: each follows the subject) or getFollows."""

    def handler(b: PageBuilder, body: Any, params: dict[str, Any]) -> str | None:
        body = as_dict(body, "body")
        views = as_list(body.get(key), f"body.{key}")
        subject = account_record(body.get("subject"), "body.subject")
        with b.record(body.get("subject")) as out:
            out.account(subject)
        for i, view in enumerate(views):
            with b.record(view) as out:
                other = out.account(account_record(view, f"{key}[{i}]")).external_id
                actor, target = (
                    (other, subject.external_id)
                    if inbound
                    else (
                        subject.external_id,
                        other,
                    )
                )
                out.edge(PLATFORM, "follow", actor, target)
        return cursor_str(body.get("cursor"))

    return handler


def _profile(b: PageBuilder, body: Any, params: dict[str, Any]) -> None:
    with b.record(body) as out:
        out.account(account_record(body, "body"))


def _profiles(key: str) -> Handler:
    def handler(b: PageBuilder, body: Any, params: dict[str, Any]) -> str | None:
        body = as_dict(body, "body")
        _add_accounts(b, as_list(body.get(key), f"body.{key}"), key)
        return cursor_str(body.get("cursor"))

    return handler


HANDLERS = {
    "app.bsky.feed.getAuthorFeed": _feed,
    "app.bsky.feed.getTimeline": _feed,
    "app.bsky.feed.getFeed": _feed,
    "app.bsky.feed.getListFeed": _feed,
    "app.bsky.feed.getActorLikes": _actor_likes,
    "app.bsky.feed.getPosts": _posts,
    "app.bsky.feed.searchPosts": _posts,
    "app.bsky.feed.getQuotes": _posts,
    "app.bsky.feed.getPostThread": _thread,
    "app.bsky.feed.getLikes": _likes,
    "app.bsky.feed.getRepostedBy": _reposted_by,
    "app.bsky.graph.getFollowers": _graph("followers", inbound=True),
    "app.bsky.graph.getFollows": _graph("follows", inbound=False),
    "app.bsky.actor.getProfile": _profile,
    "app.bsky.actor.getProfiles": _profiles("profiles"),
    "app.bsky.actor.searchActors": _profiles("actors"),
    "app.bsky.actor.searchActorsTypeahead": _profiles("actors"),
}


# --- the connector ----------------------------------------------------------------------


class BlueskyConnector:
    """Parses Bluesky XRPC responses; fetches them live with the ``atproto`` SDK."""

    platform = PLATFORM

    def __init__(self, *, base_url: str | None = None, page_limit: int = 100) -> None:
        self.base_url = base_url  # None: the public AppView, or bsky.social to log in
        self.page_limit = page_limit

    def parse(self, envelope: Envelope) -> ParsedPage:
        """Turn one XRPC response envelope into records (pure; never raises)."""
        return parse_with(PLATFORM, envelope, HANDLERS)

    def parse_record(self, raw: Any) -> ParsedPage:
        """Parse one bare native record (a post view, feed item or profile)."""
        if isinstance(raw, dict) and "post" in raw:
            body: dict[str, Any] = {"feed": [raw]}
            endpoint = "app.bsky.feed.getAuthorFeed"
        elif isinstance(raw, dict) and "uri" in raw:
            body, endpoint = {"posts": [raw]}, "app.bsky.feed.getPosts"
        else:
            body, endpoint = raw, "app.bsky.actor.getProfile"
        return self.parse(Envelope(platform=PLATFORM, endpoint=endpoint, body=body))

    def fetch(
        self,
        *,
        targets: list[str],
        kind: str,
        cursor: dict[str, Any],
        credentials: dict,
    ) -> Iterator[FetchedPage]:
        """Yield profile and author-feed pages (``author_feed``: handles or DIDs) or
        search pages (``search``: queries; ``hashtag``: tags; both need ``handle``
        and ``app_password``), resuming after ``cursor``."""
        if kind not in FETCH_KINDS:
            raise ConnectorError(f"bluesky sources support {FETCH_KINDS}, not {kind!r}")
        login = kind != "author_feed"
        creds = live_credentials(
            PLATFORM, credentials, ("handle", "app_password") if login else ()
        )
        client = self._client(creds if login else None)
        start, page_cursor, profile_done = target_cursor(cursor)
        for index in range(start, len(targets)):
            target = targets[index]
            if index > start:
                page_cursor, profile_done = None, False
            if kind == "author_feed":
                if page_cursor is None and not profile_done:
                    envelope = self._get(
                        client, "app.bsky.actor.getProfile", {"actor": target}
                    )
                    yield FetchedPage(
                        envelope,
                        {
                            "target_index": index,
                            "page_cursor": None,
                            "profile_done": True,
                        },
                    )
                nsid, params = "app.bsky.feed.getAuthorFeed", {"actor": target}
            else:
                query = target if kind == "search" else "#" + target.lstrip("#")
                nsid, params = "app.bsky.feed.searchPosts", {"q": query}
            params["limit"] = self.page_limit
            while True:
                call = dict(params, cursor=page_cursor) if page_cursor else params
                envelope = self._get(client, nsid, call)
                body = envelope.body if isinstance(envelope.body, dict) else {}
                items = body.get("feed") or body.get("posts")
                following = cursor_str(body.get("cursor")) if items else None
                if following == page_cursor:
                    following = None  # a server repeating its cursor must not loop us
                yield FetchedPage(envelope, next_cursor(index, following))
                if not following:
                    break
                page_cursor = following

    def _client(self, creds: dict[str, str] | None) -> Any:
        """An ``atproto`` client: the public AppView, or a logged-in session."""
        from atproto import Client
        from atproto_client.request import Request

        request = Request(timeout=DEFAULT_TIMEOUT)
        if creds is None:
            return Client(base_url=self.base_url or PUBLIC_APPVIEW, request=request)
        client = Client(base_url=self.base_url or LOGIN_SERVICE, request=request)
        try:
            client.login(
                creds["handle"], creds["app_password"], fetch_bsky_profile=False
            )
        except Exception as exc:
            _raise_mapped(exc)
        return client

    def _get(self, client: Any, nsid: str, params: dict[str, Any]) -> Envelope:
        """Call one XRPC query and wrap its native JSON body as an envelope."""
        from atproto_client.models.dot_dict import DotDict

        try:
            response = client.invoke_query(nsid, params=DotDict(params))
        except Exception as exc:
            _raise_mapped(exc)
        return Envelope(
            platform=PLATFORM,
            endpoint=nsid,
            body=response.content,
            params=dict(params),
            recorded_at=now_iso(),
        )


def _raise_mapped(exc: Exception) -> None:
    """Re-raise an ``atproto``/``httpx`` error as the matching connector error."""
    import httpx
    from atproto_client import exceptions as ax

    if isinstance(exc, ax.LoginRequiredError):
        raise CredentialsError(
            "bluesky: this call needs a login (app password)"
        ) from exc
    if isinstance(exc, ax.RequestErrorBase):
        response = exc.response
        if response is None:  # timeout or connection error before any response
            raise UpstreamUnavailable(f"bluesky is unreachable: {exc!r}") from exc
        try:
            raise_for_status(
                PLATFORM,
                response.status_code,
                str(exc),
                retry_after=retry_after_seconds(response.headers),
                credential_hint="the handle and app password",
            )
        except ConnectorError as mapped:
            raise mapped from exc
    if isinstance(exc, httpx.HTTPError):
        raise UpstreamUnavailable(f"bluesky is unreachable: {exc!r}") from exc
    raise exc
