"""The walker: moves runs through their graphs, one transaction per transition.

Two halves:

- ``Walk`` changes state. It runs inside a transaction that holds the run's
  row lock (``lock_run``), visits activities (creating their workitems),
  routes with ``engine.core.routing`` and settles the run's state. Start,
  end and gateways pass straight through; an automatic task becomes a READY
  workitem; a human task, a timer, a signal wait or a subprocess makes the
  run wait. Nothing in a Walk calls a handler, so services may walk in a web
  request.
- ``run_workitem`` runs automatic tasks in a worker: it calls the handler
  outside any transaction, then records the result in one transaction that
  re-checks, under the run lock, that the workitem is still READY with the
  same ``lock_version`` (a duplicate or stale message finds it changed and
  does nothing). Then it goes on with the next READY workitem of the chain in
  the same process; other new READY workitems (a parallel split) are queued.
  A step being run is leased to its worker, which renews the lease while the
  handler runs (``engine.leases``); the reconciler counts a step whose lease
  lapsed as a failed attempt (its worker died).

Locks. Every change to a run — a worker step, a person completing a task, a
timer, a signal, a cancel — first locks the run's row (``SELECT ... FOR
UPDATE`` on PostgreSQL; on SQLite the IMMEDIATE transaction already holds the
database's single write lock). Parallel branches of one run therefore move
one at a time, which is what makes join tokens and data merges safe: two
branches arriving at a join together would otherwise both see the other's
token missing, and the join would never fire. A child run locks itself, then
its parent when it ends; cancelling locks the parent, then its children.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import traceback as tb
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from random import random
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connections, router, transaction
from django.db.models import F, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from engine import audit, handlers, leases
from engine.conf import condition_strategy, waymark_setting
from engine.core.conditions import resolve_path
from engine.core.durations import DurationError, parse_duration
from engine.core.graph import Activity, ActivityKind, Graph
from engine.core.routing import RoutingError, is_join, join_ready, next_transitions
from engine.core.routing import timeout_transitions as routing_timeouts
from engine.core.states import check_move
from engine.models import (
    Incident,
    IncidentKind,
    PendingSignal,
    Process,
    ProcessInstance,
    RunState,
    Timer,
    TimerKind,
    Token,
    Version,
    WorkItem,
    WorkItemCandidate,
    WorkItemState,
)
from engine.models.runtime import OPEN_STATES
from engine.services.errors import DataTooLarge

log = logging.getLogger("engine.executor")

PASS_THROUGH = {ActivityKind.START, ActivityKind.END, ActivityKind.EXCLUSIVE, ActivityKind.PARALLEL}
OPEN = OPEN_STATES
ACTIVE_RUN = [RunState.RUNNING, RunState.WAITING, RunState.FAILED]
TIMEOUT_OUTCOME = "TIMEOUT"  # instance.condition after a signal wait timed out
CHAIN_LIMIT = 1000
TIMER_COLUMNS = ("id", "instance_id", "workitem_id", "kind", "due_at", "transition_key")
# What a walk may change on the run (the rest is fixed when it starts).
RUN_MOVING_FIELDS = [
    "state",
    "condition",
    "data",
    "result",
    "ended_at",
    "updated_at",
    "lock_version",
    "step_count",
    "suspended_from",
]  # steps one worker task takes inline before it queues the rest


# Graphs ------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def graph_for(version_id: int) -> Graph:
    """The graph of a version. Runs only use published or retired versions: frozen."""
    return Version.objects.get(pk=version_id).to_graph()


def clear_graph_cache() -> None:
    graph_for.cache_clear()


# Helpers -----------------------------------------------------------------------------


def lock_run(pk: int) -> ProcessInstance:
    """The run's row, locked for the rest of the transaction (see the module docstring).

    No select_related here: FOR UPDATE would lock the joined rows too (the
    process), and every step of every run of a process would queue on it.
    """
    return ProcessInstance.objects.select_for_update().get(pk=pk)


def lock_run_with(pk: int, workitem_id: int) -> tuple[ProcessInstance, str | None, int | None]:
    """Lock the run and read one workitem's state and version in the same query.

    The hot path of every step: the statement is compiled once (see
    ``_Statement``), then run with this run's and workitem's ids.
    """
    found = _statement("lock_with_workitem").first({_RUN: pk, _WORKITEM: workitem_id})
    if found is None:
        raise ProcessInstance.DoesNotExist(f"ProcessInstance {pk} does not exist.")
    run, extra = found
    return run, extra["locked_wi_state"], extra["locked_wi_version"]


def try_lock_run(pk: int) -> ProcessInstance | None:
    """The run's row locked, or None when another transaction holds it (or it is gone).

    ``SKIP LOCKED`` on PostgreSQL; on SQLite the transaction already holds the
    database's write lock.
    """
    found = _statement("try_lock").first({_RUN: pk})
    return None if found is None else found[0]


def get_workitem(pk: int) -> WorkItem:
    found = _statement("workitem").first({_WORKITEM: pk})
    if found is None:
        raise WorkItem.DoesNotExist(f"WorkItem {pk} does not exist.")
    return found[0]


# Precompiled statements ---------------------------------------------------------------------
# Django compiles every ORM query anew, and on a step's hot path that cost more
# than the database itself (profiled: the lock query alone took a quarter of a
# step). The statements below are compiled by Django once per database (so the
# SQL is right for each vendor) and then run with new parameters.

_RUN = -7_000_000_001  # placeholder ids the statements are compiled with
_WORKITEM = -7_000_000_002


def _build_lock_with_workitem(alias: str):
    row = WorkItem.objects.using(alias).filter(pk=_WORKITEM)
    return (
        ProcessInstance.objects.using(alias)
        .select_for_update(of=("self",))
        .annotate(
            locked_wi_state=Subquery(row.values("state")[:1]),
            locked_wi_version=Subquery(row.values("lock_version")[:1]),
        )
        .filter(pk=_RUN)
    )


def _build_try_lock(alias: str):
    return (
        ProcessInstance.objects.using(alias)
        .select_for_update(skip_locked=True, of=("self",))
        .filter(pk=_RUN)
    )


def _build_workitem(alias: str):
    return WorkItem.objects.using(alias).filter(pk=_WORKITEM)


STATEMENTS = {
    "lock_with_workitem": _build_lock_with_workitem,
    "try_lock": _build_try_lock,
    "workitem": _build_workitem,
}


class _Statement:
    """A SELECT of one model's row (and annotations), compiled once, run by ids."""

    def __init__(self, queryset):
        alias = queryset.db
        compiler = queryset.order_by().query.get_compiler(using=alias)
        self.alias = alias
        self.model = queryset.model
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        select = compiler.select
        fields = compiler.klass_info["select_fields"]
        self.model_slice = slice(fields[0], fields[-1] + 1)
        self.attnames = [column.target.attname for column, _, _ in select[self.model_slice]]
        self.annotations = dict(compiler.annotation_col_map)
        self.converters = compiler.get_converters([column for column, _, _ in select])

    def first(self, ids: dict[int, int]):
        """(instance, {annotation: value}) of the first row, or None."""
        params = [ids.get(p, p) if isinstance(p, int) else p for p in self.params]
        connection = connections[self.alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        row = list(row)
        for position, (converters, expression) in self.converters.items():
            value = row[position]
            for converter in converters:
                value = converter(value, expression, connection)
            row[position] = value
        obj = self.model.from_db(self.alias, self.attnames, row[self.model_slice])
        return obj, {name: row[position] for name, position in self.annotations.items()}


def _statement(name: str) -> _Statement:
    alias = router.db_for_write(ProcessInstance)
    return _compiled(name, alias, connections[alias].vendor)


@lru_cache(maxsize=32)
def _compiled(name: str, alias: str, vendor: str) -> _Statement:
    return _Statement(STATEMENTS[name](alias))


def mark_timer_fired(timer_id: int, now: datetime) -> bool:
    """Set ``fired_at`` of a timer that is due and not yet fired; False when it was not."""
    alias = router.db_for_write(Timer)
    connection = connections[alias]
    sql = _timer_fired_sql(alias, connection.vendor)
    moment = Timer._meta.get_field("fired_at").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [moment, timer_id, moment])
        return cursor.rowcount == 1


@lru_cache(maxsize=8)
def _timer_fired_sql(alias: str, vendor: str) -> str:
    quote = connections[alias].ops.quote_name
    fired, due = (quote(Timer._meta.get_field(name).column) for name in ("fired_at", "due_at"))
    return (
        f"UPDATE {quote(Timer._meta.db_table)} SET {fired} = %s "
        f"WHERE {quote(Timer._meta.pk.column)} = %s AND {fired} IS NULL AND {due} <= %s"
    )


@lru_cache(maxsize=64)
def _update_statement(model, fields: tuple[str, ...], alias: str, vendor: str):
    quote = connections[alias].ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {assignments} "
        f"WHERE {quote(model._meta.pk.column)} = %s"
    )
    return sql, columns


def save_fields(obj, fields) -> None:
    """``obj.save(update_fields=fields)`` without compiling the UPDATE each time.

    The same values reach the database (each field's ``pre_save`` — auto_now —
    and ``get_db_prep_save``); no model signals are sent (none is connected to
    runs or workitems). Like Django, a row that is gone is an error.
    """
    model = type(obj)
    alias = obj._state.db or router.db_for_write(model, instance=obj)
    connection = connections[alias]
    sql, columns = _update_statement(model, tuple(fields), alias, connection.vendor)
    params = [field.get_db_prep_save(field.pre_save(obj, False), connection) for field in columns]
    params.append(obj.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount == 0:
            raise DatabaseError(f"{model.__name__} {obj.pk}: no row to update.")


def data_size(data: Any) -> int:
    return len(json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":")))


def check_size(data: dict) -> None:
    limit = int(waymark_setting("MAX_DATA_BYTES"))
    size = data_size(data)
    if size > limit:
        raise DataTooLarge(size, limit)


def jsonable(value: Any) -> Any:
    """A deep copy of ``value`` as JSON would store it (TypeError when it cannot)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def idempotency_key(workitem: WorkItem) -> str:
    """Stable for every attempt of one step: the run and the visit number."""
    return f"waymark-{workitem.instance_id}-{workitem.seq}"


def _audit(action: str, run: ProcessInstance, workitem: WorkItem | None = None, **fields):
    fields.setdefault("process_id", run.process_id)
    fields.setdefault("version_id", run.version_id)
    fields.setdefault("tenant_id", run.tenant_id)
    if workitem is not None:
        fields.setdefault("activity_key", workitem.activity_key)
    return audit.record(action, instance=run, workitem=workitem, **fields)


def _find_user(value: Any):
    User = get_user_model()
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, int):
        return User.objects.filter(pk=value, is_active=True).first()
    if isinstance(value, str):
        return User.objects.filter(**{User.USERNAME_FIELD: value}, is_active=True).first()
    return None


def parse_due(value: Any) -> datetime | None:
    """A date or date-time from run data, time-zone aware (naive means the site's zone)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = parse_datetime(value.strip())
        if moment is None:
            day = parse_date(value.strip())
            if day is None:
                return None
            moment = datetime(day.year, day.month, day.day)
    else:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


# Effects: what to do once the transaction commits ------------------------------------------


@dataclass
class Effects:
    ready: list[tuple[int, int]] = field(default_factory=list)  # (workitem id, lock_version)
    compensate: list[int] = field(default_factory=list)
    notify: list[tuple[int, list[int]]] = field(default_factory=list)
    # New READY workitems as saved (with their run): the chain goes on with
    # one of them after the commit without reading it back.
    created: dict[int, WorkItem] = field(default_factory=dict)

    def schedule(self, *, keep: int | None = None) -> None:
        """Queue the work on commit; ``keep`` is a workitem the caller runs itself."""
        from engine import scheduler

        for pk, lock_version in self.ready:
            if pk != keep:
                scheduler.dispatch("engine.tasks.run_workitem", pk, lock_version)
        for pk in self.compensate:
            scheduler.dispatch("engine.tasks.compensate_workitem", pk)
        for user_id, workitem_ids in self.notify:
            scheduler.schedule_notification(user_id, workitem_ids)


# The walk ---------------------------------------------------------------------------


class Walk:
    """State changes of one run inside one transaction holding its lock."""

    def __init__(self, run: ProcessInstance, effects: Effects, *, actor=None):
        self.run = run
        self.graph = graph_for(run.version_id)
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
        self.recheck = False  # set by callers that changed run.state in memory

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
        graph = self.graph
        activity = graph.activity(key)
        if join and is_join(graph, key):
            Token.objects.create(
                instance=self.run, activity_key=key, transition_key=via, created_at=self.now
            )
            waiting = list(
                Token.objects.filter(instance=self.run, activity_key=key, consumed_at=None)
                .order_by("pk")
                .values_list("pk", "transition_key")
            )
            if not join_ready(graph, key, {t for _, t in waiting}):
                return
            take: dict[str, int] = {}
            for pk, transition_key in waiting:
                take.setdefault(transition_key, pk)
            Token.objects.filter(pk__in=list(take.values())).update(consumed_at=self.now)
        workitem = self._new_workitem(activity, via)
        budget = int(waymark_setting("MAX_STEPS_PER_RUN"))
        if self.run.step_count > budget:
            workitem.state = WorkItemState.FALLOUT
            workitem.save()
            self.fallout(
                workitem,
                IncidentKind.STEP_BUDGET,
                f"The run took more than {budget:,} steps (WAYMARK_MAX_STEPS_PER_RUN): "
                "a loop without an exit? Fix the data and retry, or cancel the run.",
                created=True,
            )
            return
        kind = activity.kind
        if kind in PASS_THROUGH:
            workitem.state = WorkItemState.COMPLETED
            workitem.completed_at = self.now
            if kind == ActivityKind.END:
                workitem.save()
                return
            self.leave(workitem, WorkItemState.COMPLETED, created=True)
        elif kind == ActivityKind.AUTOMATIC:
            workitem.state = WorkItemState.READY
            workitem.dispatched_at = self.now
            workitem.idempotency_key = idempotency_key(workitem)
            workitem.save()
            self.effects.ready.append((workitem.pk, workitem.lock_version))
            self.effects.created[workitem.pk] = workitem
            self.readied = True
            _audit("workitem.created", self.run, workitem, status_to=workitem.state)
        elif kind == ActivityKind.HUMAN:
            self._enter_human(workitem, activity)
        elif kind == ActivityKind.TIMER:
            self._enter_timer(workitem, activity)
        elif kind == ActivityKind.SIGNAL:
            self._enter_signal(workitem, activity)
        elif kind == ActivityKind.SUBPROCESS:
            self._enter_subprocess(workitem, activity)
        else:  # pragma: no cover - validation refuses unknown kinds
            workitem.state = WorkItemState.FALLOUT
            workitem.save()
            self.fallout(workitem, IncidentKind.ROUTING, f"Unknown activity kind {kind!r}.")

    def _new_workitem(self, activity: Activity, via: str) -> WorkItem:
        self.run.step_count += 1
        return WorkItem(
            instance=self.run,
            seq=self.run.step_count,
            activity_key=activity.key,
            activity_kind=activity.kind.value,
            name=activity.label[:200],
            arrived_via=via,
            created_at=self.now,
        )

    def _enter_human(self, workitem: WorkItem, activity: Activity) -> None:
        assignee = None
        if activity.assignee:
            assignee = _find_user(resolve_path(activity.assignee, self.run.data))
        workitem.state = WorkItemState.ASSIGNED if assignee else WorkItemState.OFFERED
        workitem.assignee = assignee
        workitem.claimed_at = self.now if assignee else None
        for field_name, text in (
            ("sla_warn_at", activity.sla_warn),
            ("sla_breach_at", activity.sla_duration),
        ):
            if text:
                with contextlib.suppress(DurationError):
                    setattr(workitem, field_name, self.now + parse_duration(text))
        workitem.save()
        set_candidates(
            workitem,
            users=activity.allowed_users,
            groups=(*activity.allowed_groups, *activity.roles),
        )
        self._arm_timeout(workitem, activity)
        _audit("workitem.created", self.run, workitem, status_to=workitem.state)
        if assignee is not None:
            _audit(
                "workitem.assigned",
                self.run,
                workitem,
                status_to=workitem.state,
                metadata={"assignee": assignee.get_username(), "by": "assignee expression"},
            )

    def _arm_timeout(
        self, workitem: WorkItem, activity: Activity, extra: timedelta | None = None
    ) -> None:
        found = routing_timeouts(self.graph, activity.key)
        choice: tuple[str, timedelta] | None = (found[0][0].key, found[0][1]) if found else None
        if extra is not None and (choice is None or extra < choice[1]):
            choice = ("", extra)
        if choice is None:
            return
        workitem.due_at = self.now + choice[1]
        WorkItem.objects.filter(pk=workitem.pk).update(due_at=workitem.due_at)
        Timer.objects.create(
            instance=self.run,
            workitem=workitem,
            kind=TimerKind.TIMEOUT,
            due_at=workitem.due_at,
            transition_key=choice[0],
            created_at=self.now,
        )

    def _enter_timer(self, workitem: WorkItem, activity: Activity) -> None:
        workitem.state = WorkItemState.WAITING
        due = None
        problem = ""
        if activity.timer_date_field:
            value = resolve_path(activity.timer_date_field, self.run.data)
            due = parse_due(value)
            if due is None:
                problem = (
                    f"The timer reads its date from {activity.timer_date_field!r}, which holds "
                    f"{value!r}: not a date or date-time (use ISO 8601, e.g. 2030-01-31T09:00:00Z)."
                )
        else:
            try:
                due = self.now + parse_duration(activity.timer_duration)
            except DurationError as exc:
                problem = f"The timer duration {activity.timer_duration!r} is invalid: {exc}"
        if due is None:
            workitem.state = WorkItemState.FALLOUT
            workitem.save()
            self.fallout(workitem, IncidentKind.DATA, problem, created=True)
            return
        workitem.due_at = due
        workitem.save()
        Timer.objects.create(
            instance=self.run,
            workitem=workitem,
            kind=TimerKind.TIMER,
            due_at=due,
            created_at=self.now,
        )
        _audit(
            "workitem.created",
            self.run,
            workitem,
            status_to=workitem.state,
            metadata={"due_at": due.isoformat()},
        )

    def _enter_signal(self, workitem: WorkItem, activity: Activity) -> None:
        workitem.state = WorkItemState.WAITING
        workitem.signal_name = activity.signal_name.strip()
        workitem.correlation_value = correlation_text(
            resolve_path(activity.correlation, self.run.data) if activity.correlation else None
        )
        workitem.save()
        extra = None
        if activity.signal_timeout:
            try:
                extra = parse_duration(activity.signal_timeout)
            except DurationError:
                extra = None
        self._arm_timeout(workitem, activity, extra)
        _audit(
            "workitem.created",
            self.run,
            workitem,
            status_to=workitem.state,
            metadata={"signal": workitem.signal_name, "correlation": workitem.correlation_value},
        )
        self.take_kept_signal(workitem)

    def take_kept_signal(self, workitem: WorkItem) -> bool:
        """Let a signal wait take a signal kept before it waited (of its run's tenant)."""
        kept = PendingSignal.objects.select_for_update().kept_for(workitem, self.run, self.now)
        if kept is None:
            return False
        self.consume_kept_signal(kept, workitem)
        return True

    def consume_kept_signal(self, signal: PendingSignal, workitem: WorkItem) -> None:
        signal.consumed_at = self.now
        signal.consumed_by = self.run
        signal.save(update_fields=["consumed_at", "consumed_by"])
        self.receive_signal(workitem, signal.payload, early=True, sender=signal.sent_by)

    def receive_signal(
        self, workitem: WorkItem, payload: dict | None, *, early: bool = False, sender=None
    ) -> None:
        """Wake ``workitem`` with ``payload``; the audit actor is who sent the signal.

        A signal sent now comes from the walk's actor; a kept one (``early``) from
        ``sender``, who sent it earlier (None: the system).
        """
        if payload:
            merged = {**self.run.data, **payload}
            check_size(merged)
            self.run.data = merged
        _audit(
            "signal.received",
            self.run,
            workitem,
            actor=sender if early else self.actor,
            metadata={
                "signal": workitem.signal_name,
                "correlation": workitem.correlation_value,
                "kept_since_before_the_run_waited": early,
            },
        )
        self.leave(workitem, WorkItemState.COMPLETED)

    def _enter_subprocess(self, workitem: WorkItem, activity: Activity) -> None:
        workitem.state = WorkItemState.WAITING
        workitem.save()
        _audit("workitem.created", self.run, workitem, status_to=workitem.state)
        # Only a process of the parent's tenant: a definition must not reach across tenants.
        process = Process.objects.filter(
            code=activity.subprocess_code, tenant_id=self.run.tenant_id
        ).first()
        if process is None:
            self.fallout(
                workitem,
                IncidentKind.SUBPROCESS,
                f"There is no process {activity.subprocess_code!r} in this run's tenant "
                "to start as a subprocess; a subprocess starts only its own tenant's processes.",
            )
            return
        version = process.published_version()
        if version is None:
            self.fallout(
                workitem,
                IncidentKind.SUBPROCESS,
                f"The subprocess {activity.subprocess_code!r} has no published version to start.",
            )
            return
        child = ProcessInstance.objects.create(
            process=process,
            version=version,
            state=RunState.RUNNING,
            data=copy.deepcopy(self.run.data),
            business_key=self.run.business_key,
            started_by=self.run.started_by,
            started_at=self.now,
            parent_workitem=workitem,
            tenant_id=self.run.tenant_id,
        )
        _audit(
            "run.started",
            child,
            metadata={"parent_run": self.run.pk, "parent_workitem": workitem.pk},
        )
        child_walk = Walk(child, self.effects, actor=self.actor)
        child_walk.begin()
        child_walk.settle()

    # leaving activities ------------------------------------------------------------

    def leave(
        self,
        workitem: WorkItem,
        state: str,
        *,
        transitions=None,
        created: bool = False,
        timer_fired: bool = False,
        **changes,
    ) -> bool:
        """Close ``workitem`` as ``state`` and route on; a run that cannot move falls out."""
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
            workitem.save()
        else:
            workitem.lock_version += 1
            save_fields(workitem, ["state", "completed_at", "lock_version", *changes])
        if not created:
            # A workitem has one timer at most: when that fired, none is left to drop.
            close_extras(workitem, timers=not timer_fired)
        for transition in transitions:
            self.pending.append((transition.target, transition.key, True))
        return True

    def fallout(
        self, workitem: WorkItem, kind: str, message: str, *, trace: str = "", created: bool = False
    ) -> Incident:
        previous = workitem.state
        self.fell_out = True
        if not created and previous != WorkItemState.FALLOUT:
            check_move("workitem", previous, WorkItemState.FALLOUT)
        workitem.state = WorkItemState.FALLOUT
        workitem.error = message
        workitem.traceback = trace
        workitem.lease_expires_at = None  # (a retry makes it READY and unclaimed)
        if workitem.pk is not None:
            workitem.lock_version += 1
        workitem.save()
        incident = Incident.objects.create(
            instance=self.run,
            workitem=workitem,
            kind=kind,
            activity_key=workitem.activity_key,
            message=message,
            traceback=trace,
            created_at=self.now,
        )
        _audit(
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
        run = self.run
        previous = run.state
        if previous in (RunState.COMPLETED, RunState.CANCELLED):
            return previous
        if (
            self.readied
            and not self.fell_out
            and not self.recheck
            and previous in (RunState.RUNNING, RunState.WAITING)
        ):
            # A running or waiting run has nothing fallen out (else it would be
            # failed), and this walk made a step ready: it is running.
            states = {WorkItemState.READY}
        else:
            states = set(
                WorkItem.objects.filter(instance=run, state__in=OPEN)
                .values_list("state", flat=True)
                .distinct()
            )
        if previous == RunState.SUSPENDED:
            new = RunState.SUSPENDED
        elif WorkItemState.FALLOUT in states:
            new = RunState.FAILED
        elif states & {WorkItemState.READY, WorkItemState.RETRY}:
            new = RunState.RUNNING
        elif states:
            new = RunState.WAITING
        elif Incident.objects.filter(instance=run, resolved_at=None).exists():
            new = RunState.FAILED
        elif Token.objects.filter(instance=run, consumed_at=None).exists():
            stuck = ", ".join(
                sorted(
                    set(
                        Token.objects.filter(instance=run, consumed_at=None).values_list(
                            "activity_key", flat=True
                        )
                    )
                )
            )
            Incident.objects.create(
                instance=run,
                kind=IncidentKind.STUCK,
                activity_key=stuck.split(", ")[0],
                message=f"Nothing else can happen in this run, but branches wait at the "
                f"join(s) {stuck} for branches that will never arrive. Cancel the run.",
                created_at=self.now,
            )
            new = RunState.FAILED
        else:
            new = RunState.COMPLETED
        run.state = new
        run.lock_version += 1
        if new == RunState.COMPLETED:
            run.ended_at = self.now
            run.result = copy.deepcopy(run.data)
        save_fields(run, RUN_MOVING_FIELDS)
        if new != previous:
            if new == RunState.COMPLETED:
                _audit("run.completed", run, status_from=previous, status_to=new)
            elif new == RunState.FAILED:
                _audit("run.failed", run, status_from=previous, status_to=new)
        if new == RunState.COMPLETED and run.parent_workitem_id:
            resume_parent(run, self.effects, actor=self.actor)
        self.settled_state = new
        return new


def correlation_text(value: Any) -> str:
    """The text a correlation value is compared as (``42`` and ``"42"`` match)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)[:255]


def set_candidates(workitem: WorkItem, *, users=(), groups=()) -> None:
    """Offer ``workitem`` to these user names and group names (groups are created if new)."""
    WorkItemCandidate.objects.filter(workitem=workitem).delete()
    User = get_user_model()
    rows = (
        [
            WorkItemCandidate(workitem=workitem, instance_id=workitem.instance_id, user_id=pk)
            for pk in User.objects.filter(
                **{f"{User.USERNAME_FIELD}__in": list(users)}
            ).values_list("pk", flat=True)
        ]
        if users
        else []
    )
    for name in dict.fromkeys(g for g in groups if g):
        group, _ = Group.objects.get_or_create(name=name)
        rows.append(
            WorkItemCandidate(workitem=workitem, instance_id=workitem.instance_id, group=group)
        )
    WorkItemCandidate.objects.bulk_create(rows)


def close_extras(workitem: WorkItem, *, timers: bool = True) -> None:
    """A workitem closed: its timers are no longer due and its offers are withdrawn."""
    if timers and workitem.activity_kind in (
        ActivityKind.HUMAN,
        ActivityKind.SIGNAL,
        ActivityKind.TIMER,
    ):
        Timer.objects.filter(workitem=workitem, fired_at=None).delete()
    if workitem.activity_kind == ActivityKind.HUMAN:
        WorkItemCandidate.objects.filter(workitem=workitem).delete()


def resume_parent(child: ProcessInstance, effects: Effects, *, actor=None) -> None:
    """A child run completed: its data merges into the parent, which moves on."""
    parent_item = WorkItem.objects.filter(pk=child.parent_workitem_id).only("instance_id").first()
    if parent_item is None:
        return
    parent = lock_run(parent_item.instance_id)
    workitem = WorkItem.objects.get(pk=parent_item.pk)
    if workitem.state != WorkItemState.WAITING or parent.state not in ACTIVE_RUN:
        return
    walk = Walk(parent, effects, actor=actor)
    try:
        merged = {**parent.data, **(child.result or {})}
        check_size(merged)
    except DataTooLarge as exc:
        walk.fallout(workitem, IncidentKind.DATA, exc.message)
        walk.settle()
        return
    parent.data = merged
    if walk.leave(workitem, WorkItemState.COMPLETED):
        _audit(
            "workitem.completed",
            parent,
            workitem,
            status_from=WorkItemState.WAITING,
            status_to=WorkItemState.COMPLETED,
            metadata={"child_run": child.pk},
        )
    walk.settle()


# Starting ---------------------------------------------------------------------------


def create_run(
    version: Version, data: dict, *, business_key: str = "", user=None, effects: Effects
) -> ProcessInstance:
    """Create a run of ``version`` and walk it until it waits (call inside a transaction)."""
    now = timezone.now()
    run = ProcessInstance.objects.create(
        process=version.process,
        version=version,
        state=RunState.RUNNING,
        data=data,
        business_key=business_key,
        started_by=user if getattr(user, "is_authenticated", False) else None,
        started_at=now,
        tenant_id=version.process.tenant_id,
    )
    _audit(
        "run.started",
        run,
        actor=user,
        status_to=RunState.RUNNING,
        metadata={"version": version.number},
    )
    walk = Walk(run, effects, actor=user)
    walk.begin()
    walk.settle()
    return run


# Running automatic steps in a worker ---------------------------------------------------------


def run_workitem(workitem_id: int, lock_version: int | None = None) -> int:
    """Run an automatic workitem and the chain after it; returns the steps recorded."""
    current: tuple | None = (workitem_id, lock_version, None)
    steps = 0
    while current is not None:
        if steps >= CHAIN_LIMIT:
            from engine import scheduler

            scheduler.dispatch_now("engine.tasks.run_workitem", current[0], current[1])
            break
        try:
            # The step after this one is leased for this worker only if it runs it too.
            next_step = _run_step(*current, lease_next=steps + 1 < CHAIN_LIMIT)
        finally:
            # Also when the handler let an exception through that ends the worker:
            # the heartbeat must not keep renewing a step that nobody runs.
            leases.heartbeat.release(current[0])
        if next_step is False:
            break
        steps += 1
        current = next_step or None
    return steps


def _run_step(
    workitem_id: int,
    lock_version: int | None,
    known: WorkItem | None = None,
    *,
    lease_next: bool = True,
):
    """One step. False: nothing done (duplicate, stale or paused); else the next step or None.

    ``known`` is the workitem as the previous step of the chain committed it
    (saves reading it back; the check under the lock below still decides),
    already leased to this worker. ``lease_next``: lease the step the chain
    goes on with to this worker (when it will run it, not queue it).
    """
    workitem = known or (WorkItem.objects.select_related("instance").filter(pk=workitem_id).first())
    if workitem is None or workitem.state != WorkItemState.READY:
        log.info(
            "workitem %s is not ready (%s): nothing to do",
            workitem_id,
            getattr(workitem, "state", "gone"),
        )
        return False
    if lock_version is not None and workitem.lock_version != lock_version:
        log.info(
            "workitem %s: stale message (version %s, now %s)",
            workitem_id,
            lock_version,
            workitem.lock_version,
        )
        return False
    run = workitem.instance
    if run.state not in ACTIVE_RUN:
        return False
    if known is None and not _claim(workitem):
        log.info("workitem %s: another worker took this step", workitem_id)
        return False
    expected = workitem.lock_version
    leases.heartbeat.hold(workitem.pk, expected)  # renewed while the handler runs
    graph = graph_for(run.version_id)
    activity = graph.activity(workitem.activity_key)
    ctx = handlers.HandlerContext(
        data=copy.deepcopy(run.data),
        instance_id=run.pk,
        workitem_id=workitem.pk,
        activity_key=workitem.activity_key,
        idempotency_key=workitem.idempotency_key or idempotency_key(workitem),
        attempt=workitem.attempts + 1,
        business_key=run.business_key,
    )
    result = error = trace = None
    try:
        result = handlers.as_result(handlers.resolve(activity.handler)(ctx))
        result.data = jsonable(result.data)
    except handlers.FAILURES as exc:  # the handler's failure is data: recorded, never raised
        error = handlers.describe_failure(exc)
        trace = tb.format_exc()
    leases.heartbeat.release(workitem.pk)
    effects = Effects()
    try:
        with transaction.atomic():
            run, state, version = lock_run_with(run.pk, workitem_id)
            if state != WorkItemState.READY or version != expected or run.state not in ACTIVE_RUN:
                return False
            # Unchanged since it was read (every change bumps lock_version).
            workitem.instance = run
            walk = Walk(run, effects)
            if error is None:
                _record_success(walk, workitem, result)
            else:
                _record_failure(walk, workitem, activity, error, trace)
            walk.settle()
            keep = _next_inline(effects)
            if keep is not None and keep[2] is not None and keep[2].instance_id != run.pk:
                keep = (keep[0], keep[1], None)  # another run's (a subprocess): read it back
            if keep is not None and keep[2] is not None and lease_next:
                _lease(keep[2])  # taken in this commit: no other worker can claim it
            effects.schedule(keep=keep[0] if keep else None)
    except DatabaseError:
        # Transient (deadlock, restart): give the step back so the reconciler
        # sends it again without counting an attempt (best effort: if the database
        # is gone too, the lease lapses and the step costs an attempt instead).
        with contextlib.suppress(Exception):
            WorkItem.objects.filter(pk=workitem_id, lock_version=expected).update(
                lease_expires_at=None
            )
        raise
    except Exception as exc:
        log.exception("engine error recording workitem %s", workitem_id)
        _record_engine_error(workitem_id, expected, exc)
        return False
    return keep


def _claim(workitem: WorkItem) -> bool:
    """Take a step that came from a queue message, before running its handler.

    Two copies of one message (a duplicate delivery, a re-send racing a slow
    original) would otherwise both run the handler; the compare-and-set on
    ``lock_version`` lets exactly one through, and a step another worker
    holds a lease on is never taken (a message without a version, such as an
    old ``forward``, cannot take a running step). The claim leases the step
    to this worker (see ``engine.leases``): if the worker dies, the lease
    lapses and the reconciler counts a failed attempt. A step the chain
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


def _next_inline(effects: Effects):
    if not effects.ready:
        return None
    pk, lock_version = effects.ready[0]
    return pk, lock_version, effects.created.get(pk)


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
        _audit(
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
    run = walk.run
    workitem.attempts += 1
    workitem.lease_expires_at = None  # READY again later: free for the next claim
    workitem.error = error[:10_000]
    workitem.traceback = trace[-20_000:]
    if workitem.attempts < max(activity.retry.max_attempts, 1):
        workitem.state = WorkItemState.RETRY
        workitem.next_attempt_at = walk.now + timedelta(
            seconds=retry_delay(activity, workitem.attempts)
        )
        workitem.lock_version += 1
        workitem.save()
        Timer.objects.create(
            instance=run,
            workitem=workitem,
            kind=TimerKind.RETRY,
            due_at=workitem.next_attempt_at,
            created_at=walk.now,
        )
        _audit(
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
        return
    walk.fallout(
        workitem,
        IncidentKind.HANDLER,
        f"{activity.label!r} failed {workitem.attempts} time(s); last error: {workitem.error}",
        trace=workitem.traceback,
    )
    if activity.compensation_handler and waymark_setting("COMPENSATION_AUTO"):
        walk.effects.compensate.append(workitem.pk)


def _record_engine_error(workitem_id: int, expected: int, exc: Exception) -> None:
    effects = Effects()
    with transaction.atomic():
        workitem = WorkItem.objects.filter(pk=workitem_id).first()
        if workitem is None:
            return
        run = lock_run(workitem.instance_id)
        workitem = WorkItem.objects.get(pk=workitem_id)
        if workitem.state != WorkItemState.READY or workitem.lock_version != expected:
            return
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
        instance_id = (
            WorkItem.objects.filter(pk=workitem_id).values_list("instance_id", flat=True).first()
        )
        if instance_id is None:
            return False
        run = lock_run(instance_id)
        workitem = WorkItem.objects.get(pk=workitem_id)
        lapsed = workitem.lease_expires_at is not None and workitem.lease_expires_at < now
        if workitem.state != WorkItemState.READY or not lapsed or run.state not in ACTIVE_RUN:
            return False
        workitem.instance = run
        activity = graph_for(run.version_id).activity(workitem.activity_key)
        walk = Walk(run, effects)
        walk.now = now
        log.warning("workitem %s: its worker died (lease expired): a failed attempt", workitem_id)
        note = (
            "No traceback: the worker process ended (or stalled) while it ran the handler; "
            f"its lease on the step ran out at {workitem.lease_expires_at.isoformat()} "
            "without being renewed."
        )
        _record_failure(walk, workitem, activity, leases.DEAD_WORKER_ERROR, note)
        walk.settle()
        effects.schedule()
    return True


# Timers -------------------------------------------------------------------------------


def fire_timer(timer_id: int, now: datetime | None = None, *, row: dict | None = None) -> bool:
    """Fire one due timer in its own transaction; False when it was not (or no longer) due.

    ``row`` is the timer's columns as the poll read them (saves reading them again).
    """
    now = now or timezone.now()
    if row is None:
        row = Timer.objects.filter(pk=timer_id, fired_at=None).values(*TIMER_COLUMNS).first()
        if row is None:
            return False
    timer = Timer(**row)
    effects = Effects()
    with transaction.atomic():
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
        if timer.kind == TimerKind.RETRY:
            if workitem.state == WorkItemState.RETRY:
                workitem.state = WorkItemState.READY
                workitem.next_attempt_at = None
                workitem.dispatched_at = now
                workitem.lease_expires_at = None
                workitem.lock_version += 1
                workitem.save()
                effects.ready.append((workitem.pk, workitem.lock_version))
        elif timer.kind == TimerKind.TIMER:
            if workitem.state == WorkItemState.WAITING and walk.leave(
                workitem, WorkItemState.COMPLETED, timer_fired=True
            ):
                _audit(
                    "workitem.completed",
                    run,
                    workitem,
                    status_from=WorkItemState.WAITING,
                    status_to=WorkItemState.COMPLETED,
                    metadata={"timer": True},
                )
        elif workitem.state in (
            WorkItemState.OFFERED,
            WorkItemState.ASSIGNED,
            WorkItemState.WAITING,
        ):
            previous = workitem.state
            if timer.transition_key:
                transitions = [walk.graph.transitions[timer.transition_key]]
            else:
                run.condition = TIMEOUT_OUTCOME
                transitions = None
            if walk.leave(
                workitem, WorkItemState.TIMED_OUT, transitions=transitions, timer_fired=True
            ):
                _audit(
                    "workitem.timed_out",
                    run,
                    workitem,
                    status_from=previous,
                    status_to=WorkItemState.TIMED_OUT,
                    transition_key=timer.transition_key,
                    metadata={"due_at": timer.due_at.isoformat()},
                )
        walk.settle()
        effects.schedule()
    return True


# Compensation ----------------------------------------------------------------------------


def compensate_workitem(workitem_id: int) -> bool:
    """Run the compensation handler of a fallen-out workitem, once; True if it ran."""
    workitem = WorkItem.objects.select_related("instance").filter(pk=workitem_id).first()
    if workitem is None or workitem.state != WorkItemState.FALLOUT or workitem.compensated_at:
        return False
    run = workitem.instance
    activity = graph_for(run.version_id).activity(workitem.activity_key)
    if not activity.compensation_handler:
        return False
    ctx = handlers.HandlerContext(
        data=copy.deepcopy(run.data),
        instance_id=run.pk,
        workitem_id=workitem.pk,
        activity_key=workitem.activity_key,
        idempotency_key=f"{workitem.idempotency_key or idempotency_key(workitem)}-compensation",
        attempt=workitem.attempts,
        business_key=run.business_key,
        error=workitem.error,
    )
    error = None
    result = handlers.HandlerResult()
    try:
        result = handlers.as_result(handlers.resolve(activity.compensation_handler)(ctx))
        result.data = jsonable(result.data)
    except handlers.FAILURES as exc:  # sys.exit() too: the worker survives
        error = handlers.describe_failure(exc)
        log.exception("compensation of workitem %s failed", workitem_id)
    with transaction.atomic():
        run = lock_run(run.pk)
        workitem = WorkItem.objects.get(pk=workitem_id)
        if workitem.state != WorkItemState.FALLOUT or workitem.compensated_at:
            return False
        if error is not None:
            _audit("workitem.compensation_failed", run, workitem, metadata={"error": error[:2000]})
            return False
        if result.data:
            merged = {**run.data, **result.data}
            try:
                check_size(merged)
                run.data = merged
                run.lock_version += 1
                run.save(update_fields=["data", "lock_version", "updated_at"])
            except DataTooLarge:
                pass
        workitem.compensated_at = timezone.now()
        workitem.lock_version += 1
        workitem.save(update_fields=["compensated_at", "lock_version"])
        _audit(
            "workitem.compensated",
            run,
            workitem,
            metadata={"handler": activity.compensation_handler},
        )
    return True
