"""FilterSets of the listening app: one per listable model (STYLE 8).

The HTML list pages use them now; the read-only API can pass them as
``filterset_class`` later. Each FilterSet filters a queryset from a selector, so
``select_related`` stays the selector's job.
"""

import django_filters

from listening import constants as c
from listening.models import PLATFORM_CHOICES, IngestRun, QuarantinedRecord
from listening.selectors import source_list


def _sources(request):
    return source_list()


class IngestRunFilterSet(django_filters.FilterSet):
    """Ingest runs by status, source and the source's platform."""

    status = django_filters.ChoiceFilter(
        choices=IngestRun.Status.choices, empty_label="Any status"
    )
    source = django_filters.ModelChoiceFilter(
        queryset=_sources, empty_label="Any source"
    )
    platform = django_filters.ChoiceFilter(
        field_name="source__platform",
        choices=PLATFORM_CHOICES,
        empty_label="Any platform",
    )

    class Meta:
        model = IngestRun
        fields = ["status", "source", "platform"]


class QuarantinedRecordFilterSet(django_filters.FilterSet):
    """Quarantined records by reason, status, platform, source and run."""

    reason = django_filters.ChoiceFilter(
        choices=[(reason, reason) for reason in c.QUARANTINE_REASONS],
        empty_label="Any reason",
    )
    status = django_filters.ChoiceFilter(
        choices=QuarantinedRecord.Status.choices, empty_label="Any status"
    )
    # The record's own platform. An ``unknown_platform`` record names one outside
    # PLATFORM_CHOICES; a reviewer finds those by reason instead.
    platform = django_filters.ChoiceFilter(
        choices=PLATFORM_CHOICES, empty_label="Any platform"
    )
    source = django_filters.ModelChoiceFilter(
        queryset=_sources, empty_label="Any source"
    )
    run = django_filters.NumberFilter(field_name="run_id", label="Run #")

    class Meta:
        model = QuarantinedRecord
        fields = ["reason", "status", "platform", "source", "run"]
