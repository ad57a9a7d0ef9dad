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
