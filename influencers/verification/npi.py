"""NPI check digit: the Luhn algorithm over the NPI with the card-issuer prefix 80840.

CMS: "the check digit is calculated using the Luhn formula for computing the modulus 10
double-add-double check digit", applied to the 9 leading digits prefixed by 80840 (the
constant 24 that the prefix contributes is the usual shortcut).
"""

from __future__ import annotations

import re

NPI_RE = re.compile(r"^[12]\d{9}$")
_PREFIX = "80840"


def luhn_check_digit(payload: str) -> int:
    """Check digit that makes ``payload + digit`` pass the Luhn test."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # the digit next to the check digit is doubled
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def npi_is_valid(value: object) -> bool:
    """True when ``value`` is ten digits starting 1 or 2 whose last digit checks."""
    if not isinstance(value, str) or not NPI_RE.match(value):
        return False
    return luhn_check_digit(_PREFIX + value[:9]) == int(value[9])


def npi_problem(value: object) -> str | None:
    """Why ``value`` is not a valid NPI, in words a reviewer understands; None if valid."""
    if not isinstance(value, str):
        return f"NPI must be text, got {type(value).__name__}"
    if not value.isdigit() or len(value) != 10:
        return f"NPI {value!r} must be exactly 10 digits"
    if value[0] not in "12":
        return f"NPI {value!r} must start with 1 or 2"
    if not npi_is_valid(value):
        return f"NPI {value!r} fails the Luhn check digit (prefix 80840)"
    return None


def npi_with_check_digit(first_nine: str) -> str:
    """Complete nine digits into a valid NPI (used by generators and tests)."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError("need exactly nine digits")
    return first_nine + str(luhn_check_digit(_PREFIX + first_nine))
