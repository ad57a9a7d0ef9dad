"""The identity gate of DESIGN 5.1: may this account's clinician be approved?

An account can be listed without passing; it can never be approved without passing.
Pure: no ORM, no settings, no I/O.
"""

from __future__ import annotations

from influencers.linking.text import credential_kinds
from influencers.verification.npi import npi_problem

DEFAULT_LINK_THRESHOLD = 0.8
CONFIRMED = "confirmed"
REJECTED = "rejected"
ACTIVE = "active"
# NUCC codes of allopathic and osteopathic physicians start with 20.
_PHYSICIAN_CODE_PREFIX = "20"
_NON_PHYSICIAN_KINDS = frozenset(
    {"pharmacist", "nurse_practitioner", "physician_assistant", "nurse"}
)


def identity_gate(
    *,
    npi: str | None,
    npi_status: str,
    entity_type: int,
    credential: str,
    link_status: str,
    link_confidence: float | None,
    taxonomy_code: str = "",
    threshold: float = DEFAULT_LINK_THRESHOLD,
) -> tuple[bool, list[str]]:
    """``(passed, reasons)``: passed only when every check holds; ``reasons`` names
    each failed check in a reviewer's words (empty when passed).

    Checks: a clinician is linked; the NPI passes the Luhn check and is active; it is an
    individual (NPI-1); the credential is plausible for the taxonomy (no non-physician
    credential on a physician taxonomy); the link is not rejected, and is either
    confirmed by a reviewer (whatever its confidence) or at least ``threshold`` sure.
    """
    reasons: list[str] = []
    if not npi:
        return False, ["no clinician is linked to this account"]
    problem = npi_problem(npi)
    if problem:
        reasons.append(problem)
    if npi_status != ACTIVE:
        reasons.append(f"NPI {npi} is {npi_status or 'not active'} in NPPES")
    if entity_type != 1:
        reasons.append(
            f"NPI {npi} belongs to an organization (NPI-{entity_type}); only individual "
            "providers (NPI-1) can be approved"
        )
    kinds = credential_kinds(credential)
    if (
        taxonomy_code.startswith(_PHYSICIAN_CODE_PREFIX)
        and kinds
        and kinds <= _NON_PHYSICIAN_KINDS
    ):
        reasons.append(
            f"credential {credential!r} is not a physician's, but the taxonomy "
            f"{taxonomy_code} is a physician specialty"
        )
    if link_status == REJECTED:
        reasons.append(
            "a reviewer rejected the link between this account and NPI " + npi
        )
    elif link_status != CONFIRMED and (
        link_confidence is None or link_confidence < threshold
    ):
        shown = "none" if link_confidence is None else f"{link_confidence:.2f}"
        reasons.append(
            f"link confidence {shown} is below {threshold:.2f} and no reviewer "
            "has confirmed the link"
        )
    return not reasons, reasons
