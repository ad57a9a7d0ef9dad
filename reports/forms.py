"""Forms of the report pages: the runs filter, shortlists and exports."""

from django import forms

from reports.models import Export
from reports.selectors import RUN_STATUS_CHOICES, RunKind
from vetting.models import Program


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


# --- shortlists and exports ------------------------------------------------------------

NEW_SHORTLIST = "new"


class ShortlistForm(forms.Form):
    """A new shortlist: its program (one the user is a member of), name and
    description."""

    program = forms.ModelChoiceField(
        label="Program",
        queryset=Program.objects.none(),
        to_field_name="slug",
        empty_label=None,
    )
    name = forms.CharField(label="Name", max_length=160)
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, programs=None, **kwargs):
        # ids of its own: the list page also has the filter form's "program"
        kwargs.setdefault("auto_id", "new-shortlist-%s")
        super().__init__(*args, **kwargs)
        if programs is not None:
            self.fields["program"].queryset = programs


class ShortlistRenameForm(forms.Form):
    name = forms.CharField(label="Name", max_length=160)
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MemberNoteForm(forms.Form):
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MemberMoveForm(forms.Form):
    """Up, down, or a rank."""

    direction = forms.ChoiceField(
        choices=[("", "—"), ("up", "Up"), ("down", "Down")], required=False
    )
    rank = forms.IntegerField(label="Rank", min_value=1, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("direction") and data.get("rank") is None:
            raise forms.ValidationError("Move the member up or down, or give a rank.")
        return data


class ShortlistAddForm(forms.Form):
    """Candidates ticked on the discovery page and where they go: an existing
    shortlist of the user's programs, or a new one with this name."""

    ids = forms.CharField(required=False)
    shortlist = forms.ChoiceField(label="Shortlist", choices=[])
    shortlist_name = forms.CharField(
        label="New shortlist name", max_length=160, required=False
    )

    def __init__(self, *args, shortlists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shortlist"].choices = [
            (NEW_SHORTLIST, "New shortlist…"),
            *((str(s.pk), f"{s.name} ({s.program.name})") for s in shortlists),
        ]

    def clean(self):
        data = super().clean()
        if (
            data.get("shortlist") == NEW_SHORTLIST
            and not (data.get("shortlist_name") or "").strip()
        ):
            self.add_error("shortlist_name", "Name the new shortlist.")
        return data


class ExportFormatForm(forms.Form):
    format = forms.ChoiceField(label="Format", choices=Export.Format.choices)
