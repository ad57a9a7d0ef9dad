"""The clinician profile: every section shows the account's own evidence, outsiders
get 404 (page, network JSON, more posts), post text is inert, the network JSON caps
its nodes, and the query count does not grow with posts, engagers or payments."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from compliance.models import Finding, PaymentRecord
from influencers.models import SocialAccount
from listening.models import Interaction, MetricSnapshot, Post
from tests.influencers.factories import ClinicianFactory, SocialAccountFactory
from tests.vetting.conftest import END
from vetting import profile, services
from vetting.constants import ROLE_ANALYST, ROLE_MEDICAL
from vetting.models import InfluencerScore

_seq = itertools.count(1)
XSS_TEXT = (
    "Great #afib data <script>alert(1)</script> and "
    '<a href="javascript:alert(2)">click</a> <img src=x onerror=alert(3)>'
)


def _user(django_user_model, name, role):
    user = django_user_model.objects.create_user(username=name, password="x-Pass-12345")
    user.groups.add(Group.objects.get(name=role))
    return user


def make_post(author, *, text="afib talk", days_ago=5, **extra) -> Post:
    n = next(_seq)
    at = END - timedelta(days=days_ago, minutes=n)
    return Post.objects.create(
        platform="bluesky",
        external_id=f"{author.external_id}/extra/{n}",
        author=author,
        text=text,
        posted_at=at,
        content_sha256=f"{n:064d}",
        first_seen_at=at,
        content_changed_at=at,
        **extra,
    )


def make_finding(post, *, word, rule="OFF_LABEL", severity="major", **extra):
    start = post.text.index(word)
    return Finding.objects.create(
        post=post,
        rule_code=rule,
        rule_version="1.0",
        severity=severity,
        evidence=[{"start": start, "end": start + len(word), "text": word}],
        explanation=f"{rule} explanation",
        fingerprint=f"fp-{next(_seq)}",
        **extra,
    )


def make_payment(npi, *, manufacturer, amount, day, products=("ELIQUIS",)):
    n = next(_seq)
    return PaymentRecord.objects.create(
        record_id=f"rec-{n}",
        program_year=day.year,
        covered_recipient_npi=npi,
        manufacturer_name=manufacturer,
        amount_usd=Decimal(amount),
        date_of_payment=day,
        nature_of_payment="Food and Beverage",
        products=list(products),
        content_sha256=f"{n:064d}",
    )


def engage(actor, target, post, *, kind="like", hours=2):
    return Interaction.objects.create(
        platform="bluesky",
        kind=kind,
        actor=actor,
        target=target,
        post=post,
        occurred_at=post.posted_at + timedelta(hours=hours),
    )


@pytest.fixture
def scored(program):
    """The scored conftest world, plus one unlinked candidate (in the follower
    range, with a post in the window) so that an unlinked account is scored."""
    program, star = program
    unlinked = SocialAccountFactory(
        clinician=None, link_method="", link_confidence=None, followers_count=4000,
        handle="wellness.coach", link_evidence={"not_linked": ["no NPI in bio"]},
    )  # fmt: skip
    make_post(unlinked, text="wellness tips", days_ago=3)
    run, _ = services.scoring_run_create(program=program)
    services.scoring_run_inline(run_id=run.pk)
    return program, star


@pytest.fixture
def member(client, django_user_model, scored):
    program, _ = scored
    user = _user(django_user_model, "mei", ROLE_MEDICAL)
    program.members.add(user)
    client.force_login(user)
    return user


def urls(program, account_id):
    args = [program.slug, account_id]
    return (
        reverse("vetting:profile", args=args),
        reverse("vetting:profile-network", args=args),
        reverse("vetting:profile-posts", args=args),
    )


@pytest.mark.django_db
def test_outsiders_get_404_for_the_page_the_network_and_more_posts(
    client, django_user_model, scored
):
    program, star = scored
    outsider = _user(django_user_model, "out", ROLE_ANALYST)
    client.force_login(outsider)
    for url in urls(program, star.pk):
        assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_an_account_not_scored_in_the_program_is_a_404(client, member, scored):
    program, _ = scored
    newcomer = SocialAccountFactory()  # created after the run: never scored
    for url in urls(program, newcomer.pk):
        assert client.get(url).status_code == 404
    assert client.get(urls(program, 999_999)[0]).status_code == 404


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client, scored):
    program, star = scored
    for url in urls(program, star.pk):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_the_identity_card_shows_the_npi_evidence_and_the_link(client, member, scored):
    program, star = scored
    clinician = star.clinician
    star.bio = "Cardiologist. NPI 1234"
    star.link_evidence = {"npi_in_bio": clinician.npi, "name_match": "full"}
    star.save()
    clinician.license_number = "GA-55501"
    clinician.practice_city = "ATLANTA"
    clinician.identity_evidence = {"source": "nppes_api", "npi_luhn_valid": True}
    clinician.save()

    page = client.get(urls(program, star.pk)[0]).text

    assert f"https://npiregistry.cms.hhs.gov/provider-view/{clinician.npi}" in page
    assert clinician.last_name in page and "GA-55501" in page and "Atlanta" in page
    assert clinician.primary_specialty.code in page
    assert "Identity verified" in page and "Counts as a verified HCP" in page
    assert "NPI in bio" in page  # link method
    assert "0.95" in page  # link confidence
    assert "NPI found in bio" in page and "NPI check digit valid" in page
    assert "Cardiologist. NPI 1234" in page
    assert "Not linked to a clinician" not in page


@pytest.mark.django_db
def test_an_unlinked_account_says_so(client, member, scored):
    program, _ = scored
    fan = SocialAccount.objects.get(handle="wellness.coach")
    assert InfluencerScore.objects.filter(program=program, account=fan).exists()
    page = client.get(urls(program, fan.pk)[0]).text
    assert "Not linked to a clinician" in page
    assert "Why not linked" in page and "no NPI in bio" in page
    assert "No NPI to look up" in page  # payments section
    assert "npiregistry.cms.hhs.gov" not in page


@pytest.mark.django_db
def test_the_score_breakdown_lists_every_component_and_links_to_the_explanation(
    client, member, scored
):
    program, star = scored
    score = InfluencerScore.objects.get(program=program, account=star)
    response = client.get(urls(program, star.pk)[0])
    page = response.text
    for row in response.context["components"]:
        assert f'data-component="{row.name}"' in page
        assert f"{row.contribution:.3f}" in page
    assert f"{score.composite:.3f}" in page
    assert reverse("vetting:score-detail", args=[program.slug, star.pk]) in page
    assert f"Rank <strong>{score.rank}</strong>" in page


@pytest.mark.django_db
def test_the_timeline_highlights_findings_and_shows_posts_newest_first(
    client, member, scored
):
    program, star = scored
    old = make_post(star, text="older post", days_ago=40)
    new = make_post(star, text="Eliquis cures LV thrombus in days", days_ago=1)
    make_finding(new, word="LV thrombus", severity="critical")
    make_post(star, text="outside the window", days_ago=400)

    page = client.get(urls(program, star.pk)[0]).text

    assert '<mark title="OFF_LABEL">LV thrombus</mark>' in page
    assert "OFF_LABEL explanation" in page and "Critical" in page
    assert page.index("Eliquis cures") < page.index("older post")
    assert "outside the window" not in page
    assert old.text in page


@pytest.mark.django_db
def test_post_text_and_links_are_inert(client, member, scored):
    program, star = scored
    post = make_post(
        star, text=XSS_TEXT, links=["javascript:alert(4)", "https://ok.example/x"]
    )
    make_finding(post, word="<script>")

    page = client.get(urls(program, star.pk)[0]).text

    assert "<script>alert(1)" not in page
    assert "&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(3)&gt;" in page
    assert 'href="javascript:' not in page
    assert "<img src=x" not in page
    assert '<mark title="OFF_LABEL">&lt;script&gt;</mark>' in page
    assert 'href="https://ok.example/x"' in page  # http(s) links stay links
    assert "javascript:alert(4)" in page  # shown, as text


@pytest.mark.django_db
def test_more_posts_come_from_the_htmx_endpoint(client, member, scored, monkeypatch):
    program, star = scored
    monkeypatch.setattr(profile, "POSTS_PAGE", 2)
    for i in range(3):
        make_post(star, text=f"extra {i}", days_ago=10 + i)
    total = profile.posts_in_window(
        star.pk, profile.profile_window(program, program.scoring_runs.first())
    ).count()
    assert total > 4
    page_url, _, posts_url = urls(program, star.pk)
    first = client.get(page_url).text
    assert first.count("data-post ") + first.count("data-post>") == 2
    assert f"{posts_url}?offset=2" in first

    more = client.get(posts_url, {"offset": 2}, HTTP_HX_REQUEST="true")
    assert more.status_code == 200
    assert "<html" not in more.text  # a fragment
    assert more.text.count('class="timeline__post') == 2
    assert f"{posts_url}?offset=4" in more.text
    last = client.get(posts_url, {"offset": total - 1}, HTTP_HX_REQUEST="true").text
    assert last.count('class="timeline__post') == 1 and "Show more" not in last
    # without htmx (no JavaScript) the same URL is a page of its own
    plain = client.get(posts_url, {"offset": 2}).text
    assert "<html" in plain and plain.count('class="timeline__post') == 2
    assert client.get(posts_url, {"offset": "junk"}).status_code == 200


@pytest.mark.django_db
def test_open_payments_rows_and_totals_by_manufacturer(client, member, scored):
    program, star = scored
    npi = star.clinician.npi
    make_payment(npi, manufacturer="Bristol", amount="100.50", day=date(2024, 3, 1))
    make_payment(npi, manufacturer="Bristol", amount="50.25", day=date(2024, 5, 1))
    make_payment(npi, manufacturer="Pfizer", amount="1000.00", day=date(2024, 4, 1),
                 products=("LIPITOR", "ELIQUIS"))  # fmt: skip
    make_payment(
        "1999999999", manufacturer="Other", amount="9.99", day=date(2024, 1, 1)
    )

    response = client.get(urls(program, star.pk)[0])
    payments = response.context["payments"]
    assert payments.count == 3 and payments.total == Decimal("1150.75")
    assert [(m["manufacturer_name"], m["total"]) for m in payments.by_manufacturer] == [
        ("Pfizer", Decimal("1000.00")),
        ("Bristol", Decimal("150.75")),
    ]
    assert [p.date_of_payment for p in payments.rows] == [
        date(2024, 5, 1), date(2024, 4, 1), date(2024, 3, 1)
    ]  # fmt: skip
    page = response.text
    assert "LIPITOR, ELIQUIS" in page and "1,150.75" in page and "Other" not in page


@pytest.mark.django_db
def test_a_clinician_without_payments_gets_an_empty_state(client, member, scored):
    program, star = scored
    page = client.get(urls(program, star.pk)[0]).text
    assert "No Open Payments records" in page


@pytest.mark.django_db
def test_the_network_summary_and_table_count_engagers_in_the_window(
    client, member, scored
):
    program, star = scored
    window = profile.profile_window(program, program.scoring_runs.first())
    expected = (
        Interaction.objects.filter(
            target=star, occurred_at__gte=window.start, occurred_at__lt=window.end
        )
        .exclude(kind="follow")
        .exclude(actor=star)
    )
    response = client.get(urls(program, star.pk)[0])
    network = response.context["network"]
    assert network.total_engagers == expected.values("actor").distinct().count() > 0
    assert network.total_interactions == expected.count()
    assert network.left_out == 0
    assert "data-engagers-table" in response.text
    assert f"@{network.engagers[0].handle}" in response.text
    # an old interaction (outside the window) is not counted
    post = Post.objects.filter(author=star).first()
    outsider = SocialAccountFactory()
    Interaction.objects.create(platform="bluesky", kind="reply", actor=outsider,
        target=star, post=post, occurred_at=window.start - timedelta(days=1))  # fmt: skip
    again = profile.profile_engagers(star.pk, window, confidence_min=0.8)
    assert again.total_engagers == network.total_engagers


@pytest.mark.django_db
def test_the_network_json_caps_nodes_and_says_how_many_were_left_out(
    client, member, scored, monkeypatch
):
    program, star = scored
    post = Post.objects.filter(author=star).order_by("-posted_at").first()
    fans = SocialAccount.objects.bulk_create(
        SocialAccount(platform="bluesky", external_id=f"did:fan:{i}", handle=f"fan{i}")
        for i in range(12)
    )
    for i, fan in enumerate(fans):
        for kind in ["like", "repost", "reply"][: 1 + i % 3]:
            engage(fan, star, post, kind=kind)
    monkeypatch.setattr(profile, "ENGAGER_LIMIT", 5)

    data = client.get(urls(program, star.pk)[1]).json()

    engagers = [n for n in data["nodes"] if not n.get("center")]
    assert len(engagers) == data["shown"] == 5
    assert data["leftOut"] == data["totalEngagers"] - 5 > 0
    assert [n for n in data["nodes"] if n.get("center")][0]["id"] == str(star.pk)
    counts = [n["interactions"] for n in engagers]
    assert counts == sorted(counts, reverse=True)
    ids = {n["id"] for n in data["nodes"]}
    assert all(
        link["source"] in ids and link["target"] in ids for link in data["links"]
    )
    kinds = {link["kind"] for link in data["links"] if link["target"] == str(star.pk)}
    assert kinds <= set(profile.ENGAGEMENT_KINDS) and "reply" in kinds
    assert profile.ENGAGER_LIMIT == 5 and data["limit"] == 5


def test_the_default_map_cap_is_about_150():
    assert profile.ENGAGER_LIMIT == 150


@pytest.mark.django_db
def test_verified_engagers_are_marked_as_hcps(client, member, scored):
    program, star = scored
    data = client.get(urls(program, star.pk)[1]).json()
    by_id = {n["id"]: n for n in data["nodes"]}
    for account in SocialAccount.objects.filter(pk__in=[int(i) for i in by_id]):
        node = by_id[str(account.pk)]
        if node.get("center"):
            continue
        assert node["hcp"] == (account.clinician_id is not None)
        assert node["symbol"] == ("circle" if node["hcp"] else "triangle")


@pytest.mark.django_db
def test_growth_and_longevity_charts_have_data_and_text_summaries(
    client, member, scored
):
    program, star = scored
    for days, followers in [(100, 1000), (60, 1100), (10, 1650)]:
        MetricSnapshot.objects.create(
            account=star, captured_at=END - timedelta(days=days), followers=followers
        )
    post = make_post(star, days_ago=30)
    fans = [SocialAccountFactory(clinician=None) for _ in range(4)]
    for fan, hours in zip(fans, [0.5, 3, 30, 24 * 10], strict=True):
        engage(fan, star, post, hours=hours)

    response = client.get(urls(program, star.pk)[0])

    assert "Followers went from 1,000" in response.text and "to 1,650" in response.text
    assert response.context["growth_data"]["points"][-1][1] == 1650
    buckets = {b["label"]: b["count"] for b in response.context["longevity"]}
    window = profile.profile_window(program, program.scoring_runs.first())
    only_new = profile.profile_longevity(fans[0].pk, window)
    assert sum(b["count"] for b in only_new) == 0
    assert buckets["< 1 h"] >= 1 and buckets["7-30 d"] >= 1 and buckets["1-3 d"] >= 1
    assert response.context["longevity"][-1]["cumulative"] == pytest.approx(1.0)
    assert 'id="profile-growth-data"' in response.text
    assert 'id="profile-longevity-data"' in response.text
    assert "timed engagements on the posts in the window" in response.text


@pytest.mark.django_db
def test_the_page_query_count_does_not_grow_with_posts_engagers_and_payments(
    client, member, scored
):
    program, star = scored
    page_url, network_url, _ = urls(program, star.pk)

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count(page_url), count(network_url)
    posts = [
        make_post(star, text=f"Eliquis post {i}", days_ago=2 + i) for i in range(30)
    ]
    for post in posts[:10]:
        make_finding(post, word="Eliquis")
    for i in range(25):
        fan = SocialAccountFactory()  # linked, with its own clinician and specialty
        engage(fan, star, posts[i], kind="reply")
        engage(fan, star, posts[i + 1], kind="like")
    for i in range(6):
        make_payment(star.clinician.npi, manufacturer=f"M{i % 3}", amount="10.00",
                     day=date(2024, 1, 1 + i))  # fmt: skip
        MetricSnapshot.objects.create(account=star, followers=2000 + i,
                                      captured_at=END - timedelta(days=i))  # fmt: skip
    after = count(page_url), count(network_url)

    assert after == before
    assert after[0] <= 20 and after[1] <= 12


def test_only_http_links_are_links():
    assert profile.safe_http_url("https://example.org/a")
    assert profile.safe_http_url("  HTTP://example.org")
    for bad in [
        "javascript:alert(1)",
        " javascript:x",
        "data:text/html,x",
        "/local",
        "",
    ]:
        assert not profile.safe_http_url(bad)


def test_evidence_rows_label_known_keys_and_summarise_history():
    rows = profile.evidence_rows(
        {
            "npi_in_bio": "1234567893",
            "zzz_custom": ["a", "b"],
            "history": [{}, {}],
            "handle_has_last_name": True,
        }  # fmt: skip
    )
    assert rows == [
        ("NPI found in bio", "1234567893"),
        ("Handle contains the last name", "yes"),
        ("Zzz custom", "a, b"),
        ("Earlier links", "2 kept in the history"),
    ]


@pytest.mark.django_db
def test_a_link_changed_after_the_run_is_pointed_out(client, member, scored):
    program, star = scored
    scored_as = star.clinician
    star.clinician = ClinicianFactory()
    star.link_status = SocialAccount.LinkStatus.REJECTED
    star.save()
    page = client.get(urls(program, star.pk)[0]).text
    assert "The link changed after this scoring run" in page
    assert scored_as.npi in page
    assert "Not counted as a verified HCP" in page  # a rejected link never counts
