"""Helpers of the connector tests: recorded envelopes, a local HTTP server, and a
JSON strategy for hypothesis. No test here touches the network or the database."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hypothesis import strategies as st

from listening.connectors import read_recording
from listening.connectors.base import Envelope
from listening.connectors.parsing import REASONS
from listening.records import ParsedPage

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "social"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "social-api-fixtures"


def recording(name: str) -> list[Envelope]:
    """The envelopes of ``fixtures/social/<name>``, in file order."""
    return [line.envelope for line in read_recording(FIXTURES / name) if line.envelope]


def envelope(name: str, endpoint: str, **params: Any) -> Envelope:
    """A deep copy of the first envelope of ``name`` with this endpoint and params."""
    for env in recording(name):
        if env.endpoint == endpoint and all(
            env.params.get(k) == v for k, v in params.items()
        ):
            return copy.deepcopy(env)
    raise LookupError(f"{name}: no {endpoint} {params}")


def reasons(page: ParsedPage) -> list[str]:
    return [item.reason for item in page.quarantined]


def kinds(page: ParsedPage) -> dict[str, int]:
    counts: dict[str, int] = {}
    for edge in page.interactions:
        counts[edge.kind] = counts.get(edge.kind, 0) + 1
    return counts


def assert_well_formed(page: ParsedPage) -> None:
    """What every parsed page promises, whatever the input."""
    assert isinstance(page, ParsedPage)
    for post in page.posts:
        assert post.external_id and post.author_external_id
        assert post.created_at.tzinfo is not None
    for account in page.accounts:
        assert account.external_id
    for edge in page.interactions:
        assert edge.actor_external_id and edge.target_external_id
        assert edge.actor_external_id != edge.target_external_id
    for item in page.quarantined:
        assert item.reason in REASONS, item.reason


# --- hypothesis -----------------------------------------------------------------------

SAMPLE_STRINGS = [
    "",
    "\x00",
    "many",
    "2024-01-01T00:00:00Z",
    "yesterday",
    "did:plc:abc",
    "at://did:plc:abc/app.bsky.feed.post/3k",
    "https://example.social/@a",
    "<p>hi<br>there &amp; you</p>",
]


def json_values(keys: list[str]) -> st.SearchStrategy[Any]:
    """Arbitrary JSON whose object keys are mostly real field names of a platform."""
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-3, max_value=2**40)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.sampled_from(SAMPLE_STRINGS)
        | st.text(max_size=12)
    )
    key = st.sampled_from(keys) | st.text(max_size=6)
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(key, inner, max_size=6)
        ),
        max_leaves=40,
    )


def leaf_paths(value: Any, prefix: tuple = (), limit: int = 400) -> list[tuple]:
    """Paths to the values inside a JSON document (breadth first, at most ``limit``)."""
    paths: list[tuple] = []
    queue = [(value, prefix)]
    while queue and len(paths) < limit:
        item, path = queue.pop(0)
        if path:
            paths.append(path)
        if isinstance(item, dict):
            queue.extend((v, (*path, k)) for k, v in item.items())
        elif isinstance(item, list):
            queue.extend((v, (*path, i)) for i, v in enumerate(item))
    return paths


def replaced(document: Any, path: tuple, value: Any) -> Any:
    """A copy of ``document`` with the value at ``path`` replaced."""
    out = copy.deepcopy(document)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


# --- a local HTTP server --------------------------------------------------------------

Route = Callable[[str, dict[str, list[str]]], tuple[int, dict[str, str], Any]]


@dataclass
class LocalServer:
    """A JSON server on 127.0.0.1 answering with ``route(path, query)``."""

    url: str
    calls: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)


@contextmanager
def serve(route: Route) -> Iterator[LocalServer]:
    """Run ``route`` behind a threaded HTTP server on a free local port."""
    calls: list[tuple[str, dict[str, list[str]]]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            calls.append((parts.path, query))
            status, headers, body = route(parts.path, query)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _answer
        do_POST = _answer

        def log_message(self, *args: Any) -> None:  # keep pytest output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield LocalServer(url=f"http://127.0.0.1:{server.server_port}", calls=calls)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
