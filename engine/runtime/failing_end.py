"""An end that fails the run on purpose (django-ai-first's ``fail(reason)``).

An end activity with a ``fail_reason`` is a failing end. A run that reaches
it ends there, for good: ``Walk.settle`` hands it to ``end_failed`` below,
which closes what is still open in the run (other branches' tasks, waits and
timers; child runs are cancelled), and moves the run to the terminal state
``failed_at_end`` with the reason (its ``{data.x}`` placeholders filled in)
in ``failure_reason`` and the audit event ``run.failed_at_end``.

This is not an incident: nothing went wrong that an operator could retry.
A run that FAILED with an incident is still active (retry or cancel it); a
run that failed at an end is finished. The API shows both as ``FAILED``,
with the reason as the run's ``error`` and ``ended_at`` set for this one.
When the run is a subprocess, the parent's waiting step falls out with an
incident saying why (the parent may retry the child or handle it).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from engine.core import http_templates
from engine.core.graph import Activity
from engine.models import (
    IncidentKind,
    ProcessInstance,
    RunState,
    Timer,
    Token,
    WorkItem,
    WorkItemCandidate,
    WorkItemState,
)
from engine.models.runtime import OPEN_STATES
from engine.runtime import locks
from engine.runtime.audit import record

if TYPE_CHECKING:
    from engine.runtime.walk import Walk

REASON_LENGTH = 2000


def reason_of(activity: Activity, data: dict) -> str:
    """The end's reason with its placeholders filled in (kept as written when one is missing)."""
    try:
        return str(http_templates.render_body(activity.fail_reason, data))[:REASON_LENGTH]
    except http_templates.TemplateError:
        return activity.fail_reason[:REASON_LENGTH]


def end_failed(walk: Walk, activity: Activity, moving_fields: list[str]) -> str:
    """End the walk's run at the failing end ``activity``; returns the run's new state."""
    run = walk.run
    previous = run.state
    reason = reason_of(activity, run.data)
    _close_open(run, walk.now, f"the run failed at {activity.label!r}")
    run.state = RunState.FAILED_AT_END
    run.ended_at = walk.now
    run.failure_reason = reason
    locks.bump(run, *moving_fields, "failure_reason")
    record(
        "run.failed_at_end",
        run,
        status_from=previous,
        status_to=RunState.FAILED_AT_END,
        metadata={"reason": reason, "activity": activity.key},
    )
    _parent_falls_out(walk, run, reason)
    return RunState.FAILED_AT_END


def _close_open(run: ProcessInstance, now: datetime, why: str) -> None:
    """Cancel the run's open workitems, their timers and offers, and its child runs."""
    open_items = list(WorkItem.objects.filter(instance=run, state__in=OPEN_STATES))
    for workitem in open_items:
        old = workitem.state
        workitem.state = WorkItemState.CANCELLED
        workitem.completed_at = now
        locks.bump(workitem, "state", "completed_at")
        record(
            "workitem.cancelled",
            run,
            workitem,
            status_from=old,
            status_to=WorkItemState.CANCELLED,
            metadata={"reason": why},
        )
    ids = [w.pk for w in open_items]
    Timer.objects.filter(workitem_id__in=ids, fired_at=None).delete()
    WorkItemCandidate.objects.filter(workitem_id__in=ids).delete()
    Token.objects.filter(instance=run, consumed_at=None).update(consumed_at=now)
    children = ProcessInstance.objects.filter(parent_workitem_id__in=ids).exclude(
        state__in=[RunState.COMPLETED, RunState.CANCELLED, RunState.FAILED_AT_END]
    )
    for child_id in children.values_list("pk", flat=True):
        child = locks.lock_run(child_id)
        _close_open(child, now, f"parent run {run.pk}: {why}")
        previous = child.state
        child.state = RunState.CANCELLED
        child.ended_at = now
        locks.bump(child, "state", "ended_at")
        record(
            "run.cancelled",
            child,
            status_from=previous,
            status_to=RunState.CANCELLED,
            metadata={"reason": f"parent run {run.pk}: {why}"},
        )


def _parent_falls_out(child_walk: Walk, child: ProcessInstance, reason: str) -> None:
    if child.parent_workitem_id is None:
        return
    parent_item = WorkItem.objects.filter(pk=child.parent_workitem_id).only("instance_id").first()
    if parent_item is None:
        return
    locked = locks.lock_workitem(
        parent_item.pk, run_id=parent_item.instance_id, states=[WorkItemState.WAITING], active=True
    )
    if locked is None:
        return
    parent, workitem = locked
    walk = type(child_walk)(parent, child_walk.effects, actor=child_walk.actor)
    walk.fallout(
        workitem, IncidentKind.SUBPROCESS, f"Subprocess run {child.pk} failed at an end: {reason}"
    )
    walk.settle()
