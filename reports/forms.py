"""Forms of the report pages (filters only: reports never writes)."""

from django import forms

from reports.selectors import RUN_STATUS_CHOICES, RunKind


class RunFilterForm(forms.Form):
    """The runs page's filters: kind of run and status (both optional)."""

    kind = forms.ChoiceField(
        label="Kind", choices=[("", "Any kind"), *RunKind.choices], required=False
    )
    status = forms.ChoiceField(
        label="Status",
        choices=[("", "Any status"), *RUN_STATUS_CHOICES],
        required=False,
    )
