"""Reads behind the REST API, each scoped to the programs the user is a member of
(``vetting.selectors``' rule, applied by ``scope_for_user``): a row outside is
absent, so a detail is a 404.

List querysets load only the columns their serializer shows (``.only``) and join
what it needs (``select_related``): one query per page, whatever the page size.
Large payloads (raw posts, NPPES records, score details) stay in the database.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet

from compliance import selectors as compliance_selectors
from compliance.models import AdverseEventCase, Finding, ScanRun
from influencers.models import Clinician, SocialAccount
from listening import selectors as listening_selectors
from listening.models import IngestRun, Post, Source
from vetting.models import Alert, InfluencerScore, Program, ScoringRun, VettingCase
from vetting.selectors import programs_for_user

POST_AUTHOR = "post__author"


# --- scope ----------------------------------------------------------------------------


def member_program_ids(user_id: int) -> QuerySet:
    """The ids of the programs the user ``user_id`` is a member of, as a sub-query
    on the membership table alone (``programs_for_user`` without its join to the
    programs)."""
    return Program.members.through.objects.filter(user_id=user_id).values("program_id")


def scope_to_member(queryset: QuerySet, user_id: int, *, account_path: str) -> QuerySet:
    """``queryset`` limited to rows whose account (reached by ``account_path``) is
    scored in, or put forward by a case of, a program the user ``user_id`` is a
    member of."""
    programs = member_program_ids(user_id)
    account = OuterRef(account_path)
    scored = InfluencerScore.objects.filter(program_id__in=programs, account_id=account)
    cased = VettingCase.objects.filter(program_id__in=programs, account_id=account)
    return queryset.filter(Exists(scored) | Exists(cased))


def scope_for_user(queryset: QuerySet, user: Any, *, account_path: str) -> QuerySet:
    """``vetting.selectors.scope_to_user_programs``: rows whose account is scored
    in, or put forward by a case of, one of the user's programs (a test holds the
    two equal). The EXISTS probes read the user's programs from the membership
    table instead of joining programs to members: a query cheaper to build, to
    plan and to run (bench/README.md, ``api.py``)."""
    if getattr(user, "is_superuser", False):
        return queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return scope_to_member(queryset, user.pk, account_path=account_path)


# --- programs and people --------------------------------------------------------------


def program_list_for_user(user: Any) -> QuerySet[Program]:
    return programs_for_user(user).prefetch_related("products", "target_specialties")


def account_list_for_user(user: Any) -> QuerySet[SocialAccount]:
    """Accounts scored in, or put forward by a case of, the user's programs."""
    return scope_for_user(
        SocialAccount.objects.defer("link_evidence", "content_sha256"),
        user,
        account_path="pk",
    )


def clinician_list_for_user(user: Any) -> QuerySet[Clinician]:
    """Clinicians with an account scored in (or put forward by a case of) one of
    the user's programs."""
    accounts = scope_for_user(
        SocialAccount.objects.filter(clinician_id=OuterRef("pk")),
        user,
        account_path="pk",
    )
    return (
        Clinician.objects.filter(Exists(accounts))
        .select_related("primary_specialty")
        .defer(
            "nppes_payload",
            "identity_evidence",
            "content_sha256",
            "primary_specialty__definition",
            "primary_specialty__notes",
        )
    )


def post_list_for_user(user: Any) -> QuerySet[Post]:
    """Posts by the accounts the user may see."""
    return scope_for_user(
        Post.objects.select_related("author").only(
            *POST_FIELDS, "author__id", "author__handle"
        ),
        user,
        account_path="author",
    )


POST_FIELDS = (
    "id",
    "platform",
    "external_id",
    "author_id",
    "text",
    "language",
    "posted_at",
    "edited_at",
    "url",
    "reply_to_external_id",
    "quote_of_external_id",
    "repost_of_external_id",
    "hashtags",
    "mentions",
    "links",
    "likes",
    "reposts",
    "replies",
    "quotes",
    "views",
    "content_sha256",
    "first_seen_at",
    "content_changed_at",
)


# --- findings and adverse events ------------------------------------------------------

FINDING_FIELDS = (
    "id",
    "created_at",
    "rule_code",
    "rule_version",
    "severity",
    "evidence",
    "explanation",
    "basis",
    "status",
    "decided_at",
    "decision_reason",
    "is_current",
    "post__id",
    "post__platform",
    "post__url",
    "post__posted_at",
    "post__author__id",
    "post__author__handle",
    "product__id",
    "product__brand_name",
    "decided_by__id",
    "decided_by__username",
)


def finding_list_for_user(user: Any, *, current_only: bool = True) -> QuerySet:
    """Findings on posts by accounts the user may see (the findings queue's rule:
    ``vetting.views.review.findings_for_user``), with the columns the API shows."""
    findings = (
        compliance_selectors.finding_list(current_only=current_only)
        .select_related(None)
        .select_related("post__author", "product", "decided_by")
        .only(*FINDING_FIELDS)
    )
    return scope_for_user(findings, user, account_path=POST_AUTHOR)


# the flat row of a findings list page: ``.values()`` (no model instances), which
# ``FindingSerializer`` turns into the same JSON as a ``Finding`` (tested)
FINDING_ROW = (
    "id",
    "created_at",
    "rule_code",
    "rule_version",
    "severity",
    "evidence",
    "explanation",
    "basis",
    "status",
    "decided_at",
    "decision_reason",
    "is_current",
    "post_id",
    "product_id",
)
FINDING_ROW_JOINED = {
    "post_platform": F("post__platform"),
    "post_url": F("post__url"),
    "post_posted_at": F("post__posted_at"),
    "author_pk": F("post__author_id"),
    "author_handle": F("post__author__handle"),
    "product_name": F("product__brand_name"),
    "decided_by_name": F("decided_by__username"),
}


def finding_rows_for_user(user: Any) -> QuerySet:
    """The current findings the user may see as flat rows (a list page)."""
    findings = compliance_selectors.finding_list(current_only=True).select_related(None)
    return scope_for_user(findings, user, account_path=POST_AUTHOR).values(
        *FINDING_ROW, **FINDING_ROW_JOINED
    )


def finding_rows_for_member(user: int) -> QuerySet:
    """``finding_rows_for_user`` of a (signed-in, not super) user given by id: the
    API's pre-built findings page (``common.api.PrebuiltRows``)."""
    findings = compliance_selectors.finding_list(current_only=True).select_related(None)
    return scope_to_member(findings, user, account_path=POST_AUTHOR).values(
        *FINDING_ROW, **FINDING_ROW_JOINED
    )


def finding_get_for_user(user: Any, pk: int) -> Finding | None:
    """One finding (current or superseded) with its post's text, or None."""
    return (
        finding_list_for_user(user, current_only=False)
        .only(*FINDING_FIELDS, "post__text", "details")
        .filter(pk=pk)
        .first()
    )


def ae_case_list_for_user(user: Any) -> QuerySet[AdverseEventCase]:
    """Adverse-event cases (every status) on posts the user may see."""
    cases = (
        compliance_selectors.ae_case_list(open_only=False)
        .select_related(None)
        .select_related("post__author", "product", "assignee", "handled_by")
        .only(
            "id",
            "created_at",
            "finding_id",
            "elements",
            "awareness_at",
            "due_at",
            "status",
            "handled_at",
            "notes",
            "post__id",
            "post__url",
            "post__platform",
            "post__author__id",
            "post__author__handle",
            "product__id",
            "product__brand_name",
            "assignee__id",
            "assignee__username",
            "handled_by__id",
            "handled_by__username",
        )
    )
    return scope_for_user(cases, user, account_path=POST_AUTHOR)


# --- scores ---------------------------------------------------------------------------

SCORE_FIELDS = (
    "id",
    "run_id",
    "program_id",
    "account_id",
    "clinician_id",
    "specialty_code",
    "as_of",
    "scoring_version",
    "followers",
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
    "rank",
    "specialty_rank",
    "gates_passed",
    "gate_failures",
    "authenticity_flagged",
    "contributions",
    "program__id",
    "program__slug",
    "account__id",
    "account__platform",
    "account__handle",
    "clinician__id",
    "clinician__npi",
    "clinician__first_name",
    "clinician__last_name",
    "clinician__organization_name",
    "clinician__credential",
    "clinician__entity_type",
)


def latest_runs_for_user(user: Any) -> dict[int, int]:
    """program id -> id of its latest succeeded run, for the user's programs (one
    query; the same choice as ``vetting.discovery.latest_run_ids_for_user``)."""
    if getattr(user, "is_superuser", False):
        runs = ScoringRun.objects.filter(status=ScoringRun.Status.SUCCEEDED)
        return {row["program_id"]: row["pk"] for row in _latest(runs)}
    if not getattr(user, "is_authenticated", False):
        return {}
    return {row["program_id"]: row["pk"] for row in latest_run_rows_for_member(user.pk)}


def latest_run_rows_for_member(user: int) -> QuerySet:
    """``latest_runs_for_user`` of a (signed-in, not super) user given by id, as
    ``{"program_id", "pk"}`` rows (a statement the API keeps compiled)."""
    runs = ScoringRun.objects.filter(
        status=ScoringRun.Status.SUCCEEDED, program_id__in=member_program_ids(user)
    )
    return _latest(runs)


def _latest(runs: QuerySet) -> QuerySet:
    return (
        runs.order_by("program_id", "-finished_at", "-pk")
        .distinct("program_id")
        .values("program_id", "pk")
    )


def scoring_run_get_for_user(user: Any, pk: int) -> ScoringRun | None:
    return (
        ScoringRun.objects.filter(
            pk=pk, program__in=programs_for_user(user).values("pk")
        )
        .only("id", "program_id")
        .first()
    )


def score_list_any_run_for_user(user: Any) -> QuerySet[InfluencerScore]:
    """Scores of every run of the user's programs (a detail by id)."""
    return (
        InfluencerScore.objects.filter(program__in=programs_for_user(user).values("pk"))
        .select_related("program", "account", "clinician")
        .only(*SCORE_FIELDS, "flags")
    )


SCORE_ROW = (
    "id",
    "run_id",
    "program_id",
    "account_id",
    "clinician_id",
    "specialty_code",
    "as_of",
    "scoring_version",
    "followers",
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
    "rank",
    "specialty_rank",
    "gates_passed",
    "gate_failures",
    "authenticity_flagged",
    "contributions",
    "flags",
)
SCORE_ROW_JOINED = {
    "program_slug": F("program__slug"),
    "account_platform": F("account__platform"),
    "account_handle": F("account__handle"),
    "clinician_npi": F("clinician__npi"),
    "clinician_entity_type": F("clinician__entity_type"),
    "clinician_first_name": F("clinician__first_name"),
    "clinician_last_name": F("clinician__last_name"),
    "clinician_organization_name": F("clinician__organization_name"),
    "clinician_credential": F("clinician__credential"),
}


def score_rows(runs: dict[int, int]) -> QuerySet:
    """The ranked scores of ``runs`` (program id -> run id) as flat rows (a list
    page: ``.values()``, no model instances), with the program's slug, the
    account's handle, the clinician's NPI and name and the score's flags
    (the ``flags`` column) joined in the same query. Filtering
    on both program and run lets PostgreSQL walk the ``(program, run, rank)``
    index in the API's order."""
    return (
        InfluencerScore.objects.filter(
            program_id__in=list(runs), run_id__in=list(runs.values())
        )
        .filter(rank__isnull=False)
        .values(*SCORE_ROW, **SCORE_ROW_JOINED)
    )


def score_rows_ranked() -> QuerySet:
    """``score_rows`` before its runs are chosen: every ranked score as a flat row.
    Not a scope: the caller limits it to the user's runs (the API's pre-built
    scores page, ``common.api.PrebuiltRows``, filters it to one (program, run) of
    the user's at a time and refuses to run without)."""
    return InfluencerScore.objects.filter(rank__isnull=False).values(
        *SCORE_ROW, **SCORE_ROW_JOINED
    )


# --- runs, sources, cases, alerts -----------------------------------------------------


def scoring_run_list_for_user(user: Any) -> QuerySet[ScoringRun]:
    return (
        ScoringRun.objects.filter(program__in=programs_for_user(user).values("pk"))
        .select_related("program", "requested_by")
        .only(
            *(f.name for f in ScoringRun._meta.concrete_fields if f.name != "quality"),
            "program__id",
            "program__slug",
            "requested_by__id",
            "requested_by__username",
        )
    )


def ingest_run_list() -> QuerySet[IngestRun]:
    """Ingest runs are not program data: every signed-in user sees them (as on the
    runs page, ``reports.selectors``)."""
    return listening_selectors.ingest_run_list().defer("cursor")


def scan_run_list() -> QuerySet[ScanRun]:
    """Scan runs, like ingest runs, are shown to every signed-in user."""
    return compliance_selectors.scan_run_list().select_related(None)


def source_list() -> QuerySet[Source]:
    return listening_selectors.source_list().defer("credentials_env")


def source_get(pk: int) -> Source | None:
    return Source.objects.filter(pk=pk).first()


def ingest_run_active(source: Source) -> IngestRun | None:
    """The source's pending or running run, if any (at most one, by constraint)."""
    return (
        IngestRun.objects.filter(source=source, status__in=IngestRun.ACTIVE)
        .only("id", "status")
        .first()
    )


def vetting_case_detail_list_for_user(user: Any) -> QuerySet[VettingCase]:
    """Cases of the user's programs with clinician, account and assignee joined
    (their large columns left out) and the case's evidence snapshot."""
    return (
        VettingCase.objects.filter(program__in=programs_for_user(user).values("pk"))
        .select_related("program", "clinician", "account", "assignee")
        .defer(
            "clinician__nppes_payload",
            "clinician__identity_evidence",
            "account__bio",
            "account__link_evidence",
        )
    )


def vetting_case_list_for_user(user: Any) -> QuerySet[VettingCase]:
    """As ``vetting_case_detail_list_for_user`` without the evidence snapshot."""
    return vetting_case_detail_list_for_user(user).defer("evidence")


def alert_list_for_user(user: Any) -> QuerySet[Alert]:
    """Alerts of the user's programs (an alert without a program is shown to no
    one here, as on the dashboard)."""
    return Alert.objects.filter(
        program__in=programs_for_user(user).values("pk")
    ).select_related("program", "acknowledged_by")


def post_get_ids_for_user(user: Any, ids: list[int]) -> set[int]:
    """Which of ``ids`` are posts the user may see."""
    posts = scope_for_user(Post.objects.filter(pk__in=ids), user, account_path="author")
    return set(posts.values_list("pk", flat=True))
