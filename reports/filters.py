"""FilterSets of the reports app (STYLE 8): one per listable model, shared by the
list page and the API list endpoint. They filter querysets that the selectors have
already scoped to the user."""

from __future__ import annotations

import django_filters
from django import forms

from reports.models import Export, Shortlist
from vetting.models import Program
from vetting.selectors import programs_for_user


def _programs(request) -> object:
    if request is None:
        return Program.objects.none()
    return programs_for_user(request.user)


class ShortlistFilterSet(django_filters.FilterSet):
    """Shortlists by program (slug) and by a word of the name."""

    program = django_filters.ModelChoiceFilter(
        queryset=_programs, to_field_name="slug", empty_label="Any program"
    )
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label="Name",
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    class Meta:
        model = Shortlist
        fields: list[str] = []


class ExportFilterSet(django_filters.FilterSet):
    """Exports by kind, format and status."""

    kind = django_filters.ChoiceFilter(
        choices=Export.Kind.choices, empty_label="Any kind"
    )
    # not "format": DRF reads that query parameter to choose a renderer
    file_format = django_filters.ChoiceFilter(
        field_name="format",
        choices=Export.Format.choices,
        label="Format",
        empty_label="Any format",
    )
    status = django_filters.ChoiceFilter(
        choices=Export.Status.choices, empty_label="Any status"
    )

    class Meta:
        model = Export
        fields: list[str] = []
