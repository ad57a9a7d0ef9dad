"""Models of the reports app (DESIGN.md section 3): shortlists an analyst builds for
a program, the export files produced, and the API tokens REST clients use."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel


class Shortlist(TimeStampedModel):
    """An analyst's list of candidates for one program, ranked and annotated."""

    program = models.ForeignKey(
        "vetting.Program", on_delete=models.CASCADE, related_name="shortlists"
    )
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shortlists"
    )

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "name"], name="shortlist_name_unique_in_program"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ShortlistMember(TimeStampedModel):
    """One candidate on a shortlist: its rank and note, and its scores frozen as they
    were when it was added (``frozen``: every component, composite, rank, gates,
    run, scoring version and ``as_of``), shown next to today's."""

    shortlist = models.ForeignKey(
        Shortlist, on_delete=models.CASCADE, related_name="members"
    )
    account = models.ForeignKey(
        "influencers.SocialAccount", on_delete=models.PROTECT, related_name="+"
    )
    clinician = models.ForeignKey(
        "influencers.Clinician",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rank = models.PositiveIntegerField()
    note = models.TextField(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    frozen_run = models.ForeignKey(
        "vetting.ScoringRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    frozen_composite = models.FloatField(null=True, blank=True)
    frozen = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["rank", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shortlist", "account"], name="shortlist_member_once"
            ),
            models.CheckConstraint(
                condition=Q(rank__gte=1), name="shortlist_member_rank_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.account_id} on {self.shortlist_id}"


class Export(TimeStampedModel):
    """One export file: what was exported (discovery results with their filters, or
    a shortlist), the format, who asked, its progress and the file."""

    class Kind(models.TextChoices):
        DISCOVERY = "discovery", "Discovery results"
        SHORTLIST = "shortlist", "Shortlist"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    format = models.CharField(max_length=4, choices=Format.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    filters = models.JSONField(default=dict, blank=True)
    program = models.ForeignKey(
        "vetting.Program",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    shortlist = models.ForeignKey(
        Shortlist,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exports",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exports"
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")) | Q(rows_total=0),
                name="export_rows_done_le_total",
            ),
            models.CheckConstraint(
                condition=~Q(kind="shortlist") | Q(shortlist__isnull=False),
                name="export_shortlist_has_list",
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.kind}, {self.format}, {self.status})"


class ApiToken(TimeStampedModel):
    """A token a user creates (and revokes) on the API tokens page for a REST client.
    Only the SHA-256 of the key is stored; the key is shown once. A read-only token
    (a warehouse client) may only use safe methods."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=12, db_index=True)
    key_sha256 = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(default=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_token_active_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
