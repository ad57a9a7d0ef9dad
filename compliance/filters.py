"""FilterSets of the compliance app: one per listable model (STYLE 8).

Each filters a queryset from a selector, so ``select_related`` stays the
selector's job.
"""

import django_filters

from compliance.models import Finding
from compliance.rules import FINDING_CODES
from listening.models import PLATFORM_CHOICES


class FindingFilterSet(django_filters.FilterSet):
    """Findings by rule, severity, review status and the post's platform."""

    rule_code = django_filters.ChoiceFilter(
        label="Rule",
        choices=[(code, code) for code in FINDING_CODES],
        empty_label="Any rule",
    )
    severity = django_filters.ChoiceFilter(
        choices=Finding.Severity.choices, empty_label="Any severity"
    )
    status = django_filters.ChoiceFilter(
        choices=Finding.Status.choices, empty_label="Any status"
    )
    platform = django_filters.ChoiceFilter(
        field_name="post__platform",
        choices=PLATFORM_CHOICES,
        empty_label="Any platform",
    )

    class Meta:
        model = Finding
        fields = ["rule_code", "severity", "status", "platform"]
