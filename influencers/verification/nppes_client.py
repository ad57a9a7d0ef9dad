"""NPI Registry API v2.1: a small stdlib client and a pure parser for its records.

Live calls are off unless ``settings.NPPES_API_ENABLED`` is true; tests never reach the
internet (they replay recorded responses or talk to a local server).
API reference: https://npiregistry.cms.hhs.gov/api-page
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.conf import settings

from influencers.verification.identity import (
    entity_type_number,
    npi_status_and_identity,
)
from influencers.verification.npi import npi_problem

API_VERSION = "2.1"
SEARCH_CRITERIA = frozenset(
    {
        "number",
        "enumeration_type",
        "taxonomy_description",
        "name_purpose",
        "first_name",
        "use_first_name_alias",
        "last_name",
        "organization_name",
        "address_purpose",
        "city",
        "state",
        "postal_code",
        "country_code",
        "limit",
        "skip",
    }
)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_WAIT_SECONDS = 60.0


class NppesError(Exception):
    """Base class for NPI Registry problems."""


class NppesDisabled(NppesError):
    """Live NPI Registry calls are switched off (``NPPES_API_ENABLED`` is false)."""


class NppesApiError(NppesError):
    """The API answered with an error payload (``{"Errors": [...]}``) or a 4xx."""

    def __init__(
        self, message: str, *, errors: list[dict] | None = None, status: int = 0
    ):
        super().__init__(message)
        self.errors = errors or []
        self.status = status


class NppesUnavailable(NppesError):
    """The API did not answer usefully after the retries (timeouts, 429, 5xx)."""


class NppesRecordError(ValueError):
    """A result record does not have the v2.1 shape the parser needs."""


# --- response and record parsing (pure) ----------------------------------------------

US_STATE_NAMES = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR",
    "CALIFORNIA": "CA", "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE",
    "DISTRICT OF COLUMBIA": "DC", "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI",
    "IDAHO": "ID", "ILLINOIS": "IL", "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS",
    "KENTUCKY": "KY", "LOUISIANA": "LA", "MAINE": "ME", "MARYLAND": "MD",
    "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN", "MISSISSIPPI": "MS",
    "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY",
    "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK",
    "OREGON": "OR", "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI",
    "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD", "TENNESSEE": "TN", "TEXAS": "TX",
    "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA", "WASHINGTON": "WA",
    "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
    "AMERICAN SAMOA": "AS", "GUAM": "GU", "NORTHERN MARIANA ISLANDS": "MP",
    "PUERTO RICO": "PR", "VIRGIN ISLANDS": "VI", "U.S. VIRGIN ISLANDS": "VI",
    "UNITED STATES MINOR OUTLYING ISLANDS": "UM", "MARSHALL ISLANDS": "MH",
    "FEDERATED STATES OF MICRONESIA": "FM", "PALAU": "PW",
}  # fmt: skip
US_STATE_CODES = frozenset(US_STATE_NAMES.values()) | {"AA", "AE", "AP"}


def state_normalize(value: str | None) -> str:
    """A USPS state code from ``value``: ``"GEORGIA"`` -> ``"GA"``, ``"ga "`` -> ``"GA"``.

    Values that are neither a code nor a spelled-out US state or territory (a typo
    such as ``"GAS"``, a foreign province) are returned trimmed and upper-cased, as
    NPPES holds them: guessing would invent a fact.
    """
    text = " ".join((value or "").split()).upper()
    if text in US_STATE_CODES:
        return text
    return US_STATE_NAMES.get(text, text)


@dataclass(frozen=True)
class ParsedTaxonomy:
    """One entry of a record's ``taxonomies`` list."""

    position: int
    code: str
    description: str
    is_primary: bool
    license: str
    state: str


@dataclass(frozen=True)
class ParsedClinician:
    """The ``Clinician`` fields read from one v2.1 record, plus its taxonomies."""

    npi: str
    entity_type: int
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    name_prefix: str = ""
    name_suffix: str = ""
    organization_name: str = ""
    credential: str = ""
    gender: str = ""
    primary_taxonomy_code: str = ""
    license_state: str = ""
    license_number: str = ""
    practice_address: str = ""
    practice_city: str = ""
    practice_state: str = ""
    practice_postal_code: str = ""
    practice_phone: str = ""
    status_code: str = ""
    npi_status: str = "active"
    identity_status: str = "unverified"
    enumeration_date: date | None = None
    last_updated_date: date | None = None
    deactivation_date: date | None = None
    reactivation_date: date | None = None
    taxonomies: list[ParsedTaxonomy] = field(default_factory=list)

    def clinician_fields(self) -> dict[str, Any]:
        """The values for the ``Clinician`` columns of the same name."""
        data = asdict(self)
        for name in ("taxonomies", "status_code"):
            data.pop(name)
        return data


def records_from_response(payload: Any) -> list[dict]:
    """The result records of one API response; raises ``NppesApiError`` for errors.

    ``{"Errors": [...]}`` is the API's way to say a query was refused; an empty
    ``results`` list is a normal "nothing found".
    """
    if not isinstance(payload, dict):
        raise NppesApiError(f"expected a JSON object, got {type(payload).__name__}")
    if payload.get("Errors"):
        errors = [e for e in payload["Errors"] if isinstance(e, dict)]
        text = "; ".join(
            f"{e.get('description', 'error')} (field {e.get('field', '?')}, "
            f"#{e.get('number', '?')})"
            for e in errors
        )
        raise NppesApiError(
            f"NPI Registry error: {text or payload['Errors']}", errors=errors
        )
    results = payload.get("results")
    if results is None:
        raise NppesApiError("response has neither 'results' nor 'Errors'")
    if not isinstance(results, list):
        raise NppesApiError("'results' is not a list")
    return results


def _text(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _date(value: Any, name: str) -> date | None:
    text = _text(value)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise NppesRecordError(f"{name} {text!r} is not a YYYY-MM-DD date") from exc


def _taxonomies_parse(entries: Any) -> list[ParsedTaxonomy]:
    """Taxonomies in NPPES order; exact repeats (same code, state and licence) are
    merged, keeping the primary flag. The same code with two licences (two states)
    stays as two entries: both licences are real."""
    if not isinstance(entries, list):
        return []
    merged: dict[tuple[str, str, str], dict] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        code = _text(entry.get("code")).upper()
        if not code:
            continue
        state = state_normalize(entry.get("state"))
        license_number = _text(entry.get("license"))
        key = (code, state, license_number)
        primary = entry.get("primary") is True or _text(
            entry.get("primary")
        ).upper() in (
            "Y",
            "TRUE",
        )
        if key in merged:
            merged[key]["is_primary"] |= primary
            continue
        merged[key] = {
            "code": code,
            "description": _text(entry.get("desc")),
            "is_primary": primary,
            "license": license_number,
            "state": state,
        }
    return [
        ParsedTaxonomy(position=position, **values)
        for position, values in enumerate(merged.values(), start=1)
    ]


def _location_address(addresses: Any) -> dict:
    if not isinstance(addresses, list):
        return {}
    for address in addresses:
        if isinstance(address, dict) and _text(
            address.get("address_purpose")
        ).upper() == ("LOCATION"):
            return address
    return {}


def parse_npi_record(record: dict) -> ParsedClinician:
    """Map one v2.1 result record to ``ParsedClinician``. Pure.

    - Individuals (NPI-1) get names and credential; organizations (NPI-2) get
      ``organization_name``.
    - The practice address is the LOCATION address; states are USPS codes
      (``GEORGIA`` -> ``GA``).
    - The primary taxonomy is the first one flagged primary, else the first listed; its
      licence and licence state become the clinician's. A licence state that is not a
      two-letter code after normalization is left blank.
    - Status and identity follow ``identity.npi_status_and_identity``.
    Raises ``NppesRecordError`` when the record lacks its number, type or ``basic``.
    """
    if not isinstance(record, dict):
        raise NppesRecordError(
            f"a record must be a JSON object, got {type(record).__name__}"
        )
    npi = _text(record.get("number"))
    if not npi:
        raise NppesRecordError("record has no 'number' (NPI)")
    try:
        entity_type = entity_type_number(record.get("enumeration_type", ""))
    except ValueError as exc:
        raise NppesRecordError(f"NPI {npi}: {exc}") from exc
    basic = record.get("basic")
    if not isinstance(basic, dict):
        raise NppesRecordError(f"NPI {npi}: record has no 'basic' section")

    taxonomies = _taxonomies_parse(record.get("taxonomies"))
    primary = next((t for t in taxonomies if t.is_primary), None) or (
        taxonomies[0] if taxonomies else None
    )
    location = _location_address(record.get("addresses"))
    street = ", ".join(
        part
        for part in (_text(location.get("address_1")), _text(location.get("address_2")))
        if part
    )
    status_code = _text(basic.get("status")).upper()
    deactivation_date = _date(basic.get("deactivation_date"), "deactivation_date")
    reactivation_date = _date(basic.get("reactivation_date"), "reactivation_date")
    npi_status, identity_status = npi_status_and_identity(
        entity_type, status_code, deactivation_date, reactivation_date
    )
    license_state = primary.state if primary else ""
    individual = entity_type == 1
    prefix = _text(basic.get("name_prefix")) if individual else ""
    suffix = _text(basic.get("name_suffix")) if individual else ""
    return ParsedClinician(
        npi=npi,
        entity_type=entity_type,
        first_name=_text(basic.get("first_name")) if individual else "",
        middle_name=_text(basic.get("middle_name")) if individual else "",
        last_name=_text(basic.get("last_name")) if individual else "",
        name_prefix="" if prefix == "--" else prefix,  # "--" is NPPES for "none"
        name_suffix="" if suffix == "--" else suffix,
        organization_name="" if individual else _text(basic.get("organization_name")),
        credential=_text(basic.get("credential")) if individual else "",
        gender=_text(basic.get("gender")).upper()[:1] if individual else "",
        primary_taxonomy_code=primary.code if primary else "",
        license_state=license_state if license_state in US_STATE_CODES else "",
        license_number=primary.license if primary else "",
        practice_address=street,
        practice_city=_text(location.get("city")),
        practice_state=state_normalize(location.get("state")),
        practice_postal_code=_text(location.get("postal_code")),
        practice_phone=_text(location.get("telephone_number")),
        status_code=status_code,
        npi_status=npi_status,
        identity_status=identity_status,
        enumeration_date=_date(basic.get("enumeration_date"), "enumeration_date"),
        last_updated_date=_date(basic.get("last_updated"), "last_updated"),
        deactivation_date=deactivation_date,
        reactivation_date=reactivation_date,
        taxonomies=taxonomies,
    )


# --- the HTTP client ------------------------------------------------------------------


class NppesClient:
    """Read-only client for the NPI Registry API v2.1 (stdlib ``urllib`` only).

    Every call first checks ``settings.NPPES_API_ENABLED`` and raises ``NppesDisabled``
    when it is off. Timeouts, connection errors, 429 and 5xx are retried
    ``max_retries`` times with exponential backoff (honouring a numeric
    ``Retry-After``), then raise ``NppesUnavailable``. Error payloads raise
    ``NppesApiError`` at once. No side effects besides the HTTP GETs.
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep

    def lookup(self, npi: str) -> dict | None:
        """The record for one NPI, or None when the registry has no such NPI.

        Raises ``ValueError`` for a malformed NPI (no call is made).
        """
        problem = npi_problem(npi)
        if problem:
            raise ValueError(problem)
        results = self.search(number=npi)
        return next((r for r in results if _text(r.get("number")) == npi), None)

    def search(self, **criteria: str | int) -> list[dict]:
        """Result records for the given search criteria (names as in the API docs,
        e.g. ``last_name``, ``state``, ``taxonomy_description``, ``limit`` <= 200)."""
        unknown = set(criteria) - SEARCH_CRITERIA
        if unknown:
            raise ValueError(f"unknown NPI Registry search criteria: {sorted(unknown)}")
        params = {name: str(value) for name, value in criteria.items() if value != ""}
        return records_from_response(self._get(params))

    @staticmethod
    def ensure_enabled() -> None:
        """Raise ``NppesDisabled`` unless ``settings.NPPES_API_ENABLED`` is true."""
        if not settings.NPPES_API_ENABLED:
            raise NppesDisabled(
                "Live NPI Registry calls are off. Set NPPES_API_ENABLED=true in the "
                "environment to enable them (NPPES_API_URL sets the endpoint)."
            )

    def _get(self, params: dict[str, str]) -> Any:
        self.ensure_enabled()
        base_url = self.base_url or settings.NPPES_API_URL
        url = f"{base_url}?{urllib.parse.urlencode({**params, 'version': API_VERSION})}"
        request = urllib.request.Request(
            url, headers={"Accept": "application/json", "User-Agent": "PeerProof/1.0"}
        )
        last_problem = ""
        retry_after: float | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.sleep(self._wait(attempt, retry_after))
                retry_after = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = response.read()
            except urllib.error.HTTPError as exc:
                if exc.code in RETRY_STATUSES:
                    retry_after = _retry_after_seconds(exc.headers.get("Retry-After"))
                    last_problem = f"HTTP {exc.code}"
                    continue
                raise _http_error(exc) from exc
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last_problem = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
                continue
            try:
                return json.loads(body)
            except ValueError as exc:
                raise NppesApiError(
                    "the NPI Registry answered with something not JSON"
                ) from exc
        raise NppesUnavailable(
            f"NPI Registry unavailable after {self.max_retries + 1} attempts ({last_problem})"
        )

    def _wait(self, attempt: int, retry_after: float | None) -> float:
        wait = self.backoff_seconds * 2 ** (attempt - 1)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return min(wait, MAX_RETRY_WAIT_SECONDS)


def _retry_after_seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _http_error(exc: urllib.error.HTTPError) -> NppesApiError:
    try:
        payload = json.loads(exc.read() or b"null")
        records_from_response(payload)
    except NppesApiError as api_error:
        api_error.status = exc.code
        if api_error.errors:
            return api_error
    except ValueError:
        pass
    return NppesApiError(f"NPI Registry answered HTTP {exc.code}", status=exc.code)
