"""The real 330-column layout of the NPPES ``npidata_pfile`` and the stage tables."""

from __future__ import annotations

import re

from influencers.models import Clinician

LOADER = "nppes_bulk"
ENCODING = "latin-1"  # ISO-8859-1, as CMS publishes the file

# --- the real layout (June 2025 V2 file, 330 columns) --------------------------------

_BASE_COLUMNS = (
    "NPI",
    "Entity Type Code",
    "Replacement NPI",
    "Employer Identification Number (EIN)",
    "Provider Organization Name (Legal Business Name)",
    "Provider Last Name (Legal Name)",
    "Provider First Name",
    "Provider Middle Name",
    "Provider Name Prefix Text",
    "Provider Name Suffix Text",
    "Provider Credential Text",
    "Provider Other Organization Name",
    "Provider Other Organization Name Type Code",
    "Provider Other Last Name",
    "Provider Other First Name",
    "Provider Other Middle Name",
    "Provider Other Name Prefix Text",
    "Provider Other Name Suffix Text",
    "Provider Other Credential Text",
    "Provider Other Last Name Type Code",
    "Provider First Line Business Mailing Address",
    "Provider Second Line Business Mailing Address",
    "Provider Business Mailing Address City Name",
    "Provider Business Mailing Address State Name",
    "Provider Business Mailing Address Postal Code",
    "Provider Business Mailing Address Country Code (If outside U.S.)",
    "Provider Business Mailing Address Telephone Number",
    "Provider Business Mailing Address Fax Number",
    "Provider First Line Business Practice Location Address",
    "Provider Second Line Business Practice Location Address",
    "Provider Business Practice Location Address City Name",
    "Provider Business Practice Location Address State Name",
    "Provider Business Practice Location Address Postal Code",
    "Provider Business Practice Location Address Country Code (If outside U.S.)",
    "Provider Business Practice Location Address Telephone Number",
    "Provider Business Practice Location Address Fax Number",
    "Provider Enumeration Date",
    "Last Update Date",
    "NPI Deactivation Reason Code",
    "NPI Deactivation Date",
    "NPI Reactivation Date",
    "Provider Sex Code",
    "Authorized Official Last Name",
    "Authorized Official First Name",
    "Authorized Official Middle Name",
    "Authorized Official Title or Position",
    "Authorized Official Telephone Number",
)
_TAIL_COLUMNS = (
    "Is Sole Proprietor",
    "Is Organization Subpart",
    "Parent Organization LBN",
    "Parent Organization TIN",
    "Authorized Official Name Prefix Text",
    "Authorized Official Name Suffix Text",
    "Authorized Official Credential Text",
)
NPIDATA_COLUMNS: tuple[str, ...] = (
    *_BASE_COLUMNS,
    *(
        name
        for n in range(1, 16)
        for name in (
            f"Healthcare Provider Taxonomy Code_{n}",
            f"Provider License Number_{n}",
            f"Provider License Number State Code_{n}",
            f"Healthcare Provider Primary Taxonomy Switch_{n}",
        )
    ),
    *(
        name
        for n in range(1, 51)
        for name in (
            f"Other Provider Identifier_{n}",
            f"Other Provider Identifier Type Code_{n}",
            f"Other Provider Identifier State_{n}",
            f"Other Provider Identifier Issuer_{n}",
        )
    ),
    *_TAIL_COLUMNS,
    *(f"Healthcare Provider Taxonomy Group_{n}" for n in range(1, 16)),
    "Certification Date",
)
NCOLS = len(NPIDATA_COLUMNS)  # 330
COL = {name: i for i, name in enumerate(NPIDATA_COLUMNS)}
# Files before 2025 name column 42 "Provider Gender Code"; same values (M/F).
HEADER_ALIASES = {COL["Provider Sex Code"]: {"Provider Gender Code"}}

I_NPI = COL["NPI"]
I_TYPE = COL["Entity Type Code"]
I_ORG = COL["Provider Organization Name (Legal Business Name)"]
I_LAST = COL["Provider Last Name (Legal Name)"]
I_FIRST = COL["Provider First Name"]
I_MIDDLE = COL["Provider Middle Name"]
I_PREFIX = COL["Provider Name Prefix Text"]
I_SUFFIX = COL["Provider Name Suffix Text"]
I_CRED = COL["Provider Credential Text"]
I_ADDR1 = COL["Provider First Line Business Practice Location Address"]
I_ADDR2 = COL["Provider Second Line Business Practice Location Address"]
I_CITY = COL["Provider Business Practice Location Address City Name"]
I_STATE = COL["Provider Business Practice Location Address State Name"]
I_POSTAL = COL["Provider Business Practice Location Address Postal Code"]
I_PHONE = COL["Provider Business Practice Location Address Telephone Number"]
I_SEX = COL["Provider Sex Code"]
I_TAX1 = COL["Healthcare Provider Taxonomy Code_1"]
DATE_COLUMNS = (
    (COL["Provider Enumeration Date"], "Provider Enumeration Date"),
    (COL["Last Update Date"], "Last Update Date"),
    (COL["NPI Deactivation Date"], "NPI Deactivation Date"),
    (COL["NPI Reactivation Date"], "NPI Reactivation Date"),
)
# Fields copied as they are: (column, Clinician max_length, column name). Over-long
# values reject the row (they would otherwise fail the whole batch in COPY).
_LIMITS = {f.name: f.max_length for f in Clinician._meta.fields if f.max_length}
LENGTH_CHECKS = tuple(
    (COL[column], _LIMITS[field], column)
    for column, field in (
        ("Provider Organization Name (Legal Business Name)", "organization_name"),
        ("Provider Last Name (Legal Name)", "last_name"),
        ("Provider First Name", "first_name"),
        ("Provider Middle Name", "middle_name"),
        ("Provider Name Prefix Text", "name_prefix"),
        ("Provider Name Suffix Text", "name_suffix"),
        ("Provider Credential Text", "credential"),
        ("Provider Business Practice Location Address City Name", "practice_city"),
        ("Provider Business Practice Location Address State Name", "practice_state"),
        (
            "Provider Business Practice Location Address Postal Code",
            "practice_postal_code",
        ),
        (
            "Provider Business Practice Location Address Telephone Number",
            "practice_phone",
        ),
    )
)
ADDRESS_LIMIT = _LIMITS["practice_address"]
TAXONOMY_CODE_LIMIT = 10
LICENSE_NUMBER_LIMIT = 40
_TAXONOMY_SLOTS = range(15)
# Columns mapped to Clinician/ClinicianTaxonomy fields (blanks are normalized there).
_MAPPED = (
    *range(COL["Provider Organization Name (Legal Business Name)"], I_CRED + 1),
    *range(I_ADDR1, I_PHONE + 1),
    I_SEX,
    *range(I_TAX1, I_TAX1 + 60),
)
# Positions in a stage row's values that may hold NULL (specialty id, the four dates).
_NULLABLE_VALUES = frozenset({11, 20, 21, 22, 23})

_HEADER_MAX_CHARS = 64_000  # the real header is ~12,000
_DATE_RE = re.compile(r"^(\d\d)/(\d\d)/(\d{4})$")
_DATE_CACHE_MAX = 100_000
_SEP = '","'
# One CSV line whose fields are all plain text: every value quoted, 329 separators.
_CLEAN_QUOTES = 2 * (NCOLS - 1)
NULL = "\\N"  # COPY text format

# --- the staging tables (TEMP, dropped at commit) ----------------------------------

STAGE_COLUMNS = (
    ("line", "integer"),
    ("npi", "varchar(10)"),
    ("entity_type", "smallint"),
    ("first_name", "text"),
    ("middle_name", "text"),
    ("last_name", "text"),
    ("name_prefix", "text"),
    ("name_suffix", "text"),
    ("organization_name", "text"),
    ("credential", "text"),
    ("gender", "text"),
    ("primary_taxonomy_code", "text"),
    ("primary_specialty_id", "bigint"),
    ("license_state", "text"),
    ("license_number", "text"),
    ("practice_address", "text"),
    ("practice_city", "text"),
    ("practice_state", "text"),
    ("practice_postal_code", "text"),
    ("practice_phone", "text"),
    ("npi_status", "text"),
    ("enumeration_date", "date"),
    ("last_updated_date", "date"),
    ("deactivation_date", "date"),
    ("reactivation_date", "date"),
    ("identity_status", "text"),
    ("nppes_payload", "text"),  # JSON text, cast to jsonb only for rows written
    ("raw", "text"),  # or the raw record: the server builds the payload (see below)
    ("stub", "boolean"),
    ("identity_evidence", "text"),
    ("content_sha256", "text"),
)
TAXONOMY_STAGE_COLUMNS = (
    ("line", "integer"),
    ("position", "smallint"),
    ("taxonomy_code", "text"),
    ("specialty_id", "bigint"),
    ("is_primary", "boolean"),
    ("license_number", "text"),
    ("license_state", "text"),
)
# Clinician columns written from the stage, in stage order (line, stub excluded).
_WRITTEN = [
    name
    for name, _ in STAGE_COLUMNS
    if name not in ("line", "stub", "npi", "nppes_payload", "raw", "identity_evidence")
]
# Raw records instead of payload JSON once fewer than 1 in RAW_PAYLOAD_SHARE rows
# of a batch are written (see _RecordParser.raw_payloads).
RAW_PAYLOAD_SHARE = 4
_STAGE = "pp_npidata_stage"
_TAX_STAGE = "pp_npidata_tax_stage"
_CHANGED = "pp_npidata_changed"
