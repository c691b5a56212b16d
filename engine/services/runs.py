"""Runs: start, cancel, suspend, resume, retry, compensate, edit data.

Each function runs in one transaction holding the run's lock, checks the
move against engine.core.states, records audit events, and queues automatic
work only when the transaction commits. ``user=None`` means the system (a
script, a task): no permission check. Pass the acting user from every door
that a person uses.
"""

from __future__ import annotations

import copy
import json
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from engine import permissions, schemas
from engine.core.states import IllegalMove, check_move
from engine.errors import (
    Conflict,
    InvalidData,
    NotPublished,
    RunNotActive,
    UnknownProcess,
)
from engine.models import (
    Incident,
    IncidentKind,
    Process,
    ProcessInstance,
    RunState,
    Timer,
    Token,
    Version,
    WorkItem,
    WorkItemCandidate,
    WorkItemState,
)
from engine.models.runtime import OPEN_STATES
from engine.runtime import scheduler
from engine.runtime import signals as waits
from engine.runtime.audit import record
from engine.runtime.data import check_size, jsonable
from engine.runtime.date_timers import rearm_date_timers
from engine.runtime.effects import Effects, make_ready
from engine.runtime.locks import ACTIVE_RUN, bump, lock_run, lock_workitem
from engine.runtime.starts import start_or_join
from engine.runtime.walk import Walk
from engine.services import idempotency, processes, run_data

MAX_BUSINESS_KEY = 200


def schema_errors(schema: dict, data: Any) -> list[dict]:
    """Problems of ``data`` against a JSON Schema, as {"path", "message"} pairs.

    engine.schemas never fetches a reference and matches patterns in linear time.
    """
    return schemas.validate(schema or {}, data)


def clean_data(data: Any, schema: dict | None = None, *, what: str = "run data") -> dict:
    """``data`` as a JSON object that satisfies ``schema`` and the size cap, or InvalidData."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidData(f"The {what} must be a JSON object, not {type(data).__name__}.")
    try:
        data = jsonable(data)
        # NaN and infinity are not JSON: PostgreSQL would refuse them later.
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidData(f"The {what} cannot be stored as JSON: {exc}") from exc
    # Defaults the schema declares are part of the data the run (or the task) keeps.
    data = schemas.apply_defaults(schema or {}, data)
    check_size(data)
    errors = schema_errors(schema or {}, data)
    if errors:
        listed = "; ".join(f"{e['path'] or '(top)'}: {e['message']}" for e in errors[:5])
        raise InvalidData(f"The {what} does not match the schema: {listed}", errors)
    return data


# Start --------------------------------------------------------------------------------


class Started(NamedTuple):
    """What a start did: ``created`` is False when it returned an active singleton run."""

    run: ProcessInstance
    created: bool


def start(
    process: str | Process,
    data: dict | None = None,
    *,
    business_key: str = "",
    user=None,
    idempotency_key: str | None = None,
) -> Started:
    """Start a run of the process's published version and walk it until it waits.

    When the process has a ``singleton_key`` and an active run already holds
    the start data's value there, no run is made: that run is returned with
    ``created=False`` and a ``run.start_deduplicated`` audit event (see
    engine.runtime.singletons). Automatic steps are queued when the
    transaction commits; none runs here. Raises UnknownProcess, NotPublished,
    InvalidData (with ``.errors``; also for a missing singleton value) or
    DataTooLarge; on error nothing is written. With an ``idempotency_key``, a
    run an earlier start with that key made is returned (``created=False``),
    or IdempotencyKeyReused when that start's data or business key differed
    (engine.services.idempotency).
    """
    found, version = _startable(process)
    business_key = (business_key or "").strip()
    if len(business_key) > MAX_BUSINESS_KEY:
        raise InvalidData(f"A business key is at most {MAX_BUSINESS_KEY} characters.")
    key = idempotency.clean_key(idempotency_key)
    data = clean_data(data, found.input_schema)
    effects = Effects()

    def begin(into: Effects) -> tuple[ProcessInstance, bool]:
        return start_or_join(version, data, business_key=business_key, user=user, effects=into)

    with transaction.atomic():
        if key is None:
            run, created = begin(effects)
        else:
            digest = idempotency.fingerprint(data, business_key)
            run, created = idempotency.start_once(found, key, digest, begin, effects)
        effects.schedule()
    return Started(run, created)


def start_run(
    process: str | Process,
    data: dict | None = None,
    *,
    business_key: str = "",
    user=None,
) -> ProcessInstance:
    """``start(...).run``: the new run, or the active singleton run the start matched."""
    return start(process, data, business_key=business_key, user=user).run


def _startable(process: str | Process) -> tuple[Process, Version]:
    code = process.code if isinstance(process, Process) else str(process or "").strip()
    found, version = processes.published(code)  # cached per process (see there)
    if found is None:
        raise UnknownProcess(f"There is no process with the code {code!r}.")
    if version is None:
        raise NotPublished(
            f"The process {code!r} has no published version, so it cannot be started. "
            "Publish a version first (drafts never run)."
        )
    return found, version


# Cancel, suspend, resume ----------------------------------------------------------------


def _locked(run: ProcessInstance | int) -> ProcessInstance:
    return lock_run(run.pk if isinstance(run, ProcessInstance) else int(run))


def cancel_run(run: ProcessInstance | int, *, user=None, reason: str = "") -> ProcessInstance:
    """Cancel a run: its open workitems are cancelled, its timers dropped, its child runs too."""
    permissions.require(user, permissions.MANAGE_RUNS, "cancel runs")
    effects = Effects()
    with transaction.atomic():
        run = _cancel_locked(_locked(run), user=user, reason=reason, effects=effects)
        effects.schedule()
    return run


def _cancel_locked(run: ProcessInstance, *, user, reason: str, effects: Effects) -> ProcessInstance:
    try:
        check_move("run", run.state, RunState.CANCELLED)
    except IllegalMove as exc:
        raise RunNotActive(f"This run is {run.state}; it cannot be cancelled.") from exc
    now = timezone.now()
    previous = run.state
    open_items = list(WorkItem.objects.filter(instance=run, state__in=OPEN_STATES))
    for workitem in open_items:
        old = workitem.state
        workitem.state = WorkItemState.CANCELLED
        workitem.completed_at = now
        bump(workitem, "state", "completed_at")
        record(
            "workitem.cancelled",
            run,
            workitem,
            actor=user,
            status_from=old,
            status_to=WorkItemState.CANCELLED,
        )
    ids = [w.pk for w in open_items]
    Timer.objects.filter(workitem_id__in=ids, fired_at=None).delete()
    WorkItemCandidate.objects.filter(workitem_id__in=ids).delete()
    Token.objects.filter(instance=run, consumed_at=None).update(consumed_at=now)
    Incident.objects.filter(instance=run, resolved_at=None).update(
        resolved_at=now, resolved_by=user if getattr(user, "is_authenticated", False) else None
    )
    run.state = RunState.CANCELLED
    run.ended_at = now
    bump(run)
    record(
        "run.cancelled",
        run,
        actor=user,
        status_from=previous,
        status_to=RunState.CANCELLED,
        metadata={"reason": reason} if reason else {},
    )
    children = ProcessInstance.objects.filter(parent_workitem_id__in=ids).exclude(
        state__in=[RunState.COMPLETED, RunState.CANCELLED, RunState.FAILED_AT_END]
    )
    for child in children.values_list("pk", flat=True):
        _cancel_locked(
            lock_run(child), user=user, reason=f"parent run {run.pk} cancelled", effects=effects
        )
    if run.parent_workitem_id:
        _child_gave_up(run, effects, reason or "the subprocess run was cancelled")
    return run


def _child_gave_up(child: ProcessInstance, effects: Effects, reason: str) -> None:
    """A child run was cancelled: the parent's waiting workitem falls out (an incident)."""
    parent_item = WorkItem.objects.filter(pk=child.parent_workitem_id).first()
    if parent_item is None or parent_item.state != WorkItemState.WAITING:
        return
    locked = lock_workitem(
        parent_item.pk,
        run_id=parent_item.instance_id,
        states=[WorkItemState.WAITING],
        active=True,
    )
    if locked is None:
        return
    parent, workitem = locked
    walk = Walk(parent, effects)
    walk.fallout(workitem, IncidentKind.SUBPROCESS, f"Subprocess run {child.pk}: {reason}.")
    walk.settle()


def suspend_run(run: ProcessInstance | int, *, user=None, reason: str = "") -> ProcessInstance:
    """Pause a run: no step, timer or signal moves it until it is resumed."""
    permissions.require(user, permissions.MANAGE_RUNS, "suspend runs")
    with transaction.atomic():
        run = _locked(run)
        try:
            check_move("run", run.state, RunState.SUSPENDED)
        except IllegalMove as exc:
            raise RunNotActive(f"This run is {run.state}; it cannot be suspended.") from exc
        previous = run.state
        run.suspended_from = previous
        run.state = RunState.SUSPENDED
        bump(run)
        record(
            "run.suspended",
            run,
            actor=user,
            status_from=previous,
            status_to=RunState.SUSPENDED,
            metadata={"reason": reason} if reason else {},
        )
    return run


def resume_run(run: ProcessInstance | int, *, user=None) -> ProcessInstance:
    """Resume a suspended run; ready steps are queued again, overdue timers fire."""
    permissions.require(user, permissions.MANAGE_RUNS, "resume runs")
    effects = Effects()
    with transaction.atomic():
        run = _locked(run)
        if run.state != RunState.SUSPENDED:
            raise Conflict(f"This run is {run.state}, not suspended.")
        run.state = run.suspended_from or RunState.RUNNING
        run.suspended_from = ""
        walk = Walk(run, effects, actor=user)
        _redispatch_ready(run, effects)
        waits.take_kept_signals(walk)  # signals kept while it was suspended (of its tenant)
        state = walk.settle()
        record("run.resumed", run, actor=user, status_from=RunState.SUSPENDED, status_to=state)
        effects.schedule()
    return run


def _redispatch_ready(run: ProcessInstance, effects: Effects) -> None:
    now = timezone.now()
    for workitem in WorkItem.objects.filter(instance=run, state=WorkItemState.READY):
        make_ready(workitem, effects, now)  # a worker that held it lost it with the suspension


# Retry and compensation -----------------------------------------------------------------


def retry_workitem(workitem: WorkItem | int, *, user=None) -> WorkItem:
    """Try a fallen-out workitem again (or a waiting retry now); its incident is resolved.

    A step that fell out because the run could not route on (or ran out of
    steps) is routed again; a handler that failed runs again with the same
    idempotency key.
    """
    permissions.require(user, permissions.MANAGE_RUNS, "retry workitems")
    pk = workitem.pk if isinstance(workitem, WorkItem) else int(workitem)
    effects = Effects()
    with transaction.atomic():
        locked = lock_workitem(pk)
        if locked is None:
            raise Conflict("This workitem no longer exists.")
        run, workitem = locked
        if run.state not in ACTIVE_RUN:
            raise RunNotActive(f"This run is {run.state}; resume it before retrying.")
        if workitem.state not in (WorkItemState.FALLOUT, WorkItemState.RETRY):
            raise Conflict(
                f"Only a fallen-out workitem can be retried; this one is {workitem.state}."
            )
        _retry_locked(run, workitem, user=user, effects=effects)
        effects.schedule()
    return workitem


def _retry_locked(run: ProcessInstance, workitem: WorkItem, *, user, effects: Effects) -> None:
    now = timezone.now()
    incidents = list(Incident.objects.filter(workitem=workitem, resolved_at=None))
    resolved_by = user if getattr(user, "is_authenticated", False) else None
    Incident.objects.filter(pk__in=[i.pk for i in incidents]).update(
        resolved_at=now, resolved_by=resolved_by
    )
    kinds = {i.kind for i in incidents}
    previous = workitem.state
    walk = Walk(run, effects, actor=user)
    if run.state == RunState.FAILED:
        run.state = RunState.RUNNING  # settle() decides again below
    if IncidentKind.STEP_BUDGET in kinds:
        run.step_count = 0
    if previous == WorkItemState.RETRY or (
        workitem.activity_kind in ("automatic", "http")
        and IncidentKind.ROUTING not in kinds
        and IncidentKind.STEP_BUDGET not in kinds
    ):
        # Run the handler again (same idempotency key).
        Timer.objects.filter(workitem=workitem, fired_at=None).delete()
        workitem.attempts = 0
        make_ready(workitem, effects, now, "attempts")
    elif IncidentKind.ROUTING in kinds:
        # The step itself was done; route on (with data fixed in the meantime).
        walk.leave(workitem, WorkItemState.COMPLETED, error="", traceback="")
    else:
        # It fell out on arrival (bad timer date, no subprocess, step budget): visit again.
        workitem.state = WorkItemState.CANCELLED
        workitem.completed_at = now
        bump(workitem, "state", "completed_at")
        walk.revisit(workitem.activity_key, workitem.arrived_via)
    record(
        "workitem.retried",
        run,
        workitem,
        actor=user,
        status_from=previous,
        status_to=workitem.state,
        metadata={"incidents": [i.pk for i in incidents]},
    )
    walk.settle()


def retry_run(run: ProcessInstance | int, *, user=None) -> ProcessInstance:
    """Retry every fallen-out workitem of a run."""
    permissions.require(user, permissions.MANAGE_RUNS, "retry runs")
    effects = Effects()
    with transaction.atomic():
        run = _locked(run)
        if run.state not in ACTIVE_RUN:
            raise RunNotActive(f"This run is {run.state}; resume it before retrying.")
        items = list(WorkItem.objects.filter(instance=run, state=WorkItemState.FALLOUT))
        if not items:
            raise Conflict("Nothing in this run has fallen out.")
        for workitem in items:
            run = lock_run(run.pk)
            _retry_locked(run, WorkItem.objects.get(pk=workitem.pk), user=user, effects=effects)
        effects.schedule()
    return ProcessInstance.objects.get(pk=run.pk)


def compensate(workitem: WorkItem | int, *, user=None) -> None:
    """Run a fallen-out workitem's compensation handler (in a worker, once)."""
    permissions.require(user, permissions.MANAGE_RUNS, "compensate workitems")
    pk = workitem.pk if isinstance(workitem, WorkItem) else int(workitem)
    row = WorkItem.objects.select_related("instance").filter(pk=pk).first()
    if row is None:
        raise Conflict("This workitem no longer exists.")
    if row.state != WorkItemState.FALLOUT:
        raise Conflict(f"Only a fallen-out workitem can be compensated; this one is {row.state}.")
    if row.compensated_at:
        raise Conflict("This workitem was already compensated.")
    activity = row.activity
    if not activity.compensation_handler:
        raise Conflict(f"{activity.label!r} has no compensation handler.")
    with transaction.atomic():
        scheduler.dispatch("engine.tasks.compensate_workitem", pk)


def update_run_data(
    run: ProcessInstance | int, changes: dict, *, user=None, replace: bool = False
) -> ProcessInstance:
    """Change a run's data (fix variables before a retry); keys in ``changes`` are merged."""
    permissions.require(user, permissions.MANAGE_RUNS, "edit run data")
    with transaction.atomic():
        run = _locked(run)
        if run.is_finished:
            raise RunNotActive(f"This run is {run.state}; its data can no longer change.")
        changes = clean_data(changes, None, what="data change")
        run_data.check_change(run.process.input_schema, changes, replace=replace)
        before = copy.deepcopy(run.data)
        data = changes if replace else {**run.data, **changes}
        check_size(data)
        run.data = data
        bump(run)
        rearm_date_timers(run, Version.graph_of(run.version_id))  # open timers follow dates
        record(
            "run.data_changed",
            run,
            actor=user,
            metadata={
                "changed": sorted(k for k in data if before.get(k) != data.get(k)),
                "removed": sorted(k for k in before if k not in data),
            },
        )
    return run
