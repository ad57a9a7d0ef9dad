"""Serializers of the REST API: read shapes of programs, people, posts, findings,
scores, runs, cases and alerts, and the input of each action.

Related rows are flattened to the few fields a client needs (ids, slugs, handles,
names), which the selectors join in the same query. Post text is returned as data
(JSON-escaped), never as markup.
"""

from __future__ import annotations

import functools
import zoneinfo

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from compliance.models import AdverseEventCase, Finding, ScanRun
from influencers.models import Clinician, SocialAccount
from listening.models import IngestRun, Post, Source
from vetting.models import Alert, InfluencerScore, Program, ScoringRun, VettingCase

USERNAME = {"read_only": True, "allow_null": True}


# The findings and scores lists serialize flat ``.values()`` rows (see
# ``vetting.api.selectors.FINDING_ROW`` / ``SCORE_ROW``) with a direct mapping
# instead of field-by-field lookups: the same JSON as for a model instance (the
# tests compare the two), at a fraction of the cost on the two busiest lists.
@functools.cache
def _datetime_field() -> serializers.DateTimeField:
    # pinned to TIME_ZONE, which is what DRF uses when no view activates another
    # (none does): no per-value lookup of the current time zone
    return serializers.DateTimeField(
        default_timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE)
    )


@functools.cache
def _zone() -> zoneinfo.ZoneInfo | None:
    """TIME_ZONE when DRF writes datetimes as ISO 8601 (its default), else None."""
    if api_settings.DATETIME_FORMAT != ISO_8601:
        return None
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _datetime(value):
    """``DateTimeField().to_representation``: an aware datetime in TIME_ZONE, ISO
    8601 with ``Z`` for UTC. Written out for the common case (aware, ISO format),
    which is most of what a list row holds; anything else goes to the field."""
    if value is None:
        return None
    zone = _zone()
    if zone is None or value.tzinfo is None:
        return _datetime_field().to_representation(value)
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class _ClinicianName:
    """The fields ``Clinician.display_name`` reads, without a model instance."""

    __slots__ = (
        "entity_type",
        "first_name",
        "last_name",
        "organization_name",
        "credential",
    )
    EntityType = Clinician.EntityType


def _clinician_display_name(row: dict) -> str:
    parts = _ClinicianName()
    parts.entity_type = row["clinician_entity_type"]
    parts.first_name = row["clinician_first_name"]
    parts.last_name = row["clinician_last_name"]
    parts.organization_name = row["clinician_organization_name"]
    parts.credential = row["clinician_credential"]
    return Clinician.display_name.fget(parts)


class EvidenceSpanSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="Offset in the post text (characters).")
    end = serializers.IntegerField()
    text = serializers.CharField()


class FlagSerializer(serializers.Serializer):
    signal = serializers.CharField(help_text="What was seen (pod, follower_spike...).")
    value = serializers.FloatField()
    evidence = serializers.CharField()


# --- programs and people --------------------------------------------------------------


class ProgramSerializer(serializers.ModelSerializer):
    therapeutic_area = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    products = serializers.SlugRelatedField(
        slug_field="brand_name", many=True, read_only=True
    )
    target_specialties = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )
    platforms = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Program
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "therapeutic_area",
            "products",
            "target_specialties",
            "platforms",
            "follower_min",
            "follower_max",
            "weights",
            "link_confidence_min",
            "block_open_critical",
            "window_days",
            "window_end",
            "drift_threshold",
            "is_active",
            "created_at",
        ]


class ClinicianSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)
    primary_specialty_name = serializers.CharField(
        source="primary_specialty.display_name", read_only=True, allow_null=True
    )

    class Meta:
        model = Clinician
        fields = [
            "id",
            "npi",
            "entity_type",
            "display_name",
            "first_name",
            "middle_name",
            "last_name",
            "organization_name",
            "credential",
            "primary_taxonomy_code",
            "primary_specialty_name",
            "license_state",
            "practice_city",
            "practice_state",
            "npi_status",
            "enumeration_date",
            "identity_status",
            "source",
            "updated_at",
        ]


class SocialAccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = SocialAccount
        fields = [
            "id",
            "platform",
            "external_id",
            "handle",
            "display_name",
            "bio",
            "url",
            "followers_count",
            "following_count",
            "posts_count",
            "account_created_at",
            "is_verified",
            "clinician",
            "link_method",
            "link_confidence",
            "link_status",
            "updated_at",
        ]


class PostSerializer(serializers.ModelSerializer):
    author_handle = serializers.CharField(source="author.handle", read_only=True)
    hashtags = serializers.ListField(child=serializers.CharField())
    mentions = serializers.ListField(child=serializers.CharField())
    links = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Post
        fields = [
            "id",
            "platform",
            "external_id",
            "author",
            "author_handle",
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
        ]


# --- findings and adverse events ------------------------------------------------------


class FindingSerializer(serializers.ModelSerializer):
    post = serializers.IntegerField(source="post.id", read_only=True)
    platform = serializers.CharField(source="post.platform", read_only=True)
    post_url = serializers.CharField(source="post.url", read_only=True)
    posted_at = serializers.DateTimeField(source="post.posted_at", read_only=True)
    author = serializers.IntegerField(source="post.author.id", read_only=True)
    author_handle = serializers.CharField(source="post.author.handle", read_only=True)
    product = serializers.IntegerField(
        source="product.id", read_only=True, allow_null=True
    )
    product_name = serializers.CharField(
        source="product.brand_name", read_only=True, allow_null=True
    )
    evidence = EvidenceSpanSerializer(many=True, read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", **USERNAME)

    def to_representation(self, instance):
        if not isinstance(instance, dict):
            return super().to_representation(instance)
        row = instance
        return {
            "id": row["id"],
            "post": row["post_id"],
            "platform": row["post_platform"],
            "post_url": row["post_url"],
            "posted_at": _datetime(row["post_posted_at"]),
            "author": row["author_pk"],
            "author_handle": row["author_handle"],
            "rule_code": row["rule_code"],
            "rule_version": row["rule_version"],
            "severity": row["severity"],
            "evidence": [
                {
                    "start": int(span["start"]),
                    "end": int(span["end"]),
                    "text": str(span["text"]),
                }
                for span in row["evidence"] or []
            ],
            "explanation": row["explanation"],
            "basis": row["basis"],
            "product": row["product_id"],
            "product_name": row["product_name"],
            "status": row["status"],
            "decided_by": row["decided_by_name"],
            "decided_at": _datetime(row["decided_at"]),
            "decision_reason": row["decision_reason"],
            "is_current": row["is_current"],
            "created_at": _datetime(row["created_at"]),
        }

    class Meta:
        model = Finding
        fields = [
            "id",
            "post",
            "platform",
            "post_url",
            "posted_at",
            "author",
            "author_handle",
            "rule_code",
            "rule_version",
            "severity",
            "evidence",
            "explanation",
            "basis",
            "product",
            "product_name",
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "is_current",
            "created_at",
        ]


class FindingDetailSerializer(FindingSerializer):
    post_text = serializers.CharField(source="post.text", read_only=True)
    details = serializers.DictField(read_only=True)

    class Meta(FindingSerializer.Meta):
        fields = [*FindingSerializer.Meta.fields, "post_text", "details"]


class FindingDecideInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[
            Finding.Status.CONFIRMED,
            Finding.Status.DISMISSED,
            Finding.Status.ESCALATED,
        ]
    )
    reason = serializers.CharField(
        max_length=5000, help_text="Why; kept in the audit trail."
    )


class AdverseEventCaseSerializer(serializers.ModelSerializer):
    post = serializers.IntegerField(source="post.id", read_only=True)
    post_url = serializers.CharField(source="post.url", read_only=True)
    platform = serializers.CharField(source="post.platform", read_only=True)
    author = serializers.IntegerField(source="post.author.id", read_only=True)
    author_handle = serializers.CharField(source="post.author.handle", read_only=True)
    finding = serializers.IntegerField(
        source="finding_id", read_only=True, allow_null=True
    )
    product_name = serializers.CharField(
        source="product.brand_name", read_only=True, allow_null=True
    )
    elements = serializers.DictField(read_only=True)
    assignee = serializers.CharField(source="assignee.username", **USERNAME)
    handled_by = serializers.CharField(source="handled_by.username", **USERNAME)

    class Meta:
        model = AdverseEventCase
        fields = [
            "id",
            "post",
            "post_url",
            "platform",
            "author",
            "author_handle",
            "finding",
            "product_name",
            "elements",
            "awareness_at",
            "due_at",
            "status",
            "assignee",
            "handled_by",
            "handled_at",
            "notes",
            "created_at",
        ]


# --- scores ---------------------------------------------------------------------------

SCORE_COLUMNS = (
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
)


class InfluencerScoreSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.slug", read_only=True)
    run = serializers.IntegerField(source="run_id", read_only=True)
    account = serializers.IntegerField(source="account_id", read_only=True)
    platform = serializers.CharField(source="account.platform", read_only=True)
    handle = serializers.CharField(source="account.handle", read_only=True)
    clinician = serializers.IntegerField(
        source="clinician_id", read_only=True, allow_null=True
    )
    npi = serializers.CharField(source="clinician.npi", read_only=True, allow_null=True)
    clinician_name = serializers.CharField(
        source="clinician.display_name", read_only=True, allow_null=True
    )
    gate_failures = serializers.ListField(child=serializers.CharField())
    contributions = serializers.DictField(child=serializers.FloatField())
    flags = serializers.SerializerMethodField(
        help_text="Authenticity signals with their evidence."
    )

    class Meta:
        model = InfluencerScore
        fields = [
            "id",
            "program",
            "run",
            "account",
            "platform",
            "handle",
            "clinician",
            "npi",
            "clinician_name",
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
            "flags",
            "contributions",
        ]

    @extend_schema_field(FlagSerializer(many=True))
    def get_flags(self, score: InfluencerScore) -> list:
        flags = getattr(score, "flags", None)
        return flags if isinstance(flags, list) else []

    def to_representation(self, instance):
        if not isinstance(instance, dict):
            return super().to_representation(instance)
        row = instance
        name = None
        if row["clinician_id"] is not None:
            name = _clinician_display_name(row)
        flags = row["flags"]
        return {
            "id": row["id"],
            "program": row["program_slug"],
            "run": row["run_id"],
            "account": row["account_id"],
            "platform": row["account_platform"],
            "handle": row["account_handle"],
            "clinician": row["clinician_id"],
            "npi": row["clinician_npi"],
            "clinician_name": name,
            "specialty_code": row["specialty_code"],
            "as_of": _datetime(row["as_of"]),
            "scoring_version": row["scoring_version"],
            "followers": row["followers"],
            # FloatFields: psycopg reads double precision as float (or None)
            **{column: row[column] for column in SCORE_COLUMNS},
            "rank": row["rank"],
            "specialty_rank": row["specialty_rank"],
            "gates_passed": row["gates_passed"],
            "gate_failures": [
                str(x) if x is not None else None for x in row["gate_failures"]
            ],
            "authenticity_flagged": row["authenticity_flagged"],
            "flags": flags if isinstance(flags, list) else [],
            "contributions": {
                str(k): (float(v) if v is not None else None)
                for k, v in (row["contributions"] or {}).items()
            },
        }


# --- runs and sources -----------------------------------------------------------------


class ScoringRunSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.slug", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", **USERNAME)
    timings = serializers.DictField(child=serializers.FloatField(), read_only=True)

    class Meta:
        model = ScoringRun
        fields = [
            "id",
            "program",
            "status",
            "scoring_version",
            "input_hash",
            "window_start",
            "window_end",
            "parts_total",
            "parts_done",
            "accounts_scored",
            "edges",
            "timings",
            "started_at",
            "finished_at",
            "error",
            "requested_by",
            "created_at",
        ]


class ScoringRunStartOutputSerializer(serializers.Serializer):
    created = serializers.BooleanField(
        help_text="False: a run of the program was already pending or running."
    )
    run = ScoringRunSerializer()


class IngestRunSerializer(serializers.ModelSerializer):
    source_name = serializers.CharField(source="source.name", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", **USERNAME)

    class Meta:
        model = IngestRun
        fields = [
            "id",
            "source",
            "source_name",
            "status",
            "window_start",
            "window_end",
            "pages",
            "received",
            "created",
            "updated",
            "unchanged",
            "quarantined",
            "interactions",
            "attempts",
            "started_at",
            "heartbeat_at",
            "finished_at",
            "error",
            "requested_by",
            "created_at",
        ]


class IngestRunStartInputSerializer(serializers.Serializer):
    window_start = serializers.DateTimeField(required=False, allow_null=True)
    window_end = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, attrs):
        start, end = attrs.get("window_start"), attrs.get("window_end")
        if start and end and end <= start:
            raise serializers.ValidationError(
                {"window_end": "The window must end after it starts."}
            )
        return attrs


class ScanRunSerializer(serializers.ModelSerializer):
    rule_versions = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = ScanRun
        fields = [
            "id",
            "status",
            "trigger",
            "ingest_run",
            "rule_versions",
            "posts_scanned",
            "findings_created",
            "findings_unchanged",
            "findings_superseded",
            "ae_cases_opened",
            "started_at",
            "finished_at",
            "error",
            "created_at",
        ]


SCAN_POST_IDS_MAX = 10_000


class ScanStartInputSerializer(serializers.Serializer):
    post_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=False,
        max_length=SCAN_POST_IDS_MAX,
        help_text=(
            "Posts to scan (at most 10,000, each one you may see). Without it: "
            "every post whose content changed since the last complete scan."
        ),
    )


class ScanStartOutputSerializer(serializers.Serializer):
    task_id = serializers.CharField(help_text="The Celery task of the scan.")
    posts = serializers.IntegerField(
        allow_null=True, help_text="How many posts were asked for (null: all new)."
    )


class SourceSerializer(serializers.ModelSerializer):
    targets = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "platform",
            "kind",
            "targets",
            "live",
            "schedule_minutes",
            "enabled",
            "last_run_at",
        ]


# --- vetting cases and alerts ---------------------------------------------------------


class VettingCaseSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.slug", read_only=True)
    npi = serializers.CharField(source="clinician.npi", read_only=True)
    clinician_name = serializers.CharField(
        source="clinician.display_name", read_only=True
    )
    handle = serializers.CharField(source="account.handle", read_only=True)
    assignee = serializers.CharField(source="assignee.username", **USERNAME)

    class Meta:
        model = VettingCase
        fields = [
            "id",
            "program",
            "clinician",
            "npi",
            "clinician_name",
            "account",
            "handle",
            "state",
            "held_from",
            "assignee",
            "evidence_sha256",
            "evidence_at",
            "approved_at",
            "approved_composite",
            "reopened_count",
            "created_at",
            "updated_at",
        ]


class VettingCaseDetailSerializer(VettingCaseSerializer):
    evidence = serializers.DictField(
        read_only=True, help_text="The snapshot the current stage reviews and signs."
    )

    class Meta(VettingCaseSerializer.Meta):
        fields = [*VettingCaseSerializer.Meta.fields, "evidence"]


class AlertSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.slug", read_only=True)
    detail = serializers.DictField(read_only=True)
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username", **USERNAME
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "level",
            "program",
            "case",
            "clinician",
            "message",
            "detail",
            "created_at",
            "acknowledged_by",
            "acknowledged_at",
        ]
