"""Reads of the audit trail: events of an object, and the chain verification."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from audit.chain import GENESIS, event_hash
from audit.models import AuditEvent

VERIFY_FIELDS = (
    "pk",
    "created_at",
    "actor_id",
    "actor_username",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "program_id",
    "before",
    "after",
    "reason",
    "request_id",
    "prev_hash",
    "hash",
)


def events_for_objects(
    objects: Iterable[tuple[str, object]],
) -> QuerySet[AuditEvent]:
    """Events about any of ``(object_type, object_id)``, oldest first."""
    condition = Q(pk__in=[])
    for object_type, object_id in objects:
        condition |= Q(object_type=object_type, object_id=str(object_id))
    return AuditEvent.objects.filter(condition).select_related("actor").order_by("pk")


@dataclass(frozen=True)
class ChainReport:
    """What ``chain_verify`` found: how many events it checked and, if the chain is
    broken, the first event that does not match and why."""

    checked: int
    broken_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def chain_verify(*, chunk_size: int = 5_000) -> ChainReport:
    """Recompute every event's hash in id order and check each ``prev_hash`` names
    the event before it. A changed row fails its own hash; a deleted or inserted
    row breaks the next row's link. Streams the table (bounded memory)."""
    previous = GENESIS
    checked = 0
    rows = AuditEvent.objects.order_by("pk").values_list(*VERIFY_FIELDS)
    for row in rows.iterator(chunk_size=chunk_size):
        fields = dict(zip(VERIFY_FIELDS, row, strict=True))
        if fields["prev_hash"] != previous:
            return ChainReport(
                checked,
                fields["pk"],
                "its prev_hash does not name the event before it "
                "(an event before it was deleted, inserted or re-hashed)",
            )
        if event_hash(fields) != fields["hash"]:
            return ChainReport(
                checked,
                fields["pk"],
                "its content does not match its hash (the row was changed)",
            )
        previous = fields["hash"]
        checked += 1
    return ChainReport(checked)
