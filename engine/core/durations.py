"""Durations as people write them: ``2d``, ``3 days``, ``4h``, ``30 minutes``.

The canonical text is a whole number followed by one unit letter
(``s m h d w``). Zero, negative and fractional amounts are refused: a
zero-length SLA or timeout is always a mistake.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["DurationError", "UNITS", "duration_seconds", "normalize_duration", "parse_duration"]

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
UNIT_NAMES = {
    "s": "s",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "m": "m",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "d": "d",
    "day": "d",
    "days": "d",
    "w": "w",
    "week": "w",
    "weeks": "w",
}
MAX_AMOUNT = 10**6
_DURATION = re.compile(r"^(\s*)([+-]?[0-9]*(?:\.[0-9]*)?)(\s*)([A-Za-z]*)\s*$")


class DurationError(ValueError):
    def __init__(self, message: str, position: int = 0):
        self.message = message
        self.position = position
        super().__init__(f"{message} at position {position}")


def unit_letter(name: str, position: int = 0) -> str:
    """The unit letter for a unit name in any case (``Days`` -> ``d``)."""
    letter = UNIT_NAMES.get(name.lower())
    if letter is None:
        raise DurationError(
            f"unknown unit {name!r}: use s, m, h, d or w (or seconds, minutes, hours, days, weeks)",
            position,
        )
    return letter


def _split(text: str) -> tuple[int, str]:
    if not isinstance(text, str):
        raise DurationError("a duration must be text", 0)
    match = _DURATION.match(text)
    if match is None or not text.strip():
        raise DurationError("expected a duration such as 3d, 4h or 30 minutes", 0)
    lead, amount, _space, unit = match.groups()
    amount_at = len(lead)
    unit_at = match.start(4)
    if not amount or amount in {"+", "-", "."}:
        raise DurationError("expected a whole number before the unit", amount_at)
    if "." in amount:
        raise DurationError("the amount must be a whole number", amount_at)
    value = int(amount)
    if value < 0:
        raise DurationError("the amount must not be negative", amount_at)
    if value == 0:
        raise DurationError("the amount must be greater than zero", amount_at)
    if value > MAX_AMOUNT:
        raise DurationError(f"the amount must be at most {MAX_AMOUNT}", amount_at)
    if not unit:
        raise DurationError("expected a unit (s, m, h, d or w)", unit_at)
    return value, unit_letter(unit, unit_at)


def parse_duration(text: str) -> timedelta:
    value, letter = _split(text)
    return timedelta(seconds=value * UNITS[letter])


def normalize_duration(text: str) -> str:
    value, letter = _split(text)
    return f"{value}{letter}"


def duration_seconds(text: str) -> int:
    value, letter = _split(text)
    return value * UNITS[letter]
