"""Reading recordings: JSONL files of envelopes, streamed line by line.

A line that is not UTF-8, not JSON, or not an envelope (an object with string
``platform`` and ``endpoint`` and a ``body``) does not stop the file: it comes out
as a ``RecordingLine`` holding a ``QuarantineItem`` (reason ``bad_encoding`` or
``bad_json``) with the line text as its raw payload. ``.gz`` files are read through
gzip. Memory stays bounded by the longest line.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from listening import constants as c
from listening.connectors.base import Envelope
from listening.records import QuarantineItem


@dataclass(slots=True, frozen=True)
class RecordingLine:
    """One non-blank line of a recording: an envelope, or why it is not one."""

    line_number: int
    envelope: Envelope | None = None
    quarantine: QuarantineItem | None = None

    @property
    def ok(self) -> bool:
        return self.envelope is not None


def envelope_from_data(data: Any, text: str) -> Envelope | QuarantineItem:
    """Check decoded JSON against the envelope form; quarantine it if it is not one."""
    if not isinstance(data, dict):
        return QuarantineItem(
            "", text, c.BAD_JSON, "a recording line must be an object"
        )
    platform, endpoint = data.get("platform"), data.get("endpoint")
    params = data.get("params")
    recorded_at = data.get("recorded_at")
    label = platform if isinstance(platform, str) else ""
    problems = []
    if not isinstance(platform, str) or not platform:
        problems.append("platform is not a non-empty string")
    if not isinstance(endpoint, str) or not endpoint:
        problems.append("endpoint is not a non-empty string")
    if "body" not in data:
        problems.append("body is missing")
    if params is not None and not isinstance(params, dict):
        problems.append("params is not an object")
    if recorded_at is not None and not isinstance(recorded_at, str):
        problems.append("recorded_at is not a string")
    if problems:
        return QuarantineItem(
            label, text, c.BAD_JSON, "not an envelope: " + "; ".join(problems)
        )
    return Envelope(
        platform=platform,
        endpoint=endpoint,
        body=data["body"],
        params=params or {},
        recorded_at=recorded_at or "",
    )


def decode_line(raw: bytes) -> tuple[str, Any] | QuarantineItem:
    """Decode one JSONL line to (text, JSON value), or a quarantine item saying why not."""
    try:
        text = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        bad = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        return QuarantineItem("", bad, c.BAD_ENCODING, f"not UTF-8: {exc}")
    try:
        return text, orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return QuarantineItem("", text, c.BAD_JSON, f"not JSON: {exc}")


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for reading bytes, through gzip if it ends in ``.gz``."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


def read_recording(
    path: str | Path, *, start_after: int = 0
) -> Iterator[RecordingLine]:
    """Stream the envelopes of a JSONL recording, one per non-blank line.

    Lines ``1..start_after`` are skipped without being decoded (resume after a
    cursor). Never raises on bad content; I/O errors still propagate.
    """
    with open_binary(Path(path)) as handle:
        for number, raw in enumerate(handle, start=1):
            if number <= start_after or not raw.strip():
                continue
            decoded = decode_line(raw)
            if isinstance(decoded, QuarantineItem):
                yield RecordingLine(number, quarantine=decoded)
                continue
            result = envelope_from_data(decoded[1], decoded[0])
            if isinstance(result, QuarantineItem):
                yield RecordingLine(number, quarantine=result)
            else:
                yield RecordingLine(number, envelope=result)


def envelope_line(envelope: Envelope) -> bytes:
    """One envelope as a JSONL line (the form ``read_recording`` reads back)."""
    return (
        orjson.dumps(
            {
                "platform": envelope.platform,
                "endpoint": envelope.endpoint,
                "params": envelope.params,
                "recorded_at": envelope.recorded_at,
                "body": envelope.body,
            }
        )
        + b"\n"
    )
