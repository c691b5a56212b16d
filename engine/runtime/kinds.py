"""Activity kinds at run time: how a run enters each kind, and what wakes it.

``ENTRIES`` is the table the walk dispatches through, keyed by kind; the
fields each kind has and what wakes it are declared once in
``engine.core.kinds``. A new kind of activity is one entry there, one here
(its ``enter`` function), and its tests.

What wakes a run waiting at each kind, by ``engine.core.kinds.Wake``:

- PERSON: ``engine.services.workitems.complete`` (the inbox, the API);
- WORKER: ``engine.runtime.worker.run_workitem`` (a queue message);
- TIMER: ``engine.runtime.timers.fire_timer`` (the timer loop); a human task
  or a signal wait with a timeout is also woken there;
- SIGNAL: ``engine.runtime.signals.receive_signal`` (``send_signal``, or a
  signal kept from before the run waited);
- CHILD_RUN: ``resume_parent`` below, when the child run completes;
- FIRST: ``engine.runtime.first_of.decide``, when the first of its waits fires.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import router

from engine.core.conditions import resolve_path
from engine.core.durations import DurationError, parse_duration
from engine.core.graph import Activity, ActivityKind
from engine.core.kinds import KINDS
from engine.core.routing import timeout_transitions
from engine.errors import DataTooLarge
from engine.models import (
    IncidentKind,
    Process,
    ProcessInstance,
    RunState,
    Timer,
    TimerKind,
    WorkItem,
    WorkItemCandidate,
    WorkItemState,
)
from engine.runtime import first_of, locks, signals
from engine.runtime.audit import record
from engine.runtime.data import check_size
from engine.runtime.date_timers import date_timer_due
from engine.runtime.statements import Statement, insert_offers

if TYPE_CHECKING:
    from engine.runtime.walk import Walk

Enter = Callable[["Walk", WorkItem, Activity], None]


@dataclass(frozen=True)
class Entry:
    enter: Enter  # how a run enters an activity of the kind
    timers: bool = False  # its workitem may have a timer (dropped when it closes)
    offers: bool = False  # its workitem is offered to candidates (withdrawn when it closes)


def idempotency_key(workitem: WorkItem) -> str:
    """Stable for every attempt of one step: the run and the visit number."""
    return f"waymark-{workitem.instance_id}-{workitem.seq}"


# Passing through ---------------------------------------------------------------------


def enter_passing(walk: Walk, workitem: WorkItem, activity: Activity) -> None:
    """Start and gateways: done on arrival, routed on at once."""
    workitem.state = WorkItemState.COMPLETED
    workitem.completed_at = walk.now
    walk.leave(workitem, WorkItemState.COMPLETED, created=True)


def enter_end(walk: Walk, workitem: WorkItem, activity: Activity) -> None:
    """The end: done on arrival; nothing follows (settle() ends the run)."""
    workitem.state = WorkItemState.COMPLETED
    workitem.completed_at = walk.now
    walk.insert(workitem)
    if activity.fail_reason:
        walk.failing_at = activity  # settle() fails the run (engine.runtime.failing_end)


# Automatic tasks -------------------------------------------------------------------


def enter_automatic(walk: Walk, workitem: WorkItem, activity: Activity) -> None:
    """A READY step, sent to a worker when the transaction commits."""
    workitem.state = WorkItemState.READY
    workitem.dispatched_at = walk.now
    workitem.idempotency_key = idempotency_key(workitem)
    walk.effects.lease_at_insert(workitem)  # the worker's chain goes on with it: no UPDATE
    walk.insert(workitem)
    walk.effects.send(workitem.pk, workitem.lock_version)
    walk.effects.created[workitem.pk] = workitem
    walk.readied = True
    record("workitem.created", walk.run, workitem, status_to=workitem.state)


# Human tasks ----------------------------------------------------------------------


def enter_human(walk: Walk, workitem: WorkItem, activity: Activity) -> None:
    """Assigned to the assignee expression's user, else offered to the candidates."""
    assignee = None
    if activity.assignee:
        assignee = _find_user(resolve_path(activity.assignee, walk.run.data))
    workitem.state = WorkItemState.ASSIGNED if assignee else WorkItemState.OFFERED
    workitem.assignee = assignee
    workitem.claimed_at = walk.now if assignee else None
    for field_name, text in (
        ("sla_warn_at", activity.sla_warn),
        ("sla_breach_at", activity.sla_duration),
    ):
        if text:
            with contextlib.suppress(DurationError):
                setattr(workitem, field_name, walk.now + parse_duration(text))
    timeout = timeout_for(walk, workitem, activity)
    walk.insert(workitem)
    groups = (*activity.allowed_groups, *activity.roles)
    if activity.allowed_users or groups:  # a new workitem has no offers to replace
        set_candidates(workitem, users=activity.allowed_users, groups=groups, replace=False)
    arm_timeout(walk, workitem, timeout)
    record("workitem.created", walk.run, workitem, status_to=workitem.state)
    if assignee is not None:
        record(
            "workitem.assigned",
            walk.run,
            workitem,
            status_to=workitem.state,
            metadata={"assignee": assignee.get_username(), "by": "assignee expression"},
        )


def _find_user(value: Any) -> Any:
    User = get_user_model()
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, int):
        rows = User.objects.filter(pk=value, is_active=True)
    elif isinstance(value, str):
        found = _user_by_name(User, router.db_for_read(User)).first({_NAME: value})
        return None if found is None else found[0]
    else:
        return None
    # One row at most (a key): no ORDER BY, whose compiling first() would add costs
    # a start about as much as the rest of the lookup.
    return next(iter(rows.order_by()[:1]), None)


_NAME = "\x00waymark-user-name\x00"  # stands for the name while the statement is compiled


@lru_cache(maxsize=8)
def _user_by_name(model: Any, alias: str) -> Statement:
    """The active-user-by-name SELECT compiled once (the name is unique: no LIMIT).

    Every human task assigned by expression looks its person up; the ORM built
    the query anew each time, about four times the cost of running it (and a
    raw() query still cost twice the compiled statement's Python).
    """
    rows = model._default_manager.using(alias).filter(
        **{model.USERNAME_FIELD: _NAME}, is_active=True
    )
    return Statement(rows)


def set_candidates(workitem: WorkItem, *, users=(), groups=(), replace: bool = True) -> None:
    """Offer ``workitem`` to these user names and group names (groups are created if new).

    ``replace``: withdraw its current offers first (False for a workitem just inserted).
    """
    if replace:
        _withdraw_offers(workitem)
    names = list(dict.fromkeys(g for g in groups if g))
    users = list(dict.fromkeys(users))
    # Every offer is this row but for its user or group.
    template = WorkItemCandidate(
        workitem=workitem,
        instance_id=workitem.instance_id,
        created_at=workitem.created_at,
        run_started_at=workitem.run_started_at,  # engine.models.involvement
    )
    # One INSERT ... SELECT looks the names up and offers the task (the ORM took a
    # query per group and one for the users, then the INSERT).
    offered = insert_offers(template, users, names)
    if len(offered) == len(names):
        return
    rows = []  # (a group named for the first time: created, then offered)
    for name in names:
        group, _ = Group.objects.get_or_create(name=name)
        if group.pk not in offered:
            row = copy.copy(template)
            row.group = group
            rows.append(row)
    WorkItemCandidate.objects.bulk_create(rows)


def timeout_for(
    walk: Walk, workitem: WorkItem, activity: Activity, extra: timedelta | None = None
) -> str | None:
    """Set ``due_at`` to the earliest timeout out of the activity (or ``extra``, if sooner).

    Before the workitem's INSERT, so its row goes in with it (no UPDATE of the row
    just written). Returns the timeout's transition key ("" for ``extra``), or None
    when nothing times out; ``arm_timeout`` then writes the timer.
    """
    found = timeout_transitions(walk.graph, activity.key)
    choice: tuple[str, timedelta] | None = (found[0][0].key, found[0][1]) if found else None
    if extra is not None and (choice is None or extra < choice[1]):
        choice = ("", extra)
    if choice is None:
        return None
    workitem.due_at = walk.now + choice[1]
    return choice[0]


def arm_timeout(walk: Walk, workitem: WorkItem, transition_key: str | None) -> None:
    """The timer of a timeout ``timeout_for`` chose (none when it returned None)."""
    if transition_key is None or workitem.due_at is None:
        return
    Timer.objects.create(
        instance=walk.run,
        workitem=workitem,
        kind=TimerKind.TIMEOUT,
        due_at=workitem.due_at,
        transition_key=transition_key,
        created_at=walk.now,
    )


# Timers ------------------------------------------------------------------------------


def enter_timer(walk: Walk, workitem: WorkItem, activity: Activity) -> None:
    """Wait until a duration has passed or the date in the data (a Timer row)."""
    workitem.state = WorkItemState.WAITING
    due, problem = _timer_due(walk, activity)
    if due is None:
        workitem.state = WorkItemState.FALLOUT
        walk.fallout(workitem, IncidentKind.DATA, problem, created=True)  # (inserts it)
        return
    workitem.due_at = due
    walk.insert(workitem)
    Timer.objects.create(
        instance=walk.run,
        workitem=workitem,
        kind=TimerKind.TIMER,
        due_at=due,
        created_at=walk.now,
    )
    record(
        "workitem.created",
        walk.run,
        workitem,
        status_to=workitem.state,
        metadata={"due_at": due.isoformat()},
    )


def _timer_due(walk: Walk, activity: Activity):
    """(when the timer is due, "") or (None, what is wrong)."""
    if activity.timer_date_field:  # plus its offset; follows the date (date_timers)
        return date_timer_due(activity, walk.run.data)
    try:
        return walk.now + parse_duration(activity.timer_duration), ""
    except DurationError as exc:
        return None, f"The timer duration {activity.timer_duration!r} is invalid: {exc}"


# Signal waits ------------------------------------------------------------------------


def enter_signal(walk: Walk, workitem: WorkItem, activity: Activity) -> None:
    """Wait for a signal by name and correlation value (or take one kept from before)."""
    workitem.state = WorkItemState.WAITING
    workitem.signal_name = activity.signal_name.strip()
    workitem.correlation_value = signals.correlation_of(activity, walk.run.data)
    extra = None
    if activity.signal_timeout:
        with contextlib.suppress(DurationError):
            extra = parse_duration(activity.signal_timeout)
    timeout = timeout_for(walk, workitem, activity, extra)
    walk.insert(workitem)
    arm_timeout(walk, workitem, timeout)
    record(
        "workitem.created",
        walk.run,
        workitem,
        status_to=workitem.state,
        metadata={"signal": workitem.signal_name, "correlation": workitem.correlation_value},
    )
    signals.take_kept_signal(walk, workitem)


# Subprocesses ------------------------------------------------------------------------


def enter_subprocess(walk: Walk, workitem: WorkItem, activity: Activity) -> None:
    """Start a child run of the named process (of the run's tenant) and wait for it."""
    workitem.state = WorkItemState.WAITING
    walk.insert(workitem)
    record("workitem.created", walk.run, workitem, status_to=workitem.state)
    code = activity.subprocess_code
    # Only a process of the parent's tenant: a definition must not reach across tenants.
    process = Process.objects.filter(code=code, tenant_id=walk.run.tenant_id).first()
    if process is None:
        walk.fallout(
            workitem,
            IncidentKind.SUBPROCESS,
            f"There is no process {code!r} in this run's tenant "
            "to start as a subprocess; a subprocess starts only its own tenant's processes.",
        )
        return
    version = process.published_version()
    if version is None:
        walk.fallout(
            workitem,
            IncidentKind.SUBPROCESS,
            f"The subprocess {code!r} has no published version to start.",
        )
        return
    child = ProcessInstance.objects.create(
        process=process,
        version=version,
        state=RunState.RUNNING,
        data=copy.deepcopy(walk.run.data),
        business_key=walk.run.business_key,
        started_by=walk.run.started_by,
        started_at=walk.now,
        parent_workitem=workitem,
        tenant_id=walk.run.tenant_id,
    )
    locks.saw_state(child)
    record(
        "run.started",
        child,
        metadata={"parent_run": walk.run.pk, "parent_workitem": workitem.pk},
    )
    child_walk = type(walk)(child, walk.effects, actor=walk.actor)
    child_walk.begin()
    child_walk.settle()


def resume_parent(child_walk: Walk) -> None:
    """A child run completed: its data merges into the parent, which moves on."""
    child = child_walk.run
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
    try:
        merged = {**parent.data, **(child.result or {})}
        check_size(merged)
    except DataTooLarge as exc:
        walk.fallout(workitem, IncidentKind.DATA, exc.message)
        walk.settle()
        return
    parent.data = merged
    if walk.leave(workitem, WorkItemState.COMPLETED):
        record(
            "workitem.completed",
            parent,
            workitem,
            status_from=WorkItemState.WAITING,
            status_to=WorkItemState.COMPLETED,
            metadata={"child_run": child.pk},
        )
    walk.settle()


# The table ---------------------------------------------------------------------------

ENTRIES: dict[str, Entry] = {
    ActivityKind.START: Entry(enter_passing),
    ActivityKind.END: Entry(enter_end),
    ActivityKind.EXCLUSIVE: Entry(enter_passing),
    ActivityKind.PARALLEL: Entry(enter_passing),
    ActivityKind.AUTOMATIC: Entry(enter_automatic),
    ActivityKind.HTTP: Entry(enter_automatic),  # sent by a worker (engine.runtime.http_task)
    ActivityKind.HUMAN: Entry(enter_human, timers=True, offers=True),
    ActivityKind.TIMER: Entry(enter_timer, timers=True),
    ActivityKind.SIGNAL: Entry(enter_signal, timers=True),
    ActivityKind.SUBPROCESS: Entry(enter_subprocess),
    ActivityKind.FIRST_OF: Entry(first_of.enter_first_of),
}


def _check_table() -> None:
    # Every kind of the core table has its entry, and a kind that wakes NOTHING
    # there (it passes through) is done on arrival here.
    if set(ENTRIES) != set(KINDS):
        raise AssertionError(f"engine.runtime.kinds: no entry for {set(KINDS) - set(ENTRIES)}")
    for kind, spec in KINDS.items():
        if spec.passes_through and ENTRIES[kind].enter not in (enter_passing, enter_end):
            raise AssertionError(f"engine.runtime.kinds: {kind} must pass through")


_check_table()


def close_extras(workitem: WorkItem, *, timers: bool = True) -> None:
    """A workitem closed: its timers are no longer due and its offers are withdrawn."""
    entry = ENTRIES.get(workitem.activity_kind)
    if entry is None:
        return
    # A human task's only timer is its timeout, armed with its due_at (arm_timeout).
    human_without_timeout = workitem.activity_kind == ActivityKind.HUMAN and not workitem.due_at
    if timers and entry.timers and not human_without_timeout:
        Timer.objects.filter(workitem=workitem, fired_at=None).delete()
    if entry.offers and getattr(workitem, OFFERS_KNOWN, True):
        _withdraw_offers(workitem)


# Set on a workitem read with whether it has offers (engine.services.workitems): a task
# with none (assigned by expression) closes without the DELETE.
OFFERS_KNOWN = "_waymark_has_offers"


def _withdraw_offers(workitem: WorkItem) -> None:
    # One DELETE: no cascades and no delete receivers on offers (the record-trigger
    # receivers are connected only to the models triggers may name, engine.apps).
    WorkItemCandidate.objects.filter(workitem=workitem).delete()
