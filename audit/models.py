"""The audit trail (DESIGN 3 and 7): one append-only, hash-chained table.

It is the first app of the chain (before ``influencers``) so that every app can write
its event in the same transaction as the change it records: finding decisions in
``compliance``, link confirmations in ``influencers``, sign-offs in ``vetting``,
exports in ``reports``. ARCHITECTURE.md says why it is not in ``vetting``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AuditEvent(models.Model):
    """One audited action: who did what to which object, the state before and after,
    and the SHA-256 chain link (``hash`` covers this row and ``prev_hash``).

    Append-only: the application never updates or deletes a row, and a database
    trigger (migration 0001) refuses UPDATE and DELETE. ``audit_verify`` recomputes
    the chain and names the first row that does not match.
    """

    # set before the hash is computed (not auto_now_add, which would overwrite it on
    # save); updated_at equals created_at because a row never changes
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    # kept as text too: the chain must not depend on a mutable user row
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=255, blank=True)
    # the program the object belongs to, when it has one (scopes what a user sees)
    program_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["object_type", "object_id", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(hash__regex=r"^[0-9a-f]{64}$")
                & Q(prev_hash__regex=r"^[0-9a-f]{64}$"),
                name="auditevent_hashes_are_sha256_hex",
            ),
        ]

    def __str__(self) -> str:
        who = self.actor_username or "system"
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.object_type}:{self.object_id}"
