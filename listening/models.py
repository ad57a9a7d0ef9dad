"""Ingestion: sources, runs, posts, interactions, metric history and quarantine."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import TimeStampedModel

PLATFORM_CHOICES = [
    ("bluesky", "Bluesky"),
    ("mastodon", "Mastodon"),
    ("x", "X"),
    ("linkedin", "LinkedIn"),
    ("youtube", "YouTube"),
    ("podcast", "Podcast"),
    ("other", "Other"),
]


class Source(TimeStampedModel):
    """A configured connector: which platform, what to follow, how often.

    Credentials are never stored: ``credentials_env`` names the environment variables
    that hold them (for example ``{"bearer_token": "X_BEARER_TOKEN"}``).
    """

    class Kind(models.TextChoices):
        AUTHOR_FEED = "author_feed", "Author feeds (handles)"
        HASHTAG = "hashtag", "Hashtags"
        SEARCH = "search", "Search queries"
        LIST = "list", "Lists"
        RECORDING = "recording", "Recorded payloads (replay a file or folder)"
        FILE_IMPORT = "file_import", "File import (CSV / JSONL)"

    name = models.CharField(max_length=120, unique=True)
    platform = models.CharField(max_length=12, choices=PLATFORM_CHOICES)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    targets = models.JSONField(default=list, blank=True)  # handles, hashtags, queries
    path = models.CharField(max_length=500, blank=True)  # recording or import file
    live = models.BooleanField(default=False)  # call the platform's API
    credentials_env = models.JSONField(default=dict, blank=True)
    schedule_minutes = models.PositiveIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IngestRun(TimeStampedModel):
    """One run of one source over one window, claimed by one worker at a time."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partial (records quarantined)"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.PENDING, Status.RUNNING)

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    cursor = models.JSONField(default=dict, blank=True)  # resume point
    pages = models.PositiveIntegerField(default=0)
    received = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    quarantined = models.PositiveIntegerField(default=0)
    interactions = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
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
            # Periodic runs cannot start the same window twice.
            models.UniqueConstraint(
                fields=["source", "window_start"],
                condition=Q(window_start__isnull=False),
                name="ingest_run_one_per_window",
            ),
            # At most one pending or running run per source.
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(status__in=["pending", "running"]),
                name="ingest_run_one_active_per_source",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.source_id} ({self.status})"


class Post(TimeStampedModel):
    """One post on one platform, with its latest public counters and raw payload."""

    platform = models.CharField(max_length=12, choices=PLATFORM_CHOICES)
    external_id = models.CharField(max_length=300)
    # No single-column index: (author, -posted_at) below serves every lookup by
    # author (and the PROTECT check on deleting an account).
    author = models.ForeignKey(
        "influencers.SocialAccount",
        on_delete=models.PROTECT,
        related_name="posts",
        db_index=False,
    )
    text = models.TextField(blank=True)
    language = models.CharField(max_length=16, blank=True)
    posted_at = models.DateTimeField(db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    url = models.CharField(max_length=500, blank=True)
    reply_to_external_id = models.CharField(max_length=300, blank=True)
    root_external_id = models.CharField(max_length=300, blank=True)
    quote_of_external_id = models.CharField(max_length=300, blank=True)
    repost_of_external_id = models.CharField(max_length=300, blank=True)
    hashtags = models.JSONField(default=list, blank=True)
    mentions = models.JSONField(default=list, blank=True)
    links = models.JSONField(default=list, blank=True)
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    quotes = models.PositiveIntegerField(default=0)
    views = models.PositiveBigIntegerField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64)  # text + references: scan trigger
    metrics_sha256 = models.CharField(max_length=64, blank=True)
    first_seen_at = models.DateTimeField()  # day 0 for adverse-event clocks
    content_changed_at = models.DateTimeField(db_index=True)
    raw = models.JSONField(default=dict)
    # Informational (which run last wrote the row; the compliance scan reads it):
    # no database constraint, so a bulk load does not pay one foreign-key check per
    # post for a row the ingest holds locked anyway. Django still applies SET_NULL.
    last_run = models.ForeignKey(
        IngestRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        ordering = ["-posted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="post_natural_key"
            )
        ]
        indexes = [models.Index(fields=["author", "-posted_at"])]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"


class Interaction(TimeStampedModel):
    """One engagement edge between two accounts: the edge list of every graph score."""

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"
        QUOTE = "quote", "Quote"
        REPOST = "repost", "Repost"
        LIKE = "like", "Like"
        MENTION = "mention", "Mention"
        FOLLOW = "follow", "Follow"

    platform = models.CharField(max_length=12, choices=PLATFORM_CHOICES)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    actor = models.ForeignKey(
        "influencers.SocialAccount", on_delete=models.CASCADE, related_name="+"
    )
    target = models.ForeignKey(
        "influencers.SocialAccount",
        on_delete=models.CASCADE,
        related_name="interactions_received",
        db_index=False,  # (target, kind) below serves it
    )
    post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    occurred_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "actor", "target", "post"],
                nulls_distinct=False,
                name="interaction_natural_key",
            )
        ]
        indexes = [models.Index(fields=["target", "kind"])]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.kind} {self.target_id}"


class MetricSnapshot(models.Model):
    """An account's or a post's public counters at one moment (growth and longevity).

    Written only when the counters changed since the latest snapshot, so an identical
    replay adds none.
    """

    # Neither subject has a single-column index: (account, captured_at) and
    # (post, captured_at) below serve every lookup.
    account = models.ForeignKey(
        "influencers.SocialAccount",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="snapshots",
        db_index=False,
    )
    post = models.ForeignKey(
        Post,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="snapshots",
        db_index=False,
    )
    captured_at = models.DateTimeField()
    followers = models.PositiveIntegerField(null=True, blank=True)
    following = models.PositiveIntegerField(null=True, blank=True)
    posts_count = models.PositiveIntegerField(null=True, blank=True)
    likes = models.PositiveIntegerField(null=True, blank=True)
    reposts = models.PositiveIntegerField(null=True, blank=True)
    replies = models.PositiveIntegerField(null=True, blank=True)
    quotes = models.PositiveIntegerField(null=True, blank=True)
    views = models.PositiveBigIntegerField(null=True, blank=True)
    # Provenance only (no reader filters by it): no index and no database
    # constraint, which a bulk load would pay for on every snapshot. Django still
    # applies SET_NULL when a run is deleted.
    run = models.ForeignKey(
        IngestRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["captured_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(account__isnull=False) & Q(post__isnull=True))
                | (Q(account__isnull=True) & Q(post__isnull=False)),
                name="metric_snapshot_one_subject",
            )
        ]
        # Partial: a row has one subject, so each index holds only its own rows
        # (an equality on the column implies IS NOT NULL, so lookups still use it).
        indexes = [
            models.Index(
                fields=["post", "captured_at"],
                condition=Q(post__isnull=False),
                name="snapshot_post_time",
            ),
            models.Index(
                fields=["account", "captured_at"],
                condition=Q(account__isnull=False),
                name="snapshot_account_time",
            ),
        ]

    def __str__(self) -> str:
        subject = (
            f"post {self.post_id}" if self.post_id else f"account {self.account_id}"
        )
        return f"{subject} at {self.captured_at:%Y-%m-%d %H:%M}"


class QuarantinedRecord(TimeStampedModel):
    """A native record that failed parsing or validation, kept with its reason.

    The payload is stored as text (PostgreSQL json cannot hold NUL bytes or invalid
    JSON). A reviewer can fix and replay it, or discard it.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        REPLAYED = "replayed", "Fixed and replayed"
        DISCARDED = "discarded", "Discarded"

    run = models.ForeignKey(
        IngestRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quarantine",
    )
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    platform = models.CharField(max_length=40, blank=True)
    payload = models.TextField()
    record_sha256 = models.CharField(max_length=64)
    reason = models.CharField(max_length=40, db_index=True)
    detail = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "record_sha256", "reason"],
                nulls_distinct=False,
                name="quarantine_once_per_record",
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform} record quarantined: {self.reason}"
