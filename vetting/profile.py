"""Reads of the clinician profile page (DESIGN 8): one scored account in one program,
with the evidence a medical-affairs reviewer needs: identity, score breakdown, who
engages with it, its posts with their findings, Open Payments, growth and longevity.

Every function reads a bounded number of rows with a fixed number of queries
(aggregates are computed in SQL, ``GROUP BY``), so the page costs the same for an
account with ten engagers or ten thousand. Scoping (membership, scored in the
program) is ``profile_score_get``'s job; the others take the scored account.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from compliance.models import Finding, PaymentRecord
from compliance.views import Segment, spans_segments
from influencers.models import Clinician, SocialAccount
from listening.models import Interaction, MetricSnapshot, Post
from vetting import selectors
from vetting.models import InfluencerScore, Program, ScoringRun
from vetting.scoring.weights import INTERACTION_WEIGHTS

ENGAGER_LIMIT = 150  # nodes of the ego-network map besides the account itself
TIE_LIMIT = 600  # edges between engagers (and back from the account) on the map
POSTS_PAGE = 50
PAYMENTS_LIMIT = 100
SNAPSHOT_LIMIT = 1000
SPECIALTY_COLOURS = 8  # specialties with their own colour; the rest share one
ENGAGEMENT_KINDS = ("reply", "quote", "repost", "like", "mention")
# Post-age buckets of the longevity chart: (label, upper bound in hours).
AGE_BUCKETS = (
    ("< 1 h", 1),
    ("1-6 h", 6),
    ("6-24 h", 24),
    ("1-3 d", 72),
    ("3-7 d", 168),
    ("7-30 d", 720),
    ("> 30 d", None),
)
SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2}
# The only columns of an engager's account, clinician and specialty the map and the
# table read, as values (150 model instances with their timestamps cost more than
# the query).
ENGAGER_FIELDS = (
    "handle",
    "display_name",
    "link_status",
    "link_confidence",
    "clinician__entity_type",
    "clinician__npi_status",
    "clinician__identity_status",
    "clinician__primary_taxonomy_code",
    "clinician__primary_specialty__code",
    "clinician__primary_specialty__display_name",
    "clinician__primary_specialty__classification",
    "clinician__primary_specialty__specialization",
)


@dataclass(frozen=True)
class Window:
    """The program window the scores were computed on: ``[start, end)``."""

    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return round((self.end - self.start).total_seconds() / 86400)


def local_text(when: datetime | None, fmt: str = "%Y-%m-%d") -> str:
    """``when`` in the current time zone as text (what the ``date`` filter shows,
    without its cost per call on long lists)."""
    return timezone.localtime(when).strftime(fmt) if when else ""


def profile_score_get(user: Any, slug: str, account_id: int) -> InfluencerScore:
    """The account's score in the program's latest run, with the program, run,
    account, its current clinician link and the clinician it was scored as, in one
    query after the program and run. 404 when ``user`` is not a member of the
    program, the program has no scores, or the account was not scored in it."""
    program = selectors.program_get_for_user(user, slug)
    run = selectors.program_latest_run(program)
    if run is None:
        raise Http404("The program has not been scored yet.")
    score = (
        InfluencerScore.objects.filter(run=run, program=program, account_id=account_id)
        .select_related(
            "account",
            "account__clinician",
            "account__clinician__primary_specialty",
            "account__link_reviewed_by",
            "clinician",
        )
        .first()
    )
    if score is None:
        raise Http404("This account was not scored in the program's latest run.")
    score.program, score.run = program, run  # already loaded: no second query
    return score


def profile_window(program: Program, run: ScoringRun) -> Window:
    """The run's window; for a run without one, the program's (as
    ``vetting.services.program_params`` computes it)."""
    if run.window_start and run.window_end:
        return Window(run.window_start, run.window_end)
    end = program.window_end or timezone.now()
    return Window(end - timedelta(days=program.window_days), end)


def link_confidence_min(program: Program, run: ScoringRun) -> float:
    return float(run.parameters.get("link_confidence_min", program.link_confidence_min))


def is_hcp(
    *,
    linked: bool,
    link_status: str,
    link_confidence: float | None,
    entity_type: int | None,
    npi_status: str | None,
    identity_status: str | None,
    confidence_min: float,
) -> bool:
    """The scoring's ``is_hcp`` (``vetting.inputs._accounts``): linked, not rejected,
    confirmed or confident enough, to an active, verified individual."""
    if not linked or link_status == SocialAccount.LinkStatus.REJECTED:
        return False
    confident = link_status == SocialAccount.LinkStatus.CONFIRMED or (
        (link_confidence or 0.0) >= confidence_min
    )
    return (
        confident
        and entity_type == Clinician.EntityType.INDIVIDUAL
        and npi_status == Clinician.NpiStatus.ACTIVE
        and identity_status == Clinician.IdentityStatus.VERIFIED
    )


def account_is_hcp(account: SocialAccount, confidence_min: float) -> bool:
    """``is_hcp`` of an account with its clinician loaded."""
    clinician = account.clinician
    return is_hcp(
        linked=clinician is not None,
        link_status=account.link_status,
        link_confidence=account.link_confidence,
        entity_type=clinician.entity_type if clinician else None,
        npi_status=clinician.npi_status if clinician else None,
        identity_status=clinician.identity_status if clinician else None,
        confidence_min=confidence_min,
    )


# --- identity ---------------------------------------------------------------------


def clinician_name(clinician: Clinician | None) -> str:
    """The clinician's name as people write it: NPPES stores names in capitals, so
    all-capital names are title-cased; the credential follows a comma."""
    if clinician is None:
        return ""
    if clinician.entity_type == Clinician.EntityType.ORGANIZATION:
        return clinician.organization_name
    name = " ".join(p for p in (clinician.first_name, clinician.last_name) if p)
    if name.isupper():
        name = name.title()
    return f"{name}, {clinician.credential}" if clinician.credential else name


EVIDENCE_LABELS = {
    "npi_in_bio": "NPI found in bio",
    "npi_labeled": "NPI labelled as such",
    "npi_in_bio_unknown": "NPI-like numbers in bio not in NPPES",
    "npi_in_bio_others": "Other NPIs in bio",
    "license_in_bio": "Licence number in bio",
    "license_in_bio_unknown": "Licence numbers in bio not matched",
    "license_in_bio_ambiguous": "Licence number matches several clinicians",
    "name_match": "Name match",
    "name_score": "Name similarity (0-100)",
    "name_candidates": "Clinicians with a matching name",
    "handle_has_last_name": "Handle contains the last name",
    "credential_match": "Credential",
    "specialty_match": "Specialty words vs NUCC taxonomy",
    "specialty_terms": "Specialty words in bio",
    "location": "Location in profile",
    "location_match": "Location vs practice address",
    "ambiguous_with": "Ambiguous with NPIs",
    "runner_up": "Runner-up",
    "not_linked": "Why not linked",
    "matcher_version": "Matcher version",
    "source": "Source",
    "checked_at": "Checked at",
    "npi_luhn_valid": "NPI check digit valid",
    "enumeration_type": "Enumeration type",
    "status": "NPPES status code",
}


def _evidence_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "–"
    if isinstance(value, list):
        return ", ".join(_evidence_value(v) for v in value) or "–"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_evidence_value(v)}" for k, v in value.items())
    return str(value)


def evidence_rows(evidence: dict | None) -> list[tuple[str, str]]:
    """``(label, value)`` of an evidence dict (link or identity), known keys first;
    the link history is summarised, not listed. Values are plain text."""
    evidence = dict(evidence or {})
    history = evidence.pop("history", None)
    known = [k for k in EVIDENCE_LABELS if k in evidence]
    rest = sorted(k for k in evidence if k not in EVIDENCE_LABELS)
    rows = [
        (
            EVIDENCE_LABELS.get(k, k.replace("_", " ").capitalize()),
            _evidence_value(evidence[k]),
        )
        for k in known + rest
    ]
    if history:
        rows.append(("Earlier links", f"{len(history)} kept in the history"))
    return rows


# --- ego network ------------------------------------------------------------------


@dataclass
class Engager:
    """One account that engaged with the profile's account in the window, with the
    strings the page shows already worked out (the table has up to 150 rows)."""

    account_id: int
    interactions: int
    weight: float
    by_kind: dict[str, int]
    last_at: datetime | None
    handle: str = ""
    display_name: str = ""
    specialty_code: str = ""
    specialty_name: str = ""
    linked: bool = False
    is_hcp: bool = False

    @property
    def cells(self) -> list[str]:
        """The table's number cells (interactions, then each kind) as text."""
        return [f"{n:,}" for n in (self.interactions, *self.by_kind.values())]

    @property
    def last_text(self) -> str:
        return local_text(self.last_at)

    @classmethod
    def build(
        cls, row: dict[str, Any], account: dict[str, Any] | None, confidence_min: float
    ) -> Engager:
        """From a row of the ``GROUP BY actor`` aggregate and the actor's
        ``ENGAGER_FIELDS`` values (``None`` if the account is gone)."""
        account = account or {}
        linked = account.get("clinician_id") is not None
        code = account.get("clinician__primary_taxonomy_code") or ""
        spec_name = account.get("clinician__primary_specialty__display_name") or ""
        if not spec_name and account.get("clinician__primary_specialty__code"):
            classification = account["clinician__primary_specialty__classification"]
            specialization = account["clinician__primary_specialty__specialization"]
            spec_name = (
                f"{classification}: {specialization}"
                if specialization
                else classification
            )
        return cls(
            account_id=row["actor_id"],
            interactions=row["n"],
            weight=float(row["weight"] or 0.0),
            by_kind={k: row[k] for k in ENGAGEMENT_KINDS},
            last_at=row["last_at"],
            handle=account.get("handle") or f"#{row['actor_id']}",
            display_name=account.get("display_name") or "",
            specialty_code=code,
            specialty_name=spec_name or code,
            linked=linked,
            is_hcp=is_hcp(
                linked=linked,
                link_status=account.get("link_status", ""),
                link_confidence=account.get("link_confidence"),
                entity_type=account.get("clinician__entity_type"),
                npi_status=account.get("clinician__npi_status"),
                identity_status=account.get("clinician__identity_status"),
                confidence_min=confidence_min,
            ),
        )


@dataclass
class EgoNetwork:
    engagers: list[Engager]
    total_engagers: int
    total_interactions: int
    limit: int

    @property
    def left_out(self) -> int:
        return max(0, self.total_engagers - len(self.engagers))

    @property
    def hcp_engagers(self) -> int:
        return sum(1 for e in self.engagers if e.is_hcp)


def _window_q(window: Window) -> Q:
    """Engagement in the window as the scoring loads it (``vetting.inputs._edges``):
    timed edges by their time, untimed ones by the time of the post they concern.
    The post is looked up (``EXISTS``) only for untimed edges, so the common case
    costs no join."""
    post_in_window = Post.objects.filter(
        pk=OuterRef("post_id"),
        posted_at__gte=window.start,
        posted_at__lt=window.end,
    )
    return Q(occurred_at__gte=window.start, occurred_at__lt=window.end) | Q(
        Q(occurred_at__isnull=True) & Exists(post_in_window)
    )


def engagement_received(account_id: int, window: Window) -> QuerySet[Interaction]:
    """Engagement edges into the account in the window (no follows, no self-edges)."""
    return (
        Interaction.objects.filter(target_id=account_id, kind__in=ENGAGEMENT_KINDS)
        .exclude(actor_id=account_id)
        .filter(_window_q(window))
    )


def _weight_expression() -> Sum:
    return Sum(
        Case(
            *(
                When(kind=k, then=Value(float(INTERACTION_WEIGHTS[k])))
                for k in ENGAGEMENT_KINDS
            ),
            default=Value(0.0),
            output_field=FloatField(),
        )
    )


def profile_engagers(
    account_id: int,
    window: Window,
    *,
    confidence_min: float,
    limit: int | None = None,
) -> EgoNetwork:
    """The top ``limit`` accounts engaging with ``account_id`` in the window, by
    interaction count (then weight), each with its counts by kind, its account, link
    and specialty, and whether it is a verified HCP. Two queries: the ``GROUP BY
    actor`` aggregate (with the totals over every group as window functions), and
    the accounts. ``limit`` defaults to ``ENGAGER_LIMIT``."""
    limit = ENGAGER_LIMIT if limit is None else limit
    grouped = (
        engagement_received(account_id, window)
        .values("actor_id")
        .annotate(
            n=Count("pk"),
            weight=_weight_expression(),
            last_at=Max("occurred_at"),
            **{k: Count("pk", filter=Q(kind=k)) for k in ENGAGEMENT_KINDS},
        )
        .order_by()
    )
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT g.*, COUNT(*) OVER () AS total_engagers,"
            " SUM(g.n) OVER () AS total_interactions"
            f" FROM ({sql}) g ORDER BY g.n DESC, g.weight DESC, g.actor_id LIMIT %s",
            [*params, limit],
        )
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    totals = {
        "engagers": rows[0]["total_engagers"] if rows else 0,
        "interactions": int(rows[0]["total_interactions"]) if rows else 0,
    }
    ids = [r["actor_id"] for r in rows]
    accounts = (
        {
            a["id"]: a
            for a in SocialAccount.objects.filter(pk__in=ids).values(
                "id", "clinician_id", *ENGAGER_FIELDS
            )
        }
        if ids
        else {}
    )
    engagers = [
        Engager.build(r, accounts.get(r["actor_id"]), confidence_min) for r in rows
    ]
    return EgoNetwork(
        engagers=engagers,
        total_engagers=totals["engagers"] or 0,
        total_interactions=totals["interactions"] or 0,
        limit=limit,
    )


def engager_edges(
    account_id: int, window: Window, engager_ids: list[int]
) -> list[dict[str, Any]]:
    """Edges of the map: each engager's engagement with the account by kind, then
    the ties among the engagers and the account's own engagement back to them
    (reciprocity, pods), at most ``TIE_LIMIT``, by count. Two queries."""
    if not engager_ids:
        return []
    by_kind = (
        engagement_received(account_id, window)
        .filter(actor_id__in=engager_ids)
        .values("actor_id", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    links = [
        {
            "source": r["actor_id"],
            "target": account_id,
            "kind": r["kind"],
            "count": r["n"],
        }
        for r in by_kind
    ]
    ties = (
        Interaction.objects.filter(
            kind__in=ENGAGEMENT_KINDS,
            actor_id__in=[*engager_ids, account_id],
            target_id__in=engager_ids,
        )
        .exclude(actor_id=F("target_id"))
        .filter(_window_q(window))
        .values("actor_id", "target_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "actor_id", "target_id")[:TIE_LIMIT]
    )
    links.extend(
        {
            "source": r["actor_id"],
            "target": r["target_id"],
            "kind": "back" if r["actor_id"] == account_id else "tie",
            "count": r["n"],
        }
        for r in ties
    )
    return links


def network_graph(
    score: InfluencerScore, window: Window, network: EgoNetwork
) -> dict[str, Any]:
    """The ego-network map as JSON-safe data for ECharts' graph series: nodes with a
    category (specialty; the top ``SPECIALTY_COLOURS`` have their own), a symbol by
    HCP status and a size by interaction count; links by kind. Every string is
    plain data: the page's script puts it into the DOM as text only."""
    account = score.account
    confidence_min = link_confidence_min(score.program, score.run)
    spec_counts: dict[str, int] = {}
    for e in network.engagers:
        if e.specialty_code:
            spec_counts[e.specialty_code] = spec_counts.get(e.specialty_code, 0) + 1
    top = sorted(spec_counts, key=lambda c: (-spec_counts[c], c))[:SPECIALTY_COLOURS]
    names = {e.specialty_code: e.specialty_name for e in network.engagers}
    categories = [{"name": "This account"}]
    categories += [{"name": f"{names.get(c) or c} ({c})"} for c in top]
    other = len(categories)
    categories.append({"name": "Other specialties"})
    no_spec = len(categories)
    categories.append({"name": "No specialty known"})
    index = {c: i + 1 for i, c in enumerate(top)}

    biggest = max((e.interactions for e in network.engagers), default=1)
    nodes = [
        {
            "id": str(account.pk),
            "name": f"@{account.handle}",
            "label": account.display_name,
            "category": 0,
            "symbol": "diamond",
            "symbolSize": 42,
            "hcp": account_is_hcp(account, confidence_min),
            "specialty": score.specialty_code,
            "interactions": network.total_interactions,
            "center": True,
        }
    ]
    for e in network.engagers:
        code = e.specialty_code
        category = index.get(code, other) if code else no_spec
        nodes.append(
            {
                "id": str(e.account_id),
                "name": f"@{e.handle}",
                "label": e.display_name,
                "category": category,
                "symbol": "circle" if e.is_hcp else "triangle",
                "symbolSize": round(8 + 24 * math.sqrt(e.interactions / biggest), 1),
                "hcp": e.is_hcp,
                "specialty": e.specialty_name,
                "interactions": e.interactions,
                "byKind": e.by_kind,
            }
        )
    links = [
        {**link, "source": str(link["source"]), "target": str(link["target"])}
        for link in engager_edges(
            account.pk, window, [e.account_id for e in network.engagers]
        )
    ]
    return {
        "account": {"id": str(account.pk), "handle": account.handle},
        "nodes": nodes,
        "links": links,
        "categories": categories,
        "kinds": [*ENGAGEMENT_KINDS, "back", "tie"],
        "totalEngagers": network.total_engagers,
        "totalInteractions": network.total_interactions,
        "shown": len(network.engagers),
        "leftOut": network.left_out,
        "limit": network.limit,
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
    }


# --- posts ------------------------------------------------------------------------


@dataclass
class PostRow:
    """One post of the timeline: the text cut into highlighted segments, its current
    findings (most severe first) and its links that are safe to render as links."""

    post: Post
    segments: list[Segment]
    findings: list[Finding] = field(default_factory=list)
    links: list[tuple[str, bool]] = field(default_factory=list)  # (url, is_http)

    @property
    def posted_iso(self) -> str:
        return self.post.posted_at.isoformat()

    @property
    def posted_text(self) -> str:
        return local_text(self.post.posted_at, "%Y-%m-%d %H:%M %Z")

    @property
    def counters(self) -> str:
        """ "7 likes, 1 repost, 0 replies, 1 quote" (built here: a timeline of 50
        posts would otherwise run 200 number and plural filters)."""
        p = self.post
        return ", ".join(
            f"{n:,} {one if n == 1 else many}"
            for n, one, many in (
                (p.likes, "like", "likes"),
                (p.reposts, "repost", "reposts"),
                (p.replies, "reply", "replies"),
                (p.quotes, "quote", "quotes"),
            )
        )

    @property
    def kind(self) -> str:
        p = self.post
        if p.repost_of_external_id:
            return "repost"
        if p.quote_of_external_id:
            return "quote"
        if p.reply_to_external_id:
            return "reply"
        return ""


def safe_http_url(url: str) -> bool:
    """Only ``http(s)://`` URLs become links; anything else (``javascript:``,
    ``data:``, relative) is shown as text."""
    return (url or "").strip().lower().startswith(("https://", "http://"))


def posts_in_window(account_id: int, window: Window) -> QuerySet[Post]:
    return Post.objects.filter(
        author_id=account_id,
        posted_at__gte=window.start,
        posted_at__lt=window.end,
    )


def post_segments(text: str, findings: list[Finding]) -> list[Segment]:
    """The text with every finding's evidence highlighted (the compliance pages'
    ``spans_segments``); malformed evidence items are skipped."""
    spans = []
    for finding in findings:
        for item in finding.evidence or []:
            try:
                start, end = int(item["start"]), int(item["end"])
            except (KeyError, TypeError, ValueError):
                continue
            spans.append((start, end, finding.rule_code, True))
    return spans_segments(text, spans)


def profile_posts(
    account_id: int, window: Window, *, offset: int = 0, limit: int | None = None
) -> tuple[list[PostRow], bool]:
    """One page of the account's posts in the window, newest first, each with its
    current findings highlighted; and whether more follow. ``limit`` defaults to
    ``POSTS_PAGE``. Two queries."""
    limit = POSTS_PAGE if limit is None else limit
    posts = list(
        posts_in_window(account_id, window)
        .defer("raw")
        .order_by("-posted_at", "-pk")[offset : offset + limit + 1]
    )
    more = len(posts) > limit
    posts = posts[:limit]
    findings: dict[int, list[Finding]] = {}
    for finding in Finding.objects.filter(
        post_id__in=[p.pk for p in posts], is_current=True
    ).order_by("pk"):
        findings.setdefault(finding.post_id, []).append(finding)
    rows = []
    for post in posts:
        found = sorted(
            findings.get(post.pk, []), key=lambda f: SEVERITY_ORDER.get(f.severity, 9)
        )
        links = [
            (url.strip(), safe_http_url(url))
            for url in (post.links or [])
            if isinstance(url, str) and url.strip()
        ]
        rows.append(PostRow(post, post_segments(post.text, found), found, links))
    return rows, more


def profile_post_counts(account_id: int, window: Window) -> dict[str, int]:
    """Posts in the window, and current findings on them by severity. Two queries."""
    counts = posts_in_window(account_id, window).aggregate(posts=Count("pk"))
    by_severity = dict(
        Finding.objects.filter(
            is_current=True,
            post__author_id=account_id,
            post__posted_at__gte=window.start,
            post__posted_at__lt=window.end,
        )
        .values_list("severity")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts.update({s: by_severity.get(s, 0) for s in ("critical", "major", "minor")})
    counts["findings"] = sum(by_severity.values())
    return counts


# --- Open Payments ----------------------------------------------------------------


@dataclass
class Payments:
    rows: list[PaymentRecord]
    by_manufacturer: list[dict[str, Any]]
    count: int = 0
    total: Decimal = Decimal("0")

    @property
    def truncated(self) -> bool:
        return self.count > len(self.rows)


def profile_payments(npi: str, *, limit: int = PAYMENTS_LIMIT) -> Payments:
    """Open Payments general payments to ``npi``: the latest ``limit`` rows and the
    totals by manufacturer (``GROUP BY``). Two queries; none without an NPI."""
    if not npi:
        return Payments([], [])
    records = PaymentRecord.objects.filter(covered_recipient_npi=npi)
    by_manufacturer = list(
        records.values("manufacturer_name")
        .annotate(
            total=Sum("amount_usd"),
            n=Count("pk"),
            first=Min("date_of_payment"),
            last=Max("date_of_payment"),
        )
        .order_by("-total", "manufacturer_name")
    )
    rows = list(records.defer("raw").order_by("-date_of_payment", "-pk")[:limit])
    return Payments(
        rows=rows,
        by_manufacturer=by_manufacturer,
        count=sum(m["n"] for m in by_manufacturer),
        total=sum((m["total"] for m in by_manufacturer), Decimal("0")),
    )


# --- growth and longevity ---------------------------------------------------------


def profile_followers(
    account_id: int, *, limit: int = SNAPSHOT_LIMIT
) -> list[tuple[datetime, int]]:
    """The account's follower counts over time (its metric snapshots), oldest first,
    at most the latest ``limit``. One query."""
    points = list(
        MetricSnapshot.objects.filter(account_id=account_id, followers__isnull=False)
        .order_by("-captured_at")
        .values_list("captured_at", "followers")[:limit]
    )
    points.reverse()
    return points


def growth_summary(points: list[tuple[datetime, int]]) -> str:
    """One or two sentences for screen readers (and everyone) about the growth chart."""
    if not points:
        return "No follower snapshots were recorded for this account."
    (t0, f0), (t1, f1) = points[0], points[-1]
    if len(points) == 1:
        return f"One snapshot: {f1:,} followers on {t1:%Y-%m-%d}."
    change = f1 - f0
    pct = f" ({100 * change / f0:+.1f}%)" if f0 else ""
    text = (
        f"Followers went from {f0:,} on {t0:%Y-%m-%d} to {f1:,} on {t1:%Y-%m-%d}: "
        f"{change:+,}{pct} over {len(points)} snapshots."
    )
    jumps = [
        (b[1] - a[1], a, b)
        for a, b in zip(points, points[1:], strict=False)
        if a[1] and b[1] > a[1]
    ]
    if jumps:
        jump, a, b = max(jumps, key=lambda j: j[0] / max(j[1][1], 1))
        text += (
            f" Largest rise between two snapshots: {jump:+,} "
            f"({100 * jump / a[1]:+.1f}%) from {a[0]:%Y-%m-%d} to {b[0]:%Y-%m-%d}."
        )
    return text


def profile_longevity(account_id: int, window: Window) -> list[dict[str, Any]]:
    """Timed engagement on the account's posts in the window by the post's age when
    it arrived (``AGE_BUCKETS``), with each bucket's share and the cumulative share.
    One aggregate query. Mentions are not engagement with a post and are left out,
    as in the scoring's half-lives."""
    delay = ExpressionWrapper(
        F("occurred_at") - F("post__posted_at"), output_field=DurationField()
    )
    edges = (
        Interaction.objects.filter(
            target_id=account_id,
            kind__in=[k for k in ENGAGEMENT_KINDS if k != "mention"],
            occurred_at__isnull=False,
            post__author_id=account_id,
            post__posted_at__gte=window.start,
            post__posted_at__lt=window.end,
        )
        .exclude(actor_id=account_id)
        .annotate(delay=delay)
    )
    aggregates = {}
    lower = None
    for i, (_label, upper) in enumerate(AGE_BUCKETS):
        q = Q()
        if lower is not None:
            q &= Q(delay__gte=timedelta(hours=lower))
        if upper is not None:
            q &= Q(delay__lt=timedelta(hours=upper))
        aggregates[f"b{i}"] = Coalesce(Count("pk", filter=q), 0)
        lower = upper
    counts = edges.aggregate(**aggregates)
    total = sum(counts.values())
    buckets, running = [], 0
    for i, (label, _upper) in enumerate(AGE_BUCKETS):
        n = counts[f"b{i}"]
        running += n
        buckets.append(
            {
                "label": label,
                "count": n,
                "share": n / total if total else 0.0,
                "cumulative": running / total if total else 0.0,
            }
        )
    return buckets


def longevity_summary(buckets: list[dict[str, Any]], details: dict) -> str:
    """A text summary of the longevity chart, with the run's half-life figures."""
    total = sum(b["count"] for b in buckets)
    if not total:
        return "No timed engagement on this account's posts in the window."
    first_day = sum(b["count"] for b in buckets[:3])
    after_week = sum(b["count"] for b in buckets[5:])
    text = (
        f"Of {total:,} timed engagements on the posts in the window, "
        f"{100 * first_day / total:.0f}% arrived within a day of posting and "
        f"{100 * after_week / total:.0f}% after seven days."
    )
    half = details.get("half_life_hours")
    platform = details.get("platform_half_life_hours")
    if isinstance(half, int | float) and math.isfinite(half):
        text += f" Median post half-life {half:,.1f} h"
        if isinstance(platform, int | float) and math.isfinite(platform) and platform:
            text += (
                f" against {platform:,.1f} h for the platform ({half / platform:.2f}x)"
            )
        text += "."
    return text
