"""The hash chain of the audit trail, as pure functions (no database)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

GENESIS = "0" * 64
HASHED_FIELDS = (
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
)


def to_json_value(value: Any) -> Any:
    """``value`` as it will read back from a JSONB column (dates, decimals and UUIDs
    become strings, tuples lists), so the hash of what is stored is the hash of
    what was written."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _timestamp(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 kept (what is hashed)."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    )


def event_hash(fields: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the hashed fields (sorted keys, no spaces)."""
    payload = {name: fields.get(name) for name in HASHED_FIELDS}
    payload["created_at"] = _timestamp(fields["created_at"])
    text = json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
