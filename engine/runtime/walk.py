"""The walk: moves one run through its graph inside one transaction holding its lock.

A ``Walk`` visits activities (creating their workitems), routes with
``engine.core.routing`` and settles the run's state. How a run enters each
kind of activity is the table in ``engine.runtime.kinds``: start, end and
gateways pass straight through; an automatic task becomes a READY workitem
for a worker; a human task, a timer, a signal wait or a subprocess makes the
run wait. Nothing in a walk calls a handler, so services may walk in a web
request. The caller holds the run's lock (``engine.runtime.locks``) and
calls ``settle()`` before its transaction ends, then ``effects.schedule()``.
"""

from __future__ import annotations

import copy
from collections import deque
from typing import Any

from django.utils import timezone

from engine.conf import condition_strategy, step_setting
from engine.core.graph import Activity, ActivityKind, Transition
from engine.core.routing import RoutingError, is_join, join_ready, next_transitions
from engine.core.states import check_move
from engine.models import (
    Incident,
    IncidentKind,
    ProcessInstance,
    RunState,
    Token,
    Version,
    WorkItem,
    WorkItemState,
)
from engine.models.runtime import OPEN_STATES
from engine.runtime import audit, failing_end, first_of, kinds, locks, singletons
from engine.runtime.audit import record
from engine.runtime.date_timers import rearm_date_timers
from engine.runtime.effects import Effects
from engine.runtime.statements import insert_rows, new_instance

# What a walk may change on the run besides lock_version (the rest is fixed when it starts).
RUN_MOVING_FIELDS = [
    "state",  # first: settle() leaves it out when the row holds it already
    "condition",
    "data",
    "result",
    "ended_at",
    "updated_at",
    "step_count",
    "suspended_from",
]

# Kinds whose entry inserts its workitem through Walk.insert (so the passing workitems
# before it go in the same INSERT) and changes it only through this walk's own objects
# (so settle() may read the run's open workitems off them; see Walk.knows_open).
_PLAIN_KINDS = frozenset(
    {
        ActivityKind.START,
        ActivityKind.END,
        ActivityKind.EXCLUSIVE,
        ActivityKind.PARALLEL,
        ActivityKind.AUTOMATIC,
        ActivityKind.HTTP,
        ActivityKind.HUMAN,
        ActivityKind.TIMER,
    }
)


class Walk:
    """State changes of one run inside one transaction holding its lock."""

    def __init__(self, run: ProcessInstance, effects: Effects, *, actor: Any = None):
        self.run = run
        self.graph = Version.graph_of(run.version_id)
        self.effects = effects
        self.actor = actor
        self.now = timezone.now()
        # (activity key, transition key it is reached by, whether a join waits there)
        self.pending: deque[tuple[str, str, bool]] = deque()
        self.settled_state: str | None = None
        # What this walk did to the run's workitems, so settle() can often tell
        # the new state without asking the database.
        self.readied = False
        self.fell_out = False
        # Every door replaces run.data with a new dict: identity tells a change cheaply.
        self.data_at_start = run.data
        # The "wait for the first" gateway whose waits are being armed (engine.runtime.first_of).
        self.arming: WorkItem | None = None
        # A failing end the run reached: settle() ends the run there (engine.runtime.failing_end).
        self.failing_at: Activity | None = None
        # Passing workitems (start, gateways) not inserted yet: they go in with the next
        # workitem's INSERT (one statement), or when settle() begins.
        self.unsaved: list[WorkItem] = []
        # The workitems this walk created (and the one its door closes, see knows_open).
        self.made: list[WorkItem] = []
        # True when every open workitem of the run is in ``made`` (a new run; a completion
        # whose task was the run's only open workitem), so settle() needs no query;
        # ``plain``: only kinds that change their workitems through these objects entered.
        self.knows_open = False
        self.plain = True

    def knows_open_besides(self, workitems: list[WorkItem]) -> None:
        """The run has no open workitem but ``workitems`` and those this walk creates."""
        self.made.extend(workitems)
        self.knows_open = True

    def insert(self, workitem: WorkItem) -> None:
        """INSERT a new workitem, with the passing ones before it (one statement).

        The compiled INSERT ... RETURNING (engine.runtime.statements), not save():
        Django built the INSERT anew on every save, about a fifth of an automatic
        step's Python (docs/benchmarks.md). No model signals are sent, and none is
        needed: no receiver is connected to WorkItem (the record-trigger receivers
        never watch the engine's own models, engine.runtime.model_events).
        """
        rows, self.unsaved = [*self.unsaved, workitem], []
        insert_rows(rows)

    def flush(self) -> None:
        """INSERT the passing workitems still waiting for a statement."""
        if self.unsaved:
            rows, self.unsaved = self.unsaved, []
            insert_rows(rows)

    # entering activities --------------------------------------------------------

    def begin(self) -> None:
        self.pending.append((self.graph.start().key, "", True))
        self.proceed()

    def revisit(self, key: str, via: str) -> None:
        """Visit an activity again without joining (a retry of a step that fell out)."""
        self.pending.append((key, via, False))

    def proceed(self) -> None:
        """Visit every activity the run has been routed to, until it must wait."""
        while self.pending:
            key, via, join = self.pending.popleft()
            self.arrive(key, via, join=join)

    def arrive(self, key: str, via: str, *, join: bool = True) -> None:
        """Enter activity ``key`` (reached by transition ``via``) through its kind's entry."""
        if join and is_join(self.graph, key) and not self._join(key, via):
            return
        activity = self.graph.activity(key)
        if activity.kind not in _PLAIN_KINDS:
            self.plain = False
            self.flush()  # (its entry saves its workitem itself: the ids stay in visit order)
        workitem = self._new_workitem(activity, via)
        budget = int(step_setting("MAX_STEPS_PER_RUN"))
        if self.run.step_count > budget:
            workitem.state = WorkItemState.FALLOUT
            self.fallout(  # (inserts it, fallen out)
                workitem,
                IncidentKind.STEP_BUDGET,
                f"The run took more than {budget:,} steps (WAYMARK_MAX_STEPS_PER_RUN): "
                "a loop without an exit? Fix the data and retry, or cancel the run.",
                created=True,
            )
            return
        kinds.ENTRIES[activity.kind].enter(self, workitem, activity)

    def _join(self, key: str, via: str) -> bool:
        """Leave a token at the join ``key``; True when every branch it waits for is in."""
        Token.objects.create(
            instance=self.run, activity_key=key, transition_key=via, created_at=self.now
        )
        waiting = list(
            Token.objects.filter(instance=self.run, activity_key=key, consumed_at=None)
            .order_by("pk")
            .values_list("pk", "transition_key")
        )
        if not join_ready(self.graph, key, {t for _, t in waiting}):
            return False
        take: dict[str, int] = {}
        for pk, transition_key in waiting:
            take.setdefault(transition_key, pk)
        Token.objects.filter(pk__in=list(take.values())).update(consumed_at=self.now)
        return True

    def _new_workitem(self, activity: Activity, via: str) -> WorkItem:
        self.run.step_count += 1
        workitem = new_instance(  # (a step's hot path: cheaper than WorkItem(...), same instance)
            WorkItem,
            instance=self.run,
            seq=self.run.step_count,
            activity_key=activity.key,
            activity_kind=activity.kind.value,
            name=activity.label[:200],
            arrived_via=via,
            created_at=self.now,
            run_started_at=self.run.started_at,  # engine.models.involvement
            gateway=first_of.gateway_for(self, via),
        )
        self.made.append(workitem)
        return workitem

    # leaving activities ------------------------------------------------------------

    def leave(
        self,
        workitem: WorkItem,
        state: str,
        *,
        transitions: list[Transition] | None = None,
        created: bool = False,
        timer_fired: bool = False,
        **changes: Any,
    ) -> bool:
        """Close ``workitem`` as ``state`` and route on; a run that cannot move falls out."""
        if workitem.gateway_id is not None:  # the first of a gateway's waits to fire wins
            first_of.decide(self, workitem)
        if transitions is None:
            try:
                transitions = next_transitions(
                    self.graph,
                    workitem.activity_key,
                    condition=self.run.condition or None,
                    data=self.run.data,
                    strategy=condition_strategy(),
                )
            except RoutingError as exc:
                for name, value in changes.items():
                    setattr(workitem, name, value)
                self.fallout(workitem, IncidentKind.ROUTING, str(exc), created=created)
                return False
        previous = workitem.state if not created else ""
        if previous and previous != state:
            check_move("workitem", previous, state)
        for name, value in changes.items():
            setattr(workitem, name, value)
        workitem.state = state
        workitem.completed_at = workitem.completed_at or self.now
        if created:
            self.unsaved.append(workitem)  # (a passing workitem: inserted with the next one)
        else:
            locks.bump(workitem, "state", "completed_at", *changes, fast=True)
            # A workitem has one timer at most: when that fired, none is left to drop.
            kinds.close_extras(workitem, timers=not timer_fired)
        for transition in transitions:
            self.pending.append((transition.target, transition.key, True))
        return True

    def fallout(
        self, workitem: WorkItem, kind: str, message: str, *, trace: str = "", created: bool = False
    ) -> Incident:
        """The workitem falls out with an incident the run's managers see."""
        previous = workitem.state
        self.fell_out = True
        if not created and previous != WorkItemState.FALLOUT:
            check_move("workitem", previous, WorkItemState.FALLOUT)
        workitem.state = WorkItemState.FALLOUT
        workitem.error = message
        workitem.traceback = trace
        workitem.lease_expires_at = None  # (a retry makes it READY and unclaimed)
        if workitem.pk is None:
            self.insert(workitem)
        else:
            locks.bump(workitem)
        incident = Incident.objects.create(
            instance=self.run,
            workitem=workitem,
            kind=kind,
            activity_key=workitem.activity_key,
            message=message,
            traceback=trace,
            created_at=self.now,
        )
        record(
            "workitem.fallen_out",
            self.run,
            workitem,
            status_from=previous if not created else "",
            status_to=WorkItemState.FALLOUT,
            metadata={"incident": incident.pk, "kind": kind, "error": message[:2000]},
        )
        return incident

    # the run's state ------------------------------------------------------------

    def settle(self) -> str:
        """Work out the run's state from its open workitems, save the run, end it if done."""
        self.proceed()
        self.flush()
        run = self.run
        previous = run.state
        if previous in (RunState.COMPLETED, RunState.CANCELLED, RunState.FAILED_AT_END):
            return previous
        if self.failing_at is not None:
            self.settled_state = failing_end.end_failed(self, self.failing_at, RUN_MOVING_FIELDS)
            return self.settled_state
        new = self._next_state(previous)
        run.state = new
        if new == RunState.COMPLETED:
            run.ended_at = self.now
            run.result = copy.deepcopy(run.data)
        if run.data is not self.data_at_start and new != RunState.COMPLETED:
            rearm_date_timers(run, self.graph)  # an open timer follows its date
        # A state the row already holds is not written again: setting it rewrites
        # the run's three state indexes, a WAL page each per step (docs/benchmarks.md).
        moving = RUN_MOVING_FIELDS[1:] if locks.state_unchanged(run) else RUN_MOVING_FIELDS
        locks.bump(run, *moving, fast=True)
        if new != previous:
            if new == RunState.COMPLETED:
                record("run.completed", run, status_from=previous, status_to=new)
            elif new == RunState.FAILED:
                record("run.failed", run, status_from=previous, status_to=new)
        if new == RunState.COMPLETED and run.parent_workitem_id:
            kinds.resume_parent(self)
        self.settled_state = new
        return new

    def _next_state(self, previous: str) -> str:
        if (
            self.readied
            and not self.fell_out
            and locks.state_unchanged(self.run)
            and previous in (RunState.RUNNING, RunState.WAITING)
        ):
            # A running or waiting run (as the database holds it) has nothing
            # fallen out (else it would be failed), and this walk made a step
            # ready: it is running. Saves a query on every worker step.
            return RunState.RUNNING
        if self.knows_open and self.plain:
            # Every open workitem is one of this walk's objects, as it left them.
            states = {w.state for w in self.made if w.state in OPEN_STATES}
        else:
            # (order_by(): WorkItem's default ordering joined the run table and made
            # DISTINCT run over the ordering's columns too)
            states = set(
                WorkItem.objects.filter(instance=self.run, state__in=OPEN_STATES)
                .order_by()
                .values_list("state", flat=True)
                .distinct()
            )
        if previous == RunState.SUSPENDED:
            return RunState.SUSPENDED
        if WorkItemState.FALLOUT in states:
            return RunState.FAILED
        if states & {WorkItemState.READY, WorkItemState.RETRY}:
            return RunState.RUNNING
        if states:
            return RunState.WAITING
        if Incident.objects.filter(instance=self.run, resolved_at=None).exists():
            return RunState.FAILED
        if self._stuck_at_joins():
            return RunState.FAILED
        return RunState.COMPLETED

    def _stuck_at_joins(self) -> bool:
        """Branches wait at a join for branches that will never come: an incident."""
        waiting = Token.objects.filter(instance=self.run, consumed_at=None)
        keys = sorted(set(waiting.order_by().values_list("activity_key", flat=True)))
        if not keys:
            return False
        stuck = ", ".join(keys)
        Incident.objects.create(
            instance=self.run,
            kind=IncidentKind.STUCK,
            activity_key=keys[0],
            message=f"Nothing else can happen in this run, but branches wait at the "
            f"join(s) {stuck} for branches that will never arrive. Cancel the run.",
            created_at=self.now,
        )
        return True


def create_run(
    version: Version,
    data: dict,
    *,
    business_key: str = "",
    user: Any = None,
    effects: Effects,
    trigger_key: str = "",
) -> ProcessInstance:
    """Create a run of ``version`` and walk it until it waits (call inside a transaction).

    The run holds the start data's value at the process's singleton key
    (engine.runtime.singletons): InvalidData when the data has none, and
    IntegrityError from the insert, before anything else is written, when an
    active run holds it (engine.runtime.starts.start_or_join returns that run).
    """
    with audit.batch():  # the start's events: one INSERT
        return _create_run(
            version,
            data,
            business_key=business_key,
            user=user,
            effects=effects,
            trigger_key=trigger_key,
        )


def _create_run(
    version: Version,
    data: dict,
    *,
    business_key: str,
    user: Any,
    effects: Effects,
    trigger_key: str,
) -> ProcessInstance:
    singleton_value = singletons.singleton_value(version.process, data)
    now = timezone.now()
    # Built and inserted as a step's workitems are (compiled INSERT; no model signals, and
    # none is connected to runs): objects.create() was a fifth of a human start's Python.
    run = new_instance(
        ProcessInstance,
        process=version.process,
        version=version,
        state=RunState.RUNNING,
        data=data,
        business_key=business_key,
        singleton_value=singleton_value,
        started_by=user if getattr(user, "is_authenticated", False) else None,
        started_at=now,
        tenant_id=version.process.tenant_id,
        trigger_key=trigger_key,
    )
    insert_rows([run])  # (a taken singleton value: IntegrityError here, as from create())
    locks.saw_state(run)
    record(
        "run.started",
        run,
        actor=user,
        status_to=RunState.RUNNING,
        metadata={"version": version.number},
    )
    version.graph()  # (cached by id from the row at hand: the walk need not read it again)
    walk = Walk(run, effects, actor=user)
    walk.knows_open_besides([])  # a new run: every workitem it has, this walk makes
    walk.begin()
    walk.settle()
    return run
