"""Turn parsed pages into COPY-ready rows: validate, hash, deduplicate, escape.

A ``Batch`` collects the records of one or more pages without building Django model
instances: each valid post becomes one line of PostgreSQL COPY text, accounts are
merged per natural key, and everything invalid becomes a ``QuarantineItem``.
``listening.ingest.upsert.batch_upsert`` then writes a batch in one transaction.

Every row carries the time its page was *observed* (the envelope's ``recorded_at``):
when one input holds several observations of the same post or account (a profile
recorded on several days), the newest wins and an identical replay of the input
changes nothing. Pure code: no I/O, no ORM.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any, NamedTuple

import orjson

from listening import constants as c
from listening.ingest.validation import (
    validate_account,
    validate_interaction,
    validate_post,
)
from listening.records import (
    AccountRecord,
    InteractionRecord,
    ParsedPage,
    PostRecord,
    QuarantineItem,
)

NULL = "\\N"  # COPY text format's NULL marker

# Columns of the stage tables, in COPY order (see upsert.STAGE_DDL). Text columns
# come first: a row's text part is joined with NUL (validated never to occur) and
# escaped in one pass, which is several times faster than escaping field by field.
POST_STAGE_COLUMNS = (
    "platform",
    "external_id",
    "author_external_id",
    "text",
    "language",
    "url",
    "reply_to_external_id",
    "root_external_id",
    "quote_of_external_id",
    "repost_of_external_id",
    "hashtags",
    "mentions",
    "links",
    "raw",
    "posted_at",
    "edited_at",
    "likes",
    "reposts",
    "replies",
    "quotes",
    "views",
    "content_sha256",
    "metrics_sha256",
    "observed_at",
)
POST_KEY_STAGE_COLUMNS = (
    "platform",
    "external_id",
    "author_external_id",
    "content_sha256",
    "metrics_sha256",
    "observed_at",
)
ACCOUNT_STAGE_COLUMNS = (
    "platform",
    "external_id",
    "handle",
    "display_name",
    "bio",
    "url",
    "followers_count",
    "following_count",
    "posts_count",
    "account_created_at",
    "is_verified",
    "has_counters",
    "observed_at",
)
ACCOUNT_OBSERVATION_STAGE_COLUMNS = (
    "platform",
    "external_id",
    "followers_count",
    "following_count",
    "posts_count",
    "observed_at",
)
INTERACTION_STAGE_COLUMNS = (
    "platform",
    "kind",
    "actor_external_id",
    "target_external_id",
    "post_external_id",
    "occurred_at",
)


def copy_escape(value: str) -> str:
    """Escape a string for COPY text format (chained replace: measured fastest)."""
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
_ESCAPED = re.compile(r"\\(.)")


def copy_unescape(value: str) -> str:
    """The string ``copy_escape`` made ``value`` from."""
    if "\\" not in value:
        return value
    return _ESCAPED.sub(lambda m: _UNESCAPES.get(m[1], m[1]), value)


def _copy_fields(values: tuple[str, ...]) -> str:
    """Escape NUL-free strings and join them as tab-separated COPY fields."""
    return copy_escape("\x00".join(values)).replace("\x00", "\t")


def _ts(value: datetime | None) -> str:
    return NULL if value is None else value.isoformat()


def _num(value: int | None) -> str:
    return NULL if value is None else str(value)


def _json_list(value: list[str]) -> str:
    return orjson.dumps(value).decode() if value else "[]"


def observed_time(recorded_at: Any, default: datetime) -> datetime:
    """An envelope's ``recorded_at`` as an aware datetime (``default`` if unusable)."""
    if isinstance(recorded_at, str) and recorded_at:
        try:
            value = datetime.fromisoformat(recorded_at)
        except ValueError:
            return default
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(recorded_at, datetime) and recorded_at.tzinfo:
        return recorded_at
    return default


def post_content_sha256(record: PostRecord) -> str:
    """The hash of what a compliance scan reads: author, text, language, URL,
    references, hashtags, mentions, links and the created/edited times; not the
    counters (``post_metrics_sha256``). Raises ``orjson.JSONEncodeError`` on text
    that is not valid Unicode."""
    blob = orjson.dumps(
        (
            record.author_external_id,
            record.text,
            record.language,
            record.url,
            record.reply_to_external_id,
            record.root_external_id,
            record.quote_of_external_id,
            record.repost_of_external_id,
            record.hashtags,
            record.mentions,
            record.links,
            record.created_at,
            record.edited_at,
        )
    )
    return sha256(blob).hexdigest()


def post_metrics_sha256(record: PostRecord) -> str:
    """The hash of a post's public counters."""
    key = f"{record.likes}|{record.reposts}|{record.replies}|{record.quotes}|{record.views}"
    return sha256(key.encode()).hexdigest()


class PostRow(NamedTuple):
    """One staged post: its escaped ids, its COPY fields from ``text`` to
    ``metrics_sha256`` (shared by the stage layout and the table's own), and its
    counters (for a snapshot). Only strings and a float, so that a batch crosses
    the pipe from a parser process cheaply (a pickled datetime costs ten times more)."""

    observed: float  # POSIX time of the observation (the newer one wins)
    observed_text: str
    external_id: str
    author: str
    body: str
    counters: str
    content_sha256: str
    metrics_sha256: str


@dataclass(slots=True)
class Batch:
    """Validated, deduplicated rows of one or more pages, ready for ``batch_upsert``.

    Posts are kept once per natural key (the newest observation wins), accounts are
    merged per natural key (a value that is empty or ``None`` never erases a known
    one), and accounts referenced only by id (authors, actors, targets) become stubs.

    ``seen_accounts`` may be shared by the batches of one run: an account staged
    by an earlier batch of the run, with the same values, is not staged again (its
    batch is committed before this one is written).
    """

    seen_accounts: dict[tuple[str, str], int] | None = None
    pages: int = 0
    received: int = 0
    posts: dict[tuple[str, str], PostRow] = field(default_factory=dict)
    accounts: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    referenced: set[tuple[str, str]] = field(default_factory=set)
    interactions: dict[tuple[str, str, str, str, str], str] = field(
        default_factory=dict
    )
    quarantine: list[QuarantineItem] = field(default_factory=list)
    # every observation of an account's counters (platform, id, followers, following,
    # posts, observed): the growth history, kept apart from the merged account
    observations: set[tuple] = field(default_factory=set)
    account_rows: list[str] | None = None  # set by close()
    observation_rows: list[str] | None = None  # set by close()
    post_key_rows: list[str] | None = None  # set by close()
    _observed: datetime | None = None
    _observed_ts: float = 0.0
    _observed_text: str = ""

    @property
    def size(self) -> int:
        """Rows staged so far (the batch is flushed when this reaches the batch size)."""
        return len(self.posts) + len(self.interactions) + len(self.quarantine)

    def add_page(
        self, page: ParsedPage, *, observed_at: datetime | None = None
    ) -> None:
        """Validate and stage every record of ``page``, observed at ``observed_at``
        (default: now); quarantine the invalid records."""
        observed = (observed_at or datetime.now(UTC)).astimezone(UTC)
        if observed != self._observed:
            self._observed, self._observed_text = observed, observed.isoformat()
            self._observed_ts = observed.timestamp()
        self.pages += 1
        self.received += len(page.posts) + len(page.quarantined)
        self.quarantine.extend(page.quarantined)
        latest = datetime.now(UTC) + timedelta(days=1)
        for account in page.accounts:
            self.add_account(account, latest)
        for post in page.posts:
            self.add_post(post, latest)
        for interaction in page.interactions:
            self.add_interaction(interaction, latest)

    # --- accounts ------------------------------------------------------------------
    def add_account(
        self, record: AccountRecord, latest: datetime | None = None
    ) -> None:
        key = (record.platform, record.external_id)
        values = (
            record.handle,
            record.display_name,
            record.bio,
            record.url,
            record.followers_count,
            record.following_count,
            record.posts_count,
            record.account_created_at,
            record.is_verified,
        )
        seen = self.seen_accounts
        fingerprint = hash(values)
        if seen is not None and seen.get(key) == fingerprint:
            return  # staged with these values by an earlier batch of this run
        problem = validate_account(record, latest=latest)
        if problem is None:
            try:
                orjson.dumps(values[:4])
            except orjson.JSONEncodeError as exc:
                problem = QuarantineItem(
                    platform=record.platform,
                    raw=record.raw or {"external_id": record.external_id},
                    reason=c.BAD_ENCODING,
                    detail=str(exc),
                )
        if problem is not None:
            self.quarantine.append(problem)
            return
        if seen is not None:
            seen[key] = fingerprint
        has_counters = (
            record.followers_count is not None
            or record.following_count is not None
            or record.posts_count is not None
        )
        verified = record.is_verified if has_counters or record.is_verified else None
        if has_counters:
            self.observations.add(
                (
                    record.platform,
                    record.external_id,
                    record.followers_count,
                    record.following_count,
                    record.posts_count,
                    self._observed,
                )
            )
        new = [*values[:8], verified, has_counters, self._observed]
        old = self.accounts.get(key)
        if old is None:
            self.accounts[key] = new
            return
        if new[10] < old[10] and has_counters and old[9]:
            return  # an older observation of an account already seen in full
        for i, value in enumerate(new):
            if value is not None and value != "" and value is not False:
                old[i] = value
        if has_counters and verified is False:
            old[8] = False

    def close(self) -> Batch:
        """Build the account and observation rows now (in the producer) and return
        self. Idempotent. The merged accounts, references and observations are
        dropped: only COPY text (cheap to pickle) goes to the writer."""
        if self.account_rows is None:
            self.account_rows = self.account_lines()
            self.observation_rows = self.observation_lines()
            self.post_key_rows = ["".join(self.post_key_lines())]
            self.accounts, self.referenced, self.observations = {}, set(), set()
        self.seen_accounts = None  # the run's cache stays with the producer
        return self

    def account_lines(self) -> list[str]:
        """COPY lines of the merged accounts plus stubs for ids referenced only."""
        if self.account_rows is not None:
            return self.account_rows
        lines = []
        for (platform, external_id), v in self.accounts.items():
            lines.append(
                _copy_fields((platform, external_id, v[0], v[1], v[2], v[3]))
                + "\t"
                + "\t".join(
                    (
                        _num(v[4]),
                        _num(v[5]),
                        _num(v[6]),
                        _ts(v[7]),
                        NULL if v[8] is None else ("t" if v[8] else "f"),
                        "t" if v[9] else "f",
                        v[10].isoformat(),
                    )
                )
                + "\n"
            )
        seen = self.seen_accounts
        stub_tail = f"\t\t\t\t\t{NULL}\t{NULL}\t{NULL}\t{NULL}\t{NULL}\tf\t"
        for key in self.referenced:
            if key in self.accounts or (seen is not None and key in seen):
                continue
            if seen is not None:
                seen[key] = 0  # a stub: any real record later is still staged
            lines.append(
                f"{key[0]}\t{copy_escape(key[1])}{stub_tail}{self._observed_text}\n"
            )
        return lines

    def observation_lines(self) -> list[str]:
        """COPY lines of every counters observation (for the growth history)."""
        if self.observation_rows is not None:
            return self.observation_rows
        return [
            _copy_fields((platform, external_id))
            + f"\t{_num(f)}\t{_num(g)}\t{_num(p)}\t{observed.isoformat()}\n"
            for platform, external_id, f, g, p, observed in sorted(
                self.observations, key=lambda o: (o[0], o[1], o[5])
            )
        ]

    # --- posts ---------------------------------------------------------------------
    def add_post(self, record: PostRecord, latest: datetime | None = None) -> None:
        problem = validate_post(record, latest=latest)
        if problem is None:
            try:
                content_hash = post_content_sha256(record)
                raw = orjson.dumps(record.raw).decode()
            except (orjson.JSONEncodeError, TypeError) as exc:
                problem = QuarantineItem(
                    platform=record.platform,
                    raw={"external_id": record.external_id, "error": str(exc)},
                    reason=c.BAD_ENCODING,
                    detail=f"not valid UTF-8 / JSON: {exc}",
                )
            else:
                if "\\u0000" in raw:
                    problem = QuarantineItem(
                        platform=record.platform,
                        raw=record.raw,
                        reason=c.NUL_BYTE,
                        detail="raw payload contains a NUL byte",
                    )
        if problem is not None:
            self.quarantine.append(problem)
            return
        key = (record.platform, record.external_id)
        observed = self._observed_ts
        earlier = self.posts.get(key)
        if earlier is not None and earlier.observed > observed:
            return  # keep the newer observation already staged
        self.referenced.add((record.platform, record.author_external_id))
        metrics_hash = post_metrics_sha256(record)
        counters = "\t".join(
            (
                str(record.likes),
                str(record.reposts),
                str(record.replies),
                str(record.quotes),
                _num(record.views),
            )
        )
        self.posts[key] = PostRow(
            observed=observed,
            observed_text=self._observed_text,
            external_id=copy_escape(record.external_id),
            author=copy_escape(record.author_external_id),
            body=_copy_fields(
                (
                    record.text,
                    record.language,
                    record.url,
                    record.reply_to_external_id,
                    record.root_external_id,
                    record.quote_of_external_id,
                    record.repost_of_external_id,
                    _json_list(record.hashtags),
                    _json_list(record.mentions),
                    _json_list(record.links),
                    # orjson escapes control characters: only backslashes change
                    raw,
                )
            )
            + "\t"
            + "\t".join(
                (
                    record.created_at.isoformat(),
                    _ts(record.edited_at),
                    counters,
                    content_hash,
                    metrics_hash,
                )
            ),
            counters=counters,
            content_sha256=content_hash,
            metrics_sha256=metrics_hash,
        )

    def post_key_lines(self) -> list[str]:
        """COPY lines of the posts' keys and hashes (``pp_stage_postkey``)."""
        if self.post_key_rows is not None:
            return self.post_key_rows
        return [
            f"{platform}\t{row.external_id}\t{row.author}\t{row.content_sha256}\t"
            f"{row.metrics_sha256}\t{row.observed_text}\n"
            for (platform, _), row in self.posts.items()
        ]

    def post_lines(self, keys: Iterable[tuple[str, str]] | None = None) -> list[str]:
        """COPY lines of whole posts (``pp_stage_post``), all or those of ``keys``."""
        posts = self.posts
        chosen = posts.items() if keys is None else ((k, posts[k]) for k in keys)
        return [
            f"{platform}\t{row.external_id}\t{row.author}\t{row.body}\t"
            f"{row.observed_text}\n"
            for (platform, _), row in chosen
        ]

    # --- interactions --------------------------------------------------------------
    def add_interaction(
        self, record: InteractionRecord, latest: datetime | None = None
    ) -> None:
        problem = validate_interaction(record, latest=latest)
        if problem is not None:
            self.quarantine.append(problem)
            return
        platform = record.platform
        key = (
            platform,
            record.kind,
            record.actor_external_id,
            record.target_external_id,
            record.post_external_id,
        )
        if key in self.interactions and record.occurred_at is None:
            return  # keep the occurrence that has a time
        self.referenced.add((platform, record.actor_external_id))
        if record.target_external_id:
            self.referenced.add((platform, record.target_external_id))
        self.interactions[key] = (
            _copy_fields(
                (
                    platform,
                    record.kind,
                    record.actor_external_id,
                    record.target_external_id,
                    record.post_external_id,
                )
            )
            + "\t"
            + _ts(record.occurred_at)
            + "\n"
        )
