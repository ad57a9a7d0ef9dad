"""Content-level reference data and checks: product labels and Open Payments.

Rules, findings and adverse-event cases join these in later work.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from common.models import TimeStampedModel


class Product(TimeStampedModel):
    """One marketed drug product identified by its SPL set id (all label versions)."""

    class MarketCategory(models.TextChoices):
        RX = "rx", "Prescription (Rx)"
        OTC = "otc", "Over the counter (OTC)"
        OTHER = "other", "Other"

    set_id = models.CharField(max_length=64, unique=True)
    brand_name = models.CharField(max_length=200)
    generic_name = models.CharField(max_length=300, blank=True)
    sponsor = models.CharField(max_length=200, blank=True)
    market_category = models.CharField(
        max_length=8, choices=MarketCategory.choices, default=MarketCategory.RX
    )
    # FDA approval pathway from the SPL product listing (NDA, BLA, ANDA, OTC
    # monograph ...) and the application number (NDA020702, BLA125057 ...).
    approval_category = models.CharField(max_length=80, blank=True)
    application_number = models.CharField(max_length=40, blank=True)
    aliases = models.JSONField(default=list, blank=True)  # brand, generic, hashtags

    BRANDED_APPROVALS = ("NDA", "BLA")

    class Meta:
        ordering = ["brand_name"]

    def __str__(self) -> str:
        return (
            f"{self.brand_name} ({self.generic_name})"
            if self.generic_name
            else self.brand_name
        )

    @property
    def is_otc(self) -> bool:
        return self.market_category == self.MarketCategory.OTC

    @property
    def is_branded_rx(self) -> bool:
        """A prescription product approved under its own NDA or BLA (not a generic)."""
        return (
            self.market_category == self.MarketCategory.RX
            and self.approval_category.upper() in self.BRANDED_APPROVALS
        )


class ProductLabel(TimeStampedModel):
    """One version of a product's FDA Structured Product Label (SPL XML document)."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="labels"
    )
    document_id = models.CharField(max_length=64, unique=True)  # SPL <id root>
    version = models.PositiveIntegerField()
    effective_date = models.DateField(null=True, blank=True)
    title = models.TextField(blank=True)
    document_type_code = models.CharField(max_length=16, blank=True)  # LOINC
    document_type = models.CharField(max_length=200, blank=True)
    indications_text = models.TextField(blank=True)
    indication_conditions = models.JSONField(default=list, blank=True)
    boxed_warning = models.TextField(blank=True)
    contraindications = models.TextField(blank=True)
    warnings_precautions = models.TextField(blank=True)
    adverse_reactions = models.TextField(blank=True)
    adverse_reaction_terms = models.JSONField(default=list, blank=True)
    sections = models.JSONField(default=dict, blank=True)  # LOINC code -> text
    source_file = models.CharField(max_length=300, blank=True)
    content_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["product", "-version"]
        get_latest_by = "version"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "version"], name="product_label_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product.brand_name} label v{self.version}"

    @property
    def has_boxed_warning(self) -> bool:
        return bool(self.boxed_warning.strip())


class PaymentRecord(TimeStampedModel):
    """One CMS Open Payments general payment from a manufacturer to a recipient."""

    record_id = models.CharField(max_length=32, unique=True)
    program_year = models.PositiveSmallIntegerField()
    covered_recipient_npi = models.CharField(max_length=10, blank=True, db_index=True)
    covered_recipient_profile_id = models.CharField(max_length=32, blank=True)
    covered_recipient_type = models.CharField(max_length=120, blank=True)
    recipient_first_name = models.CharField(max_length=80, blank=True)
    recipient_last_name = models.CharField(max_length=80, blank=True)
    recipient_city = models.CharField(max_length=80, blank=True)
    recipient_state = models.CharField(max_length=40, blank=True)
    recipient_specialty = models.CharField(max_length=400, blank=True)
    teaching_hospital_name = models.CharField(max_length=200, blank=True)
    manufacturer_name = models.CharField(max_length=200, db_index=True)
    manufacturer_id = models.CharField(max_length=32, blank=True)
    amount_usd = models.DecimalField(max_digits=14, decimal_places=2)
    date_of_payment = models.DateField()
    number_of_payments = models.PositiveIntegerField(default=1)
    form_of_payment = models.CharField(max_length=200, blank=True)
    nature_of_payment = models.CharField(max_length=200)
    products = models.JSONField(default=list, blank=True)  # names of drugs/devices
    contextual_information = models.TextField(blank=True)
    clinician = models.ForeignKey(
        "influencers.Clinician",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
    )
    raw = models.JSONField(default=dict)
    content_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-date_of_payment", "record_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_usd__gte=0), name="payment_amount_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer_name} ${self.amount_usd} on {self.date_of_payment}"


class ScanRun(TimeStampedModel):
    """One compliance scan over a set of posts, with the rule versions it applied."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    trigger = models.CharField(max_length=40, blank=True)  # ingest run, manual, rules
    ingest_run = models.ForeignKey(
        "listening.IngestRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rule_versions = models.JSONField(default=dict, blank=True)  # code -> version
    posts_scanned = models.PositiveIntegerField(default=0)
    findings_created = models.PositiveIntegerField(default=0)
    findings_unchanged = models.PositiveIntegerField(default=0)
    findings_superseded = models.PositiveIntegerField(default=0)
    ae_cases_opened = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Scan {self.pk} ({self.status})"


class Finding(TimeStampedModel):
    """One rule hit on one post: what was flagged, where in the text, and why."""

    class Severity(models.TextChoices):
        CRITICAL = "critical", "Critical"
        MAJOR = "major", "Major"
        MINOR = "minor", "Minor"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONFIRMED = "confirmed", "Confirmed"
        DISMISSED = "dismissed", "Dismissed"
        ESCALATED = "escalated", "Escalated"

    post = models.ForeignKey(
        "listening.Post", on_delete=models.CASCADE, related_name="findings"
    )
    scan_run = models.ForeignKey(
        ScanRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings",
    )
    rule_code = models.CharField(max_length=40, db_index=True)
    rule_version = models.CharField(max_length=20)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    evidence = models.JSONField(default=list)  # [{"start", "end", "text"}]
    explanation = models.TextField()
    basis = models.CharField(max_length=300, blank=True)  # regulation cited
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings",
    )
    product_label = models.ForeignKey(
        ProductLabel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    # Same post content + rule + version + evidence => same fingerprint: a re-scan
    # with unchanged rules creates no duplicate.
    fingerprint = models.CharField(max_length=64, unique=True)
    is_current = models.BooleanField(default=True, db_index=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["post", "rule_code"]),
            models.Index(fields=["status", "severity"]),
            # the API's and the queue's newest-first keyset pages over current findings
            models.Index(
                F("created_at").desc(),
                F("id").desc(),
                condition=Q(is_current=True),
                name="finding_current_created_desc",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | Q(decided_by__isnull=False),
                name="finding_decision_has_decider",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_code} on post {self.post_id} ({self.status})"


class AdverseEventCase(TimeStampedModel):
    """A post that meets the FDA four elements of an adverse-event report.

    Day 0 is when we first ingested the post; the due time follows the
    pharmacovigilance clock configured in settings (15 calendar days by default).
    """

    class Status(models.TextChoices):
        TRIAGE = "triage", "Triage"
        REPORTABLE = "reportable", "Reportable"
        NOT_REPORTABLE = "not_reportable", "Not reportable"
        FORWARDED = "forwarded", "Forwarded to pharmacovigilance"

    post = models.OneToOneField(
        "listening.Post", on_delete=models.PROTECT, related_name="ae_case"
    )
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    elements = models.JSONField(default=dict)  # patient, reporter, product, event
    awareness_at = models.DateTimeField()  # day 0
    due_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.TRIAGE, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_at__gte=models.F("awareness_at")),
                name="ae_case_due_after_awareness",
            )
        ]

    def __str__(self) -> str:
        return f"AE case for post {self.post_id} ({self.status})"
