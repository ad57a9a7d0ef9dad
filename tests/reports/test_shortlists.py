"""Shortlists: members keep the score frozen when they were added (every component,
composite, rank, gates, flags, run, version, as_of) while today's follow the
program's latest run; ranks stay 1..n; analysts and admins write, other members
read (403 on writes), outsiders get 404; every change is audited; the discovery
page adds candidates; the pages and the API do a fixed number of queries."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from reports import services
from reports.models import Export, Shortlist, ShortlistMember
from reports.services_tokens import api_token_create
from tests.reports import shortlists_world as sw
from vetting.scoring.weights import COMPONENTS

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def world(db) -> sw.World:
    return sw.build()


@pytest.fixture
def shortlist(world) -> Shortlist:
    shortlist = services.shortlist_create(
        program=world.heart, name="Cardio picks", user=world.analyst
    )
    services.shortlist_members_add(
        shortlist=shortlist,
        score_ids=[s.pk for s in world.scores[:4]],
        user=world.analyst,
    )
    return shortlist


def _ranks(shortlist) -> list[tuple[int, int]]:
    """(rank, account id) in rank order."""
    return list(
        ShortlistMember.objects.filter(shortlist=shortlist)
        .order_by("rank")
        .values_list("rank", "account_id")
    )


def _member(shortlist, account) -> ShortlistMember:
    return ShortlistMember.objects.get(shortlist=shortlist, account=account)


# --- services --------------------------------------------------------------------------


def test_adding_freezes_every_score_of_the_latest_run(world, shortlist):
    star, risky = world.scores[0], world.scores[2]
    member = _member(shortlist, star.account)
    assert member.rank == 1
    assert member.frozen_run_id == world.run.pk
    assert member.frozen_composite == pytest.approx(0.81)
    assert member.clinician_id == star.clinician_id
    frozen = member.frozen
    for name in COMPONENTS:
        assert frozen[name] == pytest.approx(getattr(star, name)), name
    assert frozen["trust_density"] == pytest.approx(0.93)
    assert frozen["composite"] == pytest.approx(0.81)
    assert frozen["rank"] == 1 and frozen["specialty_rank"] == 1
    assert frozen["gates_passed"] is True and frozen["gate_failures"] == []
    assert frozen["authenticity_flagged"] is False
    assert frozen["run_id"] == world.run.pk and frozen["score_id"] == star.pk
    assert frozen["scoring_version"] == "1.0"
    assert datetime.fromisoformat(frozen["as_of"]) == sw.AS_OF
    assert frozen["contributions"]["trust_density"] == pytest.approx(0.093)
    assert frozen["findings"]["open_minor"] == 1  # the "overstated" finding
    # the compliance flags of the moment: dismissed and superseded ones do not count
    flags = _member(shortlist, risky.account).frozen
    assert flags["gates_passed"] is False
    assert flags["gate_failures"] == ["open critical finding"]
    assert flags["findings"] == {
        "open_critical": 1,
        "open_major": 1,
        "open_minor": 0,
        "confirmed_or_escalated": 1,
        "rules": ["FAIR_BALANCE", "OFF_LABEL", "UNDISCLOSED_SPONSORSHIP"],
    }
    assert _member(shortlist, world.accounts[3]).frozen["authenticity_flagged"]


def test_frozen_scores_stay_when_a_new_run_changes_them(client, world, shortlist):
    newer = sw.scoring_run(world.heart, day=3)
    sw.score(
        newer, world.accounts[0], rank=2, composite=0.5, components={"spread": 0.1}
    )
    sw.score(newer, world.accounts[1], rank=1, composite=0.75)
    # accounts 2 and 3 are not in the newer run
    member = _member(shortlist, world.accounts[0])
    member.refresh_from_db()
    assert member.frozen_composite == pytest.approx(0.81)
    assert member.frozen["spread"] == pytest.approx(0.5)
    assert member.frozen["run_id"] == world.run.pk

    client.force_login(world.medical)  # any member reads
    response = client.get(reverse("reports:shortlist-detail", args=[shortlist.pk]))
    assert response.status_code == 200
    rows = {row.member.account_id: row for row in response.context["rows"]}
    star = rows[world.accounts[0].pk]
    assert star.today.run_id == newer.pk
    assert star.today.composite == pytest.approx(0.5)
    assert star.change == pytest.approx(-0.31)
    spread = next(c for c in star.components if c["name"] == "spread")
    assert spread["frozen"] == pytest.approx(0.5)
    assert spread["today"] == pytest.approx(0.1)
    assert spread["change"] == pytest.approx(-0.4)
    assert rows[world.accounts[2].pk].today is None
    text = response.text
    assert "0.810" in text and "0.500" in text and "-0.310" in text
    assert "not in the latest run" in text
    assert response.context["run"] == newer


def test_ranks_stay_one_to_n_without_gaps(world, shortlist):
    a = [acc.pk for acc in world.accounts]
    assert _ranks(shortlist) == [(1, a[0]), (2, a[1]), (3, a[2]), (4, a[3])]
    user = world.analyst
    services.shortlist_member_move(
        member=_member(shortlist, world.accounts[2]), user=user, direction="up"
    )
    assert _ranks(shortlist) == [(1, a[0]), (2, a[2]), (3, a[1]), (4, a[3])]
    services.shortlist_member_move(
        member=_member(shortlist, world.accounts[0]), user=user, direction="down"
    )
    assert _ranks(shortlist) == [(1, a[2]), (2, a[0]), (3, a[1]), (4, a[3])]
    services.shortlist_member_move(
        member=_member(shortlist, world.accounts[3]), user=user, rank=1
    )
    assert _ranks(shortlist) == [(1, a[3]), (2, a[2]), (3, a[0]), (4, a[1])]
    # beyond the ends: clamped, nothing moves
    services.shortlist_member_move(
        member=_member(shortlist, world.accounts[3]), user=user, direction="up"
    )
    services.shortlist_member_move(
        member=_member(shortlist, world.accounts[1]), user=user, rank=99
    )
    assert _ranks(shortlist) == [(1, a[3]), (2, a[2]), (3, a[0]), (4, a[1])]
    services.shortlist_member_remove(
        member=_member(shortlist, world.accounts[2]), user=user
    )
    assert _ranks(shortlist) == [(1, a[3]), (2, a[0]), (3, a[1])]
    # a new member goes to the end
    services.shortlist_members_add(
        shortlist=shortlist, score_ids=[world.scores[4].pk], user=user
    )
    assert _ranks(shortlist) == [(1, a[3]), (2, a[0]), (3, a[1]), (4, a[4])]
    with pytest.raises(ValidationError):
        services.shortlist_member_move(
            member=_member(shortlist, world.accounts[0]), user=user, rank=0
        )


def test_an_account_already_on_the_list_is_left_alone(world, shortlist):
    member = _member(shortlist, world.accounts[1])
    services.shortlist_member_annotate(member=member, user=world.analyst, note="keep")
    result = services.shortlist_members_add(
        shortlist=shortlist,
        score_ids=[world.scores[1].pk, world.scores[4].pk],
        user=world.analyst,
    )
    assert [m.account_id for m in result.added] == [world.accounts[4].pk]
    assert result.already == [world.accounts[1].pk]
    member.refresh_from_db()
    assert member.note == "keep" and member.rank == 2
    assert shortlist.members.count() == 5


@pytest.mark.parametrize("which", ["other program", "older run", "unknown"])
def test_scores_of_another_program_or_an_older_run_are_refused(world, which):
    shortlist = services.shortlist_create(
        program=world.heart, name="Strict", user=world.analyst
    )
    bad = {
        "other program": world.secret_score.pk,
        "older run": world.old_run.scores.first().pk,
        "unknown": 987654,
    }[which]
    with pytest.raises(ValidationError):
        services.shortlist_members_add(
            shortlist=shortlist,
            score_ids=[world.scores[0].pk, bad],
            user=world.analyst,
        )
    assert shortlist.members.count() == 0  # all or nothing


def test_names_are_unique_within_a_program(world, shortlist):
    with pytest.raises(ValidationError):
        services.shortlist_create(
            program=world.heart, name="Cardio picks", user=world.admin
        )
    other = services.shortlist_create(
        program=world.heart, name="Other", user=world.admin
    )
    with pytest.raises(ValidationError):
        services.shortlist_rename(
            shortlist=other, user=world.admin, name="Cardio picks"
        )


def test_roles_other_than_analyst_and_admin_cannot_write(world, shortlist):
    member = _member(shortlist, world.accounts[0])
    with pytest.raises(PermissionDenied):
        services.shortlist_create(program=world.heart, name="x", user=world.medical)
    with pytest.raises(PermissionDenied):
        services.shortlist_member_move(
            member=member, user=world.medical, direction="down"
        )
    with pytest.raises(PermissionDenied):
        services.shortlist_member_annotate(member=member, user=world.medical, note="x")
    # an admin may
    services.shortlist_member_annotate(member=member, user=world.admin, note="ok")


def test_an_exported_shortlist_is_kept_and_others_can_be_deleted(
    world, shortlist, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    empty = services.shortlist_create(
        program=world.heart, name="Scratch", user=world.analyst
    )
    services.shortlist_delete(shortlist=empty, user=world.analyst)
    assert not Shortlist.objects.filter(pk=empty.pk).exists()
    services.export_create(
        user=world.analyst, kind="shortlist", file_format="csv", shortlist=shortlist
    )
    with pytest.raises(ValidationError, match="exported"):
        services.shortlist_delete(shortlist=shortlist, user=world.analyst)
    assert Shortlist.objects.filter(pk=shortlist.pk).exists()


def test_every_change_is_audited_with_the_program(world, shortlist):
    user = world.analyst
    member = _member(shortlist, world.accounts[1])
    services.shortlist_member_move(member=member, user=user, direction="up")
    services.shortlist_member_annotate(member=member, user=user, note="Strong voice")
    services.shortlist_member_remove(member=member, user=user)
    services.shortlist_rename(shortlist=shortlist, user=user, name="Renamed")
    events = list(
        AuditEvent.objects.filter(action__startswith="shortlist.").order_by("pk")
    )
    assert [e.action for e in events] == [
        "shortlist.created",
        *["shortlist.member_added"] * 4,
        "shortlist.member_moved",
        "shortlist.member_annotated",
        "shortlist.member_removed",
        "shortlist.renamed",
    ]
    assert {e.program_id for e in events} == {world.heart.pk}
    assert {e.actor_id for e in events} == {user.pk}
    moved = events[5]
    assert moved.before == {"rank": 2} and moved.after["rank"] == 1
    assert events[6].after["note"] == "Strong voice"
    assert events[7].before["account"] == world.accounts[1].pk
    assert events[8].before["name"] == "Cardio picks"
    assert events[8].after["name"] == "Renamed"
    # a refused change leaves no event
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        services.shortlist_members_add(
            shortlist=shortlist, score_ids=[world.secret_score.pk], user=user
        )
    assert AuditEvent.objects.count() == before


# --- pages -----------------------------------------------------------------------------


def _post_urls(shortlist, member) -> dict[str, tuple[str, dict]]:
    m = [shortlist.pk, member.pk]
    return {
        "create": (
            reverse("reports:shortlist-list"),
            {"program": "heart", "name": "N"},
        ),
        "rename": (
            reverse("reports:shortlist-edit", args=[shortlist.pk]),
            {"name": "R"},
        ),
        "delete": (reverse("reports:shortlist-delete", args=[shortlist.pk]), {}),
        "move": (
            reverse("reports:shortlist-member-move", args=m),
            {"direction": "down"},
        ),
        "note": (reverse("reports:shortlist-member-note", args=m), {"note": "x"}),
        "remove": (reverse("reports:shortlist-member-remove", args=m), {}),
        "add": (reverse("reports:shortlist-add"), {"ids": "1", "shortlist": "new"}),
    }


def test_other_roles_read_but_get_403_on_every_write(client, world, shortlist):
    member = _member(shortlist, world.accounts[0])
    client.force_login(world.medical)
    detail = client.get(reverse("reports:shortlist-detail", args=[shortlist.pk]))
    assert detail.status_code == 200
    assert "Save note" not in detail.text and "Move" not in detail.text
    listing = client.get(reverse("reports:shortlist-list"))
    assert listing.status_code == 200 and "Cardio picks" in listing.text
    assert "Create shortlist" not in listing.text
    for name, (url, data) in _post_urls(shortlist, member).items():
        assert client.post(url, data).status_code == 403, name
    assert client.get(reverse("reports:shortlist-picker")).content == b""
    assert _ranks(shortlist)[0] == (1, world.accounts[0].pk)
    assert Shortlist.objects.count() == 1


def test_an_outsider_gets_404_and_sees_no_shortlist(client, world, shortlist):
    member = _member(shortlist, world.accounts[0])
    client.force_login(world.outsider)  # an analyst of another program
    detail = reverse("reports:shortlist-detail", args=[shortlist.pk])
    assert client.get(detail).status_code == 404
    urls = _post_urls(shortlist, member)
    for name in ("rename", "delete", "move", "note", "remove"):
        url, data = urls[name]
        assert client.post(url, data).status_code == 404, name
    export = reverse("reports:shortlist-export", args=[shortlist.pk])
    assert client.post(export, {"format": "csv"}).status_code == 404
    assert "Cardio picks" not in client.get(reverse("reports:shortlist-list")).text
    # creating one for a program they are not a member of: the form refuses it
    url, data = urls["create"]
    assert client.post(url, data).status_code == 400
    assert Shortlist.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client, world, shortlist):
    for url in (
        reverse("reports:shortlist-list"),
        reverse("reports:shortlist-detail", args=[shortlist.pk]),
        reverse("reports:shortlist-picker"),
    ):
        response = client.get(url)
        assert (
            response.status_code == 302 and "/accounts/login/" in response["Location"]
        )


def test_an_analyst_creates_renames_and_deletes_on_the_pages(client, world):
    client.force_login(world.analyst)
    response = client.post(
        reverse("reports:shortlist-list"),
        {"program": "heart", "name": " Lipid voices ", "description": "Q3"},
    )
    shortlist = Shortlist.objects.get(name="Lipid voices")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "reports:shortlist-detail", args=[shortlist.pk]
    )
    assert shortlist.owner == world.analyst and shortlist.description == "Q3"
    client.post(
        reverse("reports:shortlist-edit", args=[shortlist.pk]), {"name": "Lipids"}
    )
    shortlist.refresh_from_db()
    assert shortlist.name == "Lipids"
    response = client.post(reverse("reports:shortlist-delete", args=[shortlist.pk]))
    assert response["Location"] == reverse("reports:shortlist-list")
    assert not Shortlist.objects.filter(pk=shortlist.pk).exists()


def test_moves_notes_and_removal_answer_htmx_with_the_members_table(
    client, world, shortlist
):
    client.force_login(world.analyst)
    second = _member(shortlist, world.accounts[1])
    url = reverse("reports:shortlist-member-move", args=[shortlist.pk, second.pk])
    response = client.post(url, {"direction": "up"}, headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="shortlist-members"' in response.text
    assert [r.member.account_id for r in response.context["rows"]][:2] == [
        world.accounts[1].pk,
        world.accounts[0].pk,
    ]
    # the same form without htmx: a redirect back to the page
    response = client.post(url, {"rank": "3"})
    assert response.status_code == 302
    assert _member(shortlist, world.accounts[1]).rank == 3
    note = reverse("reports:shortlist-member-note", args=[shortlist.pk, second.pk])
    response = client.post(note, {"note": "<b>Great</b> educator"}, headers=HTMX)
    assert "&lt;b&gt;Great&lt;/b&gt; educator" in response.text
    assert _member(shortlist, world.accounts[1]).note == "<b>Great</b> educator"
    bad = client.post(url, {}, headers=HTMX)
    assert bad.status_code == 200 and "Move the member up or down" in bad.text
    remove = reverse("reports:shortlist-member-remove", args=[shortlist.pk, second.pk])
    response = client.post(remove, headers=HTMX)
    assert len(response.context["rows"]) == 3
    assert [r for r, _ in _ranks(shortlist)] == [1, 2, 3]


def test_a_member_of_another_shortlist_is_404(client, world, shortlist):
    other = services.shortlist_create(
        program=world.heart, name="Other", user=world.analyst
    )
    member = _member(shortlist, world.accounts[0])
    client.force_login(world.analyst)
    url = reverse("reports:shortlist-member-note", args=[other.pk, member.pk])
    assert client.post(url, {"note": "x"}).status_code == 404


# --- adding from discovery ---------------------------------------------------------------


def test_discovery_offers_add_to_shortlist_and_export(client, world):
    client.force_login(world.analyst)
    page = client.get(reverse("vetting:discover"), {"program": "heart"})
    assert page.status_code == 200
    assert reverse("reports:shortlist-picker") in page.text
    assert 'formaction="/shortlists/add/"' in page.text
    assert 'action="/exports/discovery/"' in page.text
    assert 'name="query" value="program=heart"' in page.text
    picker = client.get(reverse("reports:shortlist-picker"))
    assert 'id="shortlist-target"' in picker.text and "New shortlist" in picker.text


def test_adding_ticked_candidates_to_a_new_shortlist_with_htmx(client, world):
    client.force_login(world.analyst)
    ids = [world.scores[2].pk, world.scores[0].pk]
    response = client.post(
        reverse("reports:shortlist-add"),
        {"ids": ids, "shortlist": "new", "shortlist_name": "From discovery"},
        headers=HTMX,
    )
    assert response.status_code == 200
    shortlist = Shortlist.objects.get(name="From discovery")
    assert shortlist.program == world.heart
    assert _ranks(shortlist) == [(1, world.accounts[2].pk), (2, world.accounts[0].pk)]
    assert "2 candidates added to “From discovery”" in response.text
    # the picker comes back (out of band) with the new shortlist selected
    assert 'hx-swap-oob="true"' in response.text
    assert f'<option value="{shortlist.pk}" selected>' in response.text
    # again into the same list: one new, one already there
    response = client.post(
        reverse("reports:shortlist-add"),
        {
            "ids": f"{world.scores[0].pk},{world.scores[1].pk}",
            "shortlist": shortlist.pk,
        },
        headers=HTMX,
    )
    assert (
        "1 candidate added" in response.text and "1 was already on it" in response.text
    )
    assert shortlist.members.count() == 3


def test_adding_without_javascript_confirms_then_redirects(client, world):
    client.force_login(world.analyst)
    url = reverse("reports:shortlist-add")
    page = client.get(url, {"ids": [world.scores[0].pk], "back": "program=heart"})
    assert page.status_code == 200 and "Add 1 candidate" in page.text
    assert "Ada Star, MD" in page.text
    response = client.post(
        url, {"ids": [world.scores[0].pk], "shortlist": "new", "shortlist_name": "NoJS"}
    )
    shortlist = Shortlist.objects.get(name="NoJS")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "reports:shortlist-detail", args=[shortlist.pk]
    )
    assert client.get(url).status_code == 400  # nothing ticked


@pytest.mark.parametrize(
    "ids, name, message",
    [
        (lambda w: [], "x", "Tick at least one"),
        (lambda w: ["abc"], "x", "not a candidate"),
        (lambda w: [w.scores[0].pk], "", "Name the new shortlist"),
        # a score of a program the analyst is not a member of is not there at all
        (lambda w: [w.secret_score.pk], "x", "Tick at least one"),
    ],
)
def test_a_bad_add_says_why(client, world, ids, name, message):
    client.force_login(world.analyst)
    data = {"ids": ids(world), "shortlist": "new", "shortlist_name": name}
    response = client.post(reverse("reports:shortlist-add"), data, headers=HTMX)
    assert response.status_code == 200
    assert message in response.text and 'role="alert"' in response.text
    plain = client.post(reverse("reports:shortlist-add"), data)
    assert plain.status_code == 400
    assert Shortlist.objects.count() == 0


def test_a_new_shortlist_needs_candidates_of_one_program(client, world):
    world.secret.members.add(world.analyst)
    client.force_login(world.analyst)
    response = client.post(
        reverse("reports:shortlist-add"),
        {
            "ids": [world.scores[0].pk, world.secret_score.pk],
            "shortlist": "new",
            "shortlist_name": "Mixed",
        },
        headers=HTMX,
    )
    assert "in 2 programs" in response.text
    assert not Shortlist.objects.exists()


# --- query counts ------------------------------------------------------------------------


def test_the_pages_do_not_query_per_row(client, world, shortlist):
    client.force_login(world.analyst)
    detail = reverse("reports:shortlist-detail", args=[shortlist.pk])
    listing = reverse("reports:shortlist-list")
    with CaptureQueriesContext(connection) as few_detail:
        assert len(client.get(detail).context["rows"]) == 4
    with CaptureQueriesContext(connection) as few_list:
        client.get(listing)
    for i in range(3):
        services.shortlist_create(
            program=world.heart, name=f"more {i}", user=world.admin
        )
    services.shortlist_members_add(
        shortlist=shortlist, score_ids=[world.scores[4].pk], user=world.analyst
    )
    newer = sw.scoring_run(world.heart, day=3)
    for i, acc in enumerate(world.accounts):
        sw.score(newer, acc, rank=i + 1, composite=0.5)
    with CaptureQueriesContext(connection) as many_detail:
        assert len(client.get(detail).context["rows"]) == 5
    with CaptureQueriesContext(connection) as many_list:
        assert len(client.get(listing).context["shortlists"]) == 4
    assert len(many_detail.captured_queries) == len(few_detail.captured_queries) <= 14
    assert len(many_list.captured_queries) == len(few_list.captured_queries) <= 10


# --- API ---------------------------------------------------------------------------------


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_api_builds_ranks_annotates_and_removes(world):
    api = _api(world.analyst)
    created = api.post(
        "/api/v1/shortlists/",
        {
            "program": "heart",
            "name": "API list",
            "score_ids": [world.scores[0].pk, world.scores[1].pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    sid = body["id"]
    assert body["program"] == "heart" and body["latest_run"] == world.run.pk
    assert [m["rank"] for m in body["members"]] == [1, 2]
    first = body["members"][0]
    assert first["frozen_composite"] == pytest.approx(0.81)
    assert first["frozen"]["trust_density"] == pytest.approx(0.93)
    assert first["frozen"]["run_id"] == world.run.pk
    assert first["today"]["composite"] == pytest.approx(0.81)
    assert first["composite_change"] == pytest.approx(0.0)

    added = api.post(
        f"/api/v1/shortlists/{sid}/members/",
        {"score_ids": [world.scores[2].pk, world.scores[0].pk]},
        format="json",
    )
    assert added.status_code == 200
    assert [m["account"] for m in added.json()["added"]] == [world.accounts[2].pk]
    assert added.json()["already"] == [world.accounts[0].pk]

    third = added.json()["added"][0]["id"]
    moved = api.patch(
        f"/api/v1/shortlists/{sid}/members/{third}/", {"rank": 1}, format="json"
    )
    assert moved.status_code == 200
    assert [m["id"] for m in moved.json()["members"]][0] == third
    noted = api.patch(
        f"/api/v1/shortlists/{sid}/members/{third}/",
        {"note": "Check the off-label post", "direction": "down"},
        format="json",
    )
    members = noted.json()["members"]
    assert (
        members[1]["id"] == third and members[1]["note"] == "Check the off-label post"
    )
    assert api.delete(f"/api/v1/shortlists/{sid}/members/{third}/").status_code == 204
    detail = api.get(f"/api/v1/shortlists/{sid}/").json()
    assert [m["rank"] for m in detail["members"]] == [1, 2]
    listing = api.get("/api/v1/shortlists/", {"program": "heart"}).json()
    assert [s["id"] for s in listing["results"]] == [sid]
    assert listing["results"][0]["member_count"] == 2
    renamed = api.patch(
        f"/api/v1/shortlists/{sid}/", {"name": "Renamed"}, format="json"
    )
    assert renamed.json()["name"] == "Renamed"
    assert api.delete(f"/api/v1/shortlists/{sid}/").status_code == 204


def test_api_bad_input_is_a_400(world, shortlist):
    api = _api(world.analyst)
    assert (
        api.post(
            f"/api/v1/shortlists/{shortlist.pk}/members/",
            {"score_ids": [world.secret_score.pk]},
            format="json",
        ).status_code
        == 400
    )
    assert (
        api.post(
            f"/api/v1/shortlists/{shortlist.pk}/members/",
            {"score_ids": []},
            format="json",
        ).status_code
        == 400
    )
    member = _member(shortlist, world.accounts[0])
    url = f"/api/v1/shortlists/{shortlist.pk}/members/{member.pk}/"
    assert api.patch(url, {}, format="json").status_code == 400
    assert api.patch(url, {"rank": 0}, format="json").status_code == 400
    duplicate = {"program": "heart", "name": "Cardio picks"}
    assert api.post("/api/v1/shortlists/", duplicate, format="json").status_code == 400


def test_api_roles_and_scoping(world, shortlist):
    member = _member(shortlist, world.accounts[0])
    base = f"/api/v1/shortlists/{shortlist.pk}/"
    medical = _api(world.medical)
    assert medical.get(base).status_code == 200
    assert medical.patch(base, {"name": "x"}, format="json").status_code == 403
    assert (
        medical.post(
            f"{base}members/", {"score_ids": [world.scores[4].pk]}, format="json"
        ).status_code
        == 403
    )
    assert medical.delete(f"{base}members/{member.pk}/").status_code == 403
    assert (
        medical.post(
            "/api/v1/shortlists/", {"program": "heart", "name": "y"}, format="json"
        ).status_code
        == 403
    )
    outsider = _api(world.outsider)
    assert outsider.get(base).status_code == 404
    assert outsider.patch(base, {"name": "x"}, format="json").status_code == 404
    assert outsider.delete(f"{base}members/{member.pk}/").status_code == 404
    assert outsider.get("/api/v1/shortlists/").json()["results"] == []
    assert (
        outsider.post(
            "/api/v1/shortlists/", {"program": "heart", "name": "y"}, format="json"
        ).status_code
        == 404
    )
    assert APIClient().get(base).status_code == 401
    assert _ranks(shortlist)[0] == (1, world.accounts[0].pk)


def test_a_read_only_token_reads_shortlists_but_cannot_change_them(world, shortlist):
    key = api_token_create(user=world.analyst, name="warehouse", read_only=True).key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/v1/shortlists/{shortlist.pk}/").status_code == 200
    response = api.patch(
        f"/api/v1/shortlists/{shortlist.pk}/", {"name": "x"}, format="json"
    )
    assert response.status_code == 403
    full = api_token_create(user=world.analyst, name="client", read_only=False).key
    api.credentials(HTTP_AUTHORIZATION=f"Token {full}")
    response = api.patch(
        f"/api/v1/shortlists/{shortlist.pk}/", {"name": "via token"}, format="json"
    )
    assert response.status_code == 200


def test_api_detail_queries_do_not_grow_with_members(world, shortlist):
    api = _api(world.analyst)
    url = f"/api/v1/shortlists/{shortlist.pk}/"
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(url).json()["members"]) == 4
    services.shortlist_members_add(
        shortlist=shortlist, score_ids=[world.scores[4].pk], user=world.analyst
    )
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(url).json()["members"]) == 5
    assert len(many.captured_queries) == len(few.captured_queries)
    listing = "/api/v1/shortlists/"
    with CaptureQueriesContext(connection) as one:
        api.get(listing)
    services.shortlist_create(program=world.heart, name="Second", user=world.admin)
    with CaptureQueriesContext(connection) as two:
        assert len(api.get(listing).json()["results"]) == 2
    assert len(one.captured_queries) == len(two.captured_queries)


def test_exports_of_the_shortlist_keep_a_record(world, shortlist, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    export = services.export_create(
        user=world.analyst, kind="shortlist", file_format="xlsx", shortlist=shortlist
    )
    assert export.status == Export.Status.SUCCEEDED
    assert export.shortlist_id == shortlist.pk and export.program_id == world.heart.pk


# --- the FilterSet shared by the page and the API ------------------------------------------


def test_the_shortlist_filterset_covers_program_and_name(client, world, shortlist):
    from reports.filters import ShortlistFilterSet

    assert {"program", "q"} <= set(ShortlistFilterSet.base_filters)
    other = services.shortlist_create(
        program=world.heart, name="Lipid voices", user=world.admin
    )
    client.force_login(world.analyst)
    page = client.get(reverse("reports:shortlist-list"), {"q": "lipid"})
    assert [s.pk for s in page.context["shortlists"]] == [other.pk]
    assert "Clear filters" in page.text
    page = client.get(reverse("reports:shortlist-list"), {"program": "secret"})
    assert "program" in page.context["filter_form"].errors  # not one of theirs
    api = _api(world.analyst)
    found = api.get("/api/v1/shortlists/", {"q": "cardio"}).json()["results"]
    assert [s["id"] for s in found] == [shortlist.pk]


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "members/", {"score_ids": [2**70]}),
        ("post", "members/", {"score_ids": ["x"]}),
        ("post", "members/", {"score_ids": {"a": 1}}),
        ("patch", "members/MEMBER/", {"rank": 2**70}),
        ("patch", "members/MEMBER/", {"direction": "sideways"}),
        ("patch", "members/MEMBER/", {"note": "x" * 5000}),
        ("patch", "", {"name": ""}),
        ("patch", "", {"name": "n" * 200}),
    ],
)
def test_api_hostile_input_is_a_400_never_a_500(world, shortlist, method, path, body):
    member = _member(shortlist, world.accounts[0])
    url = f"/api/v1/shortlists/{shortlist.pk}/{path.replace('MEMBER', str(member.pk))}"
    response = getattr(_api(world.analyst), method)(url, body, format="json")
    assert response.status_code == 400, response.content


def test_api_ids_beyond_bigint_are_404(world, shortlist):
    api = _api(world.analyst)
    huge = 2**70
    assert api.get(f"/api/v1/shortlists/{huge}/").status_code == 404
    assert (
        api.delete(f"/api/v1/shortlists/{shortlist.pk}/members/{huge}/").status_code
        == 404
    )
    assert api.get(f"/api/v1/exports/{huge}/").status_code == 404
    assert api.get(f"/api/v1/exports/{huge}/download/").status_code == 404
