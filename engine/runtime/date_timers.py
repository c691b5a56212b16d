"""Timer activities bound to a date in the run data: when they are due, and re-arming.

A timer activity with ``timer_date_field`` waits until the date at that data
path plus its ``timer_offset`` (a signed duration: ``-1h`` is an hour before).
While the timer waits, the date may change (a step's output, a signal's
payload, a person's form, an operator's data edit): every walk that changed
the run's data, and ``update_run_data``, call ``rearm_date_timers`` so the
open timer follows its date. A date moved earlier fires at the new time (at
once if that time has passed); a date moved later waits longer.

A date removed from the data (or no longer a date) leaves the timer at its
last due time and records ``workitem.timer_not_moved`` with the reason: the
run is not failed by a data change that does not concern its current step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.core.conditions import resolve_path
from engine.core.graph import Activity, ActivityKind, Graph
from engine.core.triggers import parse_offset
from engine.models import ProcessInstance, Timer, TimerKind
from engine.runtime import locks
from engine.runtime.audit import record
from engine.runtime.data import parse_due


def date_timer_due(activity: Activity, data: dict[str, Any]) -> tuple[datetime | None, str]:
    """(due time, "") of a date-bound timer over ``data``, or (None, what is wrong)."""
    value = resolve_path(activity.timer_date_field, data)
    due = parse_due(value)
    if due is None:
        return None, (
            f"The timer reads its date from {activity.timer_date_field!r}, which holds "
            f"{value!r}: not a date or date-time (use ISO 8601, e.g. 2030-01-31T09:00:00Z)."
        )
    if activity.timer_offset:
        try:
            due += parse_offset(activity.timer_offset)
        except ValueError as exc:
            return None, f"The timer offset is invalid: {exc}"
    return due, ""


def date_timers(graph: Graph) -> dict[str, Activity]:
    """The graph's timer activities that wait for a date in the data, by key."""
    return {
        key: a
        for key, a in graph.activities.items()
        if a.kind == ActivityKind.TIMER and a.timer_date_field
    }


def rearm_date_timers(run: ProcessInstance, graph: Graph) -> int:
    """Move the run's open date-bound timers to their date's new time; returns how many moved.

    Call with the run locked, after its data changed.
    """
    bound = date_timers(graph)
    if not bound:
        return 0
    moved = 0
    timers = Timer.objects.filter(
        instance=run, kind=TimerKind.TIMER, fired_at=None, workitem__activity_key__in=bound
    ).select_related("workitem")
    for timer in timers:
        workitem = timer.workitem
        due, problem = date_timer_due(bound[workitem.activity_key], run.data)
        if due is None:
            metadata = {"due_at": timer.due_at.isoformat(), "reason": problem}
            record("workitem.timer_not_moved", run, workitem, metadata=metadata)
            continue
        if due == timer.due_at:
            continue
        if not Timer.objects.filter(pk=timer.pk, fired_at=None).update(due_at=due):
            continue  # fired meanwhile
        metadata = {"from": timer.due_at.isoformat(), "to": due.isoformat()}
        workitem.due_at = due
        locks.bump(workitem, "due_at")
        record("workitem.timer_moved", run, workitem, metadata=metadata)
        moved += 1
    return moved
