"""Scoring inputs read from PostgreSQL (vetting.inputs): the frames of the contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from influencers.models import SocialAccount
from listening.models import Interaction, MetricSnapshot, Post
from tests.influencers.factories import ClinicianFactory, SocialAccountFactory
from vetting.inputs import inputs_fingerprint, scoring_inputs_load
from vetting.scoring.frames import ScoringParams

END = datetime(2025, 7, 1, tzinfo=UTC)
START = END - timedelta(days=180)


def _post(author, n, *, at, text="hello", **kw) -> Post:
    return Post.objects.create(
        platform=author.platform,
        external_id=f"{author.external_id}/post/{n}",
        author=author,
        text=text,
        posted_at=at,
        content_sha256="x" * 64,
        first_seen_at=at,
        content_changed_at=at,
        **kw,
    )


def _edge(kind, actor, target, post=None, at=None) -> Interaction:
    return Interaction.objects.create(
        platform=actor.platform, kind=kind, actor=actor, target=target, post=post,
        occurred_at=at,
    )  # fmt: skip


@pytest.fixture
def world():
    cardio = ClinicianFactory(primary_specialty__code="207RC0000X",
                              primary_specialty__classification="Internal Medicine")  # fmt: skip
    v = SocialAccountFactory(clinician=cardio, link_confidence=0.95)
    peer = SocialAccountFactory(link_confidence=0.5)  # below the 0.8 threshold
    confirmed = SocialAccountFactory(link_confidence=0.3, link_status="confirmed")
    rejected = SocialAccountFactory(link_status="rejected")
    fan = SocialAccountFactory(clinician=None, link_method="", link_confidence=None)
    mastodon = SocialAccountFactory(platform="mastodon", clinician=None,
                                    link_method="", link_confidence=None)  # fmt: skip
    inside = START + timedelta(days=10)
    p1 = _post(v, 1, at=inside, text="Stroke prevention in AFib: how I explain it")
    p2 = _post(v, 2, at=inside + timedelta(days=1), text="Weekend plans",
               reply_to_external_id=p1.external_id,
               root_external_id=p1.external_id)  # fmt: skip
    old = _post(v, 3, at=START - timedelta(days=3), text="old afib post")
    _post(peer, 1, at=inside, text="#Eliquis dosing", hashtags=["Eliquis"])
    _edge("like", peer, v, p1, inside + timedelta(hours=1))
    _edge("reply", confirmed, v, p1, None)  # no time: the post's time decides
    _edge("like", fan, v, old, None)  # post before the window: out
    _edge("like", fan, v, p1, END + timedelta(days=1))  # after the window: out
    _edge("mention", fan, v, p2, inside)  # post id is not the target's: -1
    _edge("follow", fan, v)
    _edge("like", mastodon, mastodon)  # self-engagement: never an edge
    MetricSnapshot.objects.create(account=v, captured_at=inside, followers=2000,
                                  following=10)  # fmt: skip
    return {"v": v, "peer": peer, "confirmed": confirmed, "rejected": rejected,
            "fan": fan, "p1": p1, "p2": p2}  # fmt: skip


def _params(**kw) -> ScoringParams:
    return ScoringParams(window_start=START, window_end=END,
                         platforms=("bluesky", "mastodon"), **kw)  # fmt: skip


@pytest.mark.django_db
def test_frames_follow_the_contract(world):
    loaded = scoring_inputs_load(params=_params(), lexicon=["atrial fibrillation", "AFib",
                                 "stroke prevention"], hashtags=["#eliquis"])  # fmt: skip
    inputs = loaded.inputs
    acc = inputs.accounts
    v, peer = world["v"].pk, world["peer"].pk
    assert acc.loc[v, "specialty"] == "207RC0000X"
    assert acc.loc[v, "classification"] == "Internal Medicine"
    assert acc.loc[v, "is_hcp"]
    assert not acc.loc[peer, "is_hcp"]  # link confidence under the threshold
    assert acc.loc[world["confirmed"].pk, "is_hcp"]  # a confirmed link passes
    assert acc.loc[world["rejected"].pk, "clinician_id"] == -1
    assert not acc.loc[world["rejected"].pk, "is_hcp"]
    assert acc.loc[world["fan"].pk, "clinician_id"] == -1

    edges = inputs.edges
    got = sorted(zip(edges["kind"], edges["actor"], edges["post_id"], strict=True))
    p1 = world["p1"].pk
    assert got == sorted(
        [
            ("like", peer, p1),
            ("reply", world["confirmed"].pk, p1),
            ("mention", world["fan"].pk, -1),
        ]  # fmt: skip
    )
    assert set(edges.loc[edges["kind"] == "reply", "weight"]) == {3.0}
    assert edges.loc[edges["kind"] == "reply", "occurred_at"].isna().all()
    assert len(inputs.follows) == 1

    posts = inputs.posts
    assert world["p1"].pk in posts.index and len(posts) == 3  # the old post is out
    assert posts.loc[world["p2"].pk, "reply_to"] == p1
    assert posts.loc[world["p2"].pk, "root"] == p1
    assert posts.loc[p1, "topical"]  # "AFib", "Stroke prevention"
    assert not posts.loc[world["p2"].pk, "topical"]
    peer_post = posts.index[posts["author"] == peer][0]
    assert posts.loc[peer_post, "topical"]  # by hashtag, case-insensitive
    assert posts.loc[peer_post, "hashtags"] == ["eliquis"]
    assert inputs.snapshots["followers"].tolist() == [2000]


@pytest.mark.django_db
def test_the_hash_is_stable_and_follows_the_data(world):
    params = _params()
    first = scoring_inputs_load(params=params, lexicon=["afib"], hashtags=[])
    again = scoring_inputs_load(params=params, lexicon=["afib"], hashtags=[])
    assert first.input_hash == again.input_hash
    _edge("like", world["fan"], world["peer"], None, START + timedelta(days=20))
    changed = scoring_inputs_load(params=params, lexicon=["afib"], hashtags=[])
    assert changed.input_hash != first.input_hash
    SocialAccount.objects.filter(pk=world["peer"].pk).update(link_status="confirmed")
    relinked = scoring_inputs_load(params=params, lexicon=["afib"], hashtags=[])
    assert relinked.input_hash != changed.input_hash
    other = scoring_inputs_load(params=_params(follower_min=10), lexicon=["afib"],
                                hashtags=[])  # fmt: skip
    assert other.input_hash != relinked.input_hash


@pytest.mark.django_db
def test_sponsored_posts_are_found_and_their_disclosure_read(world):
    v = world["v"]
    at = START + timedelta(days=30)
    clear = _post(v, 10, at=at, text="#ad Paid partnership with a sponsor: AFib facts.")
    hidden = _post(v, 11, at=at, text="Great dinner. Use code DR42LIP for 20% off!")
    _post(v, 12, at=at, text="Thank you all for the questions today.")  # no signal
    loaded = scoring_inputs_load(params=_params(), lexicon=[], hashtags=[])
    sponsored = loaded.inputs.sponsored.set_index("post_id")["disclosed"].to_dict()
    assert sponsored == {clear.pk: True, hidden.pk: False}


@pytest.mark.django_db(transaction=True)
def test_the_fingerprint_follows_every_committed_write_and_the_parameters(world):
    def fingerprint(params=None, lexicon=("afib",)):
        return inputs_fingerprint(
            params=params or _params(), lexicon=list(lexicon), hashtags=[]
        )

    first = fingerprint()
    assert fingerprint() == first  # nothing written: the same
    seen = {first}
    # an update that leaves updated_at alone (QuerySet.update) still shows
    SocialAccount.objects.filter(pk=world["peer"].pk).update(link_status="confirmed")
    seen.add(fingerprint())
    _post(world["fan"], 9, at=START - timedelta(days=400))  # outside the window too
    seen.add(fingerprint())
    Interaction.objects.filter(kind="follow").delete()
    seen.add(fingerprint())
    MetricSnapshot.objects.update(followers=2001)
    seen.add(fingerprint())
    assert len(seen) == 5
    assert fingerprint(params=_params(follower_min=10)) not in seen
    assert fingerprint(lexicon=("afib", "doac")) not in seen


@pytest.mark.django_db
def test_tables_past_the_aggregate_limit_load_the_same_frames_by_copy(
    world, monkeypatch
):
    params = _params()
    aggregated = scoring_inputs_load(params=params, lexicon=["afib"], hashtags=[])
    monkeypatch.setattr("vetting.inputs.AGGREGATE_MAX_ROWS", -2)  # every table
    copied = scoring_inputs_load(params=params, lexicon=["afib"], hashtags=[])
    assert copied.input_hash == aggregated.input_hash
    for name in ("accounts", "edges", "posts", "follows", "snapshots"):
        pd.testing.assert_frame_equal(
            getattr(copied.inputs, name), getattr(aggregated.inputs, name)
        )
