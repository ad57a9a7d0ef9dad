"""Read endpoints: scoped by program membership (an outsider sees no row and gets
404 on details), cursor pagination that walks every row once, the pages'
filters, and a query count that does not grow with the rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.models import Finding
from tests.api.world import add_candidates, session_client
from vetting.models import InfluencerScore

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


def ids(response) -> list:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def walk(client, url: str) -> list:
    """Every id of a list, following ``next`` links."""
    seen, pages = [], 0
    while url:
        response = client.get(url)
        seen += ids(response)
        url = response.json()["next"]
        pages += 1
        assert pages < 100
    return seen


# (endpoint, rows of program A it lists, detail key)
def _rows(world):
    a = world.a
    return {
        "programs": ([a.program.pk], "slug"),
        "clinicians": ([x.clinician_id for x in a.accounts], "id"),
        "accounts": ([x.pk for x in a.accounts], "id"),
        "posts": ([p.pk for p in a.posts], "id"),
        "findings": ([f.pk for f in a.findings], "id"),
        "scores": ([s.pk for s in a.scores], "id"),
        "scoring-runs": ([a.run.pk, a.old_run.pk], "id"),
        "ae-cases": ([c.pk for c in a.ae_cases], "id"),
        "cases": ([c.pk for c in a.cases], "id"),
        "alerts": ([x.pk for x in a.alerts], "id"),
    }


SCOPED = [
    "programs",
    "clinicians",
    "accounts",
    "posts",
    "findings",
    "scores",
    "scoring-runs",
    "ae-cases",
    "cases",
    "alerts",
]


@pytest.mark.parametrize("endpoint", SCOPED)
def test_a_member_sees_exactly_their_programs_rows(world, as_analyst, endpoint):
    expected, _key = _rows(world)[endpoint]
    assert sorted(walk(as_analyst, f"{BASE}/{endpoint}/")) == sorted(expected)


@pytest.mark.parametrize("endpoint", SCOPED)
def test_an_outsider_sees_none_of_them_and_gets_404_on_details(
    world, as_outsider, endpoint
):
    expected, key = _rows(world)[endpoint]
    listed = set(walk(as_outsider, f"{BASE}/{endpoint}/"))
    assert listed  # program B's rows
    assert not listed & set(expected)
    detail = expected[0] if key == "id" else world.a.program.slug
    assert as_outsider.get(f"{BASE}/{endpoint}/{detail}/").status_code == 404


@pytest.mark.parametrize("endpoint", SCOPED)
def test_a_member_can_read_a_detail(world, as_analyst, endpoint):
    expected, key = _rows(world)[endpoint]
    detail = expected[0] if key == "id" else world.a.program.slug
    response = as_analyst.get(f"{BASE}/{endpoint}/{detail}/")
    assert response.status_code == 200
    assert response.json()["id"] in (expected[0], world.a.program.pk)


@pytest.mark.parametrize("endpoint", [*SCOPED, "ingest-runs", "scan-runs", "sources"])
def test_anonymous_gets_401(world, endpoint):
    from rest_framework.test import APIClient

    response = APIClient().get(f"{BASE}/{endpoint}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_runs_and_sources_are_shown_to_every_signed_in_user(world, as_outsider):
    from tests.reports import world as w

    ingest = w.ingest_run()
    scan = w.scan_run()
    assert ingest.pk in walk(as_outsider, f"{BASE}/ingest-runs/")
    assert scan.pk in walk(as_outsider, f"{BASE}/scan-runs/")
    assert ingest.source_id in walk(as_outsider, f"{BASE}/sources/")
    body = as_outsider.get(f"{BASE}/sources/{ingest.source_id}/").json()
    assert "credentials_env" not in body


# --- pagination ----------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["findings", "scores", "posts", "ae-cases"])
def test_the_cursor_walks_every_row_once_in_order_both_ways(world, endpoint):
    add_candidates(world.a, 6)  # 10 rows of A
    client = session_client(world.analyst)
    every = ids(client.get(f"{BASE}/{endpoint}/?page_size=100"))
    assert len(every) == 10
    forward = walk(client, f"{BASE}/{endpoint}/?page_size=3")
    assert forward == every  # same order, no duplicate, nothing missed
    # and back from the last page through the "previous" links
    body = client.get(f"{BASE}/{endpoint}/?page_size=3").json()
    assert body["previous"] is None
    while body["next"]:
        body = client.get(body["next"]).json()
    back = [r["id"] for r in body["results"]]
    while body["previous"]:
        body = client.get(body["previous"]).json()
        back = [r["id"] for r in body["results"]] + back
    assert back == every


def test_findings_with_the_same_created_at_are_neither_repeated_nor_skipped(
    world, as_analyst
):
    add_candidates(world.a, 6)
    Finding.objects.update(created_at=timezone.now())  # one bulk insert's ties
    every = [f.pk for f in sorted(world.a.findings, key=lambda f: -f.pk)]
    assert walk(as_analyst, f"{BASE}/findings/?page_size=4") == every


def test_scores_are_ranked_within_the_run(world, as_analyst):
    add_candidates(world.a, 3)
    listed = as_analyst.get(f"{BASE}/scores/?page_size=100").json()["results"]
    assert [r["rank"] for r in listed] == list(range(1, 8))


def test_a_bad_cursor_or_page_size_is_a_400(world, as_analyst):
    for query in ("cursor=nonsense", "cursor=eyJ2IjpbMV19", "page_size=x"):
        response = as_analyst.get(f"{BASE}/findings/?{query}")
        assert response.status_code == 400, query
    assert as_analyst.get(f"{BASE}/findings/?page_size=0").status_code == 400


def test_page_size_is_50_by_default(world, as_analyst):
    add_candidates(world.a, 50)
    body = as_analyst.get(f"{BASE}/findings/").json()
    assert len(body["results"]) == 50
    assert body["next"] and body["previous"] is None


# --- what the rows say -----------------------------------------------------------------


def test_a_score_carries_every_score_gates_flags_as_of_and_version(world, as_analyst):
    rows = as_analyst.get(f"{BASE}/scores/").json()["results"]
    third = next(r for r in rows if r["rank"] == 3)
    for name in (
        "alignment",
        "trust_density",
        "peer_influence",
        "engagement_quality",
        "authenticity",
        "longevity",
        "spread",
        "community",
        "compliance",
        "composite",
    ):
        assert name in third
    assert third["trust_density"] == 0.4
    assert third["scoring_version"] == "2.1.0"
    assert third["as_of"]
    assert third["authenticity_flagged"] is True
    assert third["flags"] == [{"signal": "pod", "value": 0.5, "evidence": "a pod"}]
    second = next(r for r in rows if r["rank"] == 2)
    assert second["gates_passed"] is False
    assert second["gate_failures"] == ["identity"]
    assert second["flags"] == []
    assert third["program"] == world.a.program.slug
    assert third["npi"] == world.a.accounts[2].clinician.npi


def test_post_text_is_data_not_markup(world, as_analyst):
    finding = world.a.findings[0]
    body = as_analyst.get(f"{BASE}/findings/{finding.pk}/").json()
    assert body["post_text"].endswith("<b>not markup</b> about #afib")
    assert body["evidence"] == [{"start": 0, "end": 4, "text": "Post"}]


# --- filters ---------------------------------------------------------------------------


def test_scores_default_to_the_latest_run_and_run_picks_another(world, as_analyst):
    latest = set(walk(as_analyst, f"{BASE}/scores/"))
    assert latest == {s.pk for s in world.a.scores}
    old = set(walk(as_analyst, f"{BASE}/scores/?run={world.a.old_run.pk}"))
    assert old and not old & latest
    assert {r for r in old} == set(
        InfluencerScore.objects.filter(run=world.a.old_run).values_list("pk", flat=True)
    )


def test_a_run_of_another_program_is_a_404_and_a_bad_run_a_400(world, as_analyst):
    assert as_analyst.get(f"{BASE}/scores/?run={world.b.run.pk}").status_code == 404
    assert as_analyst.get(f"{BASE}/scores/?run=abc").status_code == 400


def test_score_filters_are_the_discovery_pages(world, as_analyst):
    passed = ids(as_analyst.get(f"{BASE}/scores/?gates_passed=true"))
    assert passed == [s.pk for s in world.a.scores if s.gates_passed]
    flagged = ids(as_analyst.get(f"{BASE}/scores/?authenticity_flagged=true"))
    assert flagged == [s.pk for s in world.a.scores if s.authenticity_flagged]
    top = ids(as_analyst.get(f"{BASE}/scores/?composite_min=0.975"))
    assert top == [world.a.scores[0].pk]
    handle = world.a.accounts[1].handle
    assert ids(as_analyst.get(f"{BASE}/scores/?q={handle}")) == [world.a.scores[1].pk]
    code = world.a.scores[2].specialty_code
    assert ids(as_analyst.get(f"{BASE}/scores/?specialty={code}")) == [
        world.a.scores[2].pk
    ]
    slug = world.a.program.slug
    assert len(ids(as_analyst.get(f"{BASE}/scores/?program={slug}"))) == 4
    # another team's program is not a choice
    other = as_analyst.get(f"{BASE}/scores/?program={world.b.program.slug}")
    assert other.status_code == 400


def test_finding_filters_are_the_queues(world, as_analyst):
    critical = ids(as_analyst.get(f"{BASE}/findings/?severity=critical"))
    assert critical and set(critical) == {
        f.pk for f in world.a.findings if f.severity == "critical"
    }
    rule = ids(as_analyst.get(f"{BASE}/findings/?rule_code=OFF_LABEL"))
    assert set(rule) == {f.pk for f in world.a.findings if f.rule_code == "OFF_LABEL"}
    slug = world.a.program.slug
    assert len(ids(as_analyst.get(f"{BASE}/findings/?program={slug}"))) == 4
    assert as_analyst.get(f"{BASE}/findings/?severity=bogus").status_code == 400


def test_other_filters(world, as_analyst):
    account = world.a.accounts[0]
    assert ids(as_analyst.get(f"{BASE}/posts/?author={account.pk}")) == [
        world.a.posts[0].pk
    ]
    npi = account.clinician.npi
    assert ids(as_analyst.get(f"{BASE}/clinicians/?npi={npi}")) == [
        account.clinician_id
    ]
    alert = world.a.alerts[0]
    alert.acknowledged_by, alert.acknowledged_at = world.analyst, timezone.now()
    alert.save()
    open_ids = ids(as_analyst.get(f"{BASE}/alerts/?acknowledged=false"))
    assert alert.pk not in open_ids and len(open_ids) == 3
    assert ids(as_analyst.get(f"{BASE}/alerts/?acknowledged=true")) == [alert.pk]
    run = world.a.run
    assert ids(as_analyst.get(f"{BASE}/scoring-runs/?status=succeeded")) == [
        run.pk,
        world.a.old_run.pk,
    ]


# --- query counts ----------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "endpoint",
    [*SCOPED, "ingest-runs", "scan-runs", "sources"],
)
def test_the_query_count_of_a_list_does_not_grow_with_its_rows(world, endpoint):
    from tests.reports import world as w

    client = session_client(world.analyst)
    w.ingest_run(), w.scan_run()
    before = _queries(client, f"{BASE}/{endpoint}/")
    add_candidates(world.a, 12)
    for _ in range(3):
        w.ingest_run(), w.scan_run()
    after = _queries(client, f"{BASE}/{endpoint}/")
    assert after == before
    assert after <= 6


def test_the_findings_and_scores_lists_are_one_query_each(world):
    """Beyond the session: one query for the page (and, for scores, one for the
    latest runs)."""
    client = session_client(world.analyst)
    client.get(f"{BASE}/programs/")  # warm the session
    base = _queries(client, f"{BASE}/sources/")  # session + user + the page
    assert _queries(client, f"{BASE}/findings/") == base
    assert _queries(client, f"{BASE}/scores/") == base + 1


def test_scores_of_several_programs_are_paged_program_by_program(world):
    """A member of both programs walks A's ranks then B's, forwards and back, with
    pages that straddle the two programs."""
    world.b.program.members.add(world.analyst)
    client = session_client(world.analyst)
    a_first = world.a.program.pk < world.b.program.pk
    first, second = (world.a, world.b) if a_first else (world.b, world.a)
    every = [s.pk for s in first.scores] + [s.pk for s in second.scores]
    assert walk(client, f"{BASE}/scores/?page_size=3") == every
    body = client.get(f"{BASE}/scores/?page_size=3").json()
    while body["next"]:
        body = client.get(body["next"]).json()
    back = [r["id"] for r in body["results"]]
    while body["previous"]:
        body = client.get(body["previous"]).json()
        back = [r["id"] for r in body["results"]] + back
    assert back == every
    # one query per program a page reaches (plus the latest runs), not per row
    add_candidates(world.a, 5)
    add_candidates(world.b, 5)
    base = _queries(client, f"{BASE}/sources/")
    assert _queries(client, f"{BASE}/scores/?page_size=3") == base + 1
    straddle = len(first.scores) + 2
    assert _queries(client, f"{BASE}/scores/?page_size={straddle}") == base + 2


def test_list_rows_serialize_exactly_like_model_instances(world):
    """The findings and scores lists serialize flat rows; a detail serializes the
    model instance: both give the same JSON, including absent relations."""
    from vetting.api import selectors
    from vetting.api.serializers import FindingSerializer, InfluencerScoreSerializer

    world.a.scores[1].clinician = None
    world.a.scores[1].contributions = {"alignment": 1, "spread": None}
    world.a.scores[1].save()
    finding = world.a.findings[0]
    finding.decided_by, finding.status = world.medical, "confirmed"
    finding.save()
    runs = selectors.latest_runs_for_user(world.analyst)
    rows = list(selectors.score_rows(runs).order_by("rank"))
    instances = selectors.score_list_any_run_for_user(world.analyst)
    for row in rows:
        instance = instances.get(pk=row["id"])
        assert InfluencerScoreSerializer(row).data == dict(
            InfluencerScoreSerializer(instance).data
        )
    assert InfluencerScoreSerializer(rows[1]).data["clinician_name"] is None
    assert InfluencerScoreSerializer(rows[0]).data["clinician_name"]
    finding_rows = list(selectors.finding_rows_for_user(world.analyst))
    assert len(finding_rows) == 4
    for row in finding_rows:
        instance = selectors.finding_get_for_user(world.analyst, row["id"])
        assert FindingSerializer(row).data == dict(FindingSerializer(instance).data)
