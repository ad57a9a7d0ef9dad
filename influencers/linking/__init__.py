"""Identity resolution: which clinician (NPI) is behind a social account.

Pure code (no ORM, no settings, no I/O): ``accounts_match`` links account records to
clinician records with a method, a confidence and the evidence; ``identity_gate`` is the
identity gate of DESIGN 5.1. ``influencers.linking_services`` runs them on the database.
"""

from influencers.linking.gate import DEFAULT_LINK_THRESHOLD, identity_gate
from influencers.linking.matcher import (
    LICENSE_IN_BIO,
    MATCHER_VERSION,
    MIN_LINK_CONFIDENCE,
    NAME_SPECIALTY,
    NPI_IN_BIO,
    AccountInput,
    ClinicianIndex,
    ClinicianInput,
    LinkResult,
    account_match,
    accounts_match,
    clinician_index_build,
)
from influencers.linking.specialty import Taxonomy
from influencers.linking.text import license_mentions, npi_mentions, person_name

__all__ = [
    "DEFAULT_LINK_THRESHOLD",
    "LICENSE_IN_BIO",
    "MATCHER_VERSION",
    "MIN_LINK_CONFIDENCE",
    "NAME_SPECIALTY",
    "NPI_IN_BIO",
    "AccountInput",
    "ClinicianIndex",
    "ClinicianInput",
    "LinkResult",
    "Taxonomy",
    "account_match",
    "accounts_match",
    "clinician_index_build",
    "identity_gate",
    "license_mentions",
    "npi_mentions",
    "person_name",
]
