"""Signal waits at run time: the correlation a wait listens for, and waking it.

A signal wait (``engine.runtime.kinds.enter_signal``) stores the signal's
name and its correlation value on the WAITING workitem. ``receive_signal``
wakes it with a payload; a signal sent before the run waited is kept
(``PendingSignal``) and taken by the wait when it starts, or when its run is
resumed. Sending, matching kept signals later and expiring them are the
service ``engine.services.signals``; a wait's timeout fires in
``engine.runtime.timers``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.core.conditions import resolve_path
from engine.core.graph import Activity
from engine.models import PendingSignal, WorkItem, WorkItemState
from engine.runtime.audit import record
from engine.runtime.data import check_size, correlation_text

if TYPE_CHECKING:
    from engine.runtime.walk import Walk


def correlation_of(activity: Activity, data: dict) -> str:
    """The correlation value a wait at ``activity`` listens for, read from run data."""
    if not activity.correlation:
        return correlation_text(None)
    return correlation_text(resolve_path(activity.correlation, data))


def take_kept_signal(walk: Walk, workitem: WorkItem) -> bool:
    """Let a signal wait take a signal kept before it waited (of its run's tenant)."""
    kept = PendingSignal.objects.select_for_update().kept_for(workitem, walk.run, walk.now)
    if kept is None:
        return False
    consume_kept_signal(walk, kept, workitem)
    return True


def take_kept_signals(walk: Walk) -> None:
    """Every signal wait of the run takes a signal kept meanwhile (a resumed run)."""
    waiting = WorkItem.objects.filter(instance=walk.run, state=WorkItemState.WAITING).exclude(
        signal_name=""
    )
    for workitem in waiting:
        if workitem.gateway_id is not None and not _still_waiting(workitem):
            continue  # another wait of its "first of" gateway won a moment ago
        take_kept_signal(walk, workitem)


def _still_waiting(workitem: WorkItem) -> bool:
    return WorkItem.objects.filter(pk=workitem.pk, state=WorkItemState.WAITING).exists()


def consume_kept_signal(walk: Walk, signal: PendingSignal, workitem: WorkItem) -> None:
    """Wake ``workitem`` with a kept signal, which is then used up."""
    signal.consumed_at = walk.now
    signal.consumed_by = walk.run
    signal.save(update_fields=["consumed_at", "consumed_by"])
    receive_signal(walk, workitem, signal.payload, early=True, sender=signal.sent_by)


def receive_signal(
    walk: Walk,
    workitem: WorkItem,
    payload: dict | None,
    *,
    early: bool = False,
    sender: Any = None,
) -> None:
    """Wake ``workitem`` with ``payload``; the audit actor is who sent the signal.

    A signal sent now comes from the walk's actor; a kept one (``early``) from
    ``sender``, who sent it earlier (None: the system).
    """
    run = walk.run
    if payload:
        merged = {**run.data, **payload}
        check_size(merged)
        run.data = merged
    record(
        "signal.received",
        run,
        workitem,
        actor=sender if early else walk.actor,
        metadata={
            "signal": workitem.signal_name,
            "correlation": workitem.correlation_value,
            "kept_since_before_the_run_waited": early,
        },
    )
    walk.leave(workitem, WorkItemState.COMPLETED)
