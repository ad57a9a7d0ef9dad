"""FilterSets of the API lists whose models have no list page (and so no FilterSet
shared with one). Findings, scores and ingest runs use the pages' FilterSets:
``ReviewFindingFilterSet``, ``InfluencerScoreFilterSet``, ``IngestRunFilterSet``."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from compliance.models import AdverseEventCase, ScanRun
from influencers.models import Clinician, SocialAccount
from listening.models import PLATFORM_CHOICES, Post
from vetting.filters import InfluencerScoreFilterSet
from vetting.models import Alert, ScoringRun, VettingCase


class ScoreApiFilterSet(InfluencerScoreFilterSet):
    """The discovery page's filters without its ``sort``: the API's cursor needs
    the fixed order (program, run, rank, id)."""

    sort = None

    @extend_schema_field(OpenApiTypes.STR)  # a NUCC taxonomy code
    def filter_specialty(self, queryset, name, value):
        return super().filter_specialty(queryset, name, value)


class ClinicianFilterSet(django_filters.FilterSet):
    """Clinicians by NPI, identity status, primary taxonomy and practice state."""

    class Meta:
        model = Clinician
        fields = [
            "npi",
            "entity_type",
            "identity_status",
            "npi_status",
            "primary_taxonomy_code",
            "practice_state",
        ]


class SocialAccountFilterSet(django_filters.FilterSet):
    """Accounts by platform, handle, linked clinician and link review status."""

    clinician = django_filters.NumberFilter(field_name="clinician_id")
    linked = django_filters.BooleanFilter(
        field_name="clinician", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = SocialAccount
        fields = ["platform", "handle", "clinician", "link_status"]


class PostFilterSet(django_filters.FilterSet):
    """Posts by author, platform, language and publication time."""

    author = django_filters.NumberFilter(field_name="author_id")
    platform = django_filters.ChoiceFilter(choices=PLATFORM_CHOICES)
    posted_after = django_filters.IsoDateTimeFilter(
        field_name="posted_at", lookup_expr="gte"
    )
    posted_before = django_filters.IsoDateTimeFilter(
        field_name="posted_at", lookup_expr="lt"
    )

    class Meta:
        model = Post
        fields = ["author", "platform", "language"]


class ScoringRunFilterSet(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__slug")

    class Meta:
        model = ScoringRun
        fields = ["program", "status"]


class ScanRunFilterSet(django_filters.FilterSet):
    ingest_run = django_filters.NumberFilter(field_name="ingest_run_id")

    class Meta:
        model = ScanRun
        fields = ["status", "ingest_run"]


class AdverseEventCaseFilterSet(django_filters.FilterSet):
    class Meta:
        model = AdverseEventCase
        fields = ["status"]


class VettingCaseFilterSet(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__slug")
    clinician = django_filters.NumberFilter(field_name="clinician_id")

    class Meta:
        model = VettingCase
        fields = ["program", "state", "clinician"]


class AlertFilterSet(django_filters.FilterSet):
    program = django_filters.CharFilter(field_name="program__slug")
    acknowledged = django_filters.BooleanFilter(
        field_name="acknowledged_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Alert
        fields = ["program", "kind", "level", "acknowledged"]
