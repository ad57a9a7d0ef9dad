"""Forms of the listening app: a reviewer's decision on a quarantined record."""

from django import forms


class QuarantineReplayForm(forms.Form):
    """The fixed payload (JSON) to parse and ingest again."""

    payload = forms.CharField(
        label="Fixed payload (JSON)",
        strip=False,  # keep the reviewer's text exactly as typed when we show it back
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}),
        help_text=(
            "Edit the record and submit: it is parsed by the platform's connector "
            "and ingested. Nothing is written if it is still invalid."
        ),
    )


class QuarantineDiscardForm(forms.Form):
    """Why the record is dropped; kept on the record for the audit."""

    note = forms.CharField(
        label="Why discard it?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required. The payload is kept; the record leaves the open queue.",
    )
