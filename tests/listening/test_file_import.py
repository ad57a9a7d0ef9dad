"""File imports (docs/file-import.md): CSV and JSONL rows -> envelopes -> records, with
bad rows quarantined and the rest landing. Pure: no database, no network."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from listening.connectors import get_connector, read_import_file, read_recording
from listening.connectors.base import ConnectorError, Envelope
from listening.connectors.file_import import (
    FileImportConnector,
    convert_import_file,
    parse_file_envelope,
)
from listening.records import ParsedPage
from tests.listening.connector_helpers import FIXTURES, assert_well_formed, json_values

CSV_SAMPLE = FIXTURES / "file-import-sample.csv"
JSONL_SAMPLE = FIXTURES / "file-import-sample.jsonl"
connector = FileImportConnector()


def parse_file(path: Path) -> list[ParsedPage]:
    """Each row's page, parsed by the connector the pipeline would pick."""
    pages = []
    for line in read_import_file(path):
        assert line.envelope is not None
        pages.append(get_connector(line.envelope.platform).parse(line.envelope))
    return pages


def merged(pages: list[ParsedPage]) -> ParsedPage:
    out = ParsedPage()
    for page in pages:
        out.extend(page)
    return out


def row(**cells: Any) -> ParsedPage:
    base = {
        "record_type": "post",
        "platform": "linkedin",
        "post_id": "urn:li:activity:1",
        "author_id": "urn:li:person:a",
        "created_at": "2024-03-01T14:05:00Z",
    }
    return parse_file_envelope(Envelope("linkedin", "file:jsonl", {**base, **cells}))


def write_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "import.csv"
    path.write_text(text, encoding="utf-8")
    return path


# --- the samples ------------------------------------------------------------------------


def test_the_csv_sample_gives_accounts_posts_and_edges_with_nothing_quarantined():
    page = merged(parse_file(CSV_SAMPLE))
    assert page.quarantined == []
    assert len(page.posts) == 5
    assert {a.platform for a in page.accounts} == {"linkedin", "youtube", "x"}
    assert len(page.accounts) == 4  # 2 account rows + 2 post rows naming their author
    assert sorted(e.kind for e in page.interactions) == [
        "follow",
        "like",
        "reply",
        "repost",
    ]
    assert_well_formed(page)


def test_the_jsonl_sample_reads_typed_cells():
    pages = parse_file(JSONL_SAMPLE)
    page = merged(pages)
    assert page.quarantined == []
    assert len(page.posts) == 3 and len(page.accounts) == 3
    assert sorted(e.kind for e in page.interactions) == [
        "follow",
        "like",
        "mention",
        "reply",
    ]
    podcast = next(p for p in page.posts if p.platform == "podcast")
    assert podcast.hashtags == ["cardiacrehab", "primarycare"]
    assert podcast.views == 4870


def test_multiline_csv_text_offsets_and_date_only_timestamps():
    posts = {p.external_id: p for p in merged(parse_file(CSV_SAMPLE)).posts}
    journal = posts["urn:li:activity:7100000000000000101"]
    assert "\n1) start GDMT early" in journal.text
    assert journal.hashtags == ["cardiology", "HFrEF"]
    assert (journal.likes, journal.reposts, journal.replies, journal.views) == (
        85,
        12,
        9,
        4100,
    )
    comment = posts["urn:li:comment:7100000000000000102"]
    assert comment.created_at == datetime(
        2024, 3, 1, 21, 20, tzinfo=UTC
    )  # -05:00 -> UTC
    assert comment.reply_to_external_id == journal.external_id
    video = posts["SAMPLEvid001"]
    assert video.created_at == datetime(2024, 2, 20, tzinfo=UTC)
    assert video.hashtags == ["HFrEF", "cardiology"]  # comma separated


def test_account_rows_map_counts_and_flags():
    accounts = {a.external_id: a for a in merged(parse_file(CSV_SAMPLE)).accounts}
    channel = accounts["UCSAMPLE0000000000000001"]
    assert channel.handle == "HeartFailureClinicTalks"  # leading @ dropped
    assert (channel.followers_count, channel.posts_count, channel.is_verified) == (
        23100,
        148,
        True,
    )
    assert channel.following_count is None


# --- bad rows ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"post_id": ""}, "missing_id"),
        ({"author_id": None}, "missing_id"),
        ({"created_at": ""}, "missing_timestamp"),
        ({"created_at": "31/02/2024"}, "bad_timestamp"),
        ({"created_at": "2024-02-31T09:00:00Z"}, "bad_timestamp"),
        ({"likes": "many"}, "wrong_type"),
        ({"likes": 2.5}, "wrong_type"),
        ({"views": "-3"}, "bad_value"),
        ({"hashtags": {"a": 1}}, "wrong_type"),
        ({"text": "NUL \x00 byte"}, "nul_byte"),
        ({"platform": "myspace"}, "unknown_platform"),
        ({"record_type": "comment"}, "unknown_kind"),
    ],
)
def test_a_bad_post_row_is_quarantined_with_its_reason(cells, reason):
    page = row(**cells)
    assert [q.reason for q in page.quarantined] == [reason]
    assert page.posts == []
    assert page.quarantined[0].detail


def test_an_unknown_interaction_kind_is_unknown_kind():
    page = row(record_type="interaction", kind="poke", actor_id="a", target_id="b")
    assert [q.reason for q in page.quarantined] == ["unknown_kind"]


def test_twitter_is_read_as_x_and_ids_may_be_json_integers():
    page = row(platform="Twitter", post_id=1750000000000000001, author_id=42)
    (post,) = page.posts
    assert (post.platform, post.external_id, post.author_external_id) == (
        "x",
        "1750000000000000001",
        "42",
    )


def test_a_csv_with_bad_rows_still_yields_every_good_row(tmp_path):
    path = write_csv(
        tmp_path,
        "record_type,platform,post_id,author_id,created_at,likes\n"
        "post,youtube,v1,c1,2024-01-01T00:00:00Z,5\n"
        "post,youtube,,c1,2024-01-01T00:00:00Z,5\n"
        "post,youtube,v3,c1,not a date,5\n"
        "post,youtube,v4,c1,2024-01-01T00:00:00Z,many\n"
        "post,youtube,v5,c1,2024-01-01T00:00:00Z,7,extra-cell\n",
    )
    pages = parse_file(path)
    assert [p.external_id for page in pages for p in page.posts] == ["v1", "v5"]
    assert [q.reason for page in pages for q in page.quarantined] == [
        "missing_id",
        "bad_timestamp",
        "wrong_type",
    ]


def test_a_csv_row_that_is_not_utf8_is_bad_encoding(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        b"record_type,platform,post_id,author_id,created_at,text\n"
        b"post,other,p1,a1,2024-01-01T00:00:00Z,caf\xe9\n"
        b"post,other,p2,a1,2024-01-01T00:00:00Z,fine\n"
    )
    pages = parse_file(path)
    assert [q.reason for page in pages for q in page.quarantined] == ["bad_encoding"]
    assert [p.external_id for page in pages for p in page.posts] == ["p2"]


def test_an_unreadable_jsonl_line_parses_to_a_quarantined_record(tmp_path):
    path = tmp_path / "rows.jsonl"
    good = {
        "record_type": "account",
        "platform": "youtube",
        "account_id": "UC1",
        "handle": "h",
    }
    path.write_text(f"{json.dumps(good)}\n{{not json\n\n[1, 2]\n", encoding="utf-8")
    lines = list(read_import_file(path))
    assert [line.line_number for line in lines] == [1, 2, 4]
    assert lines[1].envelope.endpoint == "file:unreadable"
    pages = [
        get_connector(line.envelope.platform).parse(line.envelope) for line in lines
    ]
    assert len(pages[0].accounts) == 1
    assert [q.reason for q in pages[1].quarantined] == ["bad_json"]
    assert pages[1].quarantined[0].raw == "{not json"
    assert [q.reason for q in pages[2].quarantined] == ["wrong_type"]


def test_a_file_row_for_a_platform_with_an_api_goes_to_the_file_parser():
    env = Envelope(
        "x",
        "file:csv",
        {"record_type": "account", "platform": "x", "account_id": "1", "handle": "h"},
    )
    page = get_connector("x").parse(env)
    assert page.accounts[0].handle == "h"
    assert page.quarantined == []


# --- reading, converting, fetching --------------------------------------------------------


def test_start_after_skips_rows_ending_on_or_before_that_line():
    lines = list(read_import_file(CSV_SAMPLE, start_after=6))
    assert lines[0].line_number == 7
    assert [
        line.line_number for line in read_import_file(JSONL_SAMPLE, start_after=5)
    ] == [6, 7]


def test_convert_import_file_writes_a_recording_that_reads_back(tmp_path):
    dest = tmp_path / "sample.jsonl"
    assert convert_import_file(CSV_SAMPLE, dest) == 10
    envelopes = [line.envelope for line in read_recording(dest)]
    assert [e.endpoint for e in envelopes] == ["file:csv"] * 10
    assert envelopes == [line.envelope for line in read_import_file(CSV_SAMPLE)]
    assert (
        list(read_import_file(dest))[0].envelope == envelopes[0]
    )  # envelopes pass through


def test_gzipped_jsonl_is_read(tmp_path):
    path = tmp_path / "rows.jsonl.gz"
    with gzip.open(path, "wb") as out:
        out.write(JSONL_SAMPLE.read_bytes())
    assert len(list(read_import_file(path))) == 7


def test_fetch_yields_rows_with_a_cursor_that_resumes_after_them():
    pages = list(
        connector.fetch(
            targets=[str(CSV_SAMPLE), str(JSONL_SAMPLE)],
            kind="file_import",
            cursor={},
            credentials={},
        )
    )
    assert len(pages) == 17
    assert pages[9].cursor == {"target_index": 0, "line": 12}
    resumed = list(
        connector.fetch(
            targets=[str(CSV_SAMPLE), str(JSONL_SAMPLE)],
            kind="file_import",
            cursor={"target_index": 1, "line": 5},
            credentials={},
        )
    )
    assert [p.cursor["line"] for p in resumed] == [6, 7]
    with pytest.raises(ConnectorError):
        next(connector.fetch(targets=[], kind="author_feed", cursor={}, credentials={}))


# --- parse never raises ----------------------------------------------------------------

COLUMNS = [
    "record_type", "platform", "account_id", "handle", "post_id", "author_id",
    "created_at", "text", "likes", "views", "hashtags", "links", "mentions", "kind",
    "actor_id", "target_id", "is_verified", "followers_count", "occurred_at",
]  # fmt: skip
CELLS = st.sampled_from(
    ["account", "post", "interaction", "like", "linkedin", "x", "2024-01-01", "7"]
) | json_values(COLUMNS)


@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    cells=st.dictionaries(st.sampled_from(COLUMNS), CELLS, max_size=12),
    endpoint=st.sampled_from(["file:csv", "file:jsonl", "file:unreadable", "file:new"]),
)
def test_parse_never_raises_on_arbitrary_rows(cells, endpoint):
    assert_well_formed(connector.parse(Envelope("other", endpoint, cells)))


@hypothesis_settings(max_examples=100, deadline=None)
@given(body=json_values(COLUMNS))
def test_parse_never_raises_on_arbitrary_json_bodies(body):
    assert_well_formed(connector.parse(Envelope("other", "file:jsonl", body)))
