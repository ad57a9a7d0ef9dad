"""Recordings: streaming JSONL envelopes (bad lines quarantined, not fatal), the
connector registry, the committed fixtures' parse counts, and the build script that
makes them. Pure: no database, no network."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest

from listening.connectors import (
    UnknownPlatform,
    get_connector,
    read_recording,
)
from listening.connectors.base import Envelope
from listening.connectors.bluesky import BlueskyConnector
from listening.connectors.file_import import FileImportConnector
from listening.connectors.recording import envelope_line
from tests.listening.connector_helpers import (
    FIXTURES,
    SHARED,
    assert_well_formed,
    kinds,
)

MALFORMED = FIXTURES / "malformed.jsonl"


def write_lines(tmp_path: Path, *lines: str | bytes) -> Path:
    path = tmp_path / "recording.jsonl"
    path.write_bytes(
        b"".join((ln.encode() if isinstance(ln, str) else ln) + b"\n" for ln in lines)
    )
    return path


GOOD = json.dumps(
    {
        "platform": "bluesky",
        "endpoint": "app.bsky.feed.getPosts",
        "params": {},
        "body": {"posts": []},
    }
)


# --- reading ----------------------------------------------------------------------------


def test_a_recording_streams_one_envelope_per_line_in_order():
    lines = list(read_recording(FIXTURES / "bluesky.jsonl"))
    assert [line.line_number for line in lines] == list(range(1, 13))
    assert all(line.ok and line.quarantine is None for line in lines)
    first = lines[0].envelope
    assert (first.platform, first.endpoint) == ("bluesky", "app.bsky.actor.getProfiles")
    assert first.params == {"actors": ["chriskenny.bsky.social"]}
    assert first.recorded_at == "2025-05-19T17:41:25Z"


def test_a_line_that_is_not_json_is_quarantined_and_reading_goes_on(tmp_path):
    path = write_lines(tmp_path, GOOD, '{"platform": "bluesky", "endpoint": ', GOOD)
    lines = list(read_recording(path))
    assert [line.ok for line in lines] == [True, False, True]
    bad = lines[1]
    assert bad.line_number == 2
    assert bad.quarantine.reason == "bad_json"
    assert bad.quarantine.raw == '{"platform": "bluesky", "endpoint": '
    assert "not JSON" in bad.quarantine.detail


@pytest.mark.parametrize(
    ("line", "detail"),
    [
        ('{"platform": "bluesky", "endpoint": "x"}', "body is missing"),
        ('{"endpoint": "x", "body": {}}', "platform"),
        ('{"platform": "bluesky", "body": {}}', "endpoint"),
        (
            '{"platform": "bluesky", "endpoint": "x", "body": {}, "params": [1]}',
            "params",
        ),
        ('{"platform": 7, "endpoint": "x", "body": {}}', "platform"),
        ("[1, 2, 3]", "object"),
    ],
)
def test_a_line_that_is_not_an_envelope_is_quarantined_as_bad_json(
    tmp_path, line, detail
):
    (result,) = read_recording(write_lines(tmp_path, line))
    assert result.envelope is None
    assert result.quarantine.reason == "bad_json"
    assert detail in result.quarantine.detail


def test_a_line_that_is_not_utf8_is_bad_encoding(tmp_path):
    path = write_lines(tmp_path, b'{"platform": "caf\xe9"}', GOOD)
    lines = list(read_recording(path))
    assert lines[0].quarantine.reason == "bad_encoding"
    assert lines[1].ok


def test_blank_lines_are_skipped_but_counted(tmp_path):
    path = write_lines(tmp_path, GOOD, "", "   ", GOOD)
    assert [line.line_number for line in read_recording(path)] == [1, 4]


def test_start_after_resumes_without_decoding_earlier_lines(tmp_path):
    path = write_lines(tmp_path, "not json at all", GOOD, GOOD)
    assert [line.line_number for line in read_recording(path, start_after=1)] == [2, 3]


def test_gzipped_recordings_are_read(tmp_path):
    path = tmp_path / "bluesky.jsonl.gz"
    with gzip.open(path, "wb") as out:
        out.write((FIXTURES / "bluesky.jsonl").read_bytes())
    assert len(list(read_recording(path))) == 12


def test_envelope_line_round_trips_through_read_recording(tmp_path):
    env = Envelope(
        "mastodon",
        "GET /api/v1/statuses/:id",
        {"text": "NUL \x00 é"},
        {"id": "1"},
        "2022-11-08T15:23:15Z",
    )
    path = write_lines(tmp_path, envelope_line(env).rstrip(b"\n"))
    (line,) = read_recording(path)
    assert line.envelope == env


# --- the registry -------------------------------------------------------------------------


def test_get_connector_returns_one_shared_connector_per_platform():
    assert isinstance(get_connector("bluesky"), BlueskyConnector)
    assert get_connector("bluesky") is get_connector("bluesky")
    for platform in ("mastodon", "x"):
        assert get_connector(platform).platform == platform
    for platform in ("linkedin", "youtube", "podcast", "other"):
        assert isinstance(get_connector(platform), FileImportConnector)


def test_an_unknown_platform_has_no_connector():
    with pytest.raises(UnknownPlatform, match="myspace"):
        get_connector("myspace")


# --- the committed fixtures ---------------------------------------------------------------

EXPECTED = {
    # file: [(accounts, posts, interactions by kind, quarantine reasons), ...] per line
    "bluesky.jsonl": [
        (1, 0, {}, []),
        (10, 0, {}, []),
        (23, 80, {"reply": 33, "quote": 9, "mention": 7, "repost": 7}, []),
        (4, 11, {"quote": 2, "mention": 1}, ["unresolved_target"]),
        (1, 1, {}, []),
        (3, 3, {"quote": 2, "mention": 3}, []),
        (4, 0, {"like": 4}, []),
        (1, 1, {}, []),
        (1, 0, {"repost": 1}, []),
        (19, 26, {"reply": 6, "quote": 2}, []),
        (49, 0, {"follow": 48}, []),
        (49, 0, {"follow": 48}, []),
    ],
    "mastodon.jsonl": [
        (1, 0, {}, []),
        (3, 0, {"follow": 3}, []),
        (3, 0, {"follow": 3}, []),
        (2, 20, {"reply": 3, "mention": 3, "repost": 1}, []),
        (2, 4, {"reply": 2, "mention": 3}, []),
        (2, 3, {"reply": 2, "mention": 2}, []),
        (40, 0, {"like": 40}, []),
        (4, 0, {"like": 4}, []),
        (40, 0, {"repost": 40}, []),
        (1, 0, {"repost": 1}, []),
        (1, 1, {"mention": 2}, []),
        (1, 1, {}, []),
        (5, 5, {"reply": 1, "mention": 2}, []),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_fixtures_parse_to_the_documented_counts(name):
    found = []
    for line in read_recording(FIXTURES / name):
        page = get_connector(line.envelope.platform).parse(line.envelope)
        assert_well_formed(page)
        found.append(
            (
                len(page.accounts),
                len(page.posts),
                kinds(page),
                [q.reason for q in page.quarantined],
            )
        )
    assert found == EXPECTED[name]


def test_x_fixture_quarantines_only_timestamp_less_tweets_and_authorless_engagement():
    totals = {"accounts": 0, "posts": 0, "reasons": set()}
    for line in read_recording(FIXTURES / "x.jsonl"):
        page = get_connector("x").parse(line.envelope)
        assert_well_formed(page)
        totals["accounts"] += len(page.accounts)
        totals["posts"] += len(page.posts)
        totals["reasons"] |= {q.reason for q in page.quarantined}
    assert totals["posts"] == 503  # 3 #commtwitter + 500 Reuters
    assert totals["reasons"] == {"missing_timestamp", "unresolved_target"}


def test_the_malformed_fixture_quarantines_each_defect_and_lands_the_rest():
    outcome = []
    for line in read_recording(MALFORMED):
        if line.quarantine is not None:
            outcome.append((line.line_number, [line.quarantine.reason], 0))
            continue
        try:
            page = get_connector(line.envelope.platform).parse(line.envelope)
        except UnknownPlatform:
            outcome.append((line.line_number, ["unknown_platform"], 0))
            continue
        assert_well_formed(page)
        outcome.append(
            (line.line_number, [q.reason for q in page.quarantined], len(page.posts))
        )
    assert outcome == [
        (1, ["missing_id", "bad_timestamp", "wrong_type", "nul_byte"], 14),
        (2, ["missing_id", "bad_timestamp", "wrong_type", "nul_byte"], 2),
        (
            3,
            [
                "nul_byte",
                "wrong_type",
                "bad_timestamp",
                "missing_id",
                "missing_timestamp",
            ],
            1,
        ),
        (4, ["bad_json"], 0),
        (5, ["bad_json"], 0),
        (6, ["unknown_platform"], 0),
        (7, ["unknown_endpoint"], 0),
        (8, [], 1),
        (9, ["bad_timestamp"], 0),
        (10, [], 1),
    ]


def test_parsing_a_recording_twice_gives_identical_records():
    def records():
        out = []
        for line in read_recording(FIXTURES / "mastodon.jsonl"):
            page = get_connector("mastodon").parse(line.envelope)
            out.append((page.accounts, page.posts, page.interactions))
        return out

    assert records() == records()


@pytest.mark.skipif(
    not SHARED.is_dir(), reason="the shared recorded responses are not here"
)
def test_the_build_script_reproduces_the_committed_recordings(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "build_recordings", FIXTURES / "build_recordings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(SHARED, tmp_path)
    for name in ("bluesky.jsonl", "mastodon.jsonl", "x.jsonl", "malformed.jsonl"):
        assert (tmp_path / name).read_bytes() == (FIXTURES / name).read_bytes(), name


@pytest.mark.skipif(
    not SHARED.is_dir(), reason="the shared recorded responses are not here"
)
def test_recorded_bodies_are_the_shared_json_files_unchanged():
    bodies = [
        line.envelope.body for line in read_recording(FIXTURES / "mastodon.jsonl")
    ]
    original = json.loads(
        (SHARED / "mastodon" / "json" / "get_favourited_by_default.json").read_text()
    )
    assert original in bodies
