"""The ingest pipeline: validation, batching, the idempotent batch upsert, recordings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from influencers.models import SocialAccount
from listening import constants as c
from listening.ingest import (
    Batch,
    batch_upsert,
    iter_batches,
    prefetch,
    recording_pages,
    validate_account,
    validate_interaction,
    validate_post,
)
from listening.models import Interaction, MetricSnapshot, Post, QuarantinedRecord
from listening.records import ParsedPage
from tests.listening.factories import (
    AccountRecordFactory,
    InteractionRecordFactory,
    PostRecordFactory,
    RecordsConnector,
    records_envelope,
    write_jsonl,
)

# --- validation (no database) ----------------------------------------------------------


def test_a_valid_post_account_and_interaction_pass():
    assert validate_post(PostRecordFactory.build()) is None
    assert validate_account(AccountRecordFactory.build()) is None
    assert (
        validate_interaction(InteractionRecordFactory.build(target_external_id="did:x"))
        is None
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"external_id": ""}, c.MISSING_ID),
        ({"external_id": None}, c.MISSING_ID),
        ({"author_external_id": "  "}, c.MISSING_ID),
        ({"created_at": None}, c.BAD_TIMESTAMP),
        ({"created_at": "2025-05-01T12:00:00Z"}, c.BAD_TIMESTAMP),
        ({"created_at": datetime(2025, 5, 1)}, c.BAD_TIMESTAMP),  # naive
        ({"created_at": datetime(1970, 1, 1, tzinfo=UTC)}, c.BAD_TIMESTAMP),
        ({"created_at": datetime.now(UTC) + timedelta(days=30)}, c.BAD_TIMESTAMP),
        ({"edited_at": "yesterday"}, c.BAD_TIMESTAMP),
        ({"text": 42}, c.WRONG_TYPE),
        ({"likes": "3"}, c.WRONG_TYPE),
        ({"likes": True}, c.WRONG_TYPE),
        ({"hashtags": "cardiology"}, c.WRONG_TYPE),
        ({"hashtags": [1]}, c.WRONG_TYPE),
        ({"likes": -1}, c.BAD_VALUE),
        ({"text": "bad\x00text"}, c.NUL_BYTE),
        ({"url": "https://x\x00"}, c.NUL_BYTE),
        ({"mentions": ["a\x00"]}, c.NUL_BYTE),
        ({"text": "x" * (c.MAX_TEXT_CHARS + 1)}, c.OVERSIZED_TEXT),
        ({"language": "x" * 17}, c.TOO_LONG),
        ({"external_id": "x" * 301}, c.TOO_LONG),
        ({"platform": "myspace"}, c.UNKNOWN_PLATFORM),
        ({"raw": ["not", "a", "dict"]}, c.WRONG_TYPE),
    ],
)
def test_an_invalid_post_is_quarantined_with_its_reason(changes, reason):
    record = PostRecordFactory.build(**changes)
    item = validate_post(record)
    assert item is not None
    assert item.reason == reason, item.detail
    assert item.detail


def test_a_post_of_exactly_the_maximum_length_passes():
    assert validate_post(PostRecordFactory.build(text="x" * c.MAX_TEXT_CHARS)) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"external_id": ""}, c.MISSING_ID),
        ({"platform": "friendster"}, c.UNKNOWN_PLATFORM),
        ({"bio": "a\x00b"}, c.NUL_BYTE),
        ({"followers_count": 1.5}, c.WRONG_TYPE),
        ({"account_created_at": "2020"}, c.BAD_TIMESTAMP),
        ({"handle": "h" * 201}, c.TOO_LONG),
        ({"bio": "b" * (c.MAX_TEXT_CHARS + 1)}, c.OVERSIZED_TEXT),
        ({"external_id": "   "}, c.MISSING_ID),
        ({"is_verified": 1}, c.WRONG_TYPE),
        ({"followers_count": -5}, c.BAD_VALUE),
        ({"following_count": True}, c.WRONG_TYPE),
        ({"display_name": None}, c.WRONG_TYPE),
        (
            {"account_created_at": datetime.now(UTC) + timedelta(days=30)},
            c.BAD_TIMESTAMP,
        ),
        ({"account_created_at": datetime(2020, 1, 1)}, c.BAD_TIMESTAMP),  # naive
    ],
)
def test_an_invalid_account_is_quarantined_with_its_reason(changes, reason):
    item = validate_account(AccountRecordFactory.build(**changes))
    assert item is not None and item.reason == reason


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"kind": "poke", "target_external_id": "did:t"}, c.UNKNOWN_KIND),
        ({"actor_external_id": "", "target_external_id": "did:t"}, c.MISSING_ID),
        ({}, c.MISSING_ID),  # neither a target nor a post
        ({"platform": "orkut", "target_external_id": "did:t"}, c.UNKNOWN_PLATFORM),
        (
            {"target_external_id": "did:t", "occurred_at": datetime(2025, 1, 1)},
            c.BAD_TIMESTAMP,
        ),
        (
            {
                "target_external_id": "did:t",
                "occurred_at": datetime.now(UTC) + timedelta(days=30),
            },
            c.BAD_TIMESTAMP,
        ),
        ({"target_external_id": "  "}, c.MISSING_ID),  # blank, and no post
        ({"target_external_id": "did:t", "actor_external_id": "a\x00"}, c.NUL_BYTE),
        ({"target_external_id": "did:t", "post_external_id": 5}, c.WRONG_TYPE),
        ({"target_external_id": "d" * 201}, c.TOO_LONG),
    ],
)
def test_an_invalid_interaction_is_quarantined_with_its_reason(changes, reason):
    item = validate_interaction(InteractionRecordFactory.build(**changes))
    assert item is not None and item.reason == reason
    assert isinstance(item.raw, dict)  # the record itself, JSON-ready


# --- batch upsert ------------------------------------------------------------------------


def _page(posts=(), accounts=(), interactions=()) -> ParsedPage:
    return ParsedPage(
        accounts=list(accounts), posts=list(posts), interactions=list(interactions)
    )


def _upsert(*pages: ParsedPage, run_id=None, source_id=None):
    batch = Batch()
    for page in pages:
        batch.add_page(page)
    with transaction.atomic():
        return batch_upsert(
            batch, now=timezone.now(), run_id=run_id, source_id=source_id
        )


def _post(i: int, **kwargs):
    return PostRecordFactory.build(
        external_id=f"at://did:plc:author0/post/{i}",
        author_external_id="did:plc:author0",
        text=f"Post {i} on #cardiology",
        **kwargs,
    )


def _posts(n: int, **kwargs):
    """``n`` posts that are the same on every call (ids, texts and counters)."""
    return [
        PostRecordFactory.build(
            external_id=f"at://did:plc:author0/post/{i}",
            author_external_id="did:plc:author0",
            text=f"Post {i} on #cardiology",
            **kwargs,
        )
        for i in range(n)
    ]


def _xmins(model) -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, xmin::text FROM {model._meta.db_table}")
        return dict(cursor.fetchall())


@pytest.mark.django_db
def test_it_counts_created_then_unchanged_then_updated():
    author = AccountRecordFactory.build(external_id="did:plc:author0")
    first = _upsert(_page(_posts(5), [author]))
    assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
    assert first.accounts_created == 1

    again = _upsert(_page(_posts(5), [author]))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)

    changed = _posts(5)
    changed[0].likes = 99
    changed[1].text = "An edited post"
    more = _upsert(_page([*changed, *_posts(7)[5:]], [author]))
    assert (more.created, more.updated, more.unchanged) == (2, 2, 3)
    assert more.content_changed == 1
    assert Post.objects.count() == 7


@pytest.mark.django_db
def test_an_identical_replay_writes_no_row_versions():
    author = AccountRecordFactory.build(external_id="did:plc:author0")
    likes = [
        InteractionRecordFactory.build(post_external_id="at://did:plc:author0/post/1")
        for _ in range(3)
    ]
    bad = PostRecordFactory.build(external_id="bad", text="nul\x00")
    _upsert(_page([*_posts(4), bad], [author], likes))
    before = {
        model: _xmins(model)
        for model in (Post, Interaction, SocialAccount, MetricSnapshot)
    }
    counts = (MetricSnapshot.objects.count(), QuarantinedRecord.objects.count())

    replay = _upsert(_page([*_posts(4), bad], [author], likes))

    assert (replay.created, replay.updated, replay.unchanged) == (0, 0, 4)
    assert (replay.accounts_created, replay.accounts_updated) == (0, 0)
    assert replay.interactions_created == 0
    assert replay.snapshots == 0 and replay.quarantine_new == 0
    assert replay.quarantined == 1  # still reported, but not stored twice
    for model, xmins in before.items():
        assert _xmins(model) == xmins, f"{model.__name__} rows were rewritten"
    assert (MetricSnapshot.objects.count(), QuarantinedRecord.objects.count()) == counts


@pytest.mark.django_db
def test_an_edited_post_updates_in_place_and_keeps_its_metric_history():
    original = PostRecordFactory.build(external_id="at://p/1", likes=1, text="v1")
    _upsert(_page([original]))
    post = Post.objects.get()
    first_seen, changed_at = post.first_seen_at, post.content_changed_at

    counters_only = PostRecordFactory.build(external_id="at://p/1", likes=5, text="v1")
    result = _upsert(_page([counters_only]))
    assert (result.updated, result.content_changed) == (1, 0)
    post.refresh_from_db()
    assert post.likes == 5 and post.content_changed_at == changed_at

    edited = PostRecordFactory.build(
        external_id="at://p/1", likes=5, text="v2, corrected dose"
    )
    result = _upsert(_page([edited]))
    assert (result.updated, result.content_changed, result.snapshots) == (1, 1, 0)
    post.refresh_from_db()
    assert Post.objects.count() == 1 and post.pk == Post.objects.get().pk
    assert post.text == "v2, corrected dose"
    assert post.first_seen_at == first_seen
    assert post.content_changed_at > changed_at
    history = list(
        post.snapshots.order_by("captured_at").values_list("likes", flat=True)
    )
    assert history == [1, 5]


@pytest.mark.django_db
def test_copy_text_round_trips_tabs_newlines_backslashes_and_unicode():
    text = "line 1\nline\t2 \\n not a newline \\ end \r ünïcødé 💊 \u2028"
    record = PostRecordFactory.build(
        external_id="at://p/esc",
        text=text,
        hashtags=["a\\b", 'quote"d'],
        raw={"text": text, "nested": {"k\\": ["\t"]}},
    )
    _upsert(_page([record]))
    post = Post.objects.get()
    assert post.text == text
    assert post.hashtags == ["a\\b", 'quote"d']
    assert post.raw == {"text": text, "nested": {"k\\": ["\t"]}}
    # and its hash is stable: a replay is unchanged
    assert _upsert(_page([record])).unchanged == 1


@pytest.mark.django_db
def test_a_raw_payload_with_a_nul_byte_is_quarantined_and_the_rest_lands():
    good = PostRecordFactory.build(external_id="at://p/good")
    bad = PostRecordFactory.build(external_id="at://p/bad", raw={"x": "a\x00b"})
    result = _upsert(_page([good, bad]), source_id=None)
    assert result.created == 1 and result.quarantine_new == 1
    row = QuarantinedRecord.objects.get()
    assert row.reason == c.NUL_BYTE
    assert "\\u0000" in row.payload


@pytest.mark.django_db
def test_stub_accounts_never_overwrite_richer_data():
    full = AccountRecordFactory.build(
        external_id="did:plc:rich", handle="rich.bsky.social", bio="Cardiologist, NPI"
    )
    _upsert(_page(accounts=[full]))
    # Later pages mention the account only by id (as an author and as a liker), or
    # with a short profile that has no counters and no bio.
    short = AccountRecordFactory.build(
        external_id="did:plc:rich",
        handle="rich.bsky.social",
        display_name="Rich",
        bio="",
        followers_count=None,
        following_count=None,
        posts_count=None,
    )
    post = PostRecordFactory.build(author_external_id="did:plc:rich")
    like = InteractionRecordFactory.build(
        actor_external_id="did:plc:rich", target_external_id="did:plc:other"
    )
    result = _upsert(_page([post], [short], [like]))
    account = SocialAccount.objects.get(external_id="did:plc:rich")
    assert account.bio == "Cardiologist, NPI"
    assert account.followers_count == 1200
    assert account.display_name == "Rich"  # a value that is present does update
    assert result.accounts_created == 1  # only the stub for did:plc:other
    stub = SocialAccount.objects.get(external_id="did:plc:other")
    assert stub.handle == "did:plc:other" and stub.followers_count == 0
    # one snapshot for the full profile, none for the short one or the stub
    assert MetricSnapshot.objects.filter(account__isnull=False).count() == 1


@pytest.mark.django_db
def test_account_snapshots_are_written_only_when_counters_change():
    _upsert(_page(accounts=[AccountRecordFactory.build(external_id="did:a")]))
    _upsert(_page(accounts=[AccountRecordFactory.build(external_id="did:a")]))
    grown = AccountRecordFactory.build(external_id="did:a", followers_count=1500)
    assert _upsert(_page(accounts=[grown])).accounts_updated == 1
    followers = MetricSnapshot.objects.filter(account__external_id="did:a")
    assert list(followers.values_list("followers", flat=True)) == [1200, 1500]


@pytest.mark.django_db
def test_interaction_targets_resolve_from_the_post_author():
    post = PostRecordFactory.build(
        external_id="at://p/liked", author_external_id="did:plc:doc"
    )
    like = InteractionRecordFactory.build(
        kind="like", actor_external_id="did:plc:fan", post_external_id="at://p/liked"
    )
    reply = InteractionRecordFactory.build(
        kind="reply", actor_external_id="did:plc:fan2", target_external_id="did:plc:doc"
    )
    orphan = InteractionRecordFactory.build(post_external_id="at://p/unknown")
    result = _upsert(_page([post], interactions=[like, reply, orphan]))
    assert result.interactions_created == 2
    edge = Interaction.objects.get(kind="like")
    assert edge.target.external_id == "did:plc:doc"
    assert edge.post.external_id == "at://p/liked"
    assert Interaction.objects.get(kind="reply").post is None
    unresolved = QuarantinedRecord.objects.get()
    assert unresolved.reason == c.UNRESOLVED_TARGET
    assert orjson.loads(unresolved.payload)["post_external_id"] == "at://p/unknown"


@pytest.mark.django_db
def test_edges_about_new_posts_are_written_once_with_the_target_they_name():
    """Edges about posts the batch creates skip the stage (a plain COPY); the same
    like spelt twice (with and without its target) must still land once, and an
    edge naming its own target keeps it rather than the post's author."""
    post = PostRecordFactory.build(
        external_id="at://p/new", author_external_id="did:plc:doc"
    )
    on_post = {"post_external_id": "at://p/new", "actor_external_id": "did:plc:fan"}
    like = InteractionRecordFactory.build(kind="like", **on_post)
    like_with_target = InteractionRecordFactory.build(
        kind="like", target_external_id="did:plc:doc", **on_post
    )
    mention = InteractionRecordFactory.build(
        kind="mention",
        actor_external_id="did:plc:doc",
        target_external_id="did:plc:peer",
        post_external_id="at://p/new",
    )
    result = _upsert(_page([post], interactions=[like, like_with_target, mention]))
    assert result.interactions_created == 2
    edges = {
        (kind, actor, target, post)
        for kind, actor, target, post in Interaction.objects.values_list(
            "kind",
            "actor__external_id",
            "target__external_id",
            "post__external_id",
        )
    }
    assert edges == {
        ("like", "did:plc:fan", "did:plc:doc", "at://p/new"),
        ("mention", "did:plc:doc", "did:plc:peer", "at://p/new"),
    }
    before = _xmins(Interaction)
    replay = _upsert(_page([post], interactions=[like, like_with_target, mention]))
    assert replay.interactions_created == 0 and _xmins(Interaction) == before


@pytest.mark.django_db
def test_edges_about_new_posts_copy_straight_into_the_table(monkeypatch):
    """On a first load the likes of new posts never touch the stage or the upsert."""
    from listening.ingest import upsert

    def no_upsert(*args, **kwargs):
        raise AssertionError("the stage and upsert were used")

    monkeypatch.setattr(upsert, "_interactions_write", no_upsert)
    likes = [
        InteractionRecordFactory.build(
            kind="like",
            actor_external_id=f"did:plc:fan{i}",
            post_external_id=f"at://did:plc:author0/post/{i % 3}",
            occurred_at=datetime(2025, 5, 2, 10, i, tzinfo=UTC),
        )
        for i in range(6)
    ]
    result = _upsert(_page(_posts(3), interactions=likes))
    assert result.interactions_created == 6
    assert (
        Interaction.objects.filter(
            target__external_id="did:plc:author0", occurred_at__isnull=False
        ).count()
        == 6
    )


@pytest.mark.django_db
def test_an_interaction_gains_its_time_once_and_is_otherwise_unchanged():
    target = {"target_external_id": "did:t", "actor_external_id": "did:a"}
    _upsert(_page(interactions=[InteractionRecordFactory.build(**target)]))
    when = datetime(2025, 5, 2, tzinfo=UTC)
    timed = InteractionRecordFactory.build(occurred_at=when, **target)
    _upsert(_page(interactions=[timed]))
    assert Interaction.objects.get().occurred_at == when
    before = _xmins(Interaction)
    _upsert(_page(interactions=[InteractionRecordFactory.build(**target)]))
    assert _xmins(Interaction) == before


@pytest.mark.django_db
def test_the_same_post_twice_in_one_batch_keeps_the_last_version():
    a = PostRecordFactory.build(external_id="at://p/dup", likes=1)
    b = PostRecordFactory.build(external_id="at://p/dup", likes=2)
    result = _upsert(_page([a]), _page([b]))
    assert result.created == 1 and result.posts_staged == 1
    assert Post.objects.get().likes == 2


# --- recordings, batching, prefetch ------------------------------------------------------


def _recording(tmp_path: Path) -> Path:
    envelopes = [
        records_envelope(posts=[PostRecordFactory.build()]),
        "{ not json",
        "",
        records_envelope(posts=[PostRecordFactory.build()]),
        {"platform": "myspace", "endpoint": "x", "body": {}},
    ]
    return write_jsonl(tmp_path / "rec.jsonl", envelopes)


def test_recording_pages_resume_after_the_cursor(tmp_path):
    path = _recording(tmp_path)
    connector = lambda platform: RecordsConnector()  # noqa: E731
    items = list(recording_pages(path, connector_for=connector))
    assert [i.cursor["line"] for i in items] == [1, 2, 4, 5]  # line 3 is blank
    assert items[1].page.quarantined[0].reason == c.BAD_JSON
    assert items[3].page.quarantined[0].reason == c.UNKNOWN_PLATFORM
    resumed = list(
        recording_pages(path, {"file": "rec.jsonl", "line": 2}, connector_for=connector)
    )
    assert [i.cursor["line"] for i in resumed] == [4, 5]


def test_a_recording_folder_is_read_in_name_order_and_resumed_by_file(tmp_path):
    folder = tmp_path / "rec"
    (folder / "b").mkdir(parents=True)
    for name in ("a.jsonl", "b/a.jsonl", "c.jsonl"):
        write_jsonl(
            folder / name, [records_envelope(posts=[PostRecordFactory.build()])]
        )
    connector = lambda platform: RecordsConnector()  # noqa: E731
    files = [i.cursor["file"] for i in recording_pages(folder, connector_for=connector)]
    assert files == ["a.jsonl", "b/a.jsonl", "c.jsonl"]
    resumed = recording_pages(
        folder, {"file": "b/a.jsonl", "line": 1}, connector_for=connector
    )
    assert [i.cursor["file"] for i in resumed] == ["c.jsonl"]


def test_a_connector_that_raises_quarantines_the_envelope_not_the_run(tmp_path):
    class Broken:
        def parse(self, envelope):
            raise RuntimeError("boom")

    path = write_jsonl(tmp_path / "r.jsonl", [records_envelope()])
    (item,) = recording_pages(path, connector_for=lambda p: Broken())
    (quarantined,) = item.page.quarantined
    assert quarantined.reason == c.PARSE_ERROR
    assert (
        "boom" in quarantined.detail and quarantined.raw["endpoint"] == "test.records"
    )


def test_batches_close_at_the_batch_size_with_the_last_cursor(tmp_path):
    envelopes = [
        records_envelope(posts=PostRecordFactory.build_batch(3)) for _ in range(5)
    ]
    path = write_jsonl(tmp_path / "r.jsonl", envelopes)
    pages = recording_pages(path, connector_for=lambda p: RecordsConnector())
    batches = list(iter_batches(pages, batch_size=6))
    assert [(b.pages, cur["line"]) for b, cur in batches] == [(2, 2), (2, 4), (1, 5)]


def test_prefetch_hands_back_the_producers_exception():
    def produce():
        yield 1
        raise ValueError("bad page")

    got = []
    with pytest.raises(ValueError, match="bad page"):
        for item in prefetch(produce()):
            got.append(item)
    assert got == [1]


def _observed(page: ParsedPage, when: datetime):
    batch = Batch()
    batch.add_page(page, observed_at=when)
    with transaction.atomic():
        return batch_upsert(batch, now=timezone.now())


@pytest.mark.django_db
def test_an_older_observation_never_overwrites_a_newer_one():
    day1, day2 = datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 5, 2, tzinfo=UTC)
    old = _post(0, likes=1)
    new = _post(0, likes=9)
    acct_old = AccountRecordFactory.build(external_id="did:a", followers_count=100)
    acct_new = AccountRecordFactory.build(external_id="did:a", followers_count=120)
    inputs = [(_page([new], [acct_new]), day2), (_page([old], [acct_old]), day1)]
    for page, when in inputs:
        _observed(page, when)
    assert Post.objects.get().likes == 9
    assert SocialAccount.objects.get(external_id="did:a").followers_count == 120
    snapshots = MetricSnapshot.objects.count()
    before = {model: _xmins(model) for model in (Post, SocialAccount)}

    # the same two observations again, in the same order: nothing changes
    for page, when in inputs:
        result = _observed(page, when)
        assert (result.created, result.updated, result.snapshots) == (0, 0, 0)
    assert MetricSnapshot.objects.count() == snapshots
    assert {model: _xmins(model) for model in (Post, SocialAccount)} == before
    captured = MetricSnapshot.objects.filter(post__isnull=False).values_list(
        "captured_at", flat=True
    )
    assert list(captured) == [day2]  # snapshots carry the observation time


def test_prefetch_forked_hands_back_the_childs_items_and_errors():
    from listening.ingest.parallel import prefetch_forked

    assert list(prefetch_forked(lambda: iter([1, {"a": 2}]))) == [1, {"a": 2}]

    def failing():
        yield "first"
        raise FileNotFoundError("recording not found: /x")

    got = []
    with pytest.raises(FileNotFoundError, match="/x"):
        for item in prefetch_forked(failing):
            got.append(item)
    assert got == ["first"]


def test_prefetch_forked_kills_its_child_when_the_consumer_stops():
    import os

    from listening.ingest.parallel import prefetch_forked

    def endless():
        n = 0
        while True:
            yield os.getpid(), n
            n += 1

    items = prefetch_forked(endless)
    child_pid, _ = next(items)
    assert child_pid != os.getpid()
    items.close()
    with pytest.raises(ProcessLookupError):
        os.kill(child_pid, 0)


@pytest.mark.django_db
def test_posts_another_run_inserted_first_fall_back_to_the_upsert(monkeypatch):
    from listening.ingest import upsert

    _upsert(_page(_posts(3)))
    # As if a concurrent run had inserted them between our probe and our COPY.
    monkeypatch.setattr(
        upsert,
        "POST_PROBE",
        "SELECT k.platform, k.external_id, a.id, NULL::bigint "
        "FROM pp_stage_postkey_v1 k JOIN influencers_socialaccount a "
        "ON a.platform = k.platform AND a.external_id = k.author_external_id",
    )
    changed = _posts(3)
    changed[0].likes = 50
    result = _upsert(_page(changed))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert Post.objects.count() == 3


@pytest.mark.django_db
def test_a_run_copies_new_posts_unprobed_and_probes_once_one_exists():
    """After a batch of new posts the next is COPYed without the probe; when one of
    its posts exists the COPY is undone (no row version left behind) and the batch
    is probed and upserted as usual, and so are the batches after it."""
    from listening.ingest import RunState
    from listening.ingest.upsert import TIMINGS

    def upsert_with(state, page):
        TIMINGS.clear()
        batch = Batch()
        batch.add_page(page)
        with transaction.atomic():
            counts = batch_upsert(batch, now=timezone.now(), state=state)
        return counts, "post_probe" in TIMINGS

    like = InteractionRecordFactory.build(
        kind="like",
        actor_external_id="did:plc:fan",
        post_external_id="at://did:plc:author0/post/1",
    )
    state = RunState()
    first, probed = upsert_with(state, _page(_posts(3), interactions=[like]))
    assert (first.created, first.unchanged, first.interactions_created) == (3, 0, 1)
    assert state.posts_new and not probed
    before = {model: _xmins(model) for model in (Post, MetricSnapshot, Interaction)}

    mixed, probed = upsert_with(state, _page(_posts(5), interactions=[like]))
    assert (mixed.created, mixed.updated, mixed.unchanged) == (2, 0, 3)
    assert mixed.interactions_created == 0 and probed and not state.posts_new
    assert Post.objects.count() == 5 and MetricSnapshot.objects.count() == 5
    for model, xmins in before.items():
        assert {k: v for k, v in _xmins(model).items() if k in xmins} == xmins

    replay, probed = upsert_with(state, _page(_posts(5)))
    assert (replay.created, replay.unchanged) == (0, 5) and probed


def test_sharded_parsers_are_killed_when_the_consumer_stops(tmp_path):
    import os

    from listening.ingest.parallel import sharded_batches

    def endless(index, count):
        chunk = index
        while True:
            yield chunk, (os.getpid(), chunk)
            yield chunk, "chunk-end"
            chunk += count

    items = sharded_batches(endless, 2)
    pids = {next(items)[0], next(items)[0]}
    assert len(pids) == 2 and os.getpid() not in pids
    items.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_sharded_parsers_give_the_same_batches_in_file_order(tmp_path):
    from listening.ingest.parallel import recording_shard, sharded_batches
    from listening.ingest.pipeline import recording_pages

    envelopes = [
        records_envelope(
            posts=[
                PostRecordFactory.build(external_id=f"at://p/{n}-{i}", text="x" * 50)
                for i in range(3)
            ]
        )
        for n in range(40)
    ]
    envelopes[7] = "{broken"
    path = write_jsonl(tmp_path / "r.jsonl", envelopes)
    connector = lambda platform: RecordsConnector()  # noqa: E731

    def shard(index, count):
        return recording_shard(
            path,
            {"file": "r.jsonl", "line": 4},
            shard=index,
            shards=count,
            batch_size=5,
            chunk_bytes=2_000,  # a few lines per chunk
            connector_for=connector,
        )

    batches = list(sharded_batches(shard, 3))
    lines = [cursor["line"] for _, cursor in batches]
    assert lines == sorted(lines) and lines[-1] == 40
    posts = [key[1] for batch, _ in batches for key in batch.posts]
    single = [
        key[1]
        for item in recording_pages(
            path, {"file": "r.jsonl", "line": 4}, connector_for=connector
        )
        for key in [(p.platform, p.external_id) for p in item.page.posts]
    ]
    assert posts == single and len(posts) == 35 * 3
    assert sum(len(b.quarantine) for b, _ in batches) == 1  # the broken line


@pytest.mark.django_db
def test_every_observation_of_an_accounts_counters_becomes_a_snapshot():
    """A recording of profile calls made at three times, in one batch and in any
    order, keeps the whole growth curve (not only the latest counters); a replay
    and an older observation arriving later add nothing twice."""
    times = [
        datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=30 * i) for i in range(4)
    ]
    followers = [1000, 1010, 1700, 1720]  # a spike between the 2nd and 3rd
    batch = Batch()
    for when, count in reversed(list(zip(times[1:], followers[1:], strict=True))):
        record = AccountRecordFactory.build(
            external_id="did:plc:grower", followers_count=count
        )
        batch.add_page(_page([], [record]), observed_at=when)
    with transaction.atomic():
        counts = batch_upsert(batch, now=timezone.now(), run_id=None, source_id=None)
    curve = list(
        MetricSnapshot.objects.filter(account__external_id="did:plc:grower")
        .order_by("captured_at")
        .values_list("captured_at", "followers")
    )
    assert curve == list(zip(times[1:], followers[1:], strict=True))
    assert counts.snapshots == 3
    assert (
        SocialAccount.objects.get(external_id="did:plc:grower").followers_count == 1720
    )

    # the same three again: nothing new; an older observation: one more point
    again = Batch()
    for when, count in zip(times, followers, strict=True):
        record = AccountRecordFactory.build(
            external_id="did:plc:grower", followers_count=count
        )
        again.add_page(_page([], [record]), observed_at=when)
    with transaction.atomic():
        batch_upsert(again, now=timezone.now(), run_id=None, source_id=None)
    assert (
        MetricSnapshot.objects.filter(account__external_id="did:plc:grower").count()
        == 4
    )
    assert (
        SocialAccount.objects.get(external_id="did:plc:grower").followers_count == 1720
    )


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_copy_unescape_gives_back_what_copy_escape_was_given(value):
    from listening.ingest.batch import copy_escape, copy_unescape

    assert copy_unescape(copy_escape(value)) == value


@pytest.mark.django_db
def test_an_author_id_with_copy_escapes_links_its_posts_and_edges():
    """Account ids are looked up by the raw external id: one with a backslash and a
    tab (COPY-escaped in the stage lines) still finds its posts and their likes."""
    from listening.ingest import RunState

    author = "odd\\id\twith escapes"
    post = PostRecordFactory.build(
        author_external_id=author, external_id="odd-post-1", platform="bluesky"
    )
    like = InteractionRecordFactory.build(
        kind="like",
        actor_external_id="fan\\1",
        target_external_id=author,
        post_external_id="odd-post-1",
    )
    batch = Batch()
    batch.add_page(ParsedPage(posts=[post], interactions=[like]))
    with transaction.atomic():
        counts = batch_upsert(batch, now=timezone.now(), state=RunState())
    assert (counts.created, counts.interactions_created) == (1, 1)
    saved = Post.objects.get(external_id="odd-post-1")
    assert saved.author.external_id == author
    edge = Interaction.objects.get()
    assert (edge.actor.external_id, edge.target_id, edge.post_id) == (
        "fan\\1",
        saved.author_id,
        saved.pk,
    )


@pytest.mark.django_db
def test_a_run_looks_up_each_account_id_once_across_its_batches():
    """The second batch of a run needs the same likers as the first: their ids come
    from the run's map, so the lookup is not run again, and the edges still land."""
    from listening.ingest import RunState
    from listening.ingest.upsert import TIMINGS

    def likes(post, fans):
        return [
            InteractionRecordFactory.build(
                kind="like", actor_external_id=fan, post_external_id=post
            )
            for fan in fans
        ]

    fans = ["did:plc:fan1", "did:plc:fan2"]
    first_posts = _posts(2)
    later_posts = [
        PostRecordFactory.build(external_id=f"at://did:plc:author0/post/later{i}")
        for i in range(2)
    ]
    state = RunState()
    for posts, expect_lookup in ((first_posts, True), (later_posts, False)):
        TIMINGS.clear()
        edges = [edge for post in posts for edge in likes(post.external_id, fans)]
        batch = Batch()
        batch.add_page(ParsedPage(posts=posts, interactions=edges))
        with transaction.atomic():
            counts = batch_upsert(batch, now=timezone.now(), state=state)
        assert counts.interactions_created == 4
        assert ("account_ids" in TIMINGS) is expect_lookup
    assert set(state.account_ids) >= {("bluesky", fan) for fan in fans}
    assert Interaction.objects.count() == 8
