"""NPI Registry v2.1: the pure record parser on the recorded fixtures, the identity
rule, and the HTTP client against a tiny local server (never the internet)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.parse
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from influencers.verification.identity import npi_status_and_identity
from influencers.verification.nppes_client import (
    NppesApiError,
    NppesClient,
    NppesDisabled,
    NppesRecordError,
    NppesUnavailable,
    parse_npi_record,
    records_from_response,
    state_normalize,
)

NPPES_DIR = Path(settings.REFERENCE_DATA_DIR) / "nppes-npi-api-fixtures"


def _payload(name: str) -> dict:
    return json.loads((NPPES_DIR / name).read_text())


def _record(name: str, npi: int) -> dict:
    return next(r for r in _payload(name)["results"] if r["number"] == npi)


class FakeRegistry:
    """A local stand-in for the NPI Registry on 127.0.0.1.

    ``responses`` is a queue of ``(status, body, headers)``; when it runs dry the last
    one repeats. ``requests`` records the query string of every request received.
    """

    def __init__(self) -> None:
        self.responses: list[tuple[int, bytes, dict]] = []
        self.requests: list[dict[str, str]] = []
        self.delay = 0.0
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                query = urllib.parse.urlsplit(self.path).query
                registry.requests.append(dict(urllib.parse.parse_qsl(query)))
                if registry.delay:
                    time.sleep(registry.delay)
                status, body, headers = (
                    registry.responses.pop(0)
                    if len(registry.responses) > 1
                    else registry.responses[0]
                )
                # The client may have timed out already: a closed socket is fine.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.01},
            daemon=True,
        )

    def respond(
        self, status: int, payload: object, headers: dict | None = None
    ) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.responses.append((status, body, headers or {}))

    def __enter__(self) -> FakeRegistry:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def registry(settings):
    settings.NPPES_API_ENABLED = True
    with FakeRegistry() as fake:
        settings.NPPES_API_URL = fake.url
        yield fake


def _client(**kwargs) -> tuple[NppesClient, list[float]]:
    waits: list[float] = []
    client = NppesClient(timeout=2.0, backoff_seconds=0.5, sleep=waits.append, **kwargs)
    return client, waits


# --- parser -----------------------------------------------------------------------------


def test_every_recorded_record_parses():
    parsed = [
        parse_npi_record(record)
        for path in sorted(NPPES_DIR.glob("api-*.json"))
        for record in _payload(path.name).get("results", [])
    ]
    assert len(parsed) == 49
    assert len({p.npi for p in parsed}) == 40
    assert all(p.taxonomies and p.primary_taxonomy_code for p in parsed)


def test_it_parses_an_individual_with_a_student_taxonomy():
    parsed = parse_npi_record(_record("api-b2f594.json", 1720377294))

    assert (parsed.npi, parsed.entity_type) == ("1720377294", 1)
    assert (parsed.first_name, parsed.middle_name, parsed.last_name) == (
        "ELISE",
        "AILEEN",
        "HIZA",
    )
    assert (parsed.credential, parsed.gender) == ("M.D.", "F")
    assert parsed.enumeration_date == date(2011, 4, 5)
    assert parsed.last_updated_date == date(2018, 5, 8)
    assert [
        (t.position, t.code, t.is_primary, t.license, t.state)
        for t in parsed.taxonomies
    ] == [
        (1, "207X00000X", True, "2017-01132", "NC"),
        (2, "390200000X", False, "", ""),
    ]
    assert parsed.taxonomies[1].description.startswith("Student in an Organized")
    # The LOCATION address, not the practiceLocations entry in Atlanta.
    assert (parsed.practice_city, parsed.practice_state, parsed.practice_phone) == (
        "ASHEVILLE",
        "NC",
        "828-252-7331",
    )
    assert (parsed.npi_status, parsed.identity_status) == ("active", "verified")


def test_it_parses_an_organization_without_person_names():
    parsed = parse_npi_record(_record("api-8bdc8b.json", 1568946812))

    assert parsed.entity_type == 2
    assert parsed.organization_name == "CSP ANESTHESIA LLC"
    assert (parsed.first_name, parsed.last_name, parsed.credential, parsed.gender) == (
        "",
        "",
        "",
        "",
    )
    assert parsed.identity_status == "unverified"
    assert "organization_name" in parsed.clinician_fields()
    assert "taxonomies" not in parsed.clinician_fields()


def test_it_normalizes_a_spelled_out_state():
    record = _record("api-6b1573.json", 1053975268)
    assert record["addresses"][0]["state"] == "GEORGIA"

    assert parse_npi_record(record).practice_state == "GA"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("GEORGIA", "GA"),
        ("georgia", "GA"),
        ("New  York", "NY"),
        ("DISTRICT OF COLUMBIA", "DC"),
        ("PUERTO RICO", "PR"),
        (" ga ", "GA"),
        ("AE", "AE"),
        ("GAS", "GAS"),  # a typo in NPPES: kept, not guessed
        ("", ""),
        (None, ""),
    ],
)
def test_state_normalize(raw, normalized):
    assert state_normalize(raw) == normalized


def test_the_same_code_with_two_licences_stays_two_taxonomies():
    parsed = parse_npi_record(_record("api-6b1573.json", 1568726677))

    assert [(t.code, t.state, t.license, t.is_primary) for t in parsed.taxonomies] == [
        ("207P00000X", "NY", "279979", False),
        ("207P00000X", "GA", "75505", True),
    ]
    # The clinician's licence is the primary taxonomy's, not the first listed.
    assert (parsed.license_state, parsed.license_number) == ("GA", "75505")


def test_exact_duplicate_taxonomies_are_merged_keeping_the_primary_flag():
    record = _record("api-b2f594.json", 1720377294)
    first = dict(record["taxonomies"][0], primary=False)
    record["taxonomies"] = [first, record["taxonomies"][1], dict(first, primary=True)]

    parsed = parse_npi_record(record)

    assert [(t.position, t.code, t.is_primary) for t in parsed.taxonomies] == [
        (1, "207X00000X", True),
        (2, "390200000X", False),
    ]


def test_without_a_primary_flag_the_first_taxonomy_is_primary_code():
    record = _record("api-b2f594.json", 1720377294)
    for taxonomy in record["taxonomies"]:
        taxonomy["primary"] = False

    parsed = parse_npi_record(record)

    assert parsed.primary_taxonomy_code == "207X00000X"
    assert not any(t.is_primary for t in parsed.taxonomies)


def test_a_reactivated_record_is_active_and_a_deactivated_one_is_not():
    reactivated = _record("api-a769af.json", 1003142399)
    assert parse_npi_record(reactivated).npi_status == "active"

    reactivated["basic"].pop("reactivation_date")
    parsed = parse_npi_record(reactivated)
    assert parsed.deactivation_date == date(2015, 1, 14)
    assert (parsed.npi_status, parsed.identity_status) == ("deactivated", "deactivated")


@pytest.mark.parametrize(
    "broken",
    [
        {"enumeration_type": "NPI-1", "basic": {}},
        {"number": 1720377294, "enumeration_type": "NPI-3", "basic": {}},
        {"number": 1720377294, "enumeration_type": "NPI-1"},
        {
            "number": 1720377294,
            "enumeration_type": "NPI-1",
            "basic": {"enumeration_date": "5/4/2011"},
        },
    ],
)
def test_a_record_without_the_v21_shape_raises_a_record_error(broken):
    with pytest.raises(NppesRecordError):
        parse_npi_record(broken)


def test_error_payloads_raise_with_the_api_description():
    with pytest.raises(
        NppesApiError, match="No valid search criteria provided"
    ) as info:
        records_from_response(_payload("api-8d2d52.json"))
    assert info.value.errors[0]["number"] == "04"

    with pytest.raises(NppesApiError, match="enumeration_type requires additional"):
        records_from_response(_payload("api-c85286.json"))


def test_an_empty_result_is_an_empty_list():
    assert records_from_response(_payload("api-a2f836.json")) == []


# --- the identity rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity_type", "status", "deactivated", "reactivated", "expected"),
    [
        (1, "A", None, None, ("active", "verified")),
        ("NPI-1", "A", None, None, ("active", "verified")),
        ("2", "A", None, None, ("active", "unverified")),
        ("NPI-2", "A", None, None, ("active", "unverified")),
        (1, "D", None, None, ("deactivated", "deactivated")),
        (2, "D", None, None, ("deactivated", "deactivated")),
        (1, None, date(2015, 1, 14), None, ("deactivated", "deactivated")),
        (1, "", date(2015, 1, 14), date(2019, 2, 13), ("active", "verified")),
        (1, "A", date(2019, 2, 13), date(2015, 1, 14), ("deactivated", "deactivated")),
    ],
)
def test_npi_status_and_identity(
    entity_type, status, deactivated, reactivated, expected
):
    assert (
        npi_status_and_identity(entity_type, status, deactivated, reactivated)
        == expected
    )


def test_npi_status_and_identity_refuses_an_unknown_entity_type():
    with pytest.raises(ValueError, match="unknown NPI entity type"):
        npi_status_and_identity(3, "A", None, None)


# --- client -----------------------------------------------------------------------------


def test_the_client_refuses_when_live_calls_are_off(settings):
    settings.NPPES_API_ENABLED = False
    with FakeRegistry() as fake:
        fake.respond(200, _payload("api-b2f594.json"))
        client = NppesClient(base_url=fake.url)

        with pytest.raises(NppesDisabled, match="NPPES_API_ENABLED=true"):
            client.lookup("1720377294")
        with pytest.raises(NppesDisabled):
            client.search(last_name="HIZA")

        assert fake.requests == []


def test_lookup_returns_the_record_for_an_npi(registry):
    registry.respond(200, _payload("api-b2f594.json"))
    client, _ = _client()

    record = client.lookup("1720377294")

    assert record["basic"]["last_name"] == "HIZA"
    assert registry.requests == [{"number": "1720377294", "version": "2.1"}]


def test_lookup_of_an_unknown_npi_returns_none(registry):
    registry.respond(200, _payload("api-a2f836.json"))
    client, _ = _client()

    assert client.lookup("1234567893") is None


def test_lookup_refuses_an_invalid_npi_without_calling(registry):
    registry.respond(200, _payload("api-b2f594.json"))
    client, _ = _client()

    with pytest.raises(ValueError, match="Luhn"):
        client.lookup("1720377295")
    assert registry.requests == []


def test_search_sends_the_criteria_and_returns_the_records(registry):
    registry.respond(200, _payload("api-f62abe.json"))
    client, _ = _client()

    records = client.search(state="NY", taxonomy_description="Oncology", limit=5)

    assert len(records) == 5
    assert registry.requests == [
        {
            "state": "NY",
            "taxonomy_description": "Oncology",
            "limit": "5",
            "version": "2.1",
        }
    ]


def test_search_refuses_unknown_criteria():
    with pytest.raises(ValueError, match="unknown NPI Registry search criteria"):
        NppesClient().search(specialty="cardiology")


def test_it_retries_a_429_then_succeeds(registry):
    registry.respond(429, {"message": "slow down"}, {"Retry-After": "2"})
    registry.respond(200, _payload("api-b2f594.json"))
    client, waits = _client()

    record = client.lookup("1720377294")

    assert record["number"] == 1720377294
    assert len(registry.requests) == 2
    assert waits == [2.0]  # Retry-After wins over the 0.5 s backoff


def test_it_backs_off_exponentially_then_gives_up_on_5xx(registry):
    registry.respond(503, b"<html>down</html>")
    client, waits = _client(max_retries=3)

    with pytest.raises(NppesUnavailable, match="after 4 attempts .*HTTP 503"):
        client.search(last_name="HIZA")

    assert len(registry.requests) == 4
    assert waits == [0.5, 1.0, 2.0]


def test_an_error_payload_raises_without_retrying(registry):
    registry.respond(200, _payload("api-8d2d52.json"))
    client, waits = _client()

    with pytest.raises(NppesApiError, match="No valid search criteria"):
        client.search(limit=10)

    assert len(registry.requests) == 1
    assert waits == []


def test_a_400_with_an_error_body_raises_an_api_error(registry):
    registry.respond(400, _payload("api-c85286.json"))
    client, _ = _client()

    with pytest.raises(NppesApiError) as info:
        client.search(enumeration_type="NPI-1")

    assert info.value.status == 400
    assert info.value.errors[0]["field"] == "enumeration_type"
    assert len(registry.requests) == 1


def test_a_slow_server_times_out_and_is_retried(registry):
    registry.delay = 0.5
    registry.respond(200, _payload("api-b2f594.json"))
    client = NppesClient(
        timeout=0.1, max_retries=1, backoff_seconds=0, sleep=lambda s: None
    )

    with pytest.raises(NppesUnavailable, match="after 2 attempts"):
        client.lookup("1720377294")

    assert len(registry.requests) == 2
