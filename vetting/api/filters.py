"""FilterSets of the API lists whose models have no list page (and so no FilterSet
shared with one). Findings, scores and ingest runs use the pages' FilterSets:
``ReviewFindingFilterSet``, ``InfluencerScoreFilterSet``, ``IngestRunFilterSet``."""

from __future__ import annotations

import django_filters
from django import forms

from compliance.models import AdverseEventCase, ScanRun
from influencers.models import Clinician, SocialAccount
from listening.models import PLATFORM_CHOICES, Post
from vetting.filters import InfluencerScoreFilterSet
from vetting.models import Alert, ScoringRun, VettingCase


class CodeField(forms.CharField):
    """A code that must be one of ``codes`` (a set: one lookup, where a
    ``ModelChoiceField`` of the same codes queries them all)."""

    default_error_messages = {
        "invalid_choice": "Select a valid choice. That choice is not one of the "
        "available choices."
    }

    def __init__(self, *, codes: frozenset[str] = frozenset(), **kwargs):
        super().__init__(**kwargs)
        self.codes = codes

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and value not in self.codes:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )


class CodeFilter(django_filters.CharFilter):
    field_class = CodeField


class ScoreApiFilterSet(InfluencerScoreFilterSet):
    """The discovery page's filters without its ``sort`` (the API's cursor needs the
    fixed order: program, run, rank, id). ``specialty`` is checked against the
    codes scored in the runs listed (``specialty_codes``, cached per run by
    ``vetting.discovery.scored_specialty_codes``) instead of the page's
    ``Specialty`` choices: the page needs their names for its select, the API only
    the codes, and validating against a queryset of some 700 codes cost more than
    the page of scores itself."""

    sort = None
    specialty = CodeFilter(
        label="Specialty", field_name="specialty_code", help_text="A NUCC code."
    )

    def __init__(
        self,
        data=None,
        queryset=None,
        *,
        request=None,
        prefix=None,
        specialty_codes: list[str] | None = None,
    ):
        # django-filter's own __init__: the discovery FilterSet's would build the
        # page's Specialty choices, which this one does not use
        django_filters.FilterSet.__init__(
            self, data, queryset, request=request, prefix=prefix
        )
        if "specialty" in self.filters:  # a FilterSet narrowed to the query's
            if specialty_codes is None:
                specialty_codes = self.queryset.order_by().values_list(
                    "specialty_code", flat=True
                )
            self.filters["specialty"].extra["codes"] = frozenset(specialty_codes)


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
