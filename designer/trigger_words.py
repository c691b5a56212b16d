"""Triggers in words, for people: a cron, its next fire times, an offset, a summary.

The checks are the engine's (``engine.core.triggers``): a cron or zone the
engine refuses is never described here, its problem is shown instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from cron_descriptor import ExpressionDescriptor, FormatException

from engine.core import triggers as core

NEXT_TIMES = 5
_UNIT_WORDS = (
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
    (1, "second"),
)


@dataclass
class SchedulePreview:
    """What the editor shows under a schedule's cron and zone fields."""

    words: str = ""
    times: list[datetime] = field(default_factory=list)  # aware, in the trigger's zone
    problem: str = ""
    zone: str = ""

    @property
    def labels(self) -> list[str]:
        return [time_label(t) for t in self.times]


def time_label(moment: datetime, zone: str = "") -> str:
    """A fire time as its zone's clock reads it: "Sun 29 Nov 2026, 07:30 (+0330)"."""
    if zone:
        moment = moment.astimezone(ZoneInfo(zone))
    return moment.strftime("%a %d %b %Y, %H:%M (%Z)")


def cron_words(cron: str) -> str:
    """``30 7 * * *`` is "At 07:30" (empty when the engine refuses the cron)."""
    if core.cron_problem(cron or ""):
        return ""
    try:
        return ExpressionDescriptor(cron, use_24hour_time_format=True).get_description()
    except (FormatException, ValueError, KeyError):
        # The engine accepts a few forms the describer does not: the times still show.
        return ""


def schedule_preview(cron: str, zone: str, now: datetime) -> SchedulePreview:
    """The cron in words and its next fire times in its zone, or why it cannot fire."""
    zone = zone or "UTC"
    if not (cron or "").strip():
        return SchedulePreview(zone=zone)  # nothing typed yet: nothing to say
    problem = core.cron_problem(cron or "") or core.zone_problem(zone)
    if problem:
        return SchedulePreview(problem=problem, zone=zone)
    tz = ZoneInfo(zone)
    times: list[datetime] = []
    after = now
    for _ in range(NEXT_TIMES):
        after = core.next_fire(cron, zone, after)
        times.append(after.astimezone(tz))
    return SchedulePreview(words=cron_words(cron), times=times, zone=zone)


def duration_words(delta: timedelta) -> str:
    """``timedelta(minutes=90)`` is "1 hour 30 minutes" (its absolute value)."""
    seconds = int(abs(delta.total_seconds()))
    parts = []
    for size, unit in _UNIT_WORDS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts) or "0 seconds"


def offset_words(offset: str, date_field: str) -> str:
    """``-1h`` and ``last_login`` is "1 hour before last_login"; a bad offset says why."""
    date_field = date_field or "the date"
    problem = core.offset_problem((offset or "").strip())
    if problem:
        return problem
    if not (offset or "").strip():
        return f"at {date_field}"
    delta = core.parse_offset(offset)
    if not delta:
        return f"at {date_field}"
    side = "before" if delta < timedelta(0) else "after"
    return f"{duration_words(delta)} {side} {date_field}"


def summary(trigger) -> str:
    """One line per trigger for the list: what makes it fire."""
    kind = trigger.kind
    if kind == "schedule":
        words = cron_words(trigger.cron) or trigger.cron
        return f"{words} ({trigger.timezone or 'UTC'})"
    if kind == "model_event":
        on = ", ".join(trigger.on or ()) or "no event"
        text = f"{trigger.model} on {on}"
        if trigger.watch:
            text += f" of {', '.join(trigger.watch)}"
        return text + (f" when {trigger.condition}" if trigger.condition else "")
    if kind == "date_event":
        text = f"{trigger.model}: {offset_words(trigger.offset, trigger.date_field)}"
        return text + (f" when {trigger.condition}" if trigger.condition else "")
    if kind == "signal":
        return f"signal {trigger.signal!r} with no waiting run"
    return kind
