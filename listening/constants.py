"""Constants of the listening app: quarantine reason codes, limits, lock keys."""

from __future__ import annotations

# --- Quarantine reason codes (QuarantinedRecord.reason, max 40 chars) ----------------
MISSING_ID = "missing_id"
BAD_TIMESTAMP = "bad_timestamp"
MISSING_TIMESTAMP = "missing_timestamp"  # used by the connectors
WRONG_TYPE = "wrong_type"
NUL_BYTE = "nul_byte"
OVERSIZED_TEXT = "oversized_text"
TOO_LONG = "too_long"  # a short field longer than its column
UNKNOWN_PLATFORM = "unknown_platform"
UNKNOWN_KIND = "unknown_kind"
BAD_VALUE = "bad_value"  # negative or out-of-range counter
BAD_ENCODING = "bad_encoding"  # not representable as UTF-8 (lone surrogates)
BAD_JSON = "bad_json"  # a recording line that is not JSON or not an envelope
PARSE_ERROR = "parse_error"  # the connector raised on an envelope
UNRESOLVED_TARGET = "unresolved_target"  # interaction whose target cannot be found
UNKNOWN_ENDPOINT = "unknown_endpoint"  # used by the connectors

QUARANTINE_REASONS = (
    MISSING_ID,
    BAD_TIMESTAMP,
    MISSING_TIMESTAMP,
    WRONG_TYPE,
    NUL_BYTE,
    OVERSIZED_TEXT,
    TOO_LONG,
    UNKNOWN_PLATFORM,
    UNKNOWN_KIND,
    BAD_VALUE,
    BAD_ENCODING,
    BAD_JSON,
    PARSE_ERROR,
    UNRESOLVED_TARGET,
    UNKNOWN_ENDPOINT,
)

# --- Limits --------------------------------------------------------------------------
MAX_TEXT_CHARS = 50_000  # post text and account bio
# Column widths (must match the models; a longer value would fail the whole batch).
ACCOUNT_ID_MAX = 200
POST_ID_MAX = 300
HANDLE_MAX = 200
DISPLAY_NAME_MAX = 200
URL_MAX = 500
LANGUAGE_MAX = 16
INT32_MAX = 2_147_483_647
INT64_MAX = 9_223_372_036_854_775_807
# Timestamps before this year (or more than a day in the future) are rejected.
MIN_YEAR = 1990

# --- Defaults for settings read with getattr ------------------------------------------
DEFAULT_BATCH_SIZE = 5000
DEFAULT_STALE_RUN_MINUTES = 15
DEFAULT_PARSERS = 2  # forked parser processes per recording run
CHUNK_BYTES = 8 << 20  # a recording is shared out between parsers in chunks this big

# --- Postgres advisory lock keys (pg_try_advisory_xact_lock) ---------------------------
# One key per kind of periodic "start runs" job; any stable 64-bit integer will do.
SCHEDULE_LOCK_KEY = 0x5050_4C49_5354_0001  # "PPLIST" + 1

# Envelopes of a recording folder are read from files with these suffixes, in name order.
RECORDING_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
