"""Discovery and compare pages: every filter and the sort change the rows as they
should (in SQL), an unknown sort is refused safely, only the latest run of the user's
programs is listed, a foreign score is a 404 on compare, more than four is a clear
400, and the number of queries does not grow with the rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from influencers.models import Clinician, TherapeuticArea
from tests.influencers.factories import (
    ClinicianFactory,
    SocialAccountFactory,
    SpecialtyFactory,
)
from vetting import discovery
from vetting.constants import ROLE_ANALYST
from vetting.filters import SCORES, InfluencerScoreFilterSet
from vetting.models import InfluencerScore, Program, ScoringRun
from vetting.scoring.weights import COMPONENTS
from vetting.views import discovery as discovery_views

AS_OF = datetime(2025, 7, 1, tzinfo=UTC)
CARDIO = "207RC0000X"
DERM = "207N00000X"
URL = "/programs/discover/"


def _user(django_user_model, name, role=ROLE_ANALYST):
    user = django_user_model.objects.create_user(username=name, password="x-Pass-12345")
    user.groups.add(Group.objects.get(name=role))
    return user


def _run(program, *, finished_day=2):
    return ScoringRun.objects.create(
        program=program,
        status=ScoringRun.Status.SUCCEEDED,
        scoring_version="1.0",
        finished_at=datetime(2025, 7, finished_day, tzinfo=UTC),
        parameters={"weights": dict.fromkeys(COMPONENTS, 0.1)},
    )


def _score(run, account, *, rank, composite, gates_passed=True, **values):
    fields = dict.fromkeys(COMPONENTS, 0.5)
    fields.update(values)
    return InfluencerScore.objects.create(
        run=run,
        program=run.program,
        account=account,
        clinician=account.clinician,
        specialty_code=(
            account.clinician.primary_taxonomy_code if account.clinician else ""
        ),
        as_of=AS_OF,
        scoring_version="1.0",
        followers=account.followers_count,
        composite=composite,
        rank=rank,
        gates_passed=gates_passed,
        contributions={c: round(0.1 * (fields[c] or 0.0), 4) for c in COMPONENTS},
        flags=[],
        **fields,
    )


@pytest.fixture
def world(db):
    """Two programs the analyst is a member of (anticoagulation: cardiologists;
    dermatology: dermatologists) and a third, foreign one. Handles say who is who."""
    cardio = SpecialtyFactory(
        code=CARDIO, classification="Internal Medicine", display_name="Cardiology"
    )
    derm = SpecialtyFactory(
        code=DERM, classification="Dermatology", display_name="Dermatology"
    )
    anticoag = TherapeuticArea.objects.create(name="Anticoagulation", slug="anticoag")
    skin = TherapeuticArea.objects.create(name="Dermatology", slug="skin")
    p_heart = Program.objects.create(
        name="Heart educators", slug="heart", therapeutic_area=anticoag
    )
    p_skin = Program.objects.create(
        name="Skin educators", slug="skin-ed", therapeutic_area=skin
    )
    p_foreign = Program.objects.create(
        name="Secret program", slug="secret", therapeutic_area=anticoag
    )

    def account(handle, spec, followers, name, **kw):
        first, last = name.split()
        clinician = (
            ClinicianFactory(primary_specialty=spec, first_name=first, last_name=last)
            if spec
            else None
        )
        return SocialAccountFactory(
            handle=handle,
            display_name=name.title(),
            clinician=clinician,
            followers_count=followers,
            link_confidence=0.95 if clinician else None,
            link_method="npi_in_bio" if clinician else "",
            **kw,
        )

    a_star = account("heart-star", cardio, 4000, "ADA LOVELACE")
    a_mid = account("heart-mid", cardio, 12000, "BORIS MIDDLETON", platform="mastodon")
    a_low = account("heart-low", cardio, 900, "CARL LOWRY")
    a_fan = account("heart-fan", None, 30, "Hearty Fan")
    a_derm = account("skin-doc", derm, 2500, "DORA SKINNER")
    a_secret = account("secret-doc", cardio, 3000, "EVE SECRET")

    old = _run(p_heart, finished_day=1)
    _score(old, a_star, rank=1, composite=0.99)  # superseded: never listed
    heart = _run(p_heart)
    skin_run = _run(p_skin)
    foreign = _run(p_foreign)
    s = {
        "star": _score(
            heart, a_star, rank=1, composite=0.80, trust_density=0.9, alignment=0.9
        ),
        "mid": _score(heart, a_mid, rank=2, composite=0.60, trust_density=0.4),
        "low": _score(
            heart,
            a_low,
            rank=3,
            composite=0.40,
            trust_density=None,
            gates_passed=False,
        ),
        "fan": _score(heart, a_fan, rank=4, composite=0.10, alignment=0.0),
        "derm": _score(skin_run, a_derm, rank=1, composite=0.70, authenticity=0.2),
        "secret": _score(foreign, a_secret, rank=1, composite=0.95),
    }
    InfluencerScore.objects.filter(pk=s["low"].pk).update(
        gate_failures=["followers outside 1,000-50,000"]
    )
    InfluencerScore.objects.filter(pk=s["derm"].pk).update(
        authenticity_flagged=True,
        flags=[{"signal": "pod", "evidence": "a pod of 9 <b>accounts</b>"}],
    )
    return {"programs": (p_heart, p_skin, p_foreign), "scores": s, "old": old}


@pytest.fixture
def analyst(world, django_user_model):
    user = _user(django_user_model, "ana")
    p_heart, p_skin, _ = world["programs"]
    p_heart.members.add(user)
    p_skin.members.add(user)
    return user


def _handles(response) -> list[str]:
    return [row["handle"].split()[0][1:] for row in response.context["rows"]]


def test_the_filterset_covers_the_fields_reviewers_need():
    names = set(InfluencerScoreFilterSet.base_filters)
    assert {
        "q",
        "therapeutic_area",
        "program",
        "specialty",
        "platform",
        "followers_min",
        "followers_max",
        "gates_passed",
        "authenticity_flagged",
        "identity_linked",
        "sort",
    } <= names
    assert {f"{name}_min" for name in SCORES} <= names
    assert len(SCORES) == 10


@pytest.mark.django_db
def test_it_lists_the_latest_run_of_member_programs_best_first(client, analyst):
    client.force_login(analyst)
    response = client.get(URL)
    assert response.status_code == 200
    # the superseded 0.99 of the old run and the foreign program are absent
    assert _handles(response) == [
        "heart-star",
        "skin-doc",
        "heart-mid",
        "heart-low",
        "heart-fan",
    ]
    assert "secret-doc" not in response.text
    assert "Ada Lovelace" in response.text  # the clinician's name, not the handle
    assert "Hearty Fan" in response.text  # an unlinked account: its display name


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=lovelace", ["heart-star"]),
        ("q=ada+LOVE", ["heart-star"]),
        ("q=%40skin-doc", ["skin-doc"]),
        ("q=nobody-here", []),
        ("therapeutic_area=skin", ["skin-doc"]),
        ("program=heart", ["heart-star", "heart-mid", "heart-low", "heart-fan"]),
        (f"specialty={DERM}", ["skin-doc"]),
        ("platform=mastodon", ["heart-mid"]),
        ("followers_min=2500", ["heart-star", "skin-doc", "heart-mid"]),
        ("followers_max=2500", ["skin-doc", "heart-low", "heart-fan"]),
        ("followers_min=1000&followers_max=5000", ["heart-star", "skin-doc"]),
        ("composite_min=0.6", ["heart-star", "skin-doc", "heart-mid"]),
        # a minimum leaves out an unknown (NULL) score
        ("trust_density_min=0.4", ["heart-star", "skin-doc", "heart-mid", "heart-fan"]),
        ("alignment_min=0.6", ["heart-star"]),
        ("authenticity_min=0.3", ["heart-star", "heart-mid", "heart-low", "heart-fan"]),
        ("gates_passed=false", ["heart-low"]),
        ("gates_passed=true", ["heart-star", "skin-doc", "heart-mid", "heart-fan"]),
        ("authenticity_flagged=true", ["skin-doc"]),
        ("identity_linked=false", ["heart-fan"]),
        ("identity_linked=true", ["heart-star", "skin-doc", "heart-mid", "heart-low"]),
    ],
)
def test_each_filter_changes_the_rows(client, analyst, query, expected):
    client.force_login(analyst)
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert _handles(response) == expected
    assert not response.context["form_errors"]


@pytest.mark.django_db
def test_every_score_minimum_filters(client, analyst, world):
    client.force_login(analyst)
    for name in SCORES:
        InfluencerScore.objects.filter(pk=world["scores"]["mid"].pk).update(
            **{name: 0.97}
        )
        response = client.get(f"{URL}?{name}_min=0.96")
        assert _handles(response) == ["heart-mid"], name
        InfluencerScore.objects.filter(pk=world["scores"]["mid"].pk).update(
            **{name: 0.5}
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("followers", ["heart-fan", "heart-low", "skin-doc", "heart-star", "heart-mid"]),
        ("-followers", ["heart-mid", "heart-star", "skin-doc", "heart-low", "heart-fan"]),
        ("composite", ["heart-fan", "heart-low", "heart-mid", "skin-doc", "heart-star"]),
        ("-authenticity", ["heart-star", "heart-mid", "heart-low", "heart-fan", "skin-doc"]),
        # unknown trust density sorts last both ways
        ("-trust_density", ["heart-star", "heart-fan", "skin-doc", "heart-mid", "heart-low"]),
        ("trust_density", ["heart-mid", "heart-fan", "skin-doc", "heart-star", "heart-low"]),
    ],
)  # fmt: skip
def test_sort_orders_by_any_score_or_followers(client, analyst, sort, expected):
    client.force_login(analyst)
    response = client.get(f"{URL}?sort={sort}")
    assert _handles(response) == expected
    assert response.context["sort"] == sort


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad", ["account__clinician__npi", "password", "-details", "composite;drop", "?"]
)
def test_an_unknown_sort_is_refused_and_the_default_order_kept(client, analyst, bad):
    client.force_login(analyst)
    response = client.get(URL, {"sort": bad, "program": "heart"})
    assert response.status_code == 200
    assert _handles(response) == ["heart-star", "heart-mid", "heart-low", "heart-fan"]
    assert "sort" in response.context["form_errors"]
    assert "Some filters were ignored" in response.text


@pytest.mark.django_db
def test_a_non_member_sees_no_rows_and_cannot_compare(client, world, django_user_model):
    outsider = _user(django_user_model, "out")
    client.force_login(outsider)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "No scored program to discover yet" in response.text
    ids = f"{world['scores']['star'].pk},{world['scores']['mid'].pk}"
    assert client.get(reverse("vetting:compare"), {"ids": ids}).status_code == 404
    # asking for a program by slug does not reveal it either
    assert _handles(client.get(URL, {"program": "heart"})) == []


@pytest.mark.django_db
def test_a_member_of_one_program_sees_only_that_program(
    client, world, django_user_model
):
    user = _user(django_user_model, "skin-only")
    world["programs"][1].members.add(user)
    client.force_login(user)
    assert _handles(client.get(URL)) == ["skin-doc"]
    # a slug of a program they are not a member of is not a valid choice
    response = client.get(URL, {"program": "secret"})
    assert "program" in response.context["form_errors"]
    assert "secret-doc" not in response.text


@pytest.mark.django_db
def test_compare_with_a_foreign_id_is_404(client, analyst, world):
    client.force_login(analyst)
    s = world["scores"]
    compare = reverse("vetting:compare")
    assert (
        client.get(compare, {"ids": f"{s['star'].pk},{s['mid'].pk}"}).status_code == 200
    )
    assert (
        client.get(compare, {"ids": f"{s['star'].pk},{s['secret'].pk}"}).status_code
        == 404
    )
    assert client.get(compare, {"ids": f"{s['star'].pk},999999"}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ("1,2,3,4,5", "at most 4 candidates at a time; you selected 5"),
        ("1", "Select at least 2 candidates"),
        ("", "Select at least 2 candidates"),
        ("1,abc", "is not a candidate id"),
    ],
)
def test_a_bad_selection_is_a_clear_400(client, analyst, ids, message):
    client.force_login(analyst)
    response = client.get(reverse("vetting:compare"), {"ids": ids, "back": "sort=rank"})
    assert response.status_code == 400
    assert message in response.text
    assert 'href="/programs/discover/?sort=rank"' in response.text


@pytest.mark.django_db
def test_more_than_four_ticked_boxes_are_refused(client, analyst, world):
    client.force_login(analyst)
    ids = [s.pk for key, s in world["scores"].items() if key != "secret"]
    response = client.get(
        reverse("vetting:compare") + "?" + "&".join(f"ids={i}" for i in ids)
    )
    assert response.status_code == 400
    assert "you selected 5" in response.text


@pytest.mark.django_db
def test_compare_shows_candidates_side_by_side(client, analyst, world):
    client.force_login(analyst)
    s = world["scores"]
    response = client.get(
        reverse("vetting:compare"),
        {"ids": [str(s["derm"].pk), f"{s['star'].pk},{s['derm'].pk}"]},
    )
    assert response.status_code == 200
    candidates = response.context["candidates"]
    assert [c["score"].pk for c in candidates] == [s["derm"].pk, s["star"].pk]
    text = response.text
    star = s["star"]
    assert star.clinician.npi in text and s["derm"].clinician.npi in text
    assert "Verified" in text and "confidence 0.95" in text
    assert "Ada Lovelace" in text
    # every component with its contribution, the composite and the rank
    for name in COMPONENTS:
        assert f'data-component="{name}"' in text
    trust = next(
        r for r in response.context["component_rows"] if r["name"] == "trust_density"
    )
    assert [c["value"] for c in trust["cells"]] == [0.5, 0.9]
    assert [c["contribution"] for c in trust["cells"]] == [0.05, 0.09]
    assert [c["best"] for c in trust["cells"]] == [False, True]
    assert "0.800" in text and "0.700" in text
    # flags with their evidence, escaped
    assert "pod" in text and "a pod of 9 &lt;b&gt;accounts&lt;/b&gt;" in text
    # the radar's data
    chart = response.context["chart"]
    assert len(chart["indicators"]) == 9
    assert [len(series["value"]) for series in chart["series"]] == [9, 9]
    assert 'id="compare-chart-data"' in text
    assert "echarts-5.6.0.min.js" in text


@pytest.mark.django_db
def test_compare_marks_a_score_of_an_older_run(client, analyst, world):
    client.force_login(analyst)
    old = InfluencerScore.objects.get(run=world["old"])
    response = client.get(
        reverse("vetting:compare"), {"ids": f"{old.pk},{world['scores']['star'].pk}"}
    )
    assert response.status_code == 200
    assert [c["latest"] for c in response.context["candidates"]] == [False, True]
    assert f"older run {world['old'].pk}" in response.text


@pytest.mark.django_db
def test_htmx_gets_only_the_results_and_a_plain_get_the_whole_page(client, analyst):
    client.force_login(analyst)
    full = client.get(URL, {"program": "heart"})
    assert (
        '<form method="get" action="/programs/discover/" id="discover-filters"'
        in full.text
    )
    assert "<html" in full.text
    partial = client.get(
        URL,
        {"program": "heart"},
        headers={"HX-Request": "true", "HX-Target": "discover-results"},
    )
    assert partial.status_code == 200
    assert "<html" not in partial.text and 'id="discover-filters"' not in partial.text
    assert "heart-star" in partial.text and "skin-doc" not in partial.text
    assert "HX-Request" in partial["Vary"]
    # a history restore needs the whole page
    restore = client.get(
        URL,
        headers={
            "HX-Request": "true",
            "HX-Target": "discover-results",
            "HX-History-Restore-Request": "true",
        },
    )
    assert "<html" in restore.text


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_rows(client, analyst, world):
    client.force_login(analyst)
    heart = world["programs"][0]
    run = ScoringRun.objects.filter(program=heart).order_by("-finished_at").first()
    cache.clear()  # the scored specialties are cached per run: count them both times
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(URL, {"program": "heart"}).context["rows"]) == 4
    for i in range(40):
        account = SocialAccountFactory(handle=f"extra-{i}", followers_count=2000 + i)
        _score(run, account, rank=10 + i, composite=0.3)
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL, {"program": "heart"}).context["rows"]) == 44
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 14
    # the compare page: the same for two and four candidates
    ids = list(InfluencerScore.objects.filter(run=run).values_list("pk", flat=True)[:4])
    with CaptureQueriesContext(connection) as two:
        client.get(reverse("vetting:compare"), {"ids": ",".join(map(str, ids[:2]))})
    with CaptureQueriesContext(connection) as four:
        client.get(reverse("vetting:compare"), {"ids": ",".join(map(str, ids))})
    assert len(four.captured_queries) == len(two.captured_queries) <= 10


@pytest.mark.django_db
def test_pages_of_fifty(client, analyst, world):
    client.force_login(analyst)
    run = ScoringRun.objects.filter(program=world["programs"][0]).order_by(
        "-finished_at"
    )[0]
    for i in range(50):
        account = SocialAccountFactory(handle=f"page-{i}", followers_count=1500)
        _score(run, account, rank=10 + i, composite=0.05)
    first = client.get(URL, {"program": "heart"})
    assert len(first.context["rows"]) == 50
    assert first.context["paginator"].count == 54
    second = client.get(URL, {"program": "heart", "page": 2})
    assert len(second.context["rows"]) == 4
    assert "program=heart&amp;page=1" in second.text


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_log_in(client, world):
    for url in (URL, reverse("vetting:compare") + "?ids=1,2"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_profile_links_only_when_the_profile_page_is_routed(
    client, analyst, monkeypatch
):
    client.force_login(analyst)
    try:
        reverse("vetting:profile", args=["heart", 1])
        routed = True
    except NoReverseMatch:
        routed = False
    response = client.get(URL, {"program": "heart"})
    has_profile = all(row["profile_url"] for row in response.context["rows"])
    assert has_profile is routed

    def missing(name, *args, **kwargs):
        if name == "vetting:profile":
            raise NoReverseMatch(name)
        return reverse(name, *args, **kwargs)

    monkeypatch.setattr(discovery_views, "reverse", missing)
    assert discovery_views.profile_url_builder() is None
    response = client.get(URL, {"program": "heart"})
    assert response.status_code == 200
    assert not any(row["profile_url"] for row in response.context["rows"])


def test_compare_ids_parse_keeps_order_and_drops_duplicates():
    assert discovery.compare_ids_parse(["3,1", "3", " 2 "]) == [3, 1, 2]
    with pytest.raises(discovery.CompareError):
        discovery.compare_ids_parse(["1,2,3,4,5"])


@pytest.mark.django_db
def test_a_superuser_sees_every_program(client, world, django_user_model):
    admin = django_user_model.objects.create_superuser(
        username="root", password="x-Pass-12345"
    )
    client.force_login(admin)
    assert "secret-doc" in _handles(client.get(URL))
    assert Clinician.objects.count() >= 5


@pytest.mark.django_db
def test_the_scored_specialties_are_read_once_per_run(
    client, analyst, world, django_assert_num_queries
):
    cache.clear()
    run_ids = discovery.latest_run_ids_for_user(analyst)
    with django_assert_num_queries(1):
        assert discovery.scored_specialty_codes(run_ids) == [DERM, CARDIO]
    with django_assert_num_queries(0):
        assert discovery.scored_specialty_codes(run_ids) == [DERM, CARDIO]
    client.force_login(analyst)
    options = client.get(URL).context["main_fields"][3]["options"]
    assert [value for value, _label, _selected in options] == ["", CARDIO, DERM]


@pytest.mark.django_db
def test_a_search_word_matching_very_many_uses_a_sub_query(
    client, analyst, monkeypatch
):
    client.force_login(analyst)
    monkeypatch.setattr("vetting.filters.SEARCH_IDS_MAX", 0)
    assert _handles(client.get(URL, {"q": "heart"})) == [
        "heart-star",
        "heart-mid",
        "heart-low",
        "heart-fan",
    ]
    assert _handles(client.get(URL, {"q": "lovelace"})) == ["heart-star"]


@pytest.mark.django_db
def test_column_headings_sort_and_say_how(client, analyst):
    client.force_login(analyst)
    response = client.get(URL, {"sort": "-trust_density", "program": "heart"})
    columns = {c["name"]: c for c in response.context["columns"]}
    assert columns["trust_density"]["aria_sort"] == "descending"
    assert columns["trust_density"]["next_sort"] == "trust_density"
    assert columns["composite"]["aria_sort"] is None
    assert columns["composite"]["next_sort"] == "-composite"
    assert response.context["rank_column"]["next_sort"] == "rank"
    assert 'aria-sort="descending"' in response.text
    assert "program=heart&amp;sort=trust_density" in response.text
