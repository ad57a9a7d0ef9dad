"""Readers shared by the demo-world tests."""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

SOCIAL_FIXTURES = Path("/work/shared/data/social-api-fixtures")
SEED = 7


def jsonl(path: Path) -> Iterator[dict]:
    """The objects of a JSONL file, one by one."""
    with path.open("rb") as handle:
        for line in handle:
            yield json.loads(line)


def envelopes(root: Path, platform: str, prefix: str) -> Iterator[dict]:
    """Every envelope of ``<root>/<platform>/<prefix>-*.jsonl``, in file order."""
    for path in sorted((root / platform).glob(f"{prefix}-*.jsonl")):
        yield from jsonl(path)


def csv_rows(path: Path) -> list[dict[str, str]]:
    """A CSV file as dicts."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def real_fixture(name: str) -> dict | list:
    """A real recorded response from the shared fixtures (skip when absent)."""
    path = SOCIAL_FIXTURES / name
    if not path.exists():
        pytest.skip(f"real fixture {path} not available")
    return json.loads(path.read_text(encoding="utf-8"))


def digests(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def own_posts(root: Path) -> Iterator[tuple[str, dict]]:
    """(platform, post) for every post in its author's feed (not reposts)."""
    for env in envelopes(root, "bluesky", "feeds"):
        for item in env["body"]["feed"]:
            if "reason" not in item:
                yield "bluesky", item["post"]
    for env in envelopes(root, "mastodon", "feeds"):
        for status in env["body"]:
            if status["reblog"] is None:
                yield "mastodon", status
