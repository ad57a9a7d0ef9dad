"""Forms of the compliance pages."""

from __future__ import annotations

from django import forms

from influencers.validators import validate_npi


class DraftCheckForm(forms.Form):
    """A draft post to check before publishing (nothing is stored)."""

    text = forms.CharField(
        label="Draft post",
        max_length=10000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    author_npi = forms.CharField(
        label="Author NPI",
        max_length=10,
        required=False,
        validators=[validate_npi],
        help_text="Optional: the author's Open Payments feed the conflict-of-interest check.",
    )
    product = forms.CharField(
        label="Product",
        max_length=200,
        required=False,
        help_text="Optional: the product the draft is about, if the text does not name it.",
    )
    posted_at = forms.DateTimeField(
        label="Publication time",
        required=False,
        help_text="Optional (YYYY-MM-DD HH:MM): picks the label version in force; default now.",
    )


class FindingDecideForm(forms.Form):
    """A reviewer's decision on a finding; the reason goes to the audit trail."""

    DECISIONS = [
        ("confirmed", "Confirm"),
        ("dismissed", "Dismiss"),
        ("escalated", "Escalate"),
    ]

    status = forms.ChoiceField(choices=DECISIONS)
    reason = forms.CharField(
        label="Reason",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required: recorded with your name and the time for the audit trail.",
        error_messages={"required": "Give a reason for the audit trail."},
    )


class AdverseEventCaseUpdateForm(forms.Form):
    """Triage of an adverse-event case by pharmacovigilance."""

    STATUSES = [
        ("reportable", "Reportable"),
        ("not_reportable", "Not reportable"),
        ("forwarded", "Forwarded to pharmacovigilance"),
    ]

    status = forms.ChoiceField(label="Status", choices=STATUSES)
    notes = forms.CharField(
        label="Notes",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Appended with your name and the time. Required for not reportable.",
    )
