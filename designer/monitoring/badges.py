"""Due dates and SLA marks of a workitem as short badges (words, not only colour)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.timesince import timeuntil

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
            found.append({"css": "due", "text": f"due in {timeuntil(workitem.due_at, now)}"})
    elif workitem.is_open and workitem.sla_breach_at and workitem.sla_breach_at > now:
        found.append({"css": "due", "text": f"SLA in {timeuntil(workitem.sla_breach_at, now)}"})
    return found
