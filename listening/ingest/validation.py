"""Validation of normalised records before they reach the database.

Each ``validate_*`` function returns ``None`` for a valid record, or a
``QuarantineItem`` with a reason code (``listening.constants``) and a detail that
names the field. Validation checks everything the database would otherwise reject
half-way through a batch (NUL bytes, column widths, negative counters, naive
timestamps), so one bad record never fails the records around it.

Pure functions: no I/O, no ORM.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from listening import constants as c
from listening.records import (
    INTERACTION_KINDS,
    PLATFORMS,
    AccountRecord,
    InteractionRecord,
    PostRecord,
    QuarantineItem,
)

_PLATFORMS = frozenset(PLATFORMS)
_KINDS = frozenset(INTERACTION_KINDS)
_MIN_TIME = datetime(c.MIN_YEAR, 1, 1, tzinfo=UTC)


class _Invalid(Exception):
    """Raised inside a validator to stop at the first problem."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _check_id(value: Any, name: str, max_len: int) -> None:
    if not isinstance(value, str):
        if value is None:
            raise _Invalid(c.MISSING_ID, f"{name} is missing")
        raise _Invalid(c.WRONG_TYPE, f"{name} is {type(value).__name__}, not str")
    if not value.strip():
        raise _Invalid(c.MISSING_ID, f"{name} is empty")
    if "\x00" in value:
        raise _Invalid(c.NUL_BYTE, f"{name} contains a NUL byte")
    if len(value) > max_len:
        raise _Invalid(c.TOO_LONG, f"{name} has {len(value)} chars (max {max_len})")


def _check_str(value: Any, name: str, max_len: int | None = None) -> None:
    if not isinstance(value, str):
        raise _Invalid(c.WRONG_TYPE, f"{name} is {type(value).__name__}, not str")
    if "\x00" in value:
        raise _Invalid(c.NUL_BYTE, f"{name} contains a NUL byte")
    if max_len is not None and len(value) > max_len:
        if max_len == c.MAX_TEXT_CHARS:
            raise _Invalid(
                c.OVERSIZED_TEXT, f"{name} has {len(value)} chars (max {max_len})"
            )
        raise _Invalid(c.TOO_LONG, f"{name} has {len(value)} chars (max {max_len})")


def _check_platform(value: Any) -> None:
    if value not in _PLATFORMS:
        raise _Invalid(c.UNKNOWN_PLATFORM, f"platform {value!r} is not one of ours")


def _check_time(
    value: Any, name: str, *, required: bool, latest: datetime | None = None
) -> None:
    if value is None:
        if required:
            raise _Invalid(c.BAD_TIMESTAMP, f"{name} is missing")
        return
    if not isinstance(value, datetime):
        raise _Invalid(
            c.BAD_TIMESTAMP, f"{name} is {type(value).__name__}, not a datetime"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise _Invalid(c.BAD_TIMESTAMP, f"{name} has no time zone")
    if latest is None:
        latest = datetime.now(UTC) + timedelta(days=1)
    if value < _MIN_TIME or value > latest:
        raise _Invalid(c.BAD_TIMESTAMP, f"{name} {value.isoformat()} is out of range")


def _check_count(value: Any, name: str, *, nullable: bool, maximum: int) -> None:
    if value is None:
        if nullable:
            return
        raise _Invalid(c.WRONG_TYPE, f"{name} is missing")
    if type(value) is not int:  # bool is an int subclass: refuse it too
        raise _Invalid(c.WRONG_TYPE, f"{name} is {type(value).__name__}, not int")
    if value < 0 or value > maximum:
        raise _Invalid(c.BAD_VALUE, f"{name} {value} is out of range")


def _check_str_list(value: Any, name: str) -> None:
    if not isinstance(value, list):
        raise _Invalid(c.WRONG_TYPE, f"{name} is {type(value).__name__}, not list")
    for item in value:
        if not isinstance(item, str):
            raise _Invalid(c.WRONG_TYPE, f"{name} holds a {type(item).__name__}")
        if "\x00" in item:
            raise _Invalid(c.NUL_BYTE, f"{name} contains a NUL byte")


def _item(record: Any, raw: Any, exc: _Invalid) -> QuarantineItem:
    platform = getattr(record, "platform", "")
    return QuarantineItem(
        platform=platform if isinstance(platform, str) else "",
        raw=raw,
        reason=exc.reason,
        detail=exc.detail,
    )


def validate_post(
    record: PostRecord, *, latest: datetime | None = None
) -> QuarantineItem | None:
    """Return why ``record`` cannot be stored, or ``None`` when it is valid.

    ``latest`` is the latest acceptable timestamp (default: a day from now).
    """
    if latest is None:
        latest = datetime.now(UTC) + timedelta(days=1)
    if _post_looks_valid(record, latest):
        return None  # the common case, checked in one pass
    try:
        _check_id(record.external_id, "external_id", c.POST_ID_MAX)
        _check_platform(record.platform)
        _check_id(record.author_external_id, "author_external_id", c.ACCOUNT_ID_MAX)
        _check_time(record.created_at, "created_at", required=True, latest=latest)
        _check_time(record.edited_at, "edited_at", required=False, latest=latest)
        _check_str(record.text, "text", c.MAX_TEXT_CHARS)
        _check_str(record.language, "language", c.LANGUAGE_MAX)
        _check_str(record.url, "url", c.URL_MAX)
        for name in (
            "reply_to_external_id",
            "root_external_id",
            "quote_of_external_id",
            "repost_of_external_id",
        ):
            _check_str(getattr(record, name), name, c.POST_ID_MAX)
        _check_str_list(record.hashtags, "hashtags")
        _check_str_list(record.mentions, "mentions")
        _check_str_list(record.links, "links")
        for name in ("likes", "reposts", "replies", "quotes"):
            _check_count(
                getattr(record, name), name, nullable=False, maximum=c.INT32_MAX
            )
        _check_count(record.views, "views", nullable=True, maximum=c.INT64_MAX)
        if not isinstance(record.raw, dict):
            raise _Invalid(
                c.WRONG_TYPE, f"raw is {type(record.raw).__name__}, not dict"
            )
    except _Invalid as exc:
        return _item(record, record.raw if record.raw else _as_dict(record), exc)
    return None


def _post_looks_valid(record: PostRecord, latest: datetime) -> bool:
    """One fast pass over a post; ``False`` sends it through the detailed checks
    (which name the field and the reason)."""
    external_id, author = record.external_id, record.author_external_id
    created, edited, views = record.created_at, record.edited_at, record.views
    try:
        joined = "".join(
            (
                external_id,
                author,
                record.text,
                record.language,
                record.url,
                record.reply_to_external_id,
                record.root_external_id,
                record.quote_of_external_id,
                record.repost_of_external_id,
                *record.hashtags,
                *record.mentions,
                *record.links,
            )
        )
    except TypeError:
        return False
    return (
        "\x00" not in joined
        and record.platform in _PLATFORMS
        and 0 < len(external_id) <= c.POST_ID_MAX
        and not external_id.isspace()
        and 0 < len(author) <= c.ACCOUNT_ID_MAX
        and not author.isspace()
        and len(record.text) <= c.MAX_TEXT_CHARS
        and len(record.language) <= c.LANGUAGE_MAX
        and len(record.url) <= c.URL_MAX
        and len(record.reply_to_external_id) <= c.POST_ID_MAX
        and len(record.root_external_id) <= c.POST_ID_MAX
        and len(record.quote_of_external_id) <= c.POST_ID_MAX
        and len(record.repost_of_external_id) <= c.POST_ID_MAX
        and type(record.hashtags) is list
        and type(record.mentions) is list
        and type(record.links) is list
        and type(created) is datetime
        and created.tzinfo is not None
        and created.utcoffset() is not None
        and _MIN_TIME <= created <= latest
        and (
            edited is None
            or (
                type(edited) is datetime
                and edited.utcoffset() is not None
                and _MIN_TIME <= edited <= latest
            )
        )
        and type(record.likes) is int
        and type(record.reposts) is int
        and type(record.replies) is int
        and type(record.quotes) is int
        and 0 <= record.likes <= c.INT32_MAX
        and 0 <= record.reposts <= c.INT32_MAX
        and 0 <= record.replies <= c.INT32_MAX
        and 0 <= record.quotes <= c.INT32_MAX
        and (views is None or (type(views) is int and 0 <= views <= c.INT64_MAX))
        and type(record.raw) is dict
    )


def validate_account(
    record: AccountRecord, *, latest: datetime | None = None
) -> QuarantineItem | None:
    """Return why ``record`` cannot be stored, or ``None`` when it is valid.

    ``latest`` is the latest acceptable timestamp (default: a day from now).
    """
    if latest is None:
        latest = datetime.now(UTC) + timedelta(days=1)
    if _account_looks_valid(record, latest):
        return None  # the common case, checked in one pass
    try:
        _check_id(record.external_id, "external_id", c.ACCOUNT_ID_MAX)
        _check_platform(record.platform)
        _check_str(record.handle, "handle", c.HANDLE_MAX)
        _check_str(record.display_name, "display_name", c.DISPLAY_NAME_MAX)
        _check_str(record.bio, "bio", c.MAX_TEXT_CHARS)
        _check_str(record.url, "url", c.URL_MAX)
        for name in ("followers_count", "following_count", "posts_count"):
            _check_count(
                getattr(record, name), name, nullable=True, maximum=c.INT32_MAX
            )
        _check_time(
            record.account_created_at,
            "account_created_at",
            required=False,
            latest=latest,
        )
        if not isinstance(record.is_verified, bool):
            raise _Invalid(c.WRONG_TYPE, "is_verified is not a bool")
    except _Invalid as exc:
        return _item(record, record.raw if record.raw else _as_dict(record), exc)
    return None


def _account_looks_valid(record: AccountRecord, latest: datetime) -> bool:
    """One fast pass over an account (see ``_post_looks_valid``)."""
    external_id, handle, name = record.external_id, record.handle, record.display_name
    bio, url, created = record.bio, record.url, record.account_created_at
    followers, following, posts = (
        record.followers_count,
        record.following_count,
        record.posts_count,
    )
    try:
        joined = "".join((external_id, handle, name, bio, url))
        platform_ok = record.platform in _PLATFORMS
    except TypeError:
        return False
    return (
        platform_ok
        and "\x00" not in joined
        and 0 < len(external_id) <= c.ACCOUNT_ID_MAX
        and not external_id.isspace()
        and len(handle) <= c.HANDLE_MAX
        and len(name) <= c.DISPLAY_NAME_MAX
        and len(bio) <= c.MAX_TEXT_CHARS
        and len(url) <= c.URL_MAX
        and (
            followers is None
            or (type(followers) is int and 0 <= followers <= c.INT32_MAX)
        )
        and (
            following is None
            or (type(following) is int and 0 <= following <= c.INT32_MAX)
        )
        and (posts is None or (type(posts) is int and 0 <= posts <= c.INT32_MAX))
        and (
            created is None
            or (
                type(created) is datetime
                and created.utcoffset() is not None
                and _MIN_TIME <= created <= latest
            )
        )
        and type(record.is_verified) is bool
    )


def validate_interaction(
    record: InteractionRecord, *, latest: datetime | None = None
) -> QuarantineItem | None:
    """Return why ``record`` cannot be stored, or ``None`` when it is valid.

    An interaction needs an actor and either a target account or a post (whose
    author becomes the target). ``latest``: as for ``validate_post``.
    """
    if latest is None:
        latest = datetime.now(UTC) + timedelta(days=1)
    if _interaction_looks_valid(record, latest):
        return None
    try:
        _check_platform(record.platform)
        if record.kind not in _KINDS:
            raise _Invalid(c.UNKNOWN_KIND, f"kind {record.kind!r} is not one of ours")
        _check_id(record.actor_external_id, "actor_external_id", c.ACCOUNT_ID_MAX)
        _check_str(record.target_external_id, "target_external_id", c.ACCOUNT_ID_MAX)
        _check_str(record.post_external_id, "post_external_id", c.POST_ID_MAX)
        if (
            not record.target_external_id.strip()
            and not record.post_external_id.strip()
        ):
            raise _Invalid(
                c.MISSING_ID, "neither target_external_id nor post_external_id is set"
            )
        _check_time(record.occurred_at, "occurred_at", required=False, latest=latest)
    except _Invalid as exc:
        return _item(record, _as_dict(record), exc)
    return None


def _interaction_looks_valid(record: InteractionRecord, latest: datetime) -> bool:
    """One fast pass over an interaction (see ``_post_looks_valid``)."""
    actor, target = record.actor_external_id, record.target_external_id
    post, occurred = record.post_external_id, record.occurred_at
    try:
        joined = "".join((actor, target, post))
        known = record.platform in _PLATFORMS and record.kind in _KINDS
    except TypeError:
        return False
    return (
        known
        and "\x00" not in joined
        and 0 < len(actor) <= c.ACCOUNT_ID_MAX
        and not actor.isspace()
        and len(target) <= c.ACCOUNT_ID_MAX
        and len(post) <= c.POST_ID_MAX
        and (
            (target != "" and not target.isspace())
            or (post != "" and not post.isspace())
        )
        and (
            occurred is None
            or (
                type(occurred) is datetime
                and occurred.utcoffset() is not None
                and _MIN_TIME <= occurred <= latest
            )
        )
    )


def _as_dict(record: Any) -> dict[str, Any]:
    """A JSON-friendly dict of a record (datetimes as ISO text), for the quarantine."""
    try:
        data = asdict(record)
    except TypeError:
        return {"repr": repr(record)}
    data.pop("raw", None)
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()
    }
