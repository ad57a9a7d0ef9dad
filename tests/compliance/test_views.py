"""The review queues over compliance rows (``vetting.views.review``, mounted at
/compliance/): the findings queue (decide with a reason) and the adverse-event inbox
(triage by time left), both scoped by program membership (outsiders get 404).

The helpers here (``make_post``, ``make_finding``, ``make_case``, ``enroll``) are
shared with the browser tests: every post's author is scored in a program (the
``review-queue`` one unless told), which is what makes it visible to the program's
members."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from itertools import count

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from compliance.filters import FindingFilterSet
from compliance.models import AdverseEventCase, Finding, Product
from influencers.models import SocialAccount, TherapeuticArea
from listening.models import Post
from tests.influencers.factories import SocialAccountFactory
from vetting.constants import (
    ROLE_ADMIN,
    ROLE_ANALYST,
    ROLE_LEGAL,
    ROLE_MEDICAL,
    ROLE_PHARMACOVIGILANCE,
    ROLE_REGULATORY,
)
from vetting.models import InfluencerScore, Program, ScoringRun
from vetting.review_filters import ReviewFindingFilterSet
from vetting.services import user_create
from vetting.views.review import (
    AE_HANDLER_ROLES,
    DECIDER_ROLES,
    element_rows,
    finding_segments,
    time_left,
)

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 91"
FINDINGS = reverse("review:finding-list")
INBOX = reverse("review:ae-inbox")
REVIEW_PROGRAM = "review-queue"
OFF_LABEL_TEXT = "Using Eliquis off-label for LV thrombus. Main risk is bleeding."
_seq = count()


# --- helpers ----------------------------------------------------------------------------


def make_program(slug: str = REVIEW_PROGRAM, *, members=()) -> Program:
    """The program ``slug`` (created on first use) with ``members`` added."""
    area, _ = TherapeuticArea.objects.get_or_create(
        slug="anticoagulation", defaults={"name": "Anticoagulation"}
    )
    program, _ = Program.objects.get_or_create(
        slug=slug,
        defaults={"name": f"Program {slug}", "therapeutic_area": area},
    )
    program.members.add(*members)
    return program


def enroll(account: SocialAccount, program: Program | None = None) -> None:
    """Score ``account`` in ``program``: its posts become visible to the members."""
    program = program or make_program()
    run = program.scoring_runs.first() or ScoringRun.objects.create(
        program=program,
        status=ScoringRun.Status.SUCCEEDED,
        scoring_version="test",
    )
    InfluencerScore.objects.get_or_create(
        run=run,
        account=account,
        defaults={
            "program": program,
            "as_of": timezone.now(),
            "scoring_version": "test",
        },
    )


def make_post(
    *, text: str = OFF_LABEL_TEXT, author=None, program: Program | None = None, **extra
) -> Post:
    n = next(_seq)
    sha = hashlib.sha256(f"{n}:{text}".encode()).hexdigest()
    now = timezone.now()
    author = author or SocialAccountFactory()
    enroll(author, program)
    values = {
        "platform": "bluesky",
        "external_id": f"at://post/{n}-{sha[:8]}",
        "author": author,
        "text": text,
        "posted_at": now - timedelta(hours=2),
        "content_sha256": sha,
        "first_seen_at": now - timedelta(hours=1),
        "content_changed_at": now - timedelta(hours=1),
        "raw": {},
    }
    values.update(extra)
    return Post.objects.create(**values)


def make_finding(*, post: Post | None = None, **fields) -> Finding:
    post = post or make_post()
    fields.setdefault("rule_code", "OFF_LABEL")
    fields.setdefault("rule_version", "1.1")
    fields.setdefault("severity", Finding.Severity.MAJOR)
    fields.setdefault("explanation", "Names Eliquis for LV thrombus, not on its label.")
    fields.setdefault("basis", "21 CFR 202.1(e)(4)")
    if "evidence" not in fields:
        start = post.text.find("Eliquis")
        fields["evidence"] = (
            [{"start": start, "end": start + 7, "text": "Eliquis"}]
            if start >= 0
            else []
        )
    fields.setdefault("fingerprint", f"fp-{next(_seq)}")
    return Finding.objects.create(post=post, **fields)


def make_case(*, due_in: timedelta, post: Post | None = None, **fields):
    post = post or make_post(
        text="My patient on Humira developed a serious infection and was hospitalized."
    )
    due_at = timezone.now() + due_in
    fields.setdefault(
        "elements",
        {
            "patient": "my patient",
            "reporter": "the post's author",
            "product": ["Humira"],
            "event": ["infection"],
        },
    )
    return AdverseEventCase.objects.create(
        post=post,
        awareness_at=min(due_at, timezone.now()) - timedelta(days=15),
        due_at=due_at,
        **fields,
    )


def make_user(role: str, username: str | None = None, program: str | None = None):
    """A user with ``role``, member of the program ``program`` (none if None)."""
    user = user_create(
        username=username or role.replace(" ", "-"),
        password=PASSWORD,
        role=role,
        first_name="Test",
        last_name=role.title(),
    )
    if program:
        make_program(program, members=[user])
    return user


def login(client, role: str, username: str | None = None, program=REVIEW_PROGRAM):
    user = make_user(role, username, program)
    client.force_login(user)
    return user


def product(brand: str, generic: str = "") -> Product:
    return Product.objects.get_or_create(
        set_id=f"set-{brand.lower()}",
        defaults={"brand_name": brand, "generic_name": generic},
    )[0]


@pytest.fixture
def analyst(client):
    return login(client, ROLE_ANALYST)


@pytest.fixture
def medical(client):
    return login(client, ROLE_MEDICAL)


@pytest.fixture
def pv(client):
    return login(client, ROLE_PHARMACOVIGILANCE)


# --- access ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        FINDINGS,
        reverse("review:finding-detail", args=[1]),
        INBOX,
        reverse("review:ae-detail", args=[1]),
    ],
)
def test_anonymous_users_are_sent_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_the_pages_keep_their_addresses_next_to_the_draft_checker():
    assert FINDINGS == "/compliance/findings/"
    assert INBOX == "/compliance/ae/"
    assert reverse("review:finding-detail", args=[7]) == "/compliance/findings/7/"
    assert reverse("review:ae-detail", args=[7]) == "/compliance/ae/7/"
    assert reverse("compliance:check") == "/compliance/check/"


def test_deciders_and_ae_handlers_are_the_design_roles():
    assert set(DECIDER_ROLES) == {
        ROLE_MEDICAL,
        ROLE_LEGAL,
        ROLE_REGULATORY,
        ROLE_PHARMACOVIGILANCE,
        ROLE_ADMIN,
    }
    assert set(AE_HANDLER_ROLES) == {ROLE_PHARMACOVIGILANCE, ROLE_ADMIN}


def test_the_nav_links_to_findings_and_the_ae_inbox(client, analyst):
    html = client.get(FINDINGS).content.decode()

    assert f'href="{FINDINGS}" aria-current="page">Findings</a>' in html
    assert f'href="{INBOX}">AE inbox</a>' in html


def test_a_missing_finding_or_case_is_404(client, analyst):
    assert client.get(reverse("review:finding-detail", args=[999])).status_code == 404
    assert client.get(reverse("review:ae-detail", args=[999])).status_code == 404


# --- program scoping --------------------------------------------------------------------


@pytest.mark.parametrize("outsider_program", ["other-program", None])
def test_outsiders_see_no_findings_and_get_404_on_detail_and_decide(
    client, outsider_program
):
    finding = make_finding()  # its author is scored in the review-queue program
    make_finding(post=make_post(program=make_program("other-program")))
    # a decider role does not open another program's findings
    login(client, ROLE_MEDICAL, "outsider", program=outsider_program)
    url = reverse("review:finding-detail", args=[finding.pk])

    listing = client.get(FINDINGS)
    detail = client.get(url)
    decide = client.post(url, {"status": "dismissed", "reason": "not mine"})
    filtered = client.get(FINDINGS, {"program": REVIEW_PROGRAM})

    assert listing.status_code == 200
    assert f'data-finding="{finding.pk}"' not in listing.content.decode()
    assert finding.pk not in {f.pk for f in listing.context["findings"]}
    assert len(listing.context["findings"]) == (1 if outsider_program else 0)
    assert detail.status_code == 404
    assert decide.status_code == 404
    assert finding.pk not in {f.pk for f in filtered.context["findings"]}
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN
    assert not AuditEvent.objects.exists()


def test_an_outsider_without_a_decider_role_gets_404_not_403(client):
    finding = make_finding()
    login(client, ROLE_ANALYST, "outsider", program="other-program")

    response = client.post(
        reverse("review:finding-detail", args=[finding.pk]),
        {"status": "dismissed", "reason": "x"},
    )

    assert response.status_code == 404


@pytest.mark.parametrize("outsider_program", ["other-program", None])
def test_outsiders_see_no_ae_cases_and_get_404_on_detail_and_triage(
    client, outsider_program
):
    case = make_case(due_in=timedelta(days=2))
    login(client, ROLE_PHARMACOVIGILANCE, "outsider", program=outsider_program)
    url = reverse("review:ae-detail", args=[case.pk])

    listing = client.get(INBOX)
    detail = client.get(url)
    triage = client.post(url, {"status": "forwarded", "notes": "x"})

    assert listing.status_code == 200
    assert list(listing.context["cases"]) == []
    assert f'data-case="{case.pk}"' not in listing.content.decode()
    assert "No open adverse-event case." in listing.content.decode()
    assert detail.status_code == 404
    assert triage.status_code == 404
    case.refresh_from_db()
    assert case.status == AdverseEventCase.Status.TRIAGE
    assert not AuditEvent.objects.exists()


def test_members_see_only_their_programs_rows(client):
    mine = make_finding()
    theirs = make_finding(post=make_post(program=make_program("other-program")))
    my_case = make_case(due_in=timedelta(days=1))
    their_case = make_case(
        due_in=timedelta(days=1),
        post=make_post(text="case", program=make_program("other-program")),
    )
    login(client, ROLE_MEDICAL)

    assert [f.pk for f in client.get(FINDINGS).context["findings"]] == [mine.pk]
    assert [c.pk for c in client.get(INBOX).context["cases"]] == [my_case.pk]
    assert (
        client.get(reverse("review:finding-detail", args=[theirs.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("review:ae-detail", args=[their_case.pk])).status_code == 404
    )


def test_a_superuser_sees_every_program(client):
    mine = make_finding()
    other = make_finding(post=make_post(program=make_program("other-program")))
    user = get_user_model().objects.create_superuser(username="root", password=PASSWORD)
    client.force_login(user)

    shown = {f.pk for f in client.get(FINDINGS).context["findings"]}

    assert shown == {mine.pk, other.pk}


# --- findings queue -------------------------------------------------------------------


def test_the_queue_lists_current_findings_newest_first(client, analyst):
    account = SocialAccountFactory(handle="dr-heart.bsky.social")
    old = make_finding(post=make_post(author=account))
    new = make_finding(rule_code="FAIR_BALANCE", severity=Finding.Severity.CRITICAL)
    superseded = make_finding(is_current=False)

    response = client.get(FINDINGS)

    assert response.status_code == 200
    assert [f.pk for f in response.context["findings"]] == [new.pk, old.pk]
    html = response.content.decode()
    assert "@dr-heart.bsky.social" in html
    assert 'class="badge badge--sev-critical">Critical</span>' in html
    assert f'data-finding="{superseded.pk}"' not in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"rule_code": "FAIR_BALANCE"}, {"fair"}),
        ({"severity": "critical"}, {"fair"}),
        ({"status": "dismissed"}, {"dismissed"}),
        ({"platform": "mastodon"}, {"mastodon"}),
        ({"product": "humira"}, {"humira"}),
        ({"program": "second-program"}, {"second"}),
        (
            {"program": REVIEW_PROGRAM},
            {"off", "fair", "dismissed", "mastodon", "humira"},
        ),
        ({}, {"off", "fair", "dismissed", "mastodon", "humira", "second"}),
    ],
)
def test_the_queue_filters_by_program_rule_severity_status_product_and_platform(
    client, analyst, params, expected
):
    make_program("second-program", members=[analyst])
    humira = product("Humira", "adalimumab")
    rows = {
        "off": make_finding(),
        "fair": make_finding(
            rule_code="FAIR_BALANCE", severity=Finding.Severity.CRITICAL
        ),
        "dismissed": make_finding(
            status=Finding.Status.DISMISSED,
            decided_by=analyst,
            decided_at=timezone.now(),
            decision_reason="on label",
        ),
        "mastodon": make_finding(post=make_post(platform="mastodon")),
        "humira": make_finding(product=humira),
        "second": make_finding(post=make_post(program=make_program("second-program"))),
    }
    if params.get("product") == "humira":
        params = {"product": humira.pk}

    response = client.get(FINDINGS, params)

    assert response.status_code == 200
    shown = {f.pk for f in response.context["findings"]}
    assert shown == {rows[name].pk for name in expected}


def test_the_program_choices_are_the_users_programs_only(client, analyst):
    make_program("second-program", members=[analyst])
    make_program("secret-program")

    html = client.get(FINDINGS).content.decode()

    assert 'value="second-program"' in html
    assert f'value="{REVIEW_PROGRAM}"' in html
    assert "secret-program" not in html
    assert '<label for="id_program">Program</label>' in html
    assert '<label for="id_product">Product</label>' in html


def test_the_filtersets_cover_the_fields_reviewers_need():
    assert set(FindingFilterSet.base_filters) >= {
        "rule_code",
        "severity",
        "status",
        "platform",
    }
    assert set(ReviewFindingFilterSet.base_filters) >= {
        "program",
        "rule_code",
        "severity",
        "status",
        "product",
        "platform",
    }


def _queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_queue_query_count_does_not_grow_with_the_rows(client, analyst):
    humira = product("Humira", "adalimumab")

    def add(n: int) -> None:
        for i in range(n):
            finding = make_finding(product=humira if i % 2 else None)
            if i % 3 == 0:
                Finding.objects.filter(pk=finding.pk).update(
                    status=Finding.Status.CONFIRMED,
                    decided_by=analyst,
                    decided_at=timezone.now(),
                    decision_reason="yes",
                )

    add(2)
    few, few_html = _queries(client, FINDINGS)
    add(33)
    many, many_html = _queries(client, FINDINGS)

    assert few_html.count("data-finding=") == 2
    assert many_html.count("data-finding=") == 35
    assert many == few
    assert many <= 12


def test_the_queue_paginates(client, analyst):
    for _ in range(51):
        make_finding()

    first = client.get(FINDINGS)
    second = client.get(FINDINGS, {"page": 2})

    assert len(first.context["findings"]) == 50
    assert len(second.context["findings"]) == 1
    assert "Page 1 of 2" in first.content.decode()


# --- finding detail and decisions ---------------------------------------------------------


def test_the_detail_highlights_the_evidence_and_shows_why(client, analyst):
    finding = make_finding()

    response = client.get(reverse("review:finding-detail", args=[finding.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<mark title="OFF_LABEL">Eliquis</mark>' in html
    assert "Names Eliquis for LV thrombus, not on its label." in html
    assert "21 CFR 202.1(e)(4)" in html
    assert "v1.1" in html
    # analysts may view but not decide
    assert "decide-form" not in html
    assert "Only medical, legal and regulatory reviewers" in html
    assert "No recorded decision yet." in html


def test_post_text_with_script_and_javascript_urls_is_inert(client, medical):
    text = (
        '<script>alert("x")</script> Eliquis <img src=x onerror=alert(1)> '
        '<a href="javascript:alert(2)">click</a>'
    )
    post = make_post(text=text, url="javascript:alert(3)")
    finding = make_finding(post=post)
    # a span that cuts through the markup must not create any either
    finding.evidence = [
        {"start": 0, "end": 9, "text": text[:9]},
        {"start": text.find("Eliquis"), "end": text.find("Eliquis") + 7},
    ]
    finding.save()

    html = client.get(
        reverse("review:finding-detail", args=[finding.pk])
    ).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html
    assert "&lt;a href=&quot;javascript:alert(2)&quot;&gt;" in html
    assert '<mark title="OFF_LABEL">&lt;script&gt;a</mark>' in html

    list_html = client.get(FINDINGS).content.decode()
    assert "<script>alert" not in list_html
    assert 'href="javascript:' not in list_html


def test_spans_outside_the_text_are_clipped_and_bad_ones_skipped():
    finding = Finding(
        rule_code="X",
        evidence=[
            {"start": 4, "end": 99},
            {"start": "a", "end": 3},
            {"end": 2},
            {"start": 3, "end": 1},
        ],
    )

    segments = finding_segments("abcdefg", finding)

    assert [(s.text, s.kind) for s in segments] == [("abcd", ""), ("efg", "finding")]


@pytest.mark.parametrize(
    "role",
    [ROLE_MEDICAL, ROLE_LEGAL, ROLE_REGULATORY, ROLE_PHARMACOVIGILANCE, ROLE_ADMIN],
)
def test_a_reviewer_dismisses_a_finding_with_a_reason(client, role):
    user = login(client, role)
    finding = make_finding()
    url = reverse("review:finding-detail", args=[finding.pk])

    response = client.post(
        url, {"status": "dismissed", "reason": "Eliquis is on label here."}
    )

    assert response.status_code == 302
    assert response.url == url
    finding.refresh_from_db()
    assert finding.status == Finding.Status.DISMISSED
    assert finding.decided_by == user
    assert finding.decision_reason == "Eliquis is on label here."
    html = client.get(url).content.decode()
    assert "Eliquis is on label here." in html
    assert "data-finding-status>Dismissed<" in html
    assert 'data-audit-event="finding.decided"' in html
    assert "(open → dismissed)" in html


def test_a_decision_needs_a_reason(client, medical):
    finding = make_finding()
    url = reverse("review:finding-detail", args=[finding.pk])

    response = client.post(url, {"status": "confirmed", "reason": "   "})

    assert response.status_code == 400
    assert "Give a reason for the audit trail." in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN
    assert finding.decided_by is None
    assert not AuditEvent.objects.exists()


def test_an_unknown_decision_is_refused(client, medical):
    finding = make_finding()

    response = client.post(
        reverse("review:finding-detail", args=[finding.pk]),
        {"status": "open", "reason": "reopen"},
    )

    assert response.status_code == 400
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN


def test_an_analyst_member_may_not_decide(client, analyst):
    finding = make_finding()

    response = client.post(
        reverse("review:finding-detail", args=[finding.pk]),
        {"status": "dismissed", "reason": "no"},
    )

    assert response.status_code == 403
    finding.refresh_from_db()
    assert finding.status == Finding.Status.OPEN


def test_a_superuser_without_a_role_may_decide(client):
    user = get_user_model().objects.create_superuser(username="root", password=PASSWORD)
    client.force_login(user)
    finding = make_finding()

    response = client.post(
        reverse("review:finding-detail", args=[finding.pk]),
        {"status": "escalated", "reason": "Needs legal."},
    )

    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == Finding.Status.ESCALATED


def test_the_detail_shows_earlier_versions_and_their_decisions(client, medical):
    post = make_post()
    old = make_finding(
        post=post,
        rule_version="1.0",
        is_current=False,
        status=Finding.Status.CONFIRMED,
        decided_by=medical,
        decided_at=timezone.now(),
        decision_reason="Clearly off label.",
    )
    new = make_finding(post=post)

    html = client.get(reverse("review:finding-detail", args=[new.pk])).content.decode()

    assert f"Earlier version v1.0 (#{old.pk})" in html
    assert "Clearly off label." in html
    assert "decide-form" in html


# --- adverse-event inbox -------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "text", "urgent"),
    [
        (timedelta(days=3, hours=4, minutes=10), "3 d 4 h left", False),
        (timedelta(hours=25), "1 d 1 h left", False),
        (timedelta(hours=5, minutes=30), "5 h left", True),
        (timedelta(minutes=20), "20 min left", True),
        (-timedelta(hours=2, minutes=5), "overdue by 2 h", True),
        (-timedelta(days=1, hours=3), "overdue by 1 d 3 h", True),
    ],
)
def test_time_left_reads_naturally(delta, text, urgent):
    now = timezone.now()

    assert time_left(now + delta, now) == (text, urgent)


def test_element_rows_join_lists_and_mark_missing_ones():
    rows = element_rows({"patient": "my patient", "product": ["A", "B"], "event": []})

    assert rows == [
        ("Patient", "my patient"),
        ("Reporter", ""),
        ("Product", "A, B"),
        ("Event", ""),
    ]


def _row(html: str, case_pk: int) -> str:
    return html.split(f'data-case="{case_pk}"')[1].split("</tr>")[0]


def test_the_inbox_lists_open_cases_by_due_time_with_the_time_left(client, analyst):
    later = make_case(due_in=timedelta(days=3, hours=4, minutes=30))
    overdue = make_case(due_in=-timedelta(hours=2, minutes=10))
    soon = make_case(
        due_in=timedelta(hours=5, minutes=30), status=AdverseEventCase.Status.REPORTABLE
    )
    closed = make_case(
        due_in=-timedelta(days=1), status=AdverseEventCase.Status.FORWARDED
    )

    response = client.get(INBOX)

    assert response.status_code == 200
    assert [c.pk for c in response.context["cases"]] == [overdue.pk, soon.pk, later.pk]
    html = response.content.decode()
    assert f'data-case="{closed.pk}"' not in html
    overdue_row = _row(html, overdue.pk)
    assert "time-left--overdue" in overdue_row and "data-overdue" in overdue_row
    assert "overdue by 2 h" in overdue_row
    soon_row = _row(html, soon.pk)
    assert "5 h left" in soon_row
    assert "time-left--urgent" in soon_row and "time-left--overdue" not in soon_row
    later_row = _row(html, later.pk)
    assert "3 d 4 h left" in later_row
    assert "time-left--urgent" not in later_row
    assert "my patient" in html and "infection" in html and "Humira" in html


def test_the_inbox_query_count_does_not_grow_with_the_rows(client, analyst):
    def add(start: int, n: int) -> None:
        for i in range(start, start + n):
            make_case(
                due_in=timedelta(hours=i + 1),
                assignee=analyst,
                product=product("Humira") if i % 2 else None,
            )

    add(0, 2)
    few, few_html = _queries(client, INBOX)
    add(2, 30)
    many, many_html = _queries(client, INBOX)

    assert few_html.count("data-case=") == 2
    assert many_html.count("data-case=") == 32
    assert many == few
    assert many <= 10


def test_the_case_detail_shows_post_elements_and_no_form_for_analysts(client, analyst):
    case = make_case(due_in=timedelta(days=2))

    response = client.get(reverse("review:ae-detail", args=[case.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "My patient on Humira developed a serious infection" in html
    assert "the post&#x27;s author" in html
    assert 'name="notes"' not in html


def test_an_analyst_member_may_not_triage_a_case(client, analyst):
    case = make_case(due_in=timedelta(days=2))

    response = client.post(
        reverse("review:ae-detail", args=[case.pk]),
        {"status": "forwarded", "notes": "x"},
    )

    assert response.status_code == 403


@pytest.mark.parametrize("role", [ROLE_MEDICAL, ROLE_LEGAL])
def test_reviewers_other_than_pv_may_not_triage_a_case(client, role):
    login(client, role)
    case = make_case(due_in=timedelta(days=2))

    response = client.post(
        reverse("review:ae-detail", args=[case.pk]), {"status": "reportable"}
    )

    assert response.status_code == 403


def test_pharmacovigilance_forwards_a_case_with_notes(client, pv):
    case = make_case(due_in=timedelta(days=2))
    url = reverse("review:ae-detail", args=[case.pk])

    response = client.post(url, {"status": "forwarded", "notes": "Sent to PV desk."})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == AdverseEventCase.Status.FORWARDED
    assert case.handled_by == pv
    assert "Sent to PV desk." in case.notes
    assert f'data-case="{case.pk}"' not in client.get(INBOX).content.decode()
    html = client.get(url).content.decode()
    assert 'data-audit-event="ae_case.decided"' in html
    assert "(triage → forwarded)" in html


def test_not_reportable_needs_a_note(client, pv):
    case = make_case(due_in=timedelta(days=2))

    response = client.post(
        reverse("review:ae-detail", args=[case.pk]),
        {"status": "not_reportable", "notes": ""},
    )

    assert response.status_code == 400
    assert "Say why the case is not reportable." in response.content.decode()
    case.refresh_from_db()
    assert case.status == AdverseEventCase.Status.TRIAGE
    assert not AuditEvent.objects.exists()


def test_an_admin_marks_a_case_reportable(client):
    login(client, ROLE_ADMIN)
    case = make_case(due_in=timedelta(days=2))

    response = client.post(
        reverse("review:ae-detail", args=[case.pk]), {"status": "reportable"}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == AdverseEventCase.Status.REPORTABLE
