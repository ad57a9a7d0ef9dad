"""Mastodon REST API entities, field for field like the real recordings.

Shapes follow ``social-api-fixtures/mastodon/json``: Account (``GET
/api/v1/accounts/:id``), Status (``/accounts/:id/statuses``, ``/statuses/:id/context``)
with HTML ``content`` (``<p>``, hashtag and mention anchors, links with invisible
spans), ids as strings, ``acct`` qualified with the instance for remote accounts
(the recordings are made from ``med.social``), reblogs as statuses whose ``reblog``
holds the original.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from demoworld.content import Content
from demoworld.counters import Counters
from demoworld.identity import Identities
from demoworld.rand import cid_for, iso_day, iso_ms, snowflake
from demoworld.reference import MASTODON_HOME
from demoworld.text import Segment
from demoworld.world import P_REPLY, World


class MastodonRenderer:
    """Builds Mastodon JSON entities for accounts and statuses of the world."""

    def __init__(
        self, world: World, ids: Identities, content: Content, counters: Counters
    ) -> None:
        self.world = world
        self.ids = ids
        self.content = content
        self.counters = counters
        self.account_id = lru_cache(maxsize=1 << 16)(self._account_id)
        self.account_at_end = lru_cache(maxsize=1 << 15)(self._account_at_end)

    # accounts --------------------------------------------------------------------
    def _account_id(self, a: int) -> str:
        return snowflake(int(self.world.created[a]), a)

    def acct(self, a: int) -> str:
        local, instance = self.ids.local(a), self.ids.instance(a)
        return local if instance == MASTODON_HOME else f"{local}@{instance}"

    def profile_url(self, a: int) -> str:
        return f"https://{self.ids.instance(a)}/@{self.ids.local(a)}"

    def _account_at_end(self, a: int) -> dict[str, Any]:
        return self.account(a, self.counters.end)

    def account(self, a: int, k: int) -> dict[str, Any]:
        """An Account entity with the counters of snapshot ``k``."""
        followers, following, statuses, last_ms = self.counters.at(a, k)
        last_status = iso_day(last_ms) if last_ms >= 0 else None
        w = self.world
        instance = self.ids.instance(a)
        account_id = self.account_id(a)
        note = self.ids.bio(a)
        fields = []
        if w.link[a] == 1 and a % 2 == 0:
            c = int(w.aclin[a])
            fields.append(
                {"name": "NPI", "value": str(int(w.clin.npi[c])), "verified_at": None}
            )
        if self.ids.has_avatar(a):
            digest = cid_for(account_id, raw=True)[-16:]
            path = "/".join(account_id[i : i + 3] for i in range(0, 18, 3))
            avatar = f"https://{instance}/system/accounts/avatars/{path}/original/{digest}.png"
        else:
            avatar = f"https://{instance}/avatars/original/missing.png"
        header = f"https://{instance}/headers/original/missing.png"
        return {
            "id": account_id,
            "username": self.ids.local(a),
            "acct": self.acct(a),
            "display_name": self.ids.display_name(a),
            "locked": False,
            "bot": False,
            "discoverable": bool(a % 4),
            "group": False,
            "created_at": iso_day(int(w.created[a])) + "T00:00:00.000Z",
            "note": f"<p>{html.escape(note, quote=False)}</p>" if note else "",
            "url": self.profile_url(a),
            "avatar": avatar,
            "avatar_static": avatar,
            "header": header,
            "header_static": header,
            "followers_count": int(followers),
            "following_count": int(following),
            "statuses_count": int(statuses),
            "last_status_at": last_status,
            "emojis": [],
            "fields": fields,
        }

    # statuses --------------------------------------------------------------------
    def status_id(self, p: int) -> str:
        return snowflake(int(self.world.p_time[p]), 0)

    def status_uri(self, p: int) -> str:
        """The status's ActivityPub id: the connector's ``external_id`` of a post."""
        a = int(self.world.p_author[p])
        host, user = self.ids.instance(a), self.ids.local(a)
        return f"https://{host}/users/{user}/statuses/{self.status_id(p)}"

    def reblog_id(self, r: int) -> str:
        return snowflake(int(self.world.r_time[r]), 1)

    def status(self, p: int) -> dict[str, Any]:
        """A Status entity with the counters as recorded at the window's end."""
        w = self.world
        a = int(w.p_author[p])
        sid = self.status_id(p)
        instance, local = self.ids.instance(a), self.ids.local(a)
        segments = self.segments(p)
        content, mentions, tags = self.html(segments, instance)
        reply = w.p_kind[p] == P_REPLY
        parent = int(w.p_parent[p]) if reply else -1
        return {
            "id": sid,
            "created_at": iso_ms(int(w.p_time[p])),
            "in_reply_to_id": self.status_id(parent) if reply else None,
            "in_reply_to_account_id": (
                self.account_id(int(w.p_author[parent])) if reply else None
            ),
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "en",
            "uri": self.status_uri(p),
            "url": f"https://{instance}/@{local}/{sid}",
            "replies_count": int(w.p_replies[p]),
            "reblogs_count": int(w.p_reposts[p]),
            "favourites_count": int(w.p_likes[p]),
            "edited_at": None,
            "favourited": False,
            "reblogged": False,
            "muted": False,
            "bookmarked": False,
            "pinned": False,
            "content": content,
            "reblog": None,
            "application": None,
            "account": self.account_at_end(a),
            "media_attachments": [],
            "mentions": mentions,
            "tags": tags,
            "emojis": [],
            "card": None,
            "poll": None,
        }

    def reblog(self, r: int) -> dict[str, Any]:
        """The status that a reblog (repost) creates in the reblogger's timeline."""
        w = self.world
        a = int(w.r_actor[r])
        rid = self.reblog_id(r)
        instance, local = self.ids.instance(a), self.ids.local(a)
        uri = f"https://{instance}/users/{local}/statuses/{rid}/activity"
        status = self.status(int(w.r_post[r]))
        out = dict(status)
        out.update(
            id=rid,
            created_at=iso_ms(int(w.r_time[r])),
            in_reply_to_id=None,
            in_reply_to_account_id=None,
            language=None,
            uri=uri,
            url=uri,
            replies_count=0,
            reblogs_count=0,
            favourites_count=0,
            content="",
            reblog=status,
            account=self.account_at_end(a),
            mentions=[],
            tags=[],
        )
        return out

    def segments(self, p: int) -> tuple[Segment, ...]:
        """The post's segments; a reply starts by mentioning whom it answers."""
        w = self.world
        segments = self.content.text(p).segments
        if w.p_kind[p] == P_REPLY:
            return (("@", int(w.p_author[int(w.p_parent[p])])), ("t", " "), *segments)
        return segments

    def html(
        self, segments: tuple[Segment, ...], instance: str
    ) -> tuple[str, list[dict], list[dict]]:
        """Mastodon HTML content, the mentions list and the tags list."""
        parts: list[str] = []
        mentions: list[dict] = []
        tags: list[dict] = []
        for kind, value in segments:
            if kind == "t":
                parts.append(
                    html.escape(str(value), quote=False).replace("\n", "<br />")
                )
            elif kind == "#":
                name = str(value)
                url = f"https://{instance}/tags/{name.lower()}"
                parts.append(
                    f'<a href="{url}" class="mention hashtag" rel="tag">'
                    f"#<span>{name}</span></a>"
                )
                if all(t["name"] != name.lower() for t in tags):
                    tags.append({"name": name.lower(), "url": url})
            elif kind == "@":
                b = int(value)  # type: ignore[call-overload]
                url = self.profile_url(b)
                local = self.ids.local(b)
                parts.append(
                    f'<span class="h-card"><a href="{url}" class="u-url mention">'
                    f"@<span>{local}</span></a></span>"
                )
                if all(m["id"] != self.account_id(b) for m in mentions):
                    mentions.append(
                        {
                            "id": self.account_id(b),
                            "username": local,
                            "url": url,
                            "acct": self.acct(b),
                        }
                    )
            else:
                parts.append(_link(str(value)))
        return "<p>" + "".join(parts) + "</p>", mentions, tags


def _link(url: str) -> str:
    scheme, _, rest = url.partition("://")
    prefix = f"{scheme}://"
    if len(rest) <= 30:
        shown = (
            f'<span class="">{html.escape(rest)}</span><span class="invisible"></span>'
        )
    else:
        shown = (
            f'<span class="ellipsis">{html.escape(rest[:30])}</span>'
            f'<span class="invisible">{html.escape(rest[30:])}</span>'
        )
    return (
        f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener noreferrer">'
        f'<span class="invisible">{prefix}</span>{shown}</a>'
    )
