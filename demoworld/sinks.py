"""Streaming writers: JSONL recording files of bounded size, CSV and JSONL truth files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson


class RecordingSink:
    """Writes envelopes to ``<dir>/<prefix>-00000.jsonl``, starting a new file past
    ``max_bytes``. One line per recorded API call."""

    def __init__(
        self, directory: Path, prefix: str, platform: str, max_bytes: int
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.platform = platform
        self.max_bytes = max_bytes
        self.files: list[Path] = []
        self.lines = 0
        self.bytes = 0
        self._handle: Any = None
        self._size = 0
        directory.mkdir(parents=True, exist_ok=True)

    def write(self, endpoint: str, params: dict, recorded_at: str, body: Any) -> None:
        line = orjson.dumps(
            {
                "platform": self.platform,
                "endpoint": endpoint,
                "params": params,
                "recorded_at": recorded_at,
                "body": body,
            }
        )
        if self._handle is None or self._size + len(line) > self.max_bytes:
            self._rotate()
        self._handle.write(line)
        self._handle.write(b"\n")
        self._size += len(line) + 1
        self.bytes += len(line) + 1
        self.lines += 1

    def _rotate(self) -> None:
        if self._handle is not None:
            self._handle.close()
        path = self.directory / f"{self.prefix}-{len(self.files):05d}.jsonl"
        self.files.append(path)
        self._handle = path.open("wb", buffering=1 << 20)
        self._size = 0

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class CsvSink:
    """A CSV file written row by row (header first)."""

    def __init__(self, path: Path, header: list[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._handle = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle, lineterminator="\n")
        self._writer.writerow(header)
        self.rows = 0

    def write(self, row: list[Any]) -> None:
        self._writer.writerow(row)
        self.rows += 1

    def close(self) -> None:
        self._handle.close()


class JsonlSink:
    """A JSONL file written object by object."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._handle = path.open("wb", buffering=1 << 20)
        self.rows = 0

    def write(self, obj: Any) -> None:
        self._handle.write(orjson.dumps(obj))
        self._handle.write(b"\n")
        self.rows += 1

    def close(self) -> None:
        self._handle.close()
