"""The worker step: runs an automatic task's handler, then records what it did.

``run_workitem`` (the queue task ``engine.tasks.run_workitem``) calls the
handler outside any transaction, then records the result in one transaction
that re-checks, under the run lock, that the workitem is still READY with the
same ``lock_version`` (a duplicate or stale message finds it changed and
does nothing). Then it goes on with the next READY workitem of the chain in
the same process; other new READY workitems (a parallel split) get one queue
message per run between them, a doorbell that each worker claiming one of
them passes on while more wait (``_from_message``), and a worker whose branch
ends runs on with a waiting sibling (``_take_sibling``).

A step being run is leased to its worker, which renews the lease while the
handler runs (``engine.runtime.leases``); the reconciler counts a step whose
lease lapsed as a failed attempt (its worker died: ``record_dead_worker``).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import traceback as tb
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import random

from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from engine import handlers
from engine.conf import waymark_setting
from engine.core.graph import Activity, ActivityKind
from engine.errors import DataTooLarge
from engine.models import (
    IncidentKind,
    ProcessInstance,
    RunState,
    Timer,
    TimerKind,
    Version,
    WorkItem,
    WorkItemState,
)
from engine.runtime import audit, http_task, leases, scheduler, siblings
from engine.runtime.audit import record
from engine.runtime.data import check_size, jsonable
from engine.runtime.effects import Effects
from engine.runtime.kinds import idempotency_key
from engine.runtime.locks import ACTIVE_RUN, bump, lock_run_with, lock_workitem
from engine.runtime.statements import StaleRow, save_fields
from engine.runtime.walk import Walk

log = logging.getLogger("engine.executor")  # (the name these logs have always had)

CHAIN_LIMIT = 1000  # steps one worker task takes inline before it queues the rest
# Run states after a step in which other READY steps may wait (a failed run's other
# branches still run): the free worker takes one on (``_take_sibling``).
SIBLINGS_MAY_WAIT = (RunState.RUNNING, RunState.FAILED)


@dataclass(frozen=True)
class NextStep:
    """The step a chain goes on with: its id and version, and the row when it is at hand."""

    workitem_id: int
    lock_version: int | None
    known: WorkItem | None = None  # as the previous step committed it, leased to this worker


@dataclass(frozen=True)
class StepResult:
    """What one step did: ``recorded`` False when it did nothing (duplicate, stale, paused)."""

    recorded: bool
    next: NextStep | None = None


SKIPPED = StepResult(recorded=False)


def run_workitem(workitem_id: int, lock_version: int | None = None) -> int:
    """Run an automatic workitem and the chain after it; returns the steps recorded."""
    current: NextStep | None = NextStep(workitem_id, lock_version)
    steps = 0
    while current is not None:
        if steps >= CHAIN_LIMIT:
            scheduler.dispatch_now(
                "engine.tasks.run_workitem", current.workitem_id, current.lock_version
            )
            break
        try:
            # The step after this one is leased for this worker only if it runs it too.
            result = _run_step(current, lease_next=steps + 1 < CHAIN_LIMIT)
        finally:
            # Also when the handler let an exception through that ends the worker:
            # the heartbeat must not keep renewing a step that nobody runs.
            leases.heartbeat.release(current.workitem_id)
        if not result.recorded:
            break
        steps += 1
        current = result.next
    return steps


def _run_step(step: NextStep, *, lease_next: bool = True) -> StepResult:
    """One step: run its handler, then record the result.

    ``step.known`` is the workitem as the previous step of the chain committed
    it (saves reading it back; the check under the lock still decides),
    already leased to this worker. ``lease_next``: lease the step the chain
    goes on with to this worker (when it will run it, not queue it).
    """
    workitem = _take(step)
    if workitem is None:
        return SKIPPED
    expected = workitem.lock_version
    leases.heartbeat.hold(workitem.pk, expected)  # renewed while the handler runs
    try:
        activity = Version.graph_of(workitem.instance.version_id).activity(workitem.activity_key)
        result, error, trace = _call_handler(workitem, activity)
    finally:
        # (Also when the handler let an exception through that ends the worker; the
        # step may be a sibling the message took, not the one it named.)
        leases.heartbeat.release(workitem.pk)
    try:
        return _record(workitem, activity, expected, result, error, trace, lease_next=lease_next)
    except DatabaseError:
        # Transient (deadlock, restart): give the step back so the reconciler
        # sends it again without counting an attempt (best effort: if the database
        # is gone too, the lease lapses and the step costs an attempt instead).
        with contextlib.suppress(Exception):
            WorkItem.objects.filter(pk=workitem.pk, lock_version=expected).update(
                lease_expires_at=None
            )
        raise
    except Exception as exc:
        log.exception("engine error recording workitem %s", workitem.pk)
        _record_engine_error(workitem.pk, expected, exc)
        return SKIPPED


def _take(step: NextStep) -> WorkItem | None:
    """The workitem this worker runs for ``step``, held by it; None when there is none.

    A step the chain goes on with (``step.known``) was leased to this worker in
    the previous step's commit. A step named by a queue message is claimed, or,
    when it is taken, done or stale, an unclaimed READY sibling instead
    (``_from_message``).
    """
    workitem = step.known
    if workitem is None:
        return _from_message(step)
    if (
        workitem.state != WorkItemState.READY
        or (step.lock_version is not None and workitem.lock_version != step.lock_version)
        or workitem.instance.state not in ACTIVE_RUN
    ):
        return None
    return workitem


def _from_message(step: NextStep) -> WorkItem | None:
    """Claim the message's step, or an unclaimed READY step of its run; ring on if more wait.

    A split's new steps share one message per run (a doorbell:
    ``scheduler.dispatch_steps``), so a message stands for its run's READY
    steps that no worker holds, not only for the one it names: when that one
    is taken or done (a free worker ran it on), the message claims the next
    unclaimed sibling, by the same compare-and-set, instead of doing nothing.
    A worker that claims a step while the run has another unclaimed READY
    step sends one more message (``scheduler.ring``), so a wide split reaches
    one more idle worker with each claim. Steps of other runs are never taken.
    """
    rows = siblings.with_free_siblings(step.workitem_id)
    own = rows[0] if rows and rows[0].pk == step.workitem_id else None
    if own is None:
        log.info("workitem %s is gone: nothing to do", step.workitem_id)
        return None
    if own.instance.state not in ACTIVE_RUN:
        return None
    free = rows[1:]  # READY steps of the run that no worker holds, in order
    if siblings.is_free(own, step.lock_version):
        free.insert(0, own)
    for position, workitem in enumerate(free):
        if not _claim(workitem):
            log.info("workitem %s: another worker took this step", workitem.pk)
            continue
        if position + 1 < len(free):
            waiting = free[position + 1]
            scheduler.ring(waiting.pk, waiting.lock_version)
        return workitem
    return None


def _call_handler(workitem: WorkItem, activity: Activity):
    """(result, None, None), or (None, error, traceback) when the handler failed."""
    run = workitem.instance
    ctx = handlers.HandlerContext(
        data=copy.deepcopy(run.data),
        instance_id=run.pk,
        workitem_id=workitem.pk,
        activity_key=workitem.activity_key,
        idempotency_key=workitem.idempotency_key or idempotency_key(workitem),
        attempt=workitem.attempts + 1,
        business_key=run.business_key,
    )
    try:
        result = handlers.as_result(_step_function(activity)(ctx))
        result.data = jsonable(result.data)
    except handlers.FAILURES as exc:  # the handler's failure is data: recorded, never raised
        return None, handlers.describe_failure(exc), tb.format_exc()
    return result, None, None


def _step_function(activity: Activity):
    """What a worker calls for the step: the HTTP request, or the registered handler."""
    if activity.kind == ActivityKind.HTTP:
        return http_task.handler_for(activity)
    return handlers.resolve(activity.handler)


def _record(
    workitem: WorkItem,
    activity: Activity,
    expected: int,
    result: handlers.HandlerResult | None,
    error: str | None,
    trace: str | None,
    *,
    lease_next: bool,
) -> StepResult:
    """Record the handler's result, if the step is still as the handler got it."""
    effects = Effects()
    try:
        with transaction.atomic(), audit.batch():  # the step's events: one INSERT
            run, state, version = lock_run_with(workitem.instance_id, workitem.pk)
            if state != WorkItemState.READY or version != expected or run.state not in ACTIVE_RUN:
                return SKIPPED
            # Unchanged since it was read (every change bumps lock_version).
            workitem.instance = run
            if lease_next:
                effects.lease_first = (run.pk, leases.lease_until())
            walk = Walk(run, effects)
            if result is not None:
                _record_success(walk, workitem, result)
            else:
                _record_failure(walk, workitem, activity, error or "", trace or "")
            walk.settle()
            following = _next_inline(effects, run.pk)
            if following is None and lease_next and walk.settled_state in SIBLINGS_MAY_WAIT:
                following = _take_sibling(run)  # a parallel branch left: run it on here
            known = following.known if following is not None else None
            if known is not None and lease_next and known.lease_expires_at is None:
                _lease(known)  # taken in this commit: no other worker can claim it
            effects.schedule(keep=following.workitem_id if following else None)
    except StaleRow:
        # Changed by another transaction while this one waited for the run's lock
        # (seen by the workitem UPDATE's compare-and-set): rolled back, as if stale.
        log.info("step %s changed while its result waited for the run lock", workitem.pk)
        return SKIPPED
    return StepResult(recorded=True, next=following)


def _claim(workitem: WorkItem) -> bool:
    """Take a step that came from a queue message, before running its handler.

    Two copies of one message (a duplicate delivery, a re-send racing a slow
    original) would otherwise both run the handler; the compare-and-set on
    ``lock_version`` lets exactly one through, and a step another worker
    holds a lease on is never taken (a message without a version, such as an
    old ``forward``, cannot take a running step). The claim leases the step
    to this worker (see ``engine.runtime.leases``): if the worker dies, the
    lease lapses and the reconciler counts a failed attempt. A step the chain
    continues with in-process needs no claim: it was leased when the
    previous step was recorded, and no message for it was sent.
    """
    now = timezone.now()
    lease = leases.lease_until(now)
    claimed = WorkItem.objects.filter(
        pk=workitem.pk,
        state=WorkItemState.READY,
        lock_version=workitem.lock_version,
        lease_expires_at=None,
    ).update(lock_version=F("lock_version") + 1, dispatched_at=now, lease_expires_at=lease)
    if claimed:
        workitem.lock_version += 1
        workitem.lease_expires_at = lease
    return bool(claimed)


def _lease(workitem: WorkItem) -> None:
    """Lease a READY step to this worker inside the transaction that made it READY."""
    workitem.lease_expires_at = leases.lease_until()
    save_fields(workitem, ["lease_expires_at"])


def _take_sibling(run: ProcessInstance) -> NextStep | None:
    """Another READY step of the run that no worker holds, leased to this worker.

    A parallel branch that ends at a join (or a step that ends its branch)
    leaves the run's other READY steps to their queue messages; this worker is
    free anyway, so it takes one of them in the same commit, by the compare-
    and-set a claim makes (never a step another worker holds: on PostgreSQL a
    concurrent claim waits for this row and then finds it leased). The step's
    message, when a worker gets it, finds the step taken (or done) and does
    nothing; if this worker dies, the lease lapses as for any step it runs.
    """
    sibling = (
        WorkItem.objects.filter(
            instance_id=run.pk, state=WorkItemState.READY, lease_expires_at=None
        )
        .order_by("seq")
        .first()
    )
    if sibling is None:
        return None
    lease = leases.lease_until()
    taken = WorkItem.objects.filter(
        pk=sibling.pk,
        state=WorkItemState.READY,
        lock_version=sibling.lock_version,
        lease_expires_at=None,
    ).update(lease_expires_at=lease)
    if not taken:
        return None
    sibling.lease_expires_at = lease
    sibling.instance = run
    return NextStep(sibling.pk, sibling.lock_version, sibling)


def _next_inline(effects: Effects, run_id: int) -> NextStep | None:
    """The first step this transaction made READY: the chain goes on with it here."""
    if not effects.ready:
        return None
    pk, lock_version = effects.ready[0]
    known = effects.created.get(pk)
    if known is not None and known.instance_id != run_id:
        known = None  # another run's (a subprocess): read it back
    return NextStep(pk, lock_version, known)


def _record_success(walk: Walk, workitem: WorkItem, result: handlers.HandlerResult) -> None:
    run = walk.run
    try:
        merged = {**run.data, **result.data}
        check_size(merged)
    except DataTooLarge as exc:
        walk.fallout(workitem, IncidentKind.DATA, exc.message)
        return
    run.data = merged
    if result.outcome is not None:
        run.condition = str(result.outcome)[:200]
    if walk.leave(
        workitem,
        WorkItemState.COMPLETED,
        outcome=(result.outcome or "")[:200],
        lease_expires_at=None,
    ):
        record(
            "workitem.completed",
            run,
            workitem,
            status_from=WorkItemState.READY,
            status_to=WorkItemState.COMPLETED,
            metadata={"attempt": workitem.attempts + 1, "outcome": result.outcome},
        )


def retry_delay(activity: Activity, attempt: int) -> float:
    """Seconds before the next attempt: exponential backoff with up to 10% jitter."""
    delay = activity.retry.delay(attempt)
    return delay + delay * 0.1 * random()


def _record_failure(
    walk: Walk, workitem: WorkItem, activity: Activity, error: str, trace: str
) -> None:
    """A failed attempt: retried later (a RETRY timer), or fallen out after the last."""
    run = walk.run
    workitem.attempts += 1
    workitem.lease_expires_at = None  # READY again later: free for the next claim
    workitem.error = error[:10_000]
    workitem.traceback = trace[-20_000:]
    if workitem.attempts >= max(activity.retry.max_attempts, 1):
        walk.fallout(
            workitem,
            IncidentKind.HANDLER,
            f"{activity.label!r} failed {workitem.attempts} time(s); last error: {workitem.error}",
            trace=workitem.traceback,
        )
        if activity.compensation_handler and waymark_setting("COMPENSATION_AUTO"):
            walk.effects.compensate.append(workitem.pk)
        return
    workitem.state = WorkItemState.RETRY
    workitem.next_attempt_at = walk.now + timedelta(
        seconds=retry_delay(activity, workitem.attempts)
    )
    bump(workitem)
    Timer.objects.create(
        instance=run,
        workitem=workitem,
        kind=TimerKind.RETRY,
        due_at=workitem.next_attempt_at,
        created_at=walk.now,
    )
    record(
        "workitem.failed",
        run,
        workitem,
        status_from=WorkItemState.READY,
        status_to=WorkItemState.RETRY,
        metadata={
            "attempt": workitem.attempts,
            "error": workitem.error[:2000],
            "next_attempt_at": workitem.next_attempt_at.isoformat(),
        },
    )


def _record_engine_error(workitem_id: int, expected: int, exc: Exception) -> None:
    """Recording failed for a reason of the engine's own: the step falls out, visibly."""
    effects = Effects()
    with transaction.atomic():
        locked = lock_workitem(workitem_id, states=[WorkItemState.READY], version=expected)
        if locked is None:
            return
        run, workitem = locked
        walk = Walk(run, effects)
        walk.fallout(
            workitem, IncidentKind.ENGINE, f"{type(exc).__name__}: {exc}", trace=tb.format_exc()
        )
        walk.settle()
        effects.schedule()


def record_dead_worker(workitem_id: int, now: datetime | None = None) -> bool:
    """Count a failed attempt for a READY step whose lease lapsed; False if it had not.

    The worker that held the step died (exit, segfault, SIGKILL, the queue's
    timeout) or stopped renewing its lease: like a handler that raised, the
    step is retried per the activity's retry policy and falls out (an
    incident) after its last attempt. Recording bumps ``lock_version``, so a
    worker that was only stalled records nothing when it wakes up.
    """
    now = now or timezone.now()
    effects = Effects()
    with transaction.atomic():
        locked = lock_workitem(workitem_id, states=[WorkItemState.READY], active=True)
        if locked is None:
            return False
        run, workitem = locked
        lapsed = workitem.lease_expires_at
        if lapsed is None or lapsed >= now:
            return False
        walk = Walk(run, effects)
        walk.now = now
        log.warning("workitem %s: its worker died (lease expired): a failed attempt", workitem_id)
        note = (
            "No traceback: the worker process ended (or stalled) while it ran the handler; "
            f"its lease on the step ran out at {lapsed.isoformat()} without being renewed."
        )
        _record_failure(walk, workitem, workitem.activity, leases.DEAD_WORKER_ERROR, note)
        walk.settle()
        effects.schedule()
    return True
