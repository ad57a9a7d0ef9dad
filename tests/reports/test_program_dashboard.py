"""One program's dashboard (issue 8): the figures of the latest run (histograms in
SQL, specialties, platforms, gates), findings by rule and week, adverse-event and
vetting cases, drift from the run before, the program's alerts; members only, in a
fixed number of queries."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance.models import AdverseEventCase, Finding
from influencers.models import SocialAccount
from listening.models import Post
from reports import selectors_program
from tests.influencers.factories import SocialAccountFactory
from tests.reports import world
from tests.vetting.conftest import END, program  # noqa: F401  (the fixture)
from vetting import services
from vetting.constants import ROLE_ANALYST, ROLE_MEDICAL
from vetting.models import Alert, InfluencerScore, ScoringRun, VettingCase
from vetting.scoring.weights import COMPONENTS

pytestmark = pytest.mark.django_db

BINS = selectors_program.BINS


@pytest.fixture(autouse=True)
def _empty_cache():
    """The run figures are cached by run; every test starts without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def scored(program):  # noqa: F811  (the fixture imported above)
    """The vetting tests' small world scored once: 16 candidates (8 in each of two
    specialties; the fans are outside the follower range), every gate passed."""
    prog, star = program
    run, _ = services.scoring_run_create(program=prog)
    run = services.scoring_run_inline(run_id=run.pk)
    assert run.status == ScoringRun.Status.SUCCEEDED
    return prog, star, run


@pytest.fixture
def member(client, scored):
    prog = scored[0]
    user = world.user(ROLE_MEDICAL, programs=[prog])
    client.force_login(user)
    return user


def url_of(prog) -> str:
    return reverse("reports:program-dashboard", args=[prog.slug])


def expected_bins(values) -> tuple[list[int], int]:
    """What ``width_bucket(v, 0, 1, 20)`` (1.0 in the last bin) gives, in Python."""
    counts = [0] * BINS
    missing = 0
    for value in values:
        if value is None:
            missing += 1
            continue
        counts[min(math.floor(BINS * value) + 1, BINS) - 1] += 1
    return counts, missing


def chart_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="pd-chart-data" type="application/json">')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


# --- access ---------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client, scored):
    response = client.get(url_of(scored[0]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_outsider_gets_404(client, scored):
    outsider = world.user(ROLE_ANALYST, programs=[world.program("Other program")])
    client.force_login(outsider)

    assert client.get(url_of(scored[0])).status_code == 404
    assert (
        client.get(reverse("reports:program-dashboard", args=["nope"])).status_code
        == 404
    )


def test_program_page_and_home_dashboard_link_to_it(client, member, scored):
    prog = scored[0]
    target = f'href="{url_of(prog)}"'

    assert (
        target
        in client.get(
            reverse("vetting:program-detail", args=[prog.slug])
        ).content.decode()
    )
    assert target in client.get(reverse("reports:home")).content.decode()


# --- figures of the latest run --------------------------------------------------------


def test_histograms_match_the_scores(scored):
    prog, _, run = scored
    scores = list(InfluencerScore.objects.filter(run=run))

    figures = selectors_program.run_figures(run)

    assert figures.candidates == len(scores) == 16
    for key in ("composite", *COMPONENTS):
        counts, missing = expected_bins(getattr(s, key) for s in scores)
        histogram = figures.histograms[key]
        assert list(histogram.counts) == counts, key
        assert histogram.missing == missing, key
        assert histogram.total + histogram.missing == len(scores)
    # the fixture's world has a spread of composites, not one bin
    assert sum(1 for n in figures.histograms["composite"].counts if n) > 1


def test_1_counts_in_the_last_bin_and_no_value_in_no_bin(scored):
    _, star, run = scored
    scores = InfluencerScore.objects.filter(run=run).order_by("account_id")
    others = list(scores.exclude(account=star).values_list("pk", flat=True))
    scores.filter(account=star).update(trust_density=1.0)
    scores.filter(pk__in=others[:5]).update(trust_density=None)
    scores.filter(pk__in=others[5:]).update(trust_density=0.0)

    histogram = selectors_program.run_figures(run).histograms["trust_density"]

    assert histogram.counts[-1] == 1
    assert histogram.counts[0] == 10
    assert sum(histogram.counts) == 11
    assert histogram.missing == 5


def test_specialties_platforms_and_gates(scored):
    prog, _, run = scored
    ids = list(
        InfluencerScore.objects.filter(run=run)
        .order_by("account_id")
        .values_list("account_id", flat=True)
    )
    # three candidates on Mastodon (the platform is the account's), one unlinked,
    # three failing gates (one of them two)
    SocialAccount.objects.filter(pk__in=ids[:3]).update(platform="mastodon")
    InfluencerScore.objects.filter(run=run, account_id=ids[3]).update(specialty_code="")
    fail = InfluencerScore.objects.filter(run=run)
    fail.filter(account_id__in=ids[4:6]).update(
        gates_passed=False, gate_failures=["identity not verified"]
    )
    fail.filter(account_id=ids[6]).update(
        gates_passed=False,
        gate_failures=["identity not verified", "open critical finding"],
    )
    scores = list(InfluencerScore.objects.filter(run=run))

    figures = selectors_program.run_figures(run)

    by_code = Counter(s.specialty_code for s in scores)
    bars = {bar.key: bar.count for bar in figures.specialties}
    assert bars == dict(by_code)
    assert bars[""] == 1 and sum(bars.values()) == 16
    assert figures.specialty_count == 2
    assert {bar.key: bar.count for bar in figures.platforms} == {
        "bluesky": 13,
        "mastodon": 3,
    }
    assert (figures.passed, figures.failed) == (13, 3)
    assert {bar.key: bar.count for bar in figures.gate_reasons} == {
        "identity not verified": 3,
        "open critical finding": 1,
    }


def test_the_top_15_specialties_then_the_rest_together(scored):
    prog, _, run = scored
    scores = list(InfluencerScore.objects.filter(run=run).order_by("account_id"))
    for i, score in enumerate(scores):  # 16 candidates in 16 specialties
        score.specialty_code = f"SPEC{i:04d}X"
    InfluencerScore.objects.bulk_update(scores, ["specialty_code"])
    for code in ("SPEC0015X", "SPEC0015X", ""):  # the last one grows; one unlinked
        InfluencerScore.objects.create(
            run=run, program=prog, account=SocialAccountFactory(),
            as_of=run.finished_at, scoring_version="1.0", specialty_code=code,
        )  # fmt: skip

    figures = selectors_program.run_figures(run)
    bars = figures.specialties

    assert (bars[0].key, bars[0].count) == ("SPEC0015X", 3)
    assert len(bars) == 15 + 1 + 1  # top 15, the other one, no specialty
    assert [bar.key for bar in bars[1:15]] == [f"SPEC{i:04d}X" for i in range(14)]
    assert (bars[-2].key, bars[-2].count) == ("other", 1)
    assert bars[-2].label == "1 other specialty"
    assert (bars[-1].key, bars[-1].count) == ("", 1)
    assert figures.specialty_count == 16


def test_the_figures_of_a_run_are_cached_by_run(scored):
    _, _, run = scored
    selectors_program.run_figures(run)

    with CaptureQueriesContext(connection) as queries:
        figures = selectors_program.run_figures(run)

    assert len(queries) == 0
    assert figures.run_id == run.pk


# --- drift between the last two runs --------------------------------------------------


def second_run(prog, run, *, shift: dict[int, float], drop=(), add=()) -> ScoringRun:
    """A later succeeded run with ``run``'s scores, composites moved by ``shift``
    (account id -> change), ``drop`` left out and ``add`` accounts new."""
    later = ScoringRun.objects.create(
        program=prog,
        status=ScoringRun.Status.SUCCEEDED,
        scoring_version=run.scoring_version,
        window_start=run.window_start,
        window_end=run.window_end,
        started_at=run.finished_at + timedelta(hours=1),
        finished_at=run.finished_at + timedelta(hours=2),
    )
    rows = []
    for score in InfluencerScore.objects.filter(run=run).exclude(account_id__in=drop):
        score.pk, score.run = None, later
        if score.composite is not None:
            score.composite = min(
                max(score.composite + shift.get(score.account_id, 0), 0), 1
            )
        rows.append(score)
    for account in add:
        rows.append(
            InfluencerScore(
                run=later,
                program=prog,
                account=account,
                as_of=timezone.now(),
                scoring_version="1.0",
                composite=0.5,
            )  # fmt: skip
        )
    InfluencerScore.objects.bulk_create(rows)
    return later


def test_drift_counts_candidates_beyond_the_threshold(scored):
    prog, _, run = scored
    prog.drift_threshold = 0.1
    prog.save()
    ids = list(
        InfluencerScore.objects.filter(run=run, composite__gte=0.2, composite__lte=0.8)
        .order_by("account_id")
        .values_list("account_id", flat=True)
    )
    assert len(ids) >= 5
    up, down, small = ids[0], ids[1], ids[2]
    dropped = ids[3]
    newcomer = SocialAccountFactory()
    later = second_run(
        prog,
        run,
        shift={up: 0.15, down: -0.12, small: 0.05},
        drop=[dropped],
        add=[newcomer],
    )

    latest, previous = selectors_program.program_last_runs(prog)
    drift = selectors_program.score_drift(latest, previous, prog.drift_threshold)

    assert (latest.pk, previous.pk) == (later.pk, run.pk)
    assert drift.up == 1 and drift.down == 1 and drift.moved == 2
    assert drift.new == 1 and drift.gone == 1
    assert drift.compared == 15  # 16 candidates before, one no longer scored
    assert drift.within == 13
    assert sum(drift.counts) == drift.compared
    # +0.15 falls in the bin [0.15, 0.20); -0.12 in [-0.15, -0.10)
    assert drift.counts[13] >= 1 and drift.counts[7] >= 1


def test_no_drift_without_a_previous_run(scored):
    prog, _, run = scored
    latest, previous = selectors_program.program_last_runs(prog)

    assert (latest.pk, previous) == (run.pk, None)
    assert selectors_program.score_drift(latest, None, 0.1) is None


# --- live figures ---------------------------------------------------------------------


def finding_on(author, rule, *, posted_at, **fields) -> Finding:
    """A finding of ``rule`` on a new post by ``author`` published at ``posted_at``."""
    post = world.post(author)
    Post.objects.filter(pk=post.pk).update(posted_at=posted_at)
    fields.setdefault("severity", "major")
    return Finding.objects.create(
        post=post,
        rule_code=rule,
        rule_version="1.0",
        explanation="Test.",
        fingerprint=f"pd-{post.pk}-{rule}",
        **fields,
    )


def test_findings_by_rule_and_week_in_the_window(scored, django_user_model):
    prog, star, run = scored
    start, end = selectors_program.program_window(prog, run)
    assert end == END  # the run's window ends at the program's pinned end
    week = end - timedelta(days=20)
    monday = (week - timedelta(days=week.weekday())).date()
    other = (
        InfluencerScore.objects.filter(run=run).exclude(account=star).first().account
    )
    decider = django_user_model.objects.create_user("decider")
    finding_on(star, "OFF_LABEL", posted_at=week)
    finding_on(star, "OFF_LABEL", posted_at=week + timedelta(hours=1))
    finding_on(other, "FAIR_BALANCE", posted_at=week)
    finding_on(star, "FAIR_BALANCE", posted_at=week - timedelta(days=7))
    # left out: dismissed, superseded, outside the window, not a candidate's post
    finding_on(
        star, "OFF_LABEL", posted_at=week, status="dismissed", decided_by=decider
    )
    finding_on(star, "OFF_LABEL", posted_at=week, is_current=False)
    finding_on(star, "OFF_LABEL", posted_at=start - timedelta(days=3))
    finding_on(SocialAccountFactory(), "OFF_LABEL", posted_at=week)

    weekly = selectors_program.findings_by_week(run, start, end)

    assert weekly.total == 4
    assert weekly.rules == ("FAIR_BALANCE", "OFF_LABEL") or weekly.rules == (
        "OFF_LABEL",
        "FAIR_BALANCE",
    )
    i = [w.date() for w in weekly.weeks].index(monday)
    assert weekly.series["OFF_LABEL"][i] == 2
    assert weekly.series["FAIR_BALANCE"][i] == 1
    assert weekly.series["FAIR_BALANCE"][i - 1] == 1
    assert dict(weekly.rule_rows) == {"OFF_LABEL": 2, "FAIR_BALANCE": 2}
    assert all(w.weekday() == 0 for w in weekly.weeks)
    assert len(weekly.weeks) == 27  # 180 days from a Thursday: 27 Monday weeks


def test_ae_cases_by_status_with_the_overdue(scored):
    prog, star, run = scored
    world.ae_case(star, due_in=timedelta(hours=-3))  # triage, overdue
    world.ae_case(star, due_in=timedelta(days=4))  # triage
    world.ae_case(star, due_in=timedelta(hours=-1), status="reportable")  # overdue
    world.ae_case(star, due_in=timedelta(days=-2), status="not_reportable")  # closed
    world.ae_case(SocialAccountFactory(), due_in=timedelta(hours=-2))  # not ours

    ae = selectors_program.ae_case_counts(run)

    rows = {status: (n, late) for status, _, n, late in ae.by_status}
    assert rows["triage"] == (2, 1)
    assert rows["reportable"] == (1, 1)
    assert rows["not_reportable"] == (1, 0)
    assert rows["forwarded"] == (0, 0)
    assert (ae.total, ae.overdue) == (4, 2)


# --- the page -------------------------------------------------------------------------


def test_the_page_shows_the_figures_with_tables(client, member, scored):
    prog, star, run = scored
    world.vetting_case(prog, "candidate", account=star)
    world.vetting_case(prog, "approved")
    world.ae_case(star, due_in=timedelta(hours=-3))
    finding_on(star, "OFF_LABEL", posted_at=END - timedelta(days=10))

    response = client.get(url_of(prog))

    assert response.status_code == 200
    html = response.content.decode()
    figures = selectors_program.run_figures(run)
    data = chart_data(response)
    assert data["histograms"]["composite"]["counts"] == list(
        figures.histograms["composite"].counts
    )
    assert set(data["histograms"]) == {"composite", *COMPONENTS}
    assert data["cases"]["counts"][0] == 1  # candidate
    assert data["weekly"]["series"] == [
        {"name": "OFF_LABEL", "data": data["weekly"]["series"][0]["data"]}
    ]
    assert sum(data["weekly"]["series"][0]["data"]) == 1
    # every chart has a table with the same figures
    for table in (
        "histogram-composite",
        "histogram-trust_density",
        "components",
        "gates",
        "platforms",
        "specialties",
        "weekly",
        "ae",
        "case-states",
    ):
        assert f'data-table="{table}"' in html, table
    assert 'data-pd-chart="histogram"' in html
    assert 'aria-hidden="true"' in html
    assert '<label for="pd-component">' in html
    assert f"{figures.candidates}" in html
    assert "Drift needs two succeeded scoring runs" in html


def test_a_program_without_a_run_says_so(client, django_user_model):
    prog = world.program("Unscored program")
    user = world.user(ROLE_MEDICAL, programs=[prog])
    client.force_login(user)

    response = client.get(url_of(prog))

    assert response.status_code == 200
    assert 'data-empty="run"' in response.content.decode()


def test_the_programs_alerts_can_be_acknowledged_from_it(client, member, scored):
    prog = scored[0]
    mine = world.alert(prog, "Composite moved by 0.2", level=Alert.Level.CRITICAL)
    acknowledged = world.alert(prog, "Already seen")
    Alert.objects.filter(pk=acknowledged.pk).update(
        acknowledged_at=timezone.now(), acknowledged_by=member
    )
    elsewhere = world.alert(world.program("Elsewhere"), "Not this program")

    html = client.get(url_of(prog)).content.decode()

    assert f'data-alert="{mine.pk}"' in html
    assert f'data-alert="{acknowledged.pk}"' not in html
    assert f'data-alert="{elsewhere.pk}"' not in html
    ack = reverse("vetting:alert-ack", args=[mine.pk])
    assert f'action="{ack}"' in html
    assert f'name="next" value="{url_of(prog)}"' in html

    response = client.post(ack, {"next": url_of(prog)})

    assert response.status_code == 302 and response.url == url_of(prog)
    mine.refresh_from_db()
    assert mine.acknowledged_by == member
    assert f'data-alert="{mine.pk}"' not in client.get(url_of(prog)).content.decode()


def test_query_count_does_not_grow_with_candidates(client, member, scored):
    prog, star, run = scored

    def count_queries() -> int:
        cache.clear()  # measure the uncached figures too
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url_of(prog)).status_code == 200
        return len(queries)

    before = count_queries()
    # 40 more candidates, each with a finding, an AE case, a case and an alert
    rows = []
    for i in range(40):
        account = SocialAccountFactory(platform="mastodon" if i % 2 else "bluesky")
        rows.append(
            InfluencerScore(
                run=run,
                program=prog,
                account=account,
                as_of=run.finished_at,
                scoring_version="1.0",
                composite=i / 40,
                trust_density=(i % 7) / 7,
                specialty_code=f"X{i % 20:04d}Y",
                gate_failures=["identity not verified"],
            )  # fmt: skip
        )
        finding_on(account, f"RULE_{i % 5}", posted_at=END - timedelta(days=i * 3))
        world.ae_case(account, due_in=timedelta(days=i - 20))
        world.vetting_case(prog, "candidate", account=account)
        world.alert(prog, f"Alert {i}")
    InfluencerScore.objects.bulk_create(rows)

    after = count_queries()
    with CaptureQueriesContext(connection) as cached:
        client.get(url_of(prog))

    assert after == before
    assert len(cached) < after  # the run figures come from the cache
    assert VettingCase.objects.filter(program=prog).count() == 40
    assert AdverseEventCase.objects.count() == 40
