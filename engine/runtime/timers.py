"""Timers: the precise timer loop, and firing one timer.

Django-Q2's scheduler ticks about every 30 seconds and ``async_task`` has no
ETA, so what is due lives in the ``Timer`` table (indexed on ``due_at`` for
unfired rows) and this loop polls it every ``WAYMARK_TIMER_POLL_SECONDS``
(0.5 s), sleeping less when the next timer is nearer. Each timer fires in its
own savepoint holding its run's lock; the run's row is taken with ``SKIP
LOCKED`` on PostgreSQL, so several loops (one per machine, for availability)
share the work without waiting on each other, and a timer is fired once:
``fired_at`` is set in the same transaction as its effect. Firing only
changes state and queues automatic work; no handler runs here.

Three kinds of timer: a timer activity's wait (TIMER), a human task's or a
signal wait's timeout (TIMEOUT), and the backoff before a failed step's next
attempt (RETRY). ``FIRE`` is the table of what each one does.

The loop also fires due schedule triggers (engine.runtime.triggers) and
date_event triggers (engine.runtime.date_events), with the same once-only
guarantee across loops. It also runs housekeeping every few seconds (``manage.py
waymark_timers`` passes the reconciler sweep, ``engine.services.scans.reconcile``);
the Django-Q2 timeout scan is a slower safety net.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from django.db import close_old_connections, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from engine.conf import waymark_setting
from engine.models import ProcessInstance, Timer, TimerKind, WorkItem, WorkItemState
from engine.runtime import audit, scheduler, worker
from engine.runtime.audit import record
from engine.runtime.date_events import fire_due_date_events, next_date_event_in
from engine.runtime.effects import Effects, make_ready
from engine.runtime.locks import ACTIVE_RUN, get_workitem, try_lock_run
from engine.runtime.statements import mark_timer_fired
from engine.runtime.triggers import fire_due_schedules, next_schedule_in
from engine.runtime.walk import Walk

log = logging.getLogger("engine.timers")

BATCH = 1000
FIRE_BATCH = 50  # timers per commit at most
FIRE_BATCH_SECONDS = 0.2  # ... and a batch commits after this long at most
HANDOFF_SECONDS = 0.5  # a worker running a batch's steps queues the rest after this long
RUN_FIRED_STEPS = "engine.tasks.run_fired_steps"
TIMER_COLUMNS = ("id", "instance_id", "workitem_id", "kind", "due_at", "transition_key")
TIMEOUT_OUTCOME = "TIMEOUT"  # instance.condition after a signal wait timed out
TIMEOUT_STATES = (WorkItemState.OFFERED, WorkItemState.ASSIGNED, WorkItemState.WAITING)


# Firing one timer ---------------------------------------------------------------------


def fire_timer(
    timer_id: int,
    now: datetime | None = None,
    *,
    row: dict | None = None,
    steps: list[list[int]] | None = None,
) -> bool:
    """Fire one due timer in its own transaction; False when it was not (or no longer) due.

    ``row`` is the timer's columns as the poll read them (saves reading them again).
    ``steps``: the caller sends the steps this fire makes READY itself, in one
    message for its whole batch (``fire_due``): [workitem id, lock_version]
    pairs are added to it once this fire's transaction (or savepoint) is done;
    without it each step is its own message, sent on commit.
    """
    now = now or timezone.now()
    if row is None:
        row = Timer.objects.filter(pk=timer_id, fired_at=None).values(*TIMER_COLUMNS).first()
        if row is None:
            return False
    timer = Timer(**row)
    effects = Effects()
    ready: list[tuple[int, int]] = []
    with transaction.atomic(), audit.batch():  # the fire's events: one INSERT
        run = try_lock_run(timer.instance_id)
        if run is None:  # another worker holds this run: the next poll will fire it
            return False
        if run.state not in ACTIVE_RUN:
            return False
        if not mark_timer_fired(timer.pk, now):
            return False
        workitem = get_workitem(timer.workitem_id)
        walk = Walk(run, effects)
        walk.now = now
        FIRE[timer.kind](walk, timer, workitem)
        walk.settle()
        if steps is not None:
            ready, effects.ready = effects.ready, []
        effects.schedule()
    if steps is not None:  # (only now: a fire rolled back to its savepoint sends nothing)
        steps.extend([pk, version] for pk, version in ready)
    return True


def _fire_retry(walk: Walk, timer: Timer, workitem: WorkItem) -> None:
    """The backoff is over: the failed step is READY for its next attempt."""
    if workitem.state == WorkItemState.RETRY:
        make_ready(workitem, walk.effects, walk.now)


def _fire_wait(walk: Walk, timer: Timer, workitem: WorkItem) -> None:
    """A timer activity's time has come: the run moves on."""
    if workitem.state == WorkItemState.WAITING and walk.leave(
        workitem, WorkItemState.COMPLETED, timer_fired=True
    ):
        record(
            "workitem.completed",
            walk.run,
            workitem,
            status_from=WorkItemState.WAITING,
            status_to=WorkItemState.COMPLETED,
            metadata={"timer": True},
        )


def _fire_timeout(walk: Walk, timer: Timer, workitem: WorkItem) -> None:
    """A task or a signal wait timed out: it closes and the run takes its timeout path."""
    if workitem.state not in TIMEOUT_STATES:
        return
    previous = workitem.state
    if timer.transition_key:
        transitions = [walk.graph.transitions[timer.transition_key]]
    else:
        walk.run.condition = TIMEOUT_OUTCOME
        transitions = None
    if walk.leave(workitem, WorkItemState.TIMED_OUT, transitions=transitions, timer_fired=True):
        record(
            "workitem.timed_out",
            walk.run,
            workitem,
            status_from=previous,
            status_to=WorkItemState.TIMED_OUT,
            transition_key=timer.transition_key,
            metadata={"due_at": timer.due_at.isoformat()},
        )


FIRE: dict[str, Callable[[Walk, Timer, WorkItem], None]] = {
    TimerKind.RETRY: _fire_retry,
    TimerKind.TIMER: _fire_wait,
    TimerKind.TIMEOUT: _fire_timeout,
}


# The loop ---------------------------------------------------------------------------


def _of_active_runs(timers: QuerySet) -> QuerySet:
    """Only the timers of runs that may move (a suspended run's timers wait for it).

    As EXISTS, not a join: SQLite without ANALYZE statistics (Django never runs
    it) planned the join from the runs' state index, reading every active run
    and its timers and sorting them on each poll (7 ms at 10,000 waiting runs,
    growing with every run). Written this way both databases walk the partial
    index ``timer_due`` in due order and stop at the LIMIT.
    """
    active = ProcessInstance.objects.filter(pk=OuterRef("instance_id"), state__in=ACTIVE_RUN)
    return timers.filter(Exists(active))


def due_timers(now: datetime | None = None, limit: int = BATCH) -> list[dict]:
    """The columns of the timers due at ``now`` (of runs that may move), oldest first."""
    now = now or timezone.now()
    due = Timer.objects.filter(fired_at=None, due_at__lte=now)
    return list(_of_active_runs(due).order_by("due_at", "pk").values(*TIMER_COLUMNS)[:limit])


def fire_due(now: datetime | None = None, limit: int = BATCH) -> int:
    """Fire every timer due at ``now``; returns how many fired. Running it twice is harmless.

    Timers fire in batches of up to FIRE_BATCH per commit (each in its own
    savepoint, holding its run's lock until the commit): with one commit per
    timer, 10,000 timers due in one minute needed more commits per second than
    the database gives on a small machine, and lateness grew to minutes. A
    batch commits after FIRE_BATCH_SECONDS at most, so firing is never held
    back long; one timer that fails rolls back to its savepoint only.

    The steps a batch makes READY (a timer activity's next task, a retry) go
    to the workers in one queue message when it commits (``run_fired_steps``),
    not one each: a message costs the broker several writes (enqueue, dequeue,
    result, acknowledgement), and on SQLite every one of them waits for the
    single write lock that the loop and the workers share.
    """
    fired = 0
    rows = due_timers(now, limit)
    position = 0
    while position < len(rows):
        began = time.monotonic()
        with transaction.atomic():
            steps: list[list[int]] = []
            for row in rows[position : position + FIRE_BATCH]:
                position += 1
                try:
                    if fire_timer(row["id"], now, row=row, steps=steps):  # (a savepoint)
                        fired += 1
                except Exception:  # one bad timer must not stop the others
                    log.exception("timer %s could not fire", row["id"])
                if time.monotonic() - began >= FIRE_BATCH_SECONDS:
                    break
            if steps:
                scheduler.dispatch(RUN_FIRED_STEPS, steps)
    return fired


def run_fired_steps(
    steps: list[list[int]], run_step: Callable[[int, int | None], int] | None = None
) -> int:
    """Run the steps a batch of fires made READY, one after the other; returns steps recorded.

    The queue task ``engine.tasks.run_fired_steps``. Each step is the worker's
    own (``engine.runtime.worker.run_workitem``: its claim, its handler, its
    commit, its chain), exactly as if it had come in its own message: a step
    already taken or done is skipped by its claim. The message only saves the
    queue's per-message writes. So that one slow handler does not hold up the
    steps behind it while other workers are idle, the rest goes back to the
    queue as a new message once this one has run for HANDOFF_SECONDS, and when
    a step raises (the rest is never lost with it; the reconciler would re-send
    it anyway). ``run_step``: how a backend runs one step (Celery holds its run
    meanwhile: engine.celery_backend); by default ``worker.run_workitem``.
    """
    run_step = run_step or worker.run_workitem
    began = time.monotonic()
    recorded = 0
    for position, (workitem_id, lock_version) in enumerate(steps):
        rest = steps[position + 1 :]
        try:
            recorded += run_step(workitem_id, lock_version)
        except BaseException:
            if rest:
                scheduler.dispatch_now(RUN_FIRED_STEPS, rest)
            raise
        if rest and time.monotonic() - began >= HANDOFF_SECONDS:
            scheduler.dispatch_now(RUN_FIRED_STEPS, rest)
            break
    return recorded


def next_due_in(now: datetime | None = None) -> float | None:
    """Seconds until the next timer of a run that may move is due (None: none is)."""
    now = now or timezone.now()
    unfired = _of_active_runs(Timer.objects.filter(fired_at=None))
    due = unfired.order_by("due_at").values_list("due_at", flat=True).first()
    return None if due is None else max((due - now).total_seconds(), 0.0)


def run_loop(
    *,
    poll: float | None = None,
    stop: threading.Event | None = None,
    housekeeping: Callable[[], object] | None = None,
    housekeeping_every: float = 5.0,
    max_cycles: int | None = None,
) -> None:
    """Fire timers until ``stop`` is set (or ``max_cycles`` polls have run).

    ``housekeeping`` (the reconciler sweep) runs every ``housekeeping_every`` seconds.
    """
    poll = float(poll if poll is not None else waymark_setting("TIMER_POLL_SECONDS"))
    stop = stop or threading.Event()
    last_housekeeping = 0.0
    cycles = 0
    while not stop.is_set():
        if not connection.in_atomic_block:  # (a test's transaction: keep it)
            close_old_connections()  # drop connections that are broken or too old
        try:
            fired = fire_due()
            fired += fire_due_schedules()
            fired += fire_due_date_events()
            if housekeeping and time.monotonic() - last_housekeeping >= housekeeping_every:
                housekeeping()
                last_housekeeping = time.monotonic()
        except Exception:
            log.exception("timer loop cycle failed; trying again")
            fired = 0
        cycles += 1
        if max_cycles is not None and cycles >= max_cycles:
            break
        if fired >= BATCH:
            continue  # more are due right now
        stop.wait(_pause(poll))


def _pause(poll: float) -> float:
    try:
        nexts = (next_due_in(), next_schedule_in(), next_date_event_in())
        waits = [w for w in nexts if w is not None]
    except Exception:
        waits = []
    return min([poll, *waits])
