"""Triggers as plain data: what a schedule trigger is and when it fires next.

A schedule's cron is read in the trigger's own IANA zone and fire times are
returned in UTC. Cron times are walked as wall-clock times (naive) and only
then placed in the zone, so a daylight-saving change moves nothing:

- a wall time that does not exist (02:30 on a spring-forward day in Berlin)
  is read with the offset before the jump, so it fires at 03:30 local: late
  by the jump, never skipped;
- a wall time that happens twice (02:30 on a fall-back day) fires once, at
  its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterError, croniter

from engine.core.durations import UNITS, DurationError, duration_seconds

__all__ = [
    "CONCURRENCY",
    "KIND_FIELDS",
    "KINDS",
    "MODEL_EVENTS",
    "UNSUPPORTED_KINDS",
    "Trigger",
    "cron_problem",
    "field_problems",
    "kind_problem",
    "latest_fire",
    "next_fire",
    "normalize_offset",
    "offset_problem",
    "parse_offset",
    "zone_problem",
]

KINDS = ("schedule", "model_event", "date_event", "signal")
# Kinds named by the format whose runtime is not built yet: refused with a clear message.
UNSUPPORTED_KINDS: tuple[str, ...] = ()
CONCURRENCY = ("allow", "skip")
MODEL_EVENTS = ("create", "update", "delete")
# The fields each kind may set; any other field set on a trigger of that kind is an error.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "schedule": ("cron", "timezone", "concurrency", "data"),
    "model_event": ("model", "on", "condition", "watch", "concurrency", "data"),
    "date_event": ("model", "date_field", "offset", "condition", "concurrency", "data"),
    "signal": ("signal", "concurrency", "data"),
}
# What every kind needs set (non-empty).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "schedule": ("cron",),
    "model_event": ("model", "on"),
    "date_event": ("model", "date_field"),
    "signal": ("signal",),
}
_MAX_STEPS = 10  # DST can make a few wall times map before ``after``: bounded
_OFFSET = re.compile(r"^\s*([+-]?)\s*(.*)$")


@dataclass(frozen=True)
class Trigger:
    """One trigger of a version; fields a kind does not use keep their empty defaults."""

    key: str
    kind: str
    cron: str = ""
    timezone: str = "UTC"
    concurrency: str = "allow"
    data: dict[str, Any] = field(default_factory=dict)
    model: str = ""  # "app_label.ModelName" (model_event, date_event)
    on: tuple[str, ...] = ()  # model_event: create, update, delete
    condition: str = ""  # the condition language, over ``record``
    watch: tuple[str, ...] = ()  # model_event: updates fire only when these fields change
    date_field: str = ""  # date_event: the record's date or date-time field
    offset: str = ""  # date_event: a signed duration, "-1h" is an hour before
    signal: str = ""  # signal: the signal name that starts a run

    @property
    def label(self) -> str:
        return self.key


def kind_problem(kind: str) -> str | None:
    """Why a trigger kind cannot be used (None: it can)."""
    if kind in UNSUPPORTED_KINDS:
        return f"trigger kind {kind!r} is not supported yet"
    if kind in KINDS:
        return None
    usable = ", ".join(repr(k) for k in KINDS if k not in UNSUPPORTED_KINDS)
    return f"unknown trigger kind {kind!r}: use one of {usable}"


def field_problems(kind: str, values: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for fields a kind does not take or needs, given the fields set."""
    allowed = KIND_FIELDS.get(kind, ())
    problems = [
        (name, f"a {kind} trigger has no field {name!r}")
        for name, value in values.items()
        if name not in allowed and value not in (None, "", [], (), {})
    ]
    problems += [
        (name, f"a {kind} trigger needs {name!r}")
        for name in REQUIRED_FIELDS.get(kind, ())
        if values.get(name) in (None, "", [], ())
    ]
    return problems


def parse_offset(text: str) -> timedelta:
    """A signed duration: ``-1h`` (an hour before), ``2d`` or ``+2d`` (two days after)."""
    match = _OFFSET.match(text or "")
    if not match or not match.group(2).strip():
        raise ValueError(f"invalid offset {text!r}: write a duration such as '-1h' or '2d'")
    try:
        seconds = duration_seconds(match.group(2))
    except DurationError as exc:
        raise ValueError(f"invalid offset {text!r}: {exc.message}") from exc
    return timedelta(seconds=-seconds if match.group(1) == "-" else seconds)


def normalize_offset(text: str) -> str:
    """One written form per offset: ``- 60 minutes`` is ``-1h``; empty stays empty."""
    if not (text or "").strip():
        return ""
    delta = parse_offset(text)
    seconds = int(abs(delta.total_seconds()))
    letter = next(u for u in ("w", "d", "h", "m", "s") if seconds % UNITS[u] == 0)
    return f"{'-' if delta < timedelta(0) else ''}{seconds // UNITS[letter]}{letter}"


def offset_problem(text: str) -> str | None:
    """Why ``text`` is not a signed duration (None: it is, or it is empty: no offset)."""
    if not text:
        return None
    try:
        parse_offset(text)
    except ValueError as exc:
        return str(exc)
    return None


def cron_problem(cron: str) -> str | None:
    """Why ``cron`` is not a five-field cron expression (None: it is)."""
    if len(cron.split()) != 5:
        return (
            f"invalid cron {cron!r}: write five fields (minute hour day-of-month month "
            "day-of-week), e.g. '30 7 * * *'"
        )
    try:
        croniter(cron)
    except (CroniterError, ValueError) as exc:
        return f"invalid cron {cron!r}: {exc}"
    return None


def zone_problem(zone: str) -> str | None:
    """Why ``zone`` is not an IANA time zone name (None: it is)."""
    if not zone or zone not in _zones():
        return f"unknown time zone {zone!r}: use an IANA name such as 'Europe/Berlin'"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {zone!r}: use an IANA name such as 'Europe/Berlin'"
    return None


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
        _ZONES.add("UTC")
    return _ZONES


def _utc(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)


def next_fire(cron: str, zone: str, after: datetime) -> datetime:
    """The first fire time strictly after ``after`` (aware), in UTC."""
    tz = ZoneInfo(zone)
    wall = after.astimezone(tz).replace(tzinfo=None)
    times = croniter(cron, wall)
    for _ in range(_MAX_STEPS):
        candidate = _utc(times.get_next(datetime), tz)
        if candidate > after:
            return candidate
    raise ValueError(f"no fire time found after {after.isoformat()} for {cron!r}")


def latest_fire(cron: str, zone: str, at: datetime) -> datetime:
    """The last fire time at or before ``at`` (aware), in UTC."""
    tz = ZoneInfo(zone)
    wall = at.astimezone(tz).replace(tzinfo=None) + timedelta(seconds=1)
    times = croniter(cron, wall)
    for _ in range(_MAX_STEPS):
        candidate = _utc(times.get_prev(datetime), tz)
        if candidate <= at:
            return candidate
    raise ValueError(f"no fire time found before {at.isoformat()} for {cron!r}")
