"""Mastodon: REST API JSON -> records, and live reads with ``Mastodon.py``.

Identifiers, chosen to be globally unique and the same whichever instance serves
them (a status or account has a different local ``id`` on every instance):

* a post's ``external_id`` is the status ``uri`` (its ActivityPub id, e.g.
  ``https://mastodon.social/users/alice/statuses/1093...``);
* an account's ``external_id`` is the account ``url`` (``https://host/@alice``), and
  its ``handle`` is the full ``user@host`` (``acct`` with the host added for local
  accounts).

``in_reply_to_id`` is a *local* id, so a reply's parent uri is found among the
statuses of the same page; failing that, when the parent's author is local to the
serving instance, it is Mastodon's uri of a local status
(``https://host/users/<username>/statuses/<id>``); otherwise it stays empty.
Lists of accounts (favourited_by, reblogged_by, followers, following) name their
subject only by local id: the envelope's params must carry ``subject_author`` (the
account ``url``) and, for favourites and reblogs, ``subject_post`` (the status
``uri``). Without ``subject_author`` the accounts are kept and the envelope is
quarantined (``unresolved_target``) for replay with fixed params.

HTML (``content``, ``note``) becomes plain text with ``html.parser``; a content
warning (``spoiler_text``) is kept as the first paragraph of the text, and profile
fields are appended to the bio as ``name: value`` lines (clinicians often put their
credentials there).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

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
    opt_int,
    opt_str,
    opt_time,
    parse_with,
    req_id,
    req_time,
    unique,
)
from listening.records import AccountRecord, ParsedPage, PostRecord

PLATFORM = "mastodon"
DEFAULT_INSTANCE = "https://mastodon.social"
FETCH_KINDS = ("author_feed", "hashtag")
# Paragraphs and line breaks, as Mastodon writes them, and their text equivalents.
_SIMPLE_TAGS = (("<p>", "\n\n"), ("</p>", "\n\n"), ("<br />", "\n"), ("<br>", "\n"))
_BLOCK_TAGS = frozenset(
    {"p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
)


# --- HTML -> text -----------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """Collects the text of Mastodon's HTML, with line breaks, and its plain links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "li"):
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        if tag == "a":
            values = dict(attrs)
            classes = (values.get("class") or "").split()
            href = values.get("href")
            if href and "mention" not in classes and "hashtag" not in classes:
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


@lru_cache(maxsize=4096)  # an author's note repeats on every status of a page
def html_to_text(html: str) -> tuple[str, tuple[str, ...]]:
    """Plain text of an HTML fragment (paragraphs and ``<br>`` kept as line breaks,
    entities unescaped, tags dropped) and the hrefs of its non-mention links."""
    if "<" not in html and "&" not in html:
        return html.strip(), ()
    simple = html
    for tag, text in _SIMPLE_TAGS:
        simple = simple.replace(tag, text)
    if "<" not in simple:  # only paragraphs and line breaks: no parser needed
        return _tidy(unescape(simple)), ()
    return parse_html(html)


def parse_html(html: str) -> tuple[str, tuple[str, ...]]:
    """``html_to_text`` through ``html.parser`` whatever the markup."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return _tidy("".join(parser.parts)), tuple(parser.links)


def _tidy(text: str) -> str:
    """Strip trailing spaces per line and keep at most one blank line in a row."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


# --- records ----------------------------------------------------------------------------


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _local_id(obj: dict[str, Any], key: str, where: str) -> str:
    """A Mastodon local id (a string; Mastodon.py may hand back an int)."""
    value = obj.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(c.WRONG_TYPE, f"{where}.{key} is {type(value).__name__}")
    return str(value)


def account_record(view: Any, where: str = "account") -> AccountRecord:
    """A Mastodon Account entity as an ``AccountRecord`` (keyed by its ``url``)."""
    view = as_dict(view, where)
    url = req_id(view, "url", where)
    acct = opt_str(view, "acct", where) or req_id(view, "username", where)
    host = _host(url)
    handle = acct if "@" in acct or not host else f"{acct}@{host}"
    bio, _ = html_to_text(opt_str(view, "note", where))
    extra = []
    for i, item in enumerate(as_list(view.get("fields"), f"{where}.fields")):
        item = as_dict(item, f"{where}.fields[{i}]")
        value, _ = html_to_text(opt_str(item, "value", f"{where}.fields[{i}]"))
        extra.append(f"{opt_str(item, 'name', where)}: {value}")
    if extra:
        bio = "\n\n".join(part for part in (bio, "\n".join(extra)) if part)
    return AccountRecord(
        platform=PLATFORM,
        external_id=url,
        handle=handle,
        display_name=opt_str(view, "display_name", where),
        bio=bio,
        url=url,
        followers_count=opt_int(view, "followers_count", where),
        following_count=opt_int(view, "following_count", where),
        posts_count=opt_int(view, "statuses_count", where),
        account_created_at=opt_time(view, "created_at", where),
        raw=view,
    )


@dataclass(slots=True)
class _Known:
    """What a page tells about local ids: status uris and accounts."""

    uris: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def learn(self, status: Any) -> None:
        """Index a status, its reblog, its author and its mentions (tolerantly)."""
        for st in (status, status.get("reblog") if isinstance(status, dict) else None):
            if not isinstance(st, dict):
                continue
            if isinstance(st.get("id"), str | int) and isinstance(st.get("uri"), str):
                self.uris[str(st["id"])] = st["uri"]
            people = [st.get("account")]
            if isinstance(st.get("mentions"), list):
                people.extend(st["mentions"])
            for person in people:
                if isinstance(person, dict) and isinstance(person.get("url"), str):
                    self.accounts.setdefault(str(person.get("id")), person)

    def parent_uri(self, status_id: str, account_id: str) -> str:
        """The uri of a replied-to status, from this page or Mastodon's local form."""
        if status_id in self.uris:
            return self.uris[status_id]
        person = self.accounts.get(account_id)
        if not person or "@" in str(person.get("acct", "@")):
            return ""  # unknown, or remote: its local id says nothing of its uri
        host, username = _host(person["url"]), person.get("username")
        if not host or not isinstance(username, str) or not username:
            return ""
        return f"https://{host}/users/{username}/statuses/{status_id}"


def status_record(
    out: Staged,
    status: Any,
    where: str,
    known: _Known,
    root: str = "",
    follow_quote: bool = True,
) -> PostRecord:
    """Stage one (non-reblog) status, its author, its quoted post and its edges
    (a quoted status's own quote is not followed: the API nests only one level)."""
    st = as_dict(status, where)
    uri = req_id(st, "uri", where)
    author = out.account_view(
        st.get("account"), "url", account_record, f"{where}.account"
    )
    created_at = req_time(st, "created_at", where)
    text, found = html_to_text(opt_str(st, "content", where))
    links = list(found)
    spoiler = opt_str(st, "spoiler_text", where)
    if spoiler:
        text = f"{spoiler}\n\n{text}" if text else spoiler
    tags = [
        opt_str(as_dict(tag, f"{where}.tags[{i}]"), "name", where)
        for i, tag in enumerate(as_list(st.get("tags"), f"{where}.tags"))
    ]
    mentions = [
        req_id(as_dict(m, f"{where}.mentions[{i}]"), "url", f"{where}.mentions[{i}]")
        for i, m in enumerate(as_list(st.get("mentions"), f"{where}.mentions"))
    ]
    card = st.get("card")
    if card is not None:
        links.append(opt_str(as_dict(card, f"{where}.card"), "url", f"{where}.card"))
    parent_id = _local_id(st, "in_reply_to_id", where)
    parent_account_id = _local_id(st, "in_reply_to_account_id", where)
    parent = known.parent_uri(parent_id, parent_account_id) if parent_id else ""
    quoted_post = None
    quoted = st.get("quote")  # Mastodon 4.4+: {"state": ..., "quoted_status": {...}}
    if (
        follow_quote
        and isinstance(quoted, dict)
        and isinstance(quoted.get("quoted_status"), dict)
    ):
        quoted_post = status_record(
            out, quoted["quoted_status"], f"{where}.quote", known, follow_quote=False
        )
    quote = quoted_post.external_id if quoted_post else ""
    post = out.post(
        PostRecord(
            platform=PLATFORM,
            external_id=uri,
            author_external_id=author.external_id,
            text=text,
            created_at=created_at,
            language=opt_str(st, "language", where),
            url=opt_str(st, "url", where) or uri,
            reply_to_external_id=parent,
            root_external_id=root if parent_id and root != uri else "",
            quote_of_external_id=quote,
            hashtags=unique(tags),
            mentions=unique(mentions),
            links=unique(links),
            likes=count(st, "favourites_count", where),
            reposts=count(st, "reblogs_count", where),
            replies=count(st, "replies_count", where),
            quotes=count(st, "quotes_count", where),
            edited_at=opt_time(st, "edited_at", where),
            raw=st,
        )
    )
    me = author.external_id
    if parent_account_id:
        person = known.accounts.get(parent_account_id)
        target = person.get("url", "") if person else ""
        out.edge(PLATFORM, "reply", me, target, parent, created_at)
    if quoted_post is not None:
        out.edge(
            PLATFORM, "quote", me, quoted_post.author_external_id, quote, created_at
        )
    for url in post.mentions:
        out.edge(PLATFORM, "mention", me, url, uri, created_at)
    return post


def _add_status(
    b: PageBuilder, status: Any, where: str, known: _Known, root: str = ""
) -> None:
    """Parse one status; a reblog is a repost edge plus the original status."""
    with b.record(status) as out:
        st = as_dict(status, where)
        if st.get("reblog") is None:
            status_record(out, st, where, known, root)
        else:
            actor = out.account_view(
                st.get("account"), "url", account_record, f"{where}.account"
            )
            original = status_record(out, st["reblog"], f"{where}.reblog", known)
            out.edge(
                PLATFORM,
                "repost",
                actor.external_id,
                original.author_external_id,
                original.external_id,
                opt_time(st, "created_at", where),
            )


# --- endpoint handlers ------------------------------------------------------------------


def _statuses(b: PageBuilder, body: Any, params: dict[str, Any]) -> str | None:
    statuses = as_list(body, "body")
    known = _Known()
    for status in statuses:
        known.learn(status)
    for i, status in enumerate(statuses):
        _add_status(b, status, f"[{i}]", known)
    last = statuses[-1] if statuses else None
    return str(last["id"]) if isinstance(last, dict) and last.get("id") else None


def _status(b: PageBuilder, body: Any, params: dict[str, Any]) -> None:
    known = _Known()
    known.learn(body)
    _add_status(b, body, "body", known)


def _context(b: PageBuilder, body: Any, params: dict[str, Any]) -> None:
    body = as_dict(body, "body")
    ancestors = as_list(body.get("ancestors"), "body.ancestors")
    descendants = as_list(body.get("descendants"), "body.descendants")
    known = _Known()
    for status in ancestors + descendants:
        known.learn(status)
    first = ancestors[0] if ancestors else None
    root = ""
    if isinstance(first, dict) and first.get("in_reply_to_id") is None:
        root = first.get("uri") if isinstance(first.get("uri"), str) else ""
    elif not ancestors:  # the requested status is the root
        subject = params.get("subject_post")
        root = subject if isinstance(subject, str) else ""
    for i, status in enumerate(ancestors):
        _add_status(b, status, f"ancestors[{i}]", known, root)
    for i, status in enumerate(descendants):
        _add_status(b, status, f"descendants[{i}]", known, root)


def _account(b: PageBuilder, body: Any, params: dict[str, Any]) -> None:
    with b.record(body) as out:
        out.account(account_record(body, "body"))


def _accounts(kind: str, inbound: bool = True) -> Handler:
    """Handler of an account list about a subject: each account did ``kind`` to the
    subject (``inbound``), or the subject did ``kind`` to each (following)."""

    def handler(b: PageBuilder, body: Any, params: dict[str, Any]) -> None:
        views = as_list(body, "body")
        subject = params.get("subject_author")
        subject = subject if isinstance(subject, str) else ""
        post = params.get("subject_post") if kind in ("like", "repost") else ""
        post = post if isinstance(post, str) else ""
        for i, view in enumerate(views):
            with b.record(view) as out:
                other = out.account(account_record(view, f"[{i}]")).external_id
                actor, target = (other, subject) if inbound else (subject, other)
                out.edge(PLATFORM, kind, actor, target, post)
        if not subject and views:
            b.quarantine_envelope(
                c.UNRESOLVED_TARGET,
                f"no params.subject_author: {len(views)} accounts kept, their "
                f"{kind} edges not formed; replay with the subject's account url",
            )

    return handler


HANDLERS: dict[str, Handler] = {
    "GET /api/v1/accounts/:id/statuses": _statuses,
    "GET /api/v1/timelines/tag/:hashtag": _statuses,
    "GET /api/v1/timelines/public": _statuses,
    "GET /api/v1/statuses/:id": _status,
    "GET /api/v1/statuses/:id/context": _context,
    "GET /api/v1/accounts/:id": _account,
    "GET /api/v1/accounts/lookup": _account,
    "GET /api/v1/statuses/:id/favourited_by": _accounts("like"),
    "GET /api/v1/statuses/:id/reblogged_by": _accounts("repost"),
    "GET /api/v1/accounts/:id/followers": _accounts("follow"),
    "GET /api/v1/accounts/:id/following": _accounts("follow", inbound=False),
}


def _endpoint(name: Any) -> Any:
    """``/api/v1/...`` and ``GET /api/v1/...`` name the same endpoint."""
    if isinstance(name, str) and name.startswith("/api/"):
        return f"GET {name}"
    return name


# --- the connector ----------------------------------------------------------------------


class MastodonConnector:
    """Parses Mastodon REST responses; fetches them live with ``Mastodon.py``."""

    platform = PLATFORM

    def __init__(
        self, *, api_base_url: str | None = None, page_limit: int = 40
    ) -> None:
        self.api_base_url = api_base_url  # overrides the instance of every target
        self.page_limit = page_limit

    def parse(self, envelope: Envelope) -> ParsedPage:
        """Turn one REST response envelope into records (pure; never raises)."""
        return parse_with(PLATFORM, envelope, HANDLERS, _endpoint(envelope.endpoint))

    def parse_record(self, raw: Any) -> ParsedPage:
        """Parse one bare native record (a status or an account)."""
        endpoint = "GET /api/v1/statuses/:id"
        if isinstance(raw, dict) and "acct" in raw:
            endpoint = "GET /api/v1/accounts/:id"
        return self.parse(Envelope(platform=PLATFORM, endpoint=endpoint, body=raw))

    def fetch(
        self,
        *,
        targets: list[str],
        kind: str,
        cursor: dict[str, Any],
        credentials: dict,
    ) -> Iterator[FetchedPage]:
        """Yield account and status pages (``author_feed``: ``user@instance``) or
        hashtag timeline pages (``hashtag``: tags, on ``api_base_url``), resuming
        after ``cursor``. Credentials are optional: ``access_token``, ``api_base_url``."""
        if kind not in FETCH_KINDS:
            raise ConnectorError(
                f"mastodon sources support {FETCH_KINDS}, not {kind!r}"
            )
        creds = live_credentials(PLATFORM, credentials)
        start, page_cursor, profile_done = target_cursor(cursor)
        for index in range(start, len(targets)):
            if index > start:
                page_cursor, profile_done = None, False
            target = targets[index].strip().lstrip("@")
            if kind == "author_feed":
                user, _, instance = target.partition("@")
                base = self._base(creds, instance)
                client = self._client(base, creds.get("access_token"))
                account = _native(_call(client, client.account_lookup, user))
                params = {"acct": user, "instance": _host(base)}
                if page_cursor is None and not profile_done:
                    yield FetchedPage(
                        Envelope(
                            PLATFORM,
                            "GET /api/v1/accounts/lookup",
                            account,
                            params,
                            now_iso(),
                        ),
                        {
                            "target_index": index,
                            "page_cursor": None,
                            "profile_done": True,
                        },
                    )
                endpoint = "GET /api/v1/accounts/:id/statuses"
                params = {"id": str(account.get("id")), "instance": _host(base)}
                method: Any = client.account_statuses
                arg = params["id"]
            else:
                base = self._base(creds, "")
                client = self._client(base, creds.get("access_token"))
                tag = target.lstrip("#")
                endpoint = "GET /api/v1/timelines/tag/:hashtag"
                params = {"hashtag": tag, "instance": _host(base)}
                method, arg = client.timeline_hashtag, tag
            while True:
                call = dict(params, limit=self.page_limit)
                if page_cursor:
                    call["max_id"] = page_cursor
                page = _call(
                    client, method, arg, limit=self.page_limit, max_id=page_cursor
                )
                info = client.get_pagination_info(page, "next") if page else None
                following = str(info["max_id"]) if info and info.get("max_id") else None
                if following == page_cursor:
                    following = None
                envelope = Envelope(PLATFORM, endpoint, _native(page), call, now_iso())
                yield FetchedPage(envelope, next_cursor(index, following))
                if not following:
                    break
                page_cursor = following

    def _base(self, creds: dict[str, str], instance: str) -> str:
        if self.api_base_url:
            return self.api_base_url
        if instance:
            return f"https://{instance}"
        return creds.get("api_base_url") or DEFAULT_INSTANCE

    def _client(self, base: str, token: str | None) -> Any:
        from mastodon import Mastodon

        return Mastodon(
            api_base_url=base,
            access_token=token or None,
            ratelimit_method="throw",  # the task retries with backoff, not a sleep
            request_timeout=DEFAULT_TIMEOUT,
        )


def _native(entity: Any) -> Any:
    """A Mastodon.py entity back as JSON data (Mastodon's field names; timestamps
    re-serialised in ISO 8601 with an offset; fields it knows of but the server did
    not send appear as null)."""
    if hasattr(entity, "to_json"):
        return json.loads(entity.to_json(pretty=False))["_mastopy_data"]
    return entity


def _call(client: Any, method: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a Mastodon.py method, mapping its errors to connector errors."""
    from mastodon import errors as me

    try:
        return method(*args, **kwargs)
    except me.MastodonRatelimitError as exc:
        reset = getattr(client, "ratelimit_reset", None)
        wait = max(0.0, reset - time.time()) if isinstance(reset, int | float) else None
        raise RateLimited(f"mastodon rate limit hit: {exc}", retry_after=wait) from exc
    except me.MastodonNetworkError as exc:
        raise UpstreamUnavailable(f"mastodon is unreachable: {exc}") from exc
    except me.MastodonAPIError as exc:
        status = (
            exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
        )
        detail = str(exc.args[3]) if len(exc.args) > 3 and exc.args[3] else str(exc)
        try:
            raise_for_status(
                PLATFORM, status, detail, credential_hint="the access token"
            )
        except ConnectorError as mapped:
            raise mapped from exc
        raise
