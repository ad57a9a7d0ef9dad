"""Deterministic randomness and platform identifiers.

Two sources of randomness, both seeded from the world seed only:

* numpy ``Generator`` objects for the vectorised parts (accounts, posts, engagement);
* ``Chooser``, a tiny splitmix64 stream keyed by integers, for per-post text choices.
  It costs a few integer operations per draw, so the text of post *i* can be rebuilt
  anywhere (feed, thread, quote embed) without storing it.

Identifiers follow the platforms' published formats: AT Protocol DIDs (``did:plc:`` +
24 base32 characters), record keys as TIDs (13 base32-sortable characters: 53 bits of
microseconds + 10 bits of clock id), CIDv1 strings (``bafyrei...`` for dag-cbor
records, ``bafkrei...`` for raw blobs), and Mastodon snowflake ids (milliseconds << 16).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")
MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"


def mix64(value: int) -> int:
    """splitmix64 finaliser: a well-mixed 64-bit integer from any integer."""
    z = (value + _GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def key64(*parts: int) -> int:
    """Fold integers into one 64-bit key (order matters)."""
    state = 0x5EED
    for part in parts:
        state = mix64(state ^ (part & MASK64))
    return state


class Chooser:
    """A cheap deterministic stream of choices keyed by integers."""

    __slots__ = ("_state",)

    def __init__(self, *parts: int) -> None:
        self._state = key64(*parts)

    def next(self) -> int:
        self._state = (self._state + _GOLDEN) & MASK64
        z = self._state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return self.next() % n if n > 0 else 0

    def pick(self, items: Sequence[T]) -> T:
        return items[self.next() % len(items)]

    def chance(self, p: float) -> bool:
        return self.next() < p * 18446744073709551616.0

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * (self.next() / 18446744073709551616.0)

    def weighted(self, names: Sequence[str], cumulative: Sequence[float]) -> str:
        """Pick from ``names`` given cumulative weights ending at 1.0."""
        u = self.next() / 18446744073709551616.0
        for name, edge in zip(names, cumulative, strict=True):
            if u < edge:
                return name
        return names[-1]


def generator(seed: int, *stream: int) -> np.random.Generator:
    """A numpy generator for one named stream of the world."""
    return np.random.default_rng([seed, *stream])


def did_plc(seed: int, account: int) -> str:
    """A did:plc identifier (24 base32 characters) for an account."""
    value = (key64(seed, 11, account) << 64) | key64(seed, 12, account)
    chars = []
    for _ in range(24):
        chars.append(_B32[value & 31])
        value >>= 5
    return "did:plc:" + "".join(chars)


def tid(micros: int, clock_id: int) -> str:
    """An AT Protocol TID record key: base32-sortable, 13 characters."""
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock_id & 1023)
    chars = []
    for _ in range(13):
        chars.append(_B32_SORT[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def cid_for(text: str, *, raw: bool = False) -> str:
    """A CIDv1 (sha2-256) string: ``bafyrei...`` (dag-cbor) or ``bafkrei...`` (raw)."""
    digest = hashlib.sha256(text.encode()).digest()
    prefix = b"\x01\x55\x12\x20" if raw else b"\x01\x71\x12\x20"
    return "b" + base64.b32encode(prefix + digest).decode().lower().rstrip("=")


def snowflake(ms: int, sequence: int) -> str:
    """A Mastodon-style id: milliseconds since the epoch shifted left 16 bits."""
    return str((ms << 16) | (sequence & 0xFFFF))


_DAYS: dict[int, str] = {}


def iso_ms(ms: int) -> str:
    """``2025-02-05T17:27:33.232Z`` from milliseconds since the epoch (UTC)."""
    day, rest = divmod(int(ms), 86_400_000)
    prefix = _DAYS.get(day)
    if prefix is None:
        t = time.gmtime(day * 86_400)
        prefix = _DAYS[day] = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
    seconds, millis = divmod(rest, 1000)
    minutes, sec = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{prefix}{hours:02d}:{minute:02d}:{sec:02d}.{millis:03d}Z"


def iso_day(ms: int) -> str:
    """``2025-02-05`` from milliseconds since the epoch (UTC)."""
    t = time.gmtime(int(ms) // 1000)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"


def base36(value: int) -> str:
    """Lower-case base-36 digits of a non-negative integer."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if value == 0:
        return "0"
    out = []
    while value:
        value, rem = divmod(value, 36)
        out.append(digits[rem])
    return "".join(reversed(out))
