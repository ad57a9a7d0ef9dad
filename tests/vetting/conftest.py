"""Fixtures of the vetting tests: a small scored world in the database."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from influencers.models import TherapeuticArea
from listening.models import Interaction, Post
from tests.influencers.factories import (
    ClinicianFactory,
    SocialAccountFactory,
    SpecialtyFactory,
)
from vetting.models import Program

END = datetime(2025, 7, 1, tzinfo=UTC)


@pytest.fixture
def program(db, settings, tmp_path):
    """Two specialties of 8 verified clinicians each, 3 unlinked fans; everyone posts,
    clinicians engage within their specialty, one (the "star") is engaged by all."""
    settings.SCORING_WORK_DIR = tmp_path / "scoring"
    rng = random.Random(5)
    cardio = SpecialtyFactory(code="207RC0000X", classification="Internal Medicine")
    derm = SpecialtyFactory(code="207N00000X", classification="Dermatology")
    area = TherapeuticArea.objects.create(
        name="Anticoagulation", slug="anticoagulation", lexicon=["afib"], hashtags=[]
    )
    accounts = []
    for spec in (cardio, derm):
        for i in range(8):
            clinician = ClinicianFactory(primary_specialty=spec)
            accounts.append(
                SocialAccountFactory(
                    clinician=clinician, followers_count=1500 + 700 * i
                )
            )
    fans = [
        SocialAccountFactory(
            clinician=None, link_method="", link_confidence=None, followers_count=30
        )  # fmt: skip
        for _ in range(3)
    ]
    posts = {}
    for n, author in enumerate(accounts + fans):
        for k in range(3):
            at = END - timedelta(days=rng.randint(2, 170), minutes=n)
            posts[(author.pk, k)] = Post.objects.create(
                platform="bluesky", external_id=f"{author.external_id}/p/{k}",
                author=author, text="afib talk" if k == 0 else "other", posted_at=at,
                content_sha256="x" * 64, first_seen_at=at, content_changed_at=at,
            )  # fmt: skip
    star = accounts[3]
    for actor in accounts[:8] + fans:
        if actor == star:
            continue
        post = posts[(star.pk, rng.randint(0, 2))]
        Interaction.objects.create(platform="bluesky", kind="reply", actor=actor,
            target=star, post=post, occurred_at=post.posted_at + timedelta(hours=3))  # fmt: skip
    for _ in range(60):
        block = rng.choice([accounts[:8], accounts[8:]])
        actor, target = rng.sample(block, 2)
        post = posts[(target.pk, rng.randint(0, 2))]
        Interaction.objects.get_or_create(platform="bluesky",
            kind=rng.choice(["like", "repost", "quote"]), actor=actor, target=target,
            post=post, defaults={"occurred_at": post.posted_at + timedelta(hours=1)})  # fmt: skip
    program = Program.objects.create(name="Anticoagulation educators", slug="anticoag", therapeutic_area=area,
                                     window_end=END, platforms=["bluesky"])  # fmt: skip
    program.target_specialties.set([cardio])
    return program, star
