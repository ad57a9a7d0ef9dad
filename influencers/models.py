"""People and identities: specialties, therapeutic areas, clinicians, social accounts."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel
from influencers.validators import validate_npi


class Specialty(TimeStampedModel):
    """One NUCC Health Care Provider Taxonomy code (for example 207RC0000X)."""

    code = models.CharField(max_length=10, unique=True)
    grouping = models.CharField(max_length=200)
    classification = models.CharField(max_length=200)
    specialization = models.CharField(max_length=200, blank=True)
    display_name = models.CharField(max_length=300, blank=True)
    definition = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    section = models.CharField(max_length=20, blank=True)  # Individual / Non-Individual
    content_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "specialties"
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9A-Z]{9}X$"), name="specialty_code_format"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name or self.classification}"

    @property
    def label(self) -> str:
        if self.specialization:
            return f"{self.classification}: {self.specialization}"
        return self.classification


class MedicareSpecialtyCrosswalk(TimeStampedModel):
    """One pairing of a CMS Medicare specialty code with a NUCC taxonomy code (2019)."""

    medicare_specialty_code = models.CharField(max_length=8)
    medicare_provider_supplier_type = models.CharField(max_length=300)
    taxonomy_code = models.CharField(max_length=16, blank=True)
    taxonomy_description = models.CharField(max_length=400, blank=True)
    specialty = models.ForeignKey(
        Specialty, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["medicare_specialty_code", "taxonomy_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["medicare_specialty_code", "taxonomy_code"],
                name="medicare_crosswalk_unique_pair",
            )
        ]

    def __str__(self) -> str:
        return f"Medicare {self.medicare_specialty_code} -> {self.taxonomy_code or '-'}"


class TherapeuticArea(TimeStampedModel):
    """A disease area a program targets, with the specialties and words that signal it."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    specialties = models.ManyToManyField(Specialty, blank=True, related_name="areas")
    lexicon = models.JSONField(default=list, blank=True)  # terms
    hashtags = models.JSONField(default=list, blank=True)
    conditions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Clinician(TimeStampedModel):
    """One NPPES record with an NPI: normally a person (type 1); organizations are kept
    (type 2) so that a practice's account can be resolved, but only individuals pass the
    identity gate."""

    class EntityType(models.IntegerChoices):
        INDIVIDUAL = 1, "Individual (NPI-1)"
        ORGANIZATION = 2, "Organization (NPI-2)"

    class NpiStatus(models.TextChoices):
        ACTIVE = "active", "Active"
        DEACTIVATED = "deactivated", "Deactivated"

    class IdentityStatus(models.TextChoices):
        VERIFIED = "verified", "Verified"
        PROBABLE = "probable", "Probable"
        UNVERIFIED = "unverified", "Unverified"
        MISMATCH = "mismatch", "Mismatch"
        DEACTIVATED = "deactivated", "Deactivated"

    class Source(models.TextChoices):
        NPPES_API = "nppes_api", "NPI Registry API"
        NPPES_BULK = "nppes_bulk", "NPPES bulk file"
        GENERATED = "generated", "Generated (demo world)"
        MANUAL = "manual", "Entered by hand"

    npi = models.CharField(max_length=10, unique=True, validators=[validate_npi])
    entity_type = models.PositiveSmallIntegerField(
        choices=EntityType.choices, default=EntityType.INDIVIDUAL
    )
    first_name = models.CharField(max_length=80, blank=True)
    middle_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80, blank=True)
    name_prefix = models.CharField(max_length=20, blank=True)
    name_suffix = models.CharField(max_length=20, blank=True)
    organization_name = models.CharField(max_length=200, blank=True)
    credential = models.CharField(max_length=40, blank=True)
    gender = models.CharField(max_length=1, blank=True)
    primary_taxonomy_code = models.CharField(max_length=10, blank=True, db_index=True)
    primary_specialty = models.ForeignKey(
        Specialty,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="primary_clinicians",
    )
    license_state = models.CharField(max_length=2, blank=True)
    license_number = models.CharField(max_length=40, blank=True)
    practice_address = models.CharField(max_length=200, blank=True)
    practice_city = models.CharField(max_length=80, blank=True)
    practice_state = models.CharField(max_length=40, blank=True)
    practice_postal_code = models.CharField(max_length=20, blank=True)
    practice_phone = models.CharField(max_length=30, blank=True)
    npi_status = models.CharField(
        max_length=12, choices=NpiStatus.choices, default=NpiStatus.ACTIVE
    )
    enumeration_date = models.DateField(null=True, blank=True)
    last_updated_date = models.DateField(null=True, blank=True)
    deactivation_date = models.DateField(null=True, blank=True)
    reactivation_date = models.DateField(null=True, blank=True)
    identity_status = models.CharField(
        max_length=12, choices=IdentityStatus.choices, default=IdentityStatus.UNVERIFIED
    )
    identity_evidence = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=12, choices=Source.choices)
    nppes_payload = models.JSONField(default=dict, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "npi"]
        indexes = [models.Index(fields=["last_name", "first_name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(npi__regex=r"^[12][0-9]{9}$"), name="clinician_npi_format"
            ),
            models.CheckConstraint(
                condition=Q(entity_type__in=[1, 2]), name="clinician_entity_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} (NPI {self.npi})"

    @property
    def display_name(self) -> str:
        if self.entity_type == self.EntityType.ORGANIZATION:
            return self.organization_name
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return f"{name}, {self.credential}" if self.credential else name

    @property
    def is_individual(self) -> bool:
        return self.entity_type == self.EntityType.INDIVIDUAL


class ClinicianTaxonomy(TimeStampedModel):
    """One taxonomy (specialty) a clinician declared in NPPES, with its licence."""

    clinician = models.ForeignKey(
        Clinician, on_delete=models.CASCADE, related_name="taxonomies"
    )
    position = models.PositiveSmallIntegerField()  # 1..15 as in NPPES
    taxonomy_code = models.CharField(max_length=10)
    specialty = models.ForeignKey(
        Specialty, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_primary = models.BooleanField(default=False)
    license_number = models.CharField(max_length=40, blank=True)
    license_state = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["clinician", "position"]
        verbose_name_plural = "clinician taxonomies"
        constraints = [
            models.UniqueConstraint(
                fields=["clinician", "position"], name="clinician_taxonomy_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clinician_id}#{self.position} {self.taxonomy_code}"


class SocialAccount(TimeStampedModel):
    """One account on one platform, optionally linked to the clinician behind it."""

    class Platform(models.TextChoices):
        BLUESKY = "bluesky", "Bluesky"
        MASTODON = "mastodon", "Mastodon"
        X = "x", "X"
        LINKEDIN = "linkedin", "LinkedIn"
        YOUTUBE = "youtube", "YouTube"
        PODCAST = "podcast", "Podcast"
        OTHER = "other", "Other"

    class LinkMethod(models.TextChoices):
        NPI_IN_BIO = "npi_in_bio", "NPI in bio"
        LICENSE_IN_BIO = "license_in_bio", "Licence number in bio"
        NAME_SPECIALTY = "name_specialty", "Name + specialty match"
        MANUAL = "manual", "Manual"

    class LinkStatus(models.TextChoices):
        UNREVIEWED = "unreviewed", "Unreviewed"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"

    platform = models.CharField(max_length=12, choices=Platform.choices)
    external_id = models.CharField(max_length=200)
    handle = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    posts_count = models.PositiveIntegerField(default=0)
    account_created_at = models.DateTimeField(null=True, blank=True)
    is_verified = models.BooleanField(default=False)
    clinician = models.ForeignKey(
        Clinician,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
    )
    link_method = models.CharField(
        max_length=16, choices=LinkMethod.choices, blank=True
    )
    link_confidence = models.FloatField(null=True, blank=True)
    link_evidence = models.JSONField(default=dict, blank=True)
    link_status = models.CharField(
        max_length=12, choices=LinkStatus.choices, default=LinkStatus.UNREVIEWED
    )
    link_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    link_reviewed_at = models.DateTimeField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["platform", "handle"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="social_account_natural_key"
            ),
            models.CheckConstraint(
                condition=Q(link_confidence__isnull=True)
                | Q(link_confidence__gte=0, link_confidence__lte=1),
                name="social_account_link_confidence_0_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} @{self.handle}"


class ReferenceLoad(TimeStampedModel):
    """One run of a reference-data loader (NUCC, NPPES, SPL labels, Open Payments)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partial (some rows rejected)"
        FAILED = "failed", "Failed"

    loader = models.CharField(max_length=40, db_index=True)
    source = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    received = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{self.loader} {self.started_at:%Y-%m-%d %H:%M} {self.status}"
