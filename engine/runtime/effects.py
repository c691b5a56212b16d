"""Effects: what a transaction queues for after it commits.

A walk never sends a queue message itself: it notes the work (steps made
READY, compensations, notifications) in ``Effects``, and the caller calls
``schedule()`` inside its transaction, which hands each message to the
scheduler backend for ``transaction.on_commit``. A rolled-back transaction
therefore sends nothing, and a committed one never misses a message it
should send (a message lost after that is the reconciler's job).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.models import WorkItem, WorkItemState
from engine.runtime import locks, scheduler


@dataclass
class Effects:
    ready: list[tuple[int, int]] = field(default_factory=list)  # (workitem id, lock_version)
    compensate: list[int] = field(default_factory=list)
    notify: list[tuple[int, list[int]]] = field(default_factory=list)
    # New READY workitems as saved (with their run): the chain goes on with
    # one of them after the commit without reading it back.
    created: dict[int, WorkItem] = field(default_factory=dict)
    # Set by a worker step whose chain goes on in-process: (run id, lease expiry).
    # The first READY step it makes for that run is inserted already leased to
    # the worker, instead of an UPDATE of the lease afterwards.
    lease_first: tuple[int, datetime] | None = None

    def send(self, workitem_id: int, lock_version: int) -> None:
        """Queue the READY step ``workitem_id`` (at this version) on commit."""
        self.ready.append((workitem_id, lock_version))

    def lease_at_insert(self, workitem: WorkItem) -> None:
        """Lease a new READY ``workitem`` (before its INSERT) if the chain goes on with it.

        Only the first step this transaction makes READY, of the run the worker
        holds: that is the one the worker runs next (``effects.ready[0]``); any
        other is queued unleased, free for the claim of whichever worker gets
        its message.
        """
        if self.lease_first is None or self.ready:
            return
        run_id, until = self.lease_first
        if workitem.instance_id == run_id:
            workitem.lease_expires_at = until

    def schedule(self, *, keep: int | None = None) -> None:
        """Queue the work on commit; ``keep`` is a workitem the caller runs itself."""
        # One doorbell per run for a split's new steps, in one write to the broker:
        # see scheduler.dispatch_steps.
        steps = [(pk, lock_version) for pk, lock_version in self.ready if pk != keep]
        scheduler.dispatch_steps(steps, self.created)
        for pk in self.compensate:
            scheduler.dispatch("engine.tasks.compensate_workitem", pk)
        for user_id, workitem_ids in self.notify:
            scheduler.schedule_notification(user_id, workitem_ids)


def make_ready(workitem: WorkItem, effects: Effects, now: datetime, *fields: str) -> None:
    """Make an existing workitem READY again and send it to a worker on commit.

    Its retry wait and any lease are dropped (a fresh claim takes it), its
    version bumped (older messages for it are stale). ``fields``: other
    columns the caller changed on it.
    """
    workitem.state = WorkItemState.READY
    workitem.next_attempt_at = None
    workitem.dispatched_at = now
    workitem.lease_expires_at = None
    locks.bump(
        workitem,
        "state",
        "next_attempt_at",
        "dispatched_at",
        "lease_expires_at",
        *fields,
    )
    effects.send(workitem.pk, workitem.lock_version)
