"""Program pages: membership scoping (404 for outsiders), the ranking and the score
explanation render with a bounded number of queries, and only analysts and admins
start scoring runs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vetting import services
from vetting.constants import ROLE_ANALYST, ROLE_MEDICAL
from vetting.models import ScoringRun


def _user(django_user_model, name, role):
    user = django_user_model.objects.create_user(username=name, password="x-Pass-12345")
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def scored(program):
    program, star = program
    run, _ = services.scoring_run_create(program=program)
    services.scoring_run_inline(run_id=run.pk)
    return program, star


@pytest.mark.django_db
def test_members_see_the_ranking_and_outsiders_get_404(
    client, django_user_model, scored
):
    program, star = scored
    member = _user(django_user_model, "member", ROLE_MEDICAL)
    outsider = _user(django_user_model, "outsider", ROLE_ANALYST)
    program.members.add(member)
    urls = [
        reverse("vetting:program-detail", args=[program.slug]),
        reverse("vetting:score-detail", args=[program.slug, star.pk]),
    ]
    client.force_login(outsider)
    assert program.name not in client.get(reverse("vetting:program-list")).text
    for url in urls:
        assert client.get(url).status_code == 404
    assert (
        client.post(reverse("vetting:program-score", args=[program.slug])).status_code
        == 404
    )

    client.force_login(member)
    assert program.name in client.get(reverse("vetting:program-list")).text
    ranking = client.get(urls[0])
    assert ranking.status_code == 200
    assert f"@{star.handle}" in ranking.text
    explanation = client.get(urls[1])
    assert explanation.status_code == 200
    assert "7 of the 7 verified clinicians of the same specialty" in explanation.text
    # a medical reviewer cannot start a run
    assert (
        client.post(reverse("vetting:program-score", args=[program.slug])).status_code
        == 403
    )


@pytest.mark.django_db
def test_the_ranking_query_count_does_not_grow_with_the_candidates(
    client, django_user_model, scored
):
    program, _ = scored
    member = _user(django_user_model, "member", ROLE_ANALYST)
    program.members.add(member)
    client.force_login(member)
    url = reverse("vetting:program-detail", args=[program.slug])
    cache.clear()  # the run's counts are cached: measure both requests cold
    with CaptureQueriesContext(connection) as few:
        client.get(url + "?specialty=207N00000X")  # 8 candidates
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        client.get(url)  # 16 candidates
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many.captured_queries) <= 20


@pytest.mark.django_db
def test_an_analyst_queues_a_run(client, django_user_model, program, monkeypatch):
    program, _ = program
    analyst = _user(django_user_model, "ana", ROLE_ANALYST)
    program.members.add(analyst)
    client.force_login(analyst)
    sent = []
    monkeypatch.setattr(
        "vetting.tasks.scoring_run_execute.delay", lambda **kw: sent.append(kw)
    )
    response = client.post(reverse("vetting:program-score", args=[program.slug]))
    assert response.status_code == 302
    run = ScoringRun.objects.get(program=program)
    assert run.status == "pending" and run.requested_by == analyst
    assert sent == [{"run_id": run.pk}]
