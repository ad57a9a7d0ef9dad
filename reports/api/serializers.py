"""Serializers of the shortlist and export endpoints of REST API v1: read shapes
(a shortlist with its members, each with the score frozen when it was added next to
today's; an export with its progress) and the input of each action."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from reports.models import Export, Shortlist, ShortlistMember
from reports.services import MEMBERS_ADD_MAX
from vetting.models import InfluencerScore
from vetting.scoring.weights import COMPONENTS

ID_MAX = 2**63 - 1  # PostgreSQL bigint

SCORE_FIELDS = (
    *COMPONENTS,
    "composite",
    "rank",
    "specialty_rank",
    "gates_passed",
    "gate_failures",
    "authenticity_flagged",
)


class ShortlistSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.slug", read_only=True)
    program_name = serializers.CharField(source="program.name", read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Shortlist
        fields = [
            "id",
            "program",
            "program_name",
            "name",
            "description",
            "owner",
            "member_count",
            "created_at",
            "updated_at",
        ]


class ShortlistScoreSerializer(serializers.ModelSerializer):
    """Today's score of a member: its score in the program's latest run."""

    run = serializers.IntegerField(source="run_id", read_only=True)
    gate_failures = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = InfluencerScore
        fields = [
            "id",
            "run",
            "as_of",
            "scoring_version",
            "followers",
            *SCORE_FIELDS,
        ]


class ShortlistFindingsSerializer(serializers.Serializer):
    open_critical = serializers.IntegerField()
    open_major = serializers.IntegerField()
    open_minor = serializers.IntegerField()
    confirmed_or_escalated = serializers.IntegerField()
    rules = serializers.ListField(child=serializers.CharField())


class FrozenScoreSerializer(serializers.Serializer):
    """A score as it was when the member was added (kept as it was)."""

    score_id = serializers.IntegerField()
    run_id = serializers.IntegerField()
    as_of = serializers.DateTimeField()
    frozen_at = serializers.DateTimeField()
    scoring_version = serializers.CharField()
    specialty_code = serializers.CharField(allow_blank=True)
    followers = serializers.IntegerField()
    alignment = serializers.FloatField(allow_null=True)
    trust_density = serializers.FloatField(allow_null=True)
    peer_influence = serializers.FloatField(allow_null=True)
    engagement_quality = serializers.FloatField(allow_null=True)
    authenticity = serializers.FloatField(allow_null=True)
    longevity = serializers.FloatField(allow_null=True)
    spread = serializers.FloatField(allow_null=True)
    community = serializers.FloatField(allow_null=True)
    compliance = serializers.FloatField(allow_null=True)
    composite = serializers.FloatField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    specialty_rank = serializers.IntegerField(allow_null=True)
    gates_passed = serializers.BooleanField()
    gate_failures = serializers.ListField(child=serializers.CharField())
    authenticity_flagged = serializers.BooleanField()
    contributions = serializers.DictField(child=serializers.FloatField())
    authenticity_flags = serializers.ListField(child=serializers.DictField())
    findings = ShortlistFindingsSerializer()


class ShortlistMemberSerializer(serializers.ModelSerializer):
    account = serializers.IntegerField(source="account_id", read_only=True)
    platform = serializers.CharField(source="account.platform", read_only=True)
    handle = serializers.CharField(source="account.handle", read_only=True)
    clinician = serializers.IntegerField(
        source="clinician_id", read_only=True, allow_null=True
    )
    npi = serializers.CharField(source="clinician.npi", read_only=True, allow_null=True)
    added_by = serializers.CharField(source="added_by.username", read_only=True)
    added_at = serializers.DateTimeField(source="created_at", read_only=True)
    frozen_run = serializers.IntegerField(
        source="frozen_run_id", read_only=True, allow_null=True
    )
    frozen = FrozenScoreSerializer(read_only=True)
    today = serializers.SerializerMethodField(
        help_text="The score in the program's latest run (null: not in that run)."
    )
    composite_change = serializers.SerializerMethodField(
        help_text="Today's composite minus the frozen composite."
    )

    class Meta:
        model = ShortlistMember
        fields = [
            "id",
            "rank",
            "note",
            "account",
            "platform",
            "handle",
            "clinician",
            "npi",
            "added_by",
            "added_at",
            "frozen_run",
            "frozen_composite",
            "frozen",
            "today",
            "composite_change",
        ]

    def _today(self, member: ShortlistMember) -> InfluencerScore | None:
        return (self.context.get("today") or {}).get(member.account_id)

    @extend_schema_field(ShortlistScoreSerializer(allow_null=True))
    def get_today(self, member: ShortlistMember) -> dict[str, Any] | None:
        score = self._today(member)
        return ShortlistScoreSerializer(score).data if score is not None else None

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_composite_change(self, member: ShortlistMember) -> float | None:
        score = self._today(member)
        if score is None or score.composite is None or member.frozen_composite is None:
            return None
        return round(score.composite - member.frozen_composite, 6)


class ShortlistDetailSerializer(ShortlistSerializer):
    latest_run = serializers.SerializerMethodField(
        help_text="The program's latest scoring run (today's scores)."
    )
    members = serializers.SerializerMethodField()

    class Meta(ShortlistSerializer.Meta):
        fields = [*ShortlistSerializer.Meta.fields, "latest_run", "members"]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_latest_run(self, shortlist: Shortlist) -> int | None:
        run = self.context.get("run")
        return run.pk if run is not None else None

    @extend_schema_field(ShortlistMemberSerializer(many=True))
    def get_members(self, shortlist: Shortlist) -> list[dict[str, Any]]:
        members = self.context.get("members") or []
        return ShortlistMemberSerializer(members, many=True, context=self.context).data


class ShortlistCreateInputSerializer(serializers.Serializer):
    program = serializers.SlugField(help_text="Slug of a program you are a member of.")
    name = serializers.CharField(max_length=160)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    score_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        required=False,
        default=list,
        max_length=MEMBERS_ADD_MAX,
        help_text="Scores of the program's latest run to add at once.",
    )


class ShortlistUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=160, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class ShortlistMembersAddInputSerializer(serializers.Serializer):
    score_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        min_length=1,
        max_length=MEMBERS_ADD_MAX,
        help_text="Ids of scores of the program's latest run (GET /api/v1/scores/).",
    )


class ShortlistMembersAddOutputSerializer(serializers.Serializer):
    added = ShortlistMemberSerializer(many=True)
    already = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Accounts that were already on the shortlist (left as they were).",
    )


class ShortlistMemberUpdateInputSerializer(serializers.Serializer):
    schema_extra = {"minProperties": 1}  # see ``validate`` (common.schema)

    rank = serializers.IntegerField(
        min_value=1,
        max_value=ID_MAX,
        required=False,
        help_text="Move to this rank (clamped to 1..n).",
    )
    direction = serializers.ChoiceField(
        choices=["up", "down"], required=False, help_text="Move one place."
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, help_text="The note."
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                "Give a rank, a direction (up or down) or a note."
            )
        if "rank" in attrs and "direction" in attrs:
            raise serializers.ValidationError("Give a rank or a direction, not both.")
        return attrs


class ExportSerializer(serializers.ModelSerializer):
    program = serializers.CharField(
        source="program.slug", read_only=True, allow_null=True
    )
    shortlist = serializers.IntegerField(
        source="shortlist_id", read_only=True, allow_null=True
    )
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    progress = serializers.SerializerMethodField(help_text="rows_done / rows_total")
    download_url = serializers.SerializerMethodField(
        help_text="Where to download the file once the export has succeeded."
    )

    class Meta:
        model = Export
        fields = [
            "id",
            "kind",
            "format",
            "status",
            "filters",
            "program",
            "shortlist",
            "requested_by",
            "rows_total",
            "rows_done",
            "progress",
            "size_bytes",
            "sha256",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        ]

    @extend_schema_field(serializers.FloatField())
    def get_progress(self, export: Export) -> float:
        if export.status == Export.Status.SUCCEEDED:
            return 1.0
        return (
            round(export.rows_done / export.rows_total, 4) if export.rows_total else 0.0
        )

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, export: Export) -> str | None:
        if export.status != Export.Status.SUCCEEDED:
            return None
        return reverse(
            "api-v1-reports:export-download",
            kwargs={"pk": export.pk},
            request=self.context.get("request"),
        )


class ExportCreateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Export.Kind.choices)
    format = serializers.ChoiceField(choices=Export.Format.choices)
    filters = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text=(
            "Discovery only: the discovery page's (and /api/v1/scores/') filters and "
            'sort, e.g. {"program": "heart", "specialty": "207RC0000X", '
            '"composite_min": "0.5", "sort": "-trust_density"}.'
        ),
    )
    shortlist = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=ID_MAX,
        help_text="Shortlist only: its id.",
    )

    def validate(self, attrs):
        if attrs["kind"] == Export.Kind.SHORTLIST and not attrs.get("shortlist"):
            raise serializers.ValidationError(
                {"shortlist": ["Give the shortlist to export."]}
            )
        for key, value in attrs.get("filters", {}).items():
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, dict | list) for v in values):
                raise serializers.ValidationError(
                    {"filters": [f"“{key[:40]}”: give a value or a list of values."]}
                )
        return attrs
