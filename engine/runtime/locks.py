"""Locks: every change to a run happens in a transaction holding the run's row.

Every change to a run — a worker step, a person completing a task, a
timer, a signal, a cancel — first locks the run's row (``SELECT ... FOR
UPDATE`` on PostgreSQL; on SQLite the IMMEDIATE transaction already holds the
database's single write lock). Parallel branches of one run therefore move
one at a time, which is what makes join tokens and data merges safe: two
branches arriving at a join together would otherwise both see the other's
token missing, and the join would never fire. A child run locks itself, then
its parent when it ends; cancelling locks the parent, then its children.

The ritual of every path that changes a workitem: lock the run, re-read the
workitem under that lock, check it is still in the state the change expects,
change it and bump its ``lock_version`` (``lock_workitem`` and ``bump``). A
duplicate or stale message, or a second person acting on the same task, then
finds the version or the state changed and does nothing.

A run read by these functions remembers the state it was locked in, so a
``Walk`` can tell whether someone changed ``run.state`` in memory since
(``state_unchanged``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import cast

from django.db.models import Model

from engine.models import ProcessInstance, RunState, WorkItem
from engine.runtime.statements import RUN, WORKITEM, save_fields, statement

# A run in one of these states may move; a suspended, completed or cancelled one may not.
ACTIVE_RUN = [RunState.RUNNING, RunState.WAITING, RunState.FAILED]


def _seen(run: Model) -> ProcessInstance:
    run = cast(ProcessInstance, run)
    setattr(run, "_waymark_locked_state", run.state)  # noqa: B010 (not a model field)
    return run


def state_unchanged(run: ProcessInstance) -> bool:
    """True when ``run.state`` is still what the database holds (as locked or saved)."""
    return getattr(run, "_waymark_locked_state", None) == run.state


def saw_state(run: ProcessInstance) -> None:
    """Note that ``run.state`` is now what the database holds (just created or saved)."""
    _seen(run)


def lock_run(pk: int) -> ProcessInstance:
    """The run's row, locked for the rest of the transaction (see the module docstring).

    No select_related here: FOR UPDATE would lock the joined rows too (the
    process), and every step of every run of a process would queue on it.
    """
    return _seen(ProcessInstance.objects.select_for_update().get(pk=pk))


def lock_run_with(pk: int, workitem_id: int) -> tuple[ProcessInstance, str | None, int | None]:
    """Lock the run and read one workitem's state and version in the same query.

    The hot path of every step: the statement is compiled once
    (``engine.runtime.statements``), then run with this run's and workitem's ids.
    """
    found = statement("lock_with_workitem").first({RUN: pk, WORKITEM: workitem_id})
    if found is None:
        raise ProcessInstance.DoesNotExist(f"ProcessInstance {pk} does not exist.")
    run, extra = found
    return _seen(run), extra["locked_wi_state"], extra["locked_wi_version"]


def try_lock_run(pk: int) -> ProcessInstance | None:
    """The run's row locked, or None when another transaction holds it (or it is gone).

    ``SKIP LOCKED`` on PostgreSQL; on SQLite the transaction already holds the
    database's write lock.
    """
    found = statement("try_lock").first({RUN: pk})
    return None if found is None else _seen(found[0])


def get_workitem(pk: int) -> WorkItem:
    """A workitem by id (the compiled statement; DoesNotExist when it is gone)."""
    found = statement("workitem").first({WORKITEM: pk})
    if found is None:
        raise WorkItem.DoesNotExist(f"WorkItem {pk} does not exist.")
    return cast(WorkItem, found[0])


def lock_workitem(
    pk: int,
    *,
    run_id: int | None = None,
    states: Collection[str] | None = None,
    version: int | None = None,
    active: bool = False,
    related: tuple[str, ...] = (),
) -> tuple[ProcessInstance, WorkItem] | None:
    """Lock a workitem's run, then re-read the workitem under that lock.

    None when the workitem is gone, or (when asked) not in one of ``states``,
    not at ``version`` any more, or its run is not ``active`` (ACTIVE_RUN).
    Callers that answer each case with its own message pass no checks and
    look at the pair themselves. ``run_id``: the workitem's run when the
    caller knows it already; ``related``: select_related of the re-read.
    """
    if run_id is None:
        run_id = WorkItem.objects.filter(pk=pk).values_list("instance_id", flat=True).first()
        if run_id is None:
            return None
    run = lock_run(run_id)
    rows = WorkItem.objects.select_related(*related) if related else WorkItem.objects
    workitem = rows.filter(pk=pk).first()
    if workitem is None:
        return None
    if states is not None and workitem.state not in states:
        return None
    if version is not None and workitem.lock_version != version:
        return None
    if active and run.state not in ACTIVE_RUN:
        return None
    workitem.instance = run
    return run, workitem


def bump(obj: ProcessInstance | WorkItem, *fields: str, fast: bool = False) -> None:
    """Save a run or workitem that changed, with its ``lock_version`` one higher.

    Every change bumps the version, so a message or a page that names the old
    one is refused. ``fields``: the changed columns (none: the whole row).
    ``fast``: through the precompiled UPDATE (the hot path; no model signals).
    """
    obj.lock_version += 1
    is_run = isinstance(obj, ProcessInstance)
    if not fields:
        obj.save()
    else:
        columns = [*fields, "lock_version"]
        if is_run and "updated_at" not in columns:
            columns.append("updated_at")
        if fast and not is_run:
            # A workitem's row is compared as well as set: a step's check that it is still
            # as the handler got it can read a stale row on PostgreSQL (a subquery of the
            # run lock reads the statement's snapshot, taken before the lock wait).
            save_fields(obj, columns, expected_version=obj.lock_version - 1)
        elif fast:
            save_fields(obj, columns)
        else:
            obj.save(update_fields=columns)
    if is_run:
        _seen(obj)
