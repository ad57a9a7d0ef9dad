"""Pure helpers shared by the connectors' ``parse``: typed field access, timestamps,
and a ``PageBuilder`` that quarantines one native record without losing the page.

Each native record (a post view, a status, a tweet, a file row) is parsed inside
``with builder.record(raw) as out:``. Whatever the block adds to ``out`` is kept only
if the block finishes; a ``RecordError`` (or a shape error such as a ``TypeError``)
turns the record into one ``QuarantineItem`` with a short reason code instead. Records
are deduplicated per page by natural key, and an account seen twice keeps the richest
version (a full profile beats a post author's short view).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import orjson

from listening import constants as c
from listening.connectors.base import Envelope
from listening.records import (
    AccountRecord,
    InteractionRecord,
    ParsedPage,
    PostRecord,
    QuarantineItem,
)

# Reason codes. Shared ones come from listening.constants; these two are the
# connectors' own (the pipeline's constants do not list them yet).
UNKNOWN_ENDPOINT = "unknown_endpoint"  # no parser for this endpoint
MISSING_TIMESTAMP = "missing_timestamp"  # a post without a creation time
REASONS = (
    c.MISSING_ID,
    MISSING_TIMESTAMP,
    c.BAD_TIMESTAMP,
    c.WRONG_TYPE,
    c.BAD_VALUE,
    c.NUL_BYTE,
    c.UNKNOWN_PLATFORM,
    c.UNKNOWN_KIND,
    UNKNOWN_ENDPOINT,
    c.UNRESOLVED_TARGET,
    c.PARSE_ERROR,
    c.BAD_JSON,
    c.BAD_ENCODING,
)
# Errors that mean "this record does not have the shape we expect".
SHAPE_ERRORS = (
    KeyError,
    IndexError,
    TypeError,
    ValueError,
    AttributeError,
    OverflowError,
    RecursionError,
)


class RecordError(Exception):
    """Raised while parsing one native record: quarantine it with ``reason``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


# --- typed access -------------------------------------------------------------------


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def as_dict(value: Any, where: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else a ``wrong_type`` error naming ``where``."""
    if isinstance(value, dict):
        return value
    raise RecordError(c.WRONG_TYPE, f"{where} is {_type_name(value)}, not an object")


def as_list(value: Any, where: str) -> list[Any]:
    """``value`` as a list: ``None`` and ``{}`` (R's jsonlite empty array) are []."""
    if isinstance(value, list):
        return value
    if value is None or value == {}:
        return []
    raise RecordError(c.WRONG_TYPE, f"{where} is {_type_name(value)}, not a list")


def req_id(obj: Mapping[str, Any], key: str, where: str) -> str:
    """A required, non-empty string identifier (``missing_id`` if absent)."""
    value = obj.get(key)
    if value is None or value == "":
        raise RecordError(c.MISSING_ID, f"{where}.{key} is missing")
    if not isinstance(value, str):
        raise RecordError(
            c.WRONG_TYPE, f"{where}.{key} is {_type_name(value)}, not a string"
        )
    return value


def opt_str(obj: Mapping[str, Any], key: str, where: str) -> str:
    """An optional string field: missing or null is ""."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(
            c.WRONG_TYPE, f"{where}.{key} is {_type_name(value)}, not a string"
        )
    return value


def opt_int(obj: Mapping[str, Any], key: str, where: str) -> int | None:
    """An optional non-negative integer (a JSON bool, float or string is wrong)."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(
            c.WRONG_TYPE, f"{where}.{key} is {_type_name(value)}: {value!r:.40}"
        )
    if value < 0:
        raise RecordError(c.BAD_VALUE, f"{where}.{key} is negative: {value}")
    return value


def count(obj: Mapping[str, Any], key: str, where: str) -> int:
    """A public counter: missing or null is 0."""
    value = opt_int(obj, key, where)
    return 0 if value is None else value


def opt_bool(obj: Mapping[str, Any], key: str, where: str) -> bool:
    """An optional JSON boolean: missing or null is False."""
    value = obj.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise RecordError(
            c.WRONG_TYPE, f"{where}.{key} is {_type_name(value)}, not a boolean"
        )
    return value


def parse_time(value: Any, where: str) -> datetime:
    """An ISO 8601 string as an aware UTC datetime (no offset is read as UTC)."""
    if not isinstance(value, str):
        raise RecordError(
            c.BAD_TIMESTAMP, f"{where} is {_type_name(value)}, not an ISO 8601 string"
        )
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise RecordError(c.BAD_TIMESTAMP, f"{where} is {value!r:.60}") from None


def req_time(obj: Mapping[str, Any], key: str, where: str) -> datetime:
    """A required timestamp: ``missing_timestamp`` if absent, ``bad_timestamp`` if bad."""
    value = obj.get(key)
    if value is None or value == "":
        raise RecordError(MISSING_TIMESTAMP, f"{where}.{key} is missing")
    return parse_time(value, f"{where}.{key}")


def opt_time(obj: Mapping[str, Any], key: str, where: str) -> datetime | None:
    """An optional timestamp: missing or null is None; a bad value is still an error."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    return parse_time(value, f"{where}.{key}")


def unique(values: list[str]) -> list[str]:
    """``values`` without empty strings and repeats, in first-seen order."""
    if len(values) < 2:  # the common case (most posts have no or one tag or link)
        return [v for v in values if v]
    return list(dict.fromkeys(v for v in values if v))


def find_nul(value: Any) -> str | None:
    """The path of the first string (or key) holding a NUL byte in ``value``, or None."""
    stack: list[tuple[Any, str]] = [(value, "$")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and "\x00" in key:
                    return f"{path} (a key)"
                stack.append((child, f"{path}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(item))
    return None


def may_hold_nul(value: Any) -> bool:
    """Whether ``value`` may contain a NUL byte (fast: one C-speed serialisation;
    an escaped backslash can give a false positive, never a false negative)."""
    try:
        return b"\\u0000" in orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
        return find_nul(value) is not None


def envelope_dict(envelope: Envelope) -> dict[str, Any]:
    """The envelope in its recording form (what a reviewer fixes and replays)."""
    return {
        "platform": envelope.platform,
        "endpoint": envelope.endpoint,
        "params": envelope.params,
        "recorded_at": envelope.recorded_at,
        "body": envelope.body,
    }


# --- the page builder -----------------------------------------------------------------


@dataclass(slots=True)
class Staged:
    """Records of one native record, committed only if all of it parsed."""

    accounts: list[AccountRecord] = field(default_factory=list)
    posts: list[PostRecord] = field(default_factory=list)
    interactions: list[InteractionRecord] = field(default_factory=list)
    # The page's parsed account views by id, shared by all records of the page.
    seen_views: dict[str, tuple[dict, AccountRecord]] = field(default_factory=dict)

    def account(self, record: AccountRecord) -> AccountRecord:
        self.accounts.append(record)
        return record

    def account_view(
        self,
        view: Any,
        key: str,
        parse: Callable[[Any, str], AccountRecord],
        where: str,
    ) -> AccountRecord:
        """Stage ``parse(view)``, reusing the record when the page already parsed an
        identical view (a feed repeats its author's view on every post)."""
        ident = view.get(key) if isinstance(view, dict) else None
        hit = self.seen_views.get(ident) if isinstance(ident, str) else None
        if hit is not None and hit[0] == view:
            return self.account(hit[1])
        record = parse(view, where)
        self.seen_views[record.external_id] = (view, record)
        return self.account(record)

    def post(self, record: PostRecord) -> PostRecord:
        self.posts.append(record)
        return record

    def edge(
        self,
        platform: str,
        kind: str,
        actor: str,
        target: str,
        post: str = "",
        occurred_at: datetime | None = None,
    ) -> None:
        """Add one interaction; self-interactions (a self-reply) are not engagement."""
        if actor and target and actor != target:
            self.interactions.append(
                InteractionRecord(platform, kind, actor, target, post, occurred_at)
            )


_ACCOUNT_FILL = (
    "display_name",
    "bio",
    "url",
    "followers_count",
    "following_count",
    "posts_count",
    "account_created_at",
)


class _RecordScope:
    """Context manager behind ``PageBuilder.record``."""

    def __init__(self, builder: PageBuilder, raw: Any) -> None:
        self.builder = builder
        self.raw = raw
        self.staged = Staged(seen_views=builder.seen_views)

    def __enter__(self) -> Staged:
        return self.staged

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        builder = self.builder
        if exc is None:
            path = find_nul(self.raw) if builder.check_nul else None
            if path is None:
                builder.commit(self.staged)
            else:
                builder.quarantine(self.raw, c.NUL_BYTE, f"NUL byte in {path}")
            return False
        if isinstance(exc, RecordError):
            builder.quarantine(self.raw, exc.reason, exc.detail)
            return True
        if isinstance(exc, SHAPE_ERRORS):
            builder.quarantine(self.raw, c.PARSE_ERROR, f"{exc_type.__name__}: {exc}")
            return True
        return False


class PageBuilder:
    """Collects one page's records, deduplicated, with per-record quarantine."""

    def __init__(
        self, platform: str, body: Any, envelope: Envelope | None = None
    ) -> None:
        self.platform = platform
        self.envelope = envelope
        self.page = ParsedPage()
        self._accounts: dict[str, AccountRecord] = {}
        self._posts: set[str] = set()
        self._edges: dict[tuple[str, str, str, str], InteractionRecord] = {}
        self.seen_views: dict[str, tuple[dict, AccountRecord]] = {}
        # One check of the whole body per page; records are searched only if it
        # may hold a NUL.
        self.check_nul = may_hold_nul(body)

    def record(self, raw: Any) -> _RecordScope:
        """Parse one native record inside ``with``; quarantine it if that fails."""
        return _RecordScope(self, raw)

    def quarantine(self, raw: Any, reason: str, detail: str = "") -> None:
        self.page.quarantined.append(
            QuarantineItem(
                platform=self.platform, raw=raw, reason=reason, detail=detail
            )
        )

    def quarantine_envelope(self, reason: str, detail: str) -> None:
        """Quarantine the whole envelope (to be fixed, e.g. its params, and replayed)."""
        raw = envelope_dict(self.envelope) if self.envelope is not None else None
        self.quarantine(raw, reason, detail)

    def commit(self, staged: Staged) -> None:
        """Keep the staged records, merging repeats by natural key."""
        for account in staged.accounts:
            seen = self._accounts.get(account.external_id)
            if seen is None:
                self._accounts[account.external_id] = account
                self.page.accounts.append(account)
            elif seen is not account:
                _merge_account(seen, account)
        for post in staged.posts:
            if post.external_id not in self._posts:
                self._posts.add(post.external_id)
                self.page.posts.append(post)
        for edge in staged.interactions:
            key = (
                edge.kind,
                edge.actor_external_id,
                edge.target_external_id,
                edge.post_external_id,
            )
            seen_edge = self._edges.get(key)
            if seen_edge is None:
                self._edges[key] = edge
                self.page.interactions.append(edge)
            elif seen_edge.occurred_at is None:
                seen_edge.occurred_at = edge.occurred_at


def _merge_account(seen: AccountRecord, new: AccountRecord) -> None:
    """Fill the blanks of ``seen`` from ``new`` (the first full profile wins)."""
    for name in _ACCOUNT_FILL:
        if getattr(seen, name) in (None, "") and getattr(new, name) not in (None, ""):
            setattr(seen, name, getattr(new, name))
    seen.is_verified = seen.is_verified or new.is_verified
    if len(new.raw) > len(seen.raw):
        seen.raw = new.raw


# --- dispatch -------------------------------------------------------------------------

Handler = Callable[[PageBuilder, Any, dict[str, Any]], str | None]


def parse_with(
    platform: str,
    envelope: Envelope,
    handlers: Mapping[str, Handler],
    endpoint: str | None = None,
) -> ParsedPage:
    """Run the handler of ``envelope``'s endpoint; never raises.

    A handler adds records to the builder and returns the next-page cursor. An
    unknown endpoint, or a body of the wrong shape for it, quarantines the whole
    envelope (in its recording form, so it can be fixed and replayed). File-import
    rows (endpoint ``file:*``) are handed to the file-import parser whatever their
    platform.
    """
    name = envelope.endpoint if endpoint is None else endpoint
    if isinstance(name, str) and name.startswith("file:"):
        from listening.connectors.file_import import parse_file_envelope

        return parse_file_envelope(envelope)
    builder = PageBuilder(platform, envelope.body, envelope)
    handler = handlers.get(name) if isinstance(name, str) else None
    if handler is None:
        builder.quarantine(
            envelope_dict(envelope),
            UNKNOWN_ENDPOINT,
            f"the {platform} connector has no parser for {envelope.endpoint!r}",
        )
        return builder.page
    params = envelope.params if isinstance(envelope.params, dict) else {}
    try:
        builder.page.next_cursor = handler(builder, envelope.body, params) or None
    except RecordError as exc:
        builder.quarantine_envelope(exc.reason, exc.detail)
    except SHAPE_ERRORS as exc:
        builder.quarantine_envelope(c.PARSE_ERROR, f"{type(exc).__name__}: {exc}")
    return builder.page


def cursor_str(value: Any) -> str | None:
    """A pagination cursor as a string, or None when there is no next page."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None
