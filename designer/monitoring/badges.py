"""Due dates and SLA marks of a workitem as short badges (words, not only colour)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from engine.models import WorkItem


def workitem_badges(workitem: WorkItem, now: datetime | None = None) -> list[dict]:
    """``[{"css": "breached", "text": "SLA breached"}, ...]`` for a list row or a task page."""
    now = now or timezone.now()
    found = []
    if workitem.sla_breached_at or (
        workitem.is_open and workitem.sla_breach_at and workitem.sla_breach_at <= now
    ):
        found.append({"css": "breached", "text": "SLA breached"})
    elif workitem.sla_warned_at or (
        workitem.is_open and workitem.sla_warn_at and workitem.sla_warn_at <= now
    ):
        found.append({"css": "warned", "text": "SLA warning"})
    if workitem.is_open and workitem.due_at:
        if workitem.due_at <= now:
            found.append({"css": "overdue", "text": "overdue"})
        else:
            found.append({"css": "due", "text": f"due in {until(workitem.due_at - now)}"})
    elif workitem.is_open and workitem.sla_breach_at and workitem.sla_breach_at > now:
        found.append({"css": "due", "text": f"SLA in {until(workitem.sla_breach_at - now)}"})
    return found


def until(delta: timedelta) -> str:
    """A short, rounded-down time to go: '2 d 3 h', '5 h', '12 min', '42 s' (cheap in lists)."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"  # never "0 min" for something due in 40 seconds
    minutes = seconds // 60
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


def took(delta: timedelta) -> str:
    """How long something took, in words: '3 seconds', '5 minutes', '2 hours 5 minutes'.

    Django's ``timesince`` says "0 minutes" for anything under a minute.
    """
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return _count(seconds, "second")
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return _count(minutes, "minute") + (f" {_count(seconds, 'second')}" if seconds else "")
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _count(hours, "hour") + (f" {_count(minutes, 'minute')}" if minutes else "")
    days, hours = divmod(hours, 24)
    return _count(days, "day") + (f" {_count(hours, 'hour')}" if hours else "")


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"
