"""The findings queue's FilterSet: the compliance app's ``FindingFilterSet`` plus the
program (which only ``vetting`` knows) and the product.

``compliance`` comes before ``vetting`` in the dependency chain (STYLE 1), so the
program filter cannot live in ``compliance.filters``; the queue's queryset is already
scoped to the user's programs, and the program choices are those programs only.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from compliance.filters import FindingFilterSet
from compliance.models import Finding, Product
from vetting.models import InfluencerScore, Program, VettingCase
from vetting.selectors import programs_for_user


def _user_programs(request) -> QuerySet[Program]:
    if request is None:
        return Program.objects.none()
    return programs_for_user(request.user).order_by("name")


class ReviewFindingFilterSet(FindingFilterSet):
    """Findings by program, rule, severity, review status, product and platform."""

    program = django_filters.ModelChoiceFilter(
        label="Program",
        queryset=_user_programs,
        to_field_name="slug",
        empty_label="All my programs",
        method="filter_program",
    )
    product = django_filters.ModelChoiceFilter(
        label="Product",
        queryset=Product.objects.order_by("brand_name", "pk"),
        empty_label="Any product",
    )

    class Meta:
        model = Finding
        fields = ["program", "rule_code", "severity", "status", "product", "platform"]

    def filter_program(self, queryset: QuerySet, name: str, value: Program | None):
        """Findings on posts by accounts scored in, or put forward by a case of, the
        program (the same rule as ``vetting.selectors.scope_to_user_programs``)."""
        if value is None:
            return queryset
        scored = InfluencerScore.objects.filter(program=value).values("account_id")
        cased = VettingCase.objects.filter(program=value).values("account_id")
        return queryset.filter(Q(post__author__in=scored) | Q(post__author__in=cased))
