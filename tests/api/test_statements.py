"""Pre-built list statements (``common.api.statement_rows``, ``PrebuiltRows``):
compiled once per shape, they give the rows the queryset gives, for every page and
every user; what they cannot keep runs as a queryset."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common import api
from compliance.models import Finding
from tests.api.world import add_candidates, session_client
from vetting.api import selectors
from vetting.models import InfluencerScore

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_statements")]

BASE = "/api/v1"


def _counting(monkeypatch, name: str) -> list:
    calls = []
    original = getattr(selectors, name)

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(selectors, name, counted)
    return calls


def test_the_rows_are_the_querysets_for_each_user_and_compiled_once(world):
    built = []

    def build(user):
        built.append(user)
        return selectors.finding_rows_for_member(user).order_by("-created_at", "-id")

    for user in (world.analyst, world.outsider, world.medical):
        rows = api.statement_rows(("test-findings",), build, {"user": user.pk})
        expected = list(
            selectors.finding_rows_for_user(user).order_by("-created_at", "-id")
        )
        assert rows == expected
        assert rows  # every one of them sees a program's findings
    # built once, with a stand-in for the user (not a real id)
    assert len(built) == 1 and built[0] < -(2**61)


def test_a_value_it_cannot_stand_in_for_runs_as_a_queryset(world):
    def build(user):
        return selectors.finding_rows_for_member(user)

    assert api.statement_rows(("test-str",), build, {"user": "1"}) is None
    assert api.statement_rows(("test-bool",), build, {"user": True}) is None


def test_an_empty_in_runs_as_a_queryset(world):
    def build(user):
        return selectors.finding_rows_for_member(user).filter(pk__in=[])

    assert api.statement_rows(("test-empty",), build, {"user": 1}) is None


@pytest.mark.parametrize("size", [1, 3, 50])
def test_the_findings_pages_are_built_once_per_shape_and_walk_every_row(
    world, monkeypatch, size
):
    add_candidates(world.a, 5)
    calls = _counting(monkeypatch, "finding_rows_for_member")
    client = session_client(world.analyst)
    url, seen = f"{BASE}/findings/?page_size={size}", []
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    expected = sorted((f.pk for f in world.a.findings), reverse=True)
    assert seen == expected  # newest first: ids grow with created_at here
    # the first page and the cursor pages: two shapes, whatever the page count
    assert len(calls) == (1 if size >= len(expected) else 2)
    # backwards with the previous links: one more shape
    body = client.get(f"{BASE}/findings/?page_size={size}").json()
    while body["next"]:
        body = client.get(body["next"]).json()
    back = [row["id"] for row in body["results"]]
    while body["previous"]:
        body = client.get(body["previous"]).json()
        back = [row["id"] for row in body["results"]] + back
    assert back == expected


def test_equality_filters_are_bound_and_others_run_as_a_queryset(world, monkeypatch):
    calls = _counting(monkeypatch, "finding_rows_for_member")
    client = session_client(world.analyst)
    critical = ids(client.get(f"{BASE}/findings/?severity=critical"))
    minor = ids(client.get(f"{BASE}/findings/?severity=minor"))
    assert critical and minor
    assert set(critical) == {f.pk for f in world.a.findings if f.severity == "critical"}
    assert set(minor) == {f.pk for f in world.a.findings if f.severity == "minor"}
    assert len(calls) == 1  # one statement for both severities
    # the program filter is a method: the FilterSet filters the queryset
    slug = world.a.program.slug
    assert len(ids(client.get(f"{BASE}/findings/?program={slug}"))) == 4
    assert len(calls) == 1
    # an invalid value is still the FilterSet's 400
    assert client.get(f"{BASE}/findings/?severity=bogus").status_code == 400


def test_scores_by_specialty_and_platform_are_bound(world, monkeypatch):
    calls = _counting(monkeypatch, "score_rows_ranked")
    client = session_client(world.analyst)
    for score in world.a.scores:
        code = score.specialty_code
        assert ids(client.get(f"{BASE}/scores/?specialty={code}")) == [
            s.pk for s in world.a.scores if s.specialty_code == code
        ]
    assert len(calls) == 1
    platform = world.a.accounts[0].platform
    assert ids(client.get(f"{BASE}/scores/?platform={platform}")) == [
        s.pk for s in world.a.scores if s.account.platform == platform
    ]
    assert len(calls) == 2
    # a minimum is not an equality: the FilterSet filters the queryset
    assert ids(client.get(f"{BASE}/scores/?composite_min=0.975")) == [
        world.a.scores[0].pk
    ]
    assert len(calls) == 2
    # a code that was not scored is a 400, as on the discovery page
    assert client.get(f"{BASE}/scores/?specialty=000000000X").status_code == 400


def test_unscoped_rows_refuse_to_run_without_their_partition():
    rows = api.PrebuiltRows(
        "scores", InfluencerScore, selectors.score_rows_ranked, require=("run_id",)
    )
    with pytest.raises(ValueError, match="run_id"):
        rows.queryset()
    assert rows.filter(run_id=1).queryset(eq_run_id=1) is not None


def test_a_pre_built_page_is_one_query(world):
    client = session_client(world.analyst)
    client.get(f"{BASE}/findings/")  # compiles the statement
    base = _queries(client, f"{BASE}/sources/")
    assert _queries(client, f"{BASE}/findings/") == base


def test_a_superuser_lists_every_finding_through_the_queryset(world, monkeypatch):
    calls = _counting(monkeypatch, "finding_rows_for_member")
    world.outsider.is_superuser = True
    world.outsider.save()
    client = session_client(world.outsider)
    listed = {row["id"] for row in client.get(f"{BASE}/findings/").json()["results"]}
    assert listed == set(Finding.objects.values_list("pk", flat=True))
    assert calls == []


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_score_rows_read_through_a_statement_are_the_querysets(world):
    """JSON columns (contributions, flags, gate failures) included: the statement
    converts them as ``.values()`` does."""
    score = world.a.scores[2]
    score.contributions = {"alignment": 0.1, "spread": None, "big": 2**70}
    score.save()

    def build(run):
        return selectors.score_rows_ranked().filter(run_id=run).order_by("rank")

    run = world.a.run.pk
    rows = api.statement_rows(("test-scores",), build, {"run": run})
    assert rows == list(build(run))
    assert rows[2]["contributions"] == {"alignment": 0.1, "spread": None, "big": 2**70}
    assert any(row["flags"] for row in rows)
