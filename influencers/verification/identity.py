"""Identity rules for NPPES records, shared by every NPPES loader (API and bulk file).

Pure functions: no ORM, no settings, no I/O.
"""

from __future__ import annotations

from datetime import date, datetime

from influencers.verification.npi import npi_is_valid

ACTIVE = "active"
DEACTIVATED = "deactivated"
VERIFIED = "verified"
UNVERIFIED = "unverified"

_ENTITY_TYPES = {"1": 1, "2": 2, "NPI-1": 1, "NPI-2": 2}


def entity_type_number(value: int | str) -> int:
    """1 (individual) or 2 (organization) from ``1``, ``"1"``, ``"NPI-1"`` and so on.

    Raises ``ValueError`` for anything else.
    """
    number = _ENTITY_TYPES.get(str(value).strip().upper())
    if number is None:
        raise ValueError(f"unknown NPI entity type {value!r} (expected NPI-1 or NPI-2)")
    return number


def npi_is_deactivated(
    status_code: str | None,
    deactivation_date: date | None,
    reactivation_date: date | None,
) -> bool:
    """True when NPPES marks the NPI deactivated: status ``D``, or a deactivation date
    with no reactivation on or after it."""
    if (status_code or "").strip().upper() == "D":
        return True
    if deactivation_date is None:
        return False
    return reactivation_date is None or reactivation_date < deactivation_date


def npi_status_and_identity(
    entity_type: int | str,
    status_code: str | None,
    deactivation_date: date | None,
    reactivation_date: date | None,
) -> tuple[str, str]:
    """``(npi_status, identity_status)`` for one NPPES record.

    - npi_status: ``deactivated`` per ``npi_is_deactivated``, else ``active``.
    - identity_status: ``deactivated`` for a deactivated NPI (person or organization),
      ``unverified`` for an organization (NPI-2 never passes the individual identity
      gate), ``verified`` for an active individual (NPI-1).
    The values are those of ``Clinician.NpiStatus`` and ``Clinician.IdentityStatus``.
    """
    kind = entity_type_number(entity_type)
    if npi_is_deactivated(status_code, deactivation_date, reactivation_date):
        return DEACTIVATED, DEACTIVATED
    if kind == 2:
        return ACTIVE, UNVERIFIED
    return ACTIVE, VERIFIED


def identity_evidence_build(
    *,
    source: str,
    npi: str,
    entity_type: int | str,
    status_code: str | None,
    checked_at: datetime,
) -> dict:
    """The ``Clinician.identity_evidence`` dict: where the identity came from and when."""
    return {
        "source": source,
        "checked_at": checked_at.isoformat(),
        "npi_luhn_valid": npi_is_valid(npi),
        "enumeration_type": f"NPI-{entity_type_number(entity_type)}",
        "status": (status_code or "").strip().upper(),
    }
