"""Which READY steps of a run a queue message may take: its own, or an unclaimed sibling.

A split's steps share one message per run (``scheduler.dispatch_steps``), so
the worker that takes a message reads the step it names together with the
run's other READY steps that no worker holds (engine.runtime.worker).
"""

from __future__ import annotations

import logging

from django.db.models import Case, Q, Subquery, Value, When

from engine.models import WorkItem, WorkItemState

log = logging.getLogger("engine.executor")  # (the worker's log name)


SIBLINGS_READ = 3  # unclaimed READY siblings a message reads with its step (lost races try on)


def with_free_siblings(workitem_id: int) -> list[WorkItem]:
    """The workitem (first, with its run) and up to SIBLINGS_READ unclaimed READY steps of
    its run, in one statement (a message that finds its step done reads no more than before)."""
    run_of = WorkItem.objects.filter(pk=workitem_id).order_by().values("instance_id")
    free = Q(instance_id=Subquery(run_of), state=WorkItemState.READY, lease_expires_at=None)
    own_first = Case(When(pk=workitem_id, then=Value(0)), default=Value(1))
    return list(
        WorkItem.objects.select_related("instance")
        .filter(Q(pk=workitem_id) | free)
        .order_by(own_first, "seq")[: SIBLINGS_READ + 1]
    )


def is_free(workitem: WorkItem, lock_version: int | None) -> bool:
    """The message's own step is READY at its version and no worker holds it."""
    if workitem.state != WorkItemState.READY:
        log.info("workitem %s is not ready (%s)", workitem.pk, workitem.state)
        return False
    if lock_version is not None and workitem.lock_version != lock_version:
        log.info(
            "workitem %s: stale message (version %s, now %s)",
            workitem.pk,
            lock_version,
            workitem.lock_version,
        )
        return False
    if workitem.lease_expires_at is not None:
        # Leased: a worker runs it (a sibling run on by a free worker, usually);
        # the claim would find that too, at the cost of a write.
        log.info("workitem %s: another worker holds this step", workitem.pk)
        return False
    return True
