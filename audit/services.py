"""Writes of the audit trail: one function appends one event to the chain."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from audit.chain import GENESIS, event_hash, to_json_value
from audit.context import current_request_id
from audit.models import AuditEvent

# pg_advisory_xact_lock key that serialises appends to the chain ("AUDT")
CHAIN_LOCK_KEY = 0x41554454


def object_label(obj: Model) -> str:
    """``app_label.modelname`` of a model instance (the event's ``object_type``)."""
    return obj._meta.label_lower


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: Any = "",
    object_repr: str = "",
    program_id: int | None = None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    request_id: str | None = None,
) -> AuditEvent:
    """Append one event to the hash chain, in the caller's transaction.

    Call it inside the ``transaction.atomic`` block of the change it records, as the
    last write: the advisory lock it takes is held until that transaction commits,
    so events are chained in commit order and a rolled-back change leaves no event.
    ``actor`` is a user or None (the system: a task, a command).
    """
    if obj is not None:
        object_type = object_type or object_label(obj)
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
    if not action or not object_type or object_id in ("", None):
        raise ValueError("An audit event needs an action, an object type and an id.")
    user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-pk").values_list("hash", flat=True).first()
        now = timezone.now()
        event = AuditEvent(
            created_at=now,
            updated_at=now,
            actor=user,
            actor_username=user.get_username() if user else "",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            object_repr=object_repr[:255],
            program_id=program_id,
            before=to_json_value(before),
            after=to_json_value(after),
            reason=reason,
            request_id=(current_request_id() if request_id is None else request_id)[
                :64
            ],
            prev_hash=last or GENESIS,
        )
        event.hash = event_hash(_hashed_fields(event))
        event.full_clean()
        event.save(force_insert=True)
    return event


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "created_at": event.created_at,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "program_id": event.program_id,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
    }
