"""Forms of the vetting workflow: the electronic signature and reasons."""

from __future__ import annotations

from django import forms

from vetting.models import SignOff


class SignOffForm(forms.Form):
    """An electronic signature: decision, reason, the signer's password again, and
    the hash of the evidence the page showed (the signature binds to it)."""

    decision = forms.ChoiceField(
        choices=SignOff.Decision.choices, widget=forms.RadioSelect, label="Decision"
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason",
        help_text="Required: stored with the signature and in the audit trail.",
        error_messages={"required": "Give a reason for the signature."},
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label="Your password",
        help_text="Re-enter your password to sign (21 CFR Part 11).",
    )
    evidence_sha256 = forms.RegexField(
        regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason",
        required=False,
        max_length=2000,
    )
