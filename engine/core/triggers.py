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

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterError, croniter

__all__ = [
    "CONCURRENCY",
    "SUPPORTED_KINDS",
    "UNSUPPORTED_KINDS",
    "Trigger",
    "cron_problem",
    "kind_problem",
    "latest_fire",
    "next_fire",
    "zone_problem",
]

SUPPORTED_KINDS = ("schedule",)
# Kinds the issue names that are not built yet: refused with a clear message.
UNSUPPORTED_KINDS = ("model_event", "date_event", "signal")
CONCURRENCY = ("allow", "skip")
_MAX_STEPS = 10  # DST can make a few wall times map before ``after``: bounded


@dataclass(frozen=True)
class Trigger:
    key: str
    kind: str
    cron: str = ""
    timezone: str = "UTC"
    concurrency: str = "allow"
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.key


def kind_problem(kind: str) -> str | None:
    """Why a trigger kind cannot be used (None: it can)."""
    if kind in SUPPORTED_KINDS:
        return None
    if kind in UNSUPPORTED_KINDS:
        return f"trigger kind {kind!r} is not supported yet (only 'schedule' is)"
    return f"unknown trigger kind {kind!r}: use 'schedule'"


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
