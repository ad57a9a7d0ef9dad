"""Models of the vetting app (DESIGN.md section 3): programs, their scores, vetting
cases with their electronic sign-offs, and alerts. The audit trail is the ``audit``
app (first in the chain, so every app can write to it in its own transaction).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

from common.models import TimeStampedModel


def default_weights() -> dict:
    from vetting.scoring.weights import DEFAULT_WEIGHTS

    return dict(DEFAULT_WEIGHTS)


def default_platforms() -> list:
    return ["bluesky", "mastodon"]


class Program(TimeStampedModel):
    """One brief: a therapeutic area, products and target specialties that candidates
    are scored for, with its weights, gates, window and members (who may see it)."""

    name = models.CharField(max_length=160, unique=True)
    slug = models.SlugField(max_length=160, unique=True)
    description = models.TextField(blank=True)
    therapeutic_area = models.ForeignKey(
        "influencers.TherapeuticArea", on_delete=models.PROTECT, related_name="programs"
    )
    products = models.ManyToManyField(
        "compliance.Product", blank=True, related_name="programs"
    )
    target_specialties = models.ManyToManyField(
        "influencers.Specialty", blank=True, related_name="programs"
    )
    platforms = models.JSONField(default=default_platforms, blank=True)
    follower_min = models.PositiveIntegerField(default=1_000)
    follower_max = models.PositiveIntegerField(default=50_000)
    weights = models.JSONField(default=default_weights, blank=True)
    link_confidence_min = models.FloatField(default=0.8)
    block_open_critical = models.BooleanField(default=True)
    window_days = models.PositiveIntegerField(default=180)
    # the window ends at this time; empty = now (the demo world pins its own)
    window_end = models.DateTimeField(null=True, blank=True)
    drift_threshold = models.FloatField(default=0.15)
    is_active = models.BooleanField(default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="programs"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(follower_min__lte=models.F("follower_max")),
                name="program_follower_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(link_confidence_min__gte=0, link_confidence_min__lte=1),
                name="program_link_confidence_0_1",
            ),
            models.CheckConstraint(
                condition=Q(window_days__gte=1), name="program_window_days_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ScoringRun(TimeStampedModel):
    """One scoring of one program: inputs hash, version, parameters, timings, counts."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        SKIPPED = "skipped", "Skipped (inputs unchanged)"
        FAILED = "failed", "Failed"

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="scoring_runs"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    scoring_version = models.CharField(max_length=20)
    input_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # SHA-256 of the state of the tables the load reads (``inputs_fingerprint``):
    # equal to the last succeeded run's, the run is SKIPPED without loading
    source_hash = models.CharField(max_length=64, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    parts_total = models.PositiveIntegerField(default=0)
    parts_done = models.PositiveIntegerField(default=0)
    accounts_scored = models.PositiveIntegerField(default=0)
    edges = models.PositiveIntegerField(default=0)
    timings = models.JSONField(default=dict, blank=True)  # step -> seconds
    quality = models.JSONField(default=dict, blank=True)
    # the names of the numbers in each of the run's ``InfluencerScore.subscores``
    subscore_columns = ArrayField(
        models.CharField(max_length=64), default=list, blank=True
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(status__in=["pending", "running"]),
                name="scoring_run_one_active_per_program",
            ),
            models.CheckConstraint(
                condition=Q(parts_done__lte=models.F("parts_total")),
                name="scoring_run_parts_done_le_total",
            ),
        ]

    def __str__(self) -> str:
        return f"scoring #{self.pk} {self.program_id} {self.status}"


class InfluencerScore(models.Model):
    """One account (linked to a clinician or not) in one program for one scoring run:
    every score of DESIGN 5, the composite and each component's contribution."""

    run = models.ForeignKey(
        ScoringRun, on_delete=models.CASCADE, related_name="scores", db_constraint=False
    )
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="scores", db_constraint=False
    )
    account = models.ForeignKey(
        "influencers.SocialAccount",
        on_delete=models.CASCADE,
        related_name="scores",
        db_constraint=False,
    )
    clinician = models.ForeignKey(
        "influencers.Clinician",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scores",
        db_constraint=False,
    )
    specialty_code = models.CharField(max_length=10, blank=True)
    as_of = models.DateTimeField()
    scoring_version = models.CharField(max_length=20)
    followers = models.PositiveIntegerField(default=0)
    # the components of the composite, each in [0, 1] (null = not computable)
    alignment = models.FloatField(null=True)
    trust_density = models.FloatField(null=True)
    peer_influence = models.FloatField(null=True)
    engagement_quality = models.FloatField(null=True)
    authenticity = models.FloatField(null=True)
    longevity = models.FloatField(null=True)
    spread = models.FloatField(null=True)
    community = models.FloatField(null=True)
    compliance = models.FloatField(null=True)  # 1 = no risk
    composite = models.FloatField(null=True)
    rank = models.PositiveIntegerField(null=True)  # by composite within the program
    specialty_rank = models.PositiveIntegerField(null=True)
    gates_passed = models.BooleanField(default=False)
    gate_failures = models.JSONField(default=list, blank=True)
    authenticity_flagged = models.BooleanField(default=False)
    contributions = models.JSONField(
        default=dict, blank=True
    )  # component -> weight*value
    # every numeric sub-score, in the order of ``run.subscore_columns`` (NaN = unknown):
    # a float8[] of about 400 bytes, where a JSONB object of 1.2-1.9 KB per row cost
    # PostgreSQL about 165 us a row to ingest (bench/README.md, score.py)
    subscores = ArrayField(models.FloatField(), default=list, blank=True)
    subscore_texts = models.JSONField(default=dict, blank=True)  # community id, label
    flags = models.JSONField(default=list, blank=True)  # authenticity flags + evidence

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "account"], name="influencer_score_one_per_run_account"
            ),
            models.CheckConstraint(
                condition=Q(composite__isnull=True)
                | Q(composite__gte=0, composite__lte=1),
                name="influencer_score_composite_0_1",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "run", "rank"]),
            models.Index(fields=["account", "program"]),
            # the pages: counts and filters by specialty, and the default sort, of
            # one run (bench/pages.py: 131 -> 0.3 ms and 63 -> 0.2 ms at 52K rows)
            models.Index(fields=["run", "specialty_code"]),
            models.Index(
                F("run"),
                F("composite").desc(nulls_last=True),
                F("id"),
                name="score_run_composite_desc",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} in {self.program_id}: {self.composite}"

    @property
    def details(self) -> dict:
        """Every sub-score and its evidence as one dict (what
        ``vetting.scoring.explain`` reads): the numbers by the names the run stored
        (unknown = None), the text sub-scores and ``flags``. Reads ``self.run``: load
        it with the score (``select_related("run")``) or assign it."""
        details: dict = {
            name: None if value is None or value != value else value  # NaN: unknown
            for name, value in zip(
                self.run.subscore_columns, self.subscores or (), strict=False
            )
        }
        details.update(self.subscore_texts or {})
        details["flags"] = self.flags or []
        return details


class VettingCase(TimeStampedModel):
    """One clinician considered for one program, moving through medical, legal and
    regulatory review (DESIGN 7). ``evidence`` is the snapshot the current stage
    reviews and signs; ``evidence_sha256`` its hash."""

    class State(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        MEDICAL = "medical_review", "Medical review"
        LEGAL = "legal_review", "Legal review"
        REGULATORY = "regulatory_review", "Regulatory review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        ON_HOLD = "on_hold", "On hold"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="cases")
    clinician = models.ForeignKey(
        "influencers.Clinician", on_delete=models.PROTECT, related_name="cases"
    )
    # the account that was scored and put forward (a clinician may have several)
    account = models.ForeignKey(
        "influencers.SocialAccount", on_delete=models.PROTECT, related_name="cases"
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.CANDIDATE, db_index=True
    )
    # the state a hold interrupted (to resume to)
    held_from = models.CharField(max_length=20, choices=State.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opened_cases",
    )
    evidence = models.JSONField(default=dict, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    evidence_at = models.DateTimeField(null=True, blank=True)
    # what approval rested on: drift is measured from this composite
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_composite = models.FloatField(null=True, blank=True)
    reopened_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "clinician"], name="vetting_case_one_per_clinician"
            ),
            models.CheckConstraint(
                condition=~Q(state="approved")
                | Q(approved_at__isnull=False, approved_composite__isnull=False),
                name="vetting_case_approved_has_basis",
            ),
            models.CheckConstraint(
                condition=Q(state="on_hold") | Q(held_from=""),
                name="vetting_case_held_from_only_on_hold",
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}: {self.clinician} for {self.program} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state not in (self.State.APPROVED, self.State.REJECTED)


class SignOff(TimeStampedModel):
    """One electronic signature on a case (21 CFR Part 11 style): stage, decision,
    reason, the signer's printed name, the meaning they were shown, and the hash of
    the evidence snapshot they signed (kept here too). Never edited: a database
    trigger refuses UPDATE and DELETE."""

    class Stage(models.TextChoices):
        MEDICAL = "medical", "Medical"
        LEGAL = "legal", "Legal"
        REGULATORY = "regulatory", "Regulatory"

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"
        RETURN = "return", "Return for rework"

    case = models.ForeignKey(
        VettingCase, on_delete=models.PROTECT, related_name="signoffs"
    )
    stage = models.CharField(max_length=12, choices=Stage.choices)
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.TextField()
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signoffs"
    )
    signer_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    meaning = models.TextField()
    evidence_sha256 = models.CharField(max_length=64)
    evidence = models.JSONField(default=dict)

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(evidence_sha256__regex=r"^[0-9a-f]{64}$"),
                name="signoff_evidence_hash_is_sha256",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="signoff_reason_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.decision} by {self.signer_name}"


class Alert(TimeStampedModel):
    """Something a reviewer should act on: a score drift on an approved clinician, a
    new critical finding, an adverse-event clock about to run out, a new payment.
    ``key`` makes raising idempotent (the same cause raises one alert)."""

    class Kind(models.TextChoices):
        SCORE_DRIFT = "score_drift", "Score drift"
        CRITICAL_FINDING = "critical_finding", "New critical finding"
        AE_CLOCK = "ae_clock", "Adverse-event clock"
        NEW_PAYMENT = "new_payment", "New payment"

    class Level(models.TextChoices):
        CRITICAL = "critical", "Critical"
        WARNING = "warning", "Warning"
        INFO = "info", "Info"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    key = models.CharField(max_length=200, unique=True)
    program = models.ForeignKey(
        Program, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    case = models.ForeignKey(
        VettingCase,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    clinician = models.ForeignKey(
        "influencers.Clinician",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    message = models.TextField()
    detail = models.JSONField(default=dict, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="acknowledged_alerts",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True)
                | Q(acknowledged_by__isnull=False),
                name="alert_acknowledged_has_who",
            ),
        ]
        indexes = [models.Index(fields=["program", "acknowledged_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message[:60]}"
