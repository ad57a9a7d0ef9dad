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


class ProgramSettingsForm(forms.Form):
    """The settings of a program an admin may change (each change is audited)."""

    follower_min = forms.IntegerField(min_value=0, label="Followers from")
    follower_max = forms.IntegerField(min_value=0, label="Followers up to")
    link_confidence_min = forms.FloatField(
        min_value=0, max_value=1, label="Minimum identity-link confidence"
    )
    block_open_critical = forms.BooleanField(
        required=False, label="An open critical finding fails the compliance gate"
    )
    window_days = forms.IntegerField(min_value=1, max_value=3650, label="Window (days)")
    drift_threshold = forms.FloatField(
        min_value=0,
        max_value=1,
        label="Drift threshold",
        help_text="A composite change larger than this reopens an approved case.",
    )
    is_active = forms.BooleanField(required=False, label="Active (scored hourly)")
    members = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, weights: dict[str, float], users, **kwargs):
        from vetting.scoring.explain import LABELS

        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = users
        self.weight_fields = []
        for name, value in weights.items():
            field = forms.FloatField(
                min_value=0, max_value=1, initial=value, label=f"Weight: {LABELS[name]}"
            )
            self.fields[f"weight_{name}"] = field
            self.weight_fields.append(f"weight_{name}")

    def clean(self):
        data = super().clean()
        low, high = data.get("follower_min"), data.get("follower_max")
        if low is not None and high is not None and low > high:
            self.add_error("follower_max", "Must be at least the lower bound.")
        weights = [data.get(f) for f in self.weight_fields]
        if all(w is not None for w in weights) and abs(sum(weights) - 1.0) > 1e-6:
            raise forms.ValidationError(
                f"The weights must add up to 1 (they add up to {sum(weights):.3f})."
            )
        return data

    def changes(self) -> dict:
        data = dict(self.cleaned_data)
        weights = {f.removeprefix("weight_"): data.pop(f) for f in self.weight_fields}
        data["weights"] = weights
        return data
