"""File imports: CSV or JSONL rows in our documented schema (docs/file-import.md).

For platforms without an open API (LinkedIn, YouTube, podcasts) and exports of
listening tools (Brandwatch, Talkwalker, Meltwater). One row is one record:
``record_type`` is ``account``, ``post`` or ``interaction``. ``read_import_file``
wraps each row in an envelope (endpoint ``file:csv`` / ``file:jsonl``, body = the
row) so rows take the same parse -> validate -> upsert path as API recordings; a
line it cannot read becomes a ``file:unreadable`` envelope that parses to a
quarantined record, so a converted file keeps every line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from listening import constants as c
from listening.connectors.base import ConnectorError, Envelope, FetchedPage
from listening.connectors.parsing import (
    MISSING_TIMESTAMP,
    UNKNOWN_ENDPOINT,
    PageBuilder,
    RecordError,
    Staged,
    parse_time,
    unique,
)
from listening.connectors.recording import (
    RecordingLine,
    decode_line,
    envelope_line,
    open_binary,
)
from listening.records import (
    INTERACTION_KINDS,
    PLATFORMS,
    AccountRecord,
    ParsedPage,
    PostRecord,
    QuarantineItem,
)

PLATFORM_ALIASES = {"twitter": "x", "x (twitter)": "x", "yt": "youtube"}
RECORD_TYPES = ("account", "post", "interaction")
ENDPOINTS = ("file:csv", "file:jsonl", "file:unreadable")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}


def normalise_platform(value: Any) -> str:
    """A row's platform in our vocabulary (case-insensitive; ``twitter`` is ``x``)."""
    if not isinstance(value, str):
        return ""
    name = value.strip().lower()
    return PLATFORM_ALIASES.get(name, name)


# --- typed cells (CSV cells are strings; JSONL cells may be typed) ----------------------


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise RecordError(c.WRONG_TYPE, f"{key} is {type(value).__name__}, not text")


def _ident(row: dict[str, Any], key: str, required: bool = False) -> str:
    value = row.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = _text(row, key).strip()
    if required and not text:
        raise RecordError(c.MISSING_ID, f"{key} is missing")
    return text


def _int(row: dict[str, Any], key: str) -> int | None:
    value = row.get(key)
    if _empty(value):
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(c.WRONG_TYPE, f"{key} is not an integer: {value!r:.40}")
    if value < 0:
        raise RecordError(c.BAD_VALUE, f"{key} is negative: {value}")
    return value


def _time(row: dict[str, Any], key: str, required: bool = False) -> Any:
    value = row.get(key)
    if _empty(value):
        if required:
            raise RecordError(MISSING_TIMESTAMP, f"{key} is missing")
        return None
    return parse_time(value, key)


def _bool(row: dict[str, Any], key: str) -> bool:
    value = row.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise RecordError(c.WRONG_TYPE, f"{key} is not true/false: {value!r:.40}")


def _list(row: dict[str, Any], key: str, commas: bool = True) -> list[str]:
    """A list cell: a JSON array, or text split on whitespace (and commas)."""
    value = row.get(key)
    if _empty(value):
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        items = value
    elif isinstance(value, str):
        items = (value.replace(",", " ") if commas else value).split()
    else:
        raise RecordError(c.WRONG_TYPE, f"{key} is not a list: {value!r:.40}")
    return unique([item.strip() for item in items])


# --- rows -> records ------------------------------------------------------------------


def _account(out: Staged, row: dict[str, Any], platform: str) -> None:
    out.account(
        AccountRecord(
            platform=platform,
            external_id=_ident(row, "account_id", required=True),
            handle=_ident(row, "handle", required=True).lstrip("@"),
            display_name=_text(row, "display_name"),
            bio=_text(row, "bio"),
            url=_text(row, "url").strip(),
            followers_count=_int(row, "followers_count"),
            following_count=_int(row, "following_count"),
            posts_count=_int(row, "posts_count"),
            account_created_at=_time(row, "account_created_at"),
            is_verified=_bool(row, "is_verified"),
            raw=row,
        )
    )


def _post(out: Staged, row: dict[str, Any], platform: str) -> None:
    post_id = _ident(row, "post_id", required=True)
    author = _ident(row, "author_id", required=True)
    created_at = _time(row, "created_at", required=True)
    post = out.post(
        PostRecord(
            platform=platform,
            external_id=post_id,
            author_external_id=author,
            text=_text(row, "text"),
            created_at=created_at,
            language=_text(row, "language").strip(),
            url=_text(row, "url").strip(),
            reply_to_external_id=_ident(row, "reply_to_id"),
            root_external_id=_ident(row, "root_id"),
            quote_of_external_id=_ident(row, "quote_of_id"),
            repost_of_external_id=_ident(row, "repost_of_id"),
            hashtags=[tag.lstrip("#") for tag in _list(row, "hashtags")],
            mentions=[m.lstrip("@") for m in _list(row, "mentions")],
            links=_list(row, "links", commas=False),
            likes=_int(row, "likes") or 0,
            reposts=_int(row, "reposts") or 0,
            replies=_int(row, "replies") or 0,
            quotes=_int(row, "quotes") or 0,
            views=_int(row, "views"),
            edited_at=_time(row, "edited_at"),
            raw=row,
        )
    )
    handle = _ident(row, "author_handle").lstrip("@")
    if handle:  # flat exports carry the author on every post row
        out.account(
            AccountRecord(
                platform=platform,
                external_id=author,
                handle=handle,
                display_name=_text(row, "author_display_name"),
                followers_count=_int(row, "author_followers_count"),
            )
        )
    edges = (
        ("reply", _ident(row, "reply_to_author_id"), post.reply_to_external_id),
        ("quote", _ident(row, "quote_of_author_id"), post.quote_of_external_id),
    )
    for kind, target, about in edges:
        out.edge(platform, kind, author, target, about, created_at)
    for mention in post.mentions:
        out.edge(platform, "mention", author, mention, post_id, created_at)


def _interaction(out: Staged, row: dict[str, Any], platform: str) -> None:
    kind = _text(row, "kind").strip().lower()
    if kind not in INTERACTION_KINDS:
        raise RecordError(
            c.UNKNOWN_KIND, f"kind {kind!r} is not one of {INTERACTION_KINDS}"
        )
    actor = _ident(row, "actor_id", required=True)
    target = _ident(row, "target_id", required=True)
    out.edge(
        platform, kind, actor, target, _ident(row, "post_id"), _time(row, "occurred_at")
    )


_BUILDERS = {"account": _account, "post": _post, "interaction": _interaction}


def parse_file_envelope(envelope: Envelope) -> ParsedPage:
    """Parse one file-row envelope into records (pure; never raises)."""
    row = envelope.body
    if envelope.endpoint == "file:unreadable":
        info = row if isinstance(row, dict) else {}
        reason = info.get("reason")
        item = QuarantineItem(
            "",
            info.get("line", row),
            reason if reason in (c.BAD_JSON, c.BAD_ENCODING) else c.BAD_JSON,
            str(info.get("detail") or "unreadable line"),
        )
        return ParsedPage(quarantined=[item])
    platform = normalise_platform(
        row.get("platform") if isinstance(row, dict) else None
    )
    builder = PageBuilder(platform or str(envelope.platform), row, envelope)
    if envelope.endpoint not in ENDPOINTS:
        builder.quarantine_envelope(
            UNKNOWN_ENDPOINT, f"no file parser for {envelope.endpoint!r}"
        )
        return builder.page
    with builder.record(row) as out:
        if not isinstance(row, dict):
            raise RecordError(
                c.WRONG_TYPE, f"a row must be an object, not {type(row).__name__}"
            )
        record_type = _text(row, "record_type").strip().lower()
        if record_type not in _BUILDERS:
            raise RecordError(
                c.UNKNOWN_KIND,
                f"record_type {record_type!r} is not one of {RECORD_TYPES}",
            )
        if platform not in PLATFORMS:
            raise RecordError(
                c.UNKNOWN_PLATFORM,
                f"platform {row.get('platform')!r} is not one of {PLATFORMS}",
            )
        _BUILDERS[record_type](out, row, platform)
    return builder.page


# --- reading files ----------------------------------------------------------------------


def _row_envelope(row: Any, endpoint: str, name: str, line: int) -> Envelope:
    platform = normalise_platform(row.get("platform")) if isinstance(row, dict) else ""
    return Envelope(
        platform=platform or "other",
        endpoint=endpoint,
        body=row,
        params={"file": name, "line": line},
    )


def _unreadable(item: QuarantineItem, name: str, line: int) -> Envelope:
    body = {"line": item.raw, "reason": item.reason, "detail": item.detail}
    return Envelope("other", "file:unreadable", body, {"file": name, "line": line})


def _csv_rows(path: Path, start_after: int) -> Iterator[RecordingLine]:
    with path.open(
        encoding="utf-8-sig", errors="surrogateescape", newline=""
    ) as handle:
        reader = csv.DictReader(handle, restkey="_extra")
        for row in reader:
            line = reader.line_num
            if line <= start_after:
                continue
            if any(
                isinstance(v, str) and not v.isascii() and _has_surrogate(v)
                for v in row.values()
            ):
                text = ",".join(str(v) for v in row.values()).encode(
                    "utf-8", "surrogateescape"
                )
                item = QuarantineItem(
                    "",
                    text.decode("utf-8", "replace"),
                    c.BAD_ENCODING,
                    "row is not UTF-8",
                )
                yield RecordingLine(line, envelope=_unreadable(item, path.name, line))
                continue
            yield RecordingLine(
                line, envelope=_row_envelope(dict(row), "file:csv", path.name, line)
            )


def _has_surrogate(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _jsonl_rows(path: Path, start_after: int) -> Iterator[RecordingLine]:
    with open_binary(path) as handle:
        for number, raw in enumerate(handle, start=1):
            if number <= start_after or not raw.strip():
                continue
            decoded = decode_line(raw)
            if isinstance(decoded, QuarantineItem):
                yield RecordingLine(
                    number, envelope=_unreadable(decoded, path.name, number)
                )
                continue
            value = decoded[1]
            if isinstance(value, dict) and "endpoint" in value and "body" in value:
                envelope = Envelope(  # already an envelope (e.g. a converted file)
                    platform=str(value.get("platform") or "other"),
                    endpoint=str(value["endpoint"]),
                    body=value["body"],
                    params=value.get("params")
                    if isinstance(value.get("params"), dict)
                    else {},
                    recorded_at=str(value.get("recorded_at") or ""),
                )
            else:
                envelope = _row_envelope(value, "file:jsonl", path.name, number)
            yield RecordingLine(number, envelope=envelope)


def read_import_file(
    path: str | Path, *, start_after: int = 0
) -> Iterator[RecordingLine]:
    """Stream the rows of a CSV or JSONL import file as envelopes, one per row.

    Every ``RecordingLine`` carries an envelope: rows as ``file:csv`` /
    ``file:jsonl``, unreadable lines as ``file:unreadable`` (which parse to a
    quarantined record). ``start_after`` skips rows ending on or before that line.
    """
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    if ".csv" in suffixes:
        return _csv_rows(path, start_after)
    return _jsonl_rows(path, start_after)


def convert_import_file(source: str | Path, dest: str | Path) -> int:
    """Write an import file as a JSONL recording of envelopes; returns the lines written."""
    written = 0
    with Path(dest).open("wb") as out:
        for line in read_import_file(source):
            if line.envelope is not None:
                out.write(envelope_line(line.envelope))
                written += 1
    return written


class FileImportConnector:
    """Parses file-import rows; ``fetch`` reads local files (no network)."""

    platform = "file_import"

    def parse(self, envelope: Envelope) -> ParsedPage:
        """Turn one file-row envelope into records (pure; never raises)."""
        return parse_file_envelope(envelope)

    def parse_record(self, raw: Any) -> ParsedPage:
        """Parse one bare row (a reviewer's fixed payload)."""
        return parse_file_envelope(Envelope("other", "file:jsonl", raw))

    def fetch(
        self,
        *,
        targets: list[str],
        kind: str,
        cursor: dict[str, Any],
        credentials: dict,
    ) -> Iterator[FetchedPage]:
        """Yield one page per row of the files in ``targets``, resuming after
        ``cursor`` (``{"target_index": i, "line": n}``)."""
        if kind != "file_import":
            raise ConnectorError(
                f"file imports are read with kind 'file_import', not {kind!r}"
            )
        start = cursor.get("target_index", 0) if isinstance(cursor, dict) else 0
        start = start if isinstance(start, int) and start >= 0 else 0
        done = cursor.get("line", 0) if isinstance(cursor, dict) else 0
        for index in range(start, len(targets)):
            skip = done if index == start and isinstance(done, int) else 0
            for line in read_import_file(targets[index], start_after=skip):
                if line.envelope is not None:
                    yield FetchedPage(
                        line.envelope, {"target_index": index, "line": line.line_number}
                    )
