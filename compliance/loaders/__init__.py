"""Reference-data loaders for the compliance app: SPL labels and Open Payments.

Each loader is a service: it writes through the ORM in transactions, records its run
as a ``ReferenceLoad`` and returns a ``LoadReport``.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def display_path(path: Path) -> str:
    """The path relative to REFERENCE_DATA_DIR when it lies under it (the same on
    every machine), otherwise the path as given."""
    try:
        base = Path(settings.REFERENCE_DATA_DIR).resolve()
        return str(path.resolve().relative_to(base))
    except ValueError:
        return str(path)
