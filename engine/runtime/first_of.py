"""Wait for the first of several things: the event-based gateway at run time.

A ``first_of`` activity's transitions lead to timers and signal waits (the
validator makes sure, WM127; model events arrive as signals too). When a run
arrives, the gateway's workitem waits and every target is armed at once, each
target's workitem pointing at the gateway's (``WorkItem.gateway``): timer rows
are written, signal waits listen, and a signal kept from before the run waited
is taken at once (it wins; targets after it are then not armed at all).

The first wait to fire wins. ``Walk.leave`` calls ``decide`` when a wait of a
gateway closes, whatever woke it (the timer loop, a signal, a kept signal, a
timeout): the gateway's workitem completes, and every other armed wait is
cancelled in the same transaction — its timer rows deleted, its signal wait
withdrawn (a cancelled workitem matches no signal) — each audited as
``workitem.cancelled`` with the wait that won.

Exactly one winner, even when two wakes come at the same moment: every wake
locks the run first and re-reads its wait under that lock
(``engine.runtime.locks``), so the second finds its wait cancelled (or its
timer row gone) and does nothing. A signal that came second therefore wakes
nobody and is kept, like any signal nobody waited for.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from engine.core.graph import Activity, ActivityKind
from engine.core.states import check_move
from engine.models import Incident, Timer, WorkItem, WorkItemState
from engine.runtime import locks
from engine.runtime.audit import record

if TYPE_CHECKING:
    from engine.runtime.walk import Walk

# A losing wait is cancelled from these states (one may have fallen out on arrival,
# e.g. a timer whose date field held no date).
CANCELLABLE = (WorkItemState.WAITING, WorkItemState.FALLOUT)


def enter_first_of(walk: Walk, workitem: WorkItem, activity: Activity) -> None:
    """The gateway waits; every wait it leads to is armed now, in transition order."""
    workitem.state = WorkItemState.WAITING
    workitem.save()
    out = walk.graph.outgoing(activity.key)
    record(
        "workitem.created",
        walk.run,
        workitem,
        status_to=workitem.state,
        metadata={"waits_for_the_first_of": [t.target for t in out]},
    )
    walk.arming = workitem
    try:
        for transition in out:
            walk.arrive(transition.target, transition.key, join=False)
            if workitem.state != WorkItemState.WAITING:
                break  # a kept signal won at once: nothing else to arm
    finally:
        walk.arming = None


def gateway_for(walk: Walk, via: str) -> WorkItem | None:
    """The waiting gateway a workitem reached by ``via`` is armed by (None: not a gateway's).

    While a gateway arms its waits that is the walk's ``arming``; a wait visited
    again later (the retry of one that fell out on arrival) finds its gateway's
    open workitem.
    """
    if walk.arming is not None:
        return walk.arming
    transition = walk.graph.transitions.get(via) if via else None
    if transition is None:
        return None
    source = walk.graph.activities.get(transition.source)
    if source is None or source.kind != ActivityKind.FIRST_OF:
        return None
    return (
        WorkItem.objects.filter(
            instance=walk.run, activity_key=source.key, state=WorkItemState.WAITING
        )
        .order_by("-seq")
        .first()
    )


def decide(walk: Walk, winner: WorkItem) -> None:
    """``winner`` fired first: its gateway completes and every other wait is cancelled.

    The caller holds the run's lock. A gateway decided already (a winner routed
    again after a retry) is left as it is.
    """
    gateway = _gateway_of(walk, winner)
    if gateway is None or gateway.state != WorkItemState.WAITING:
        return
    now = walk.now
    gateway.state = WorkItemState.COMPLETED
    gateway.completed_at = now
    locks.bump(gateway, "state", "completed_at")
    record(
        "workitem.completed",
        walk.run,
        gateway,
        status_from=WorkItemState.WAITING,
        status_to=WorkItemState.COMPLETED,
        metadata={"first": winner.activity_key, "workitem": winner.pk},
    )
    losers = list(
        WorkItem.objects.filter(gateway_id=gateway.pk, state__in=CANCELLABLE).exclude(pk=winner.pk)
    )
    for loser in losers:
        _cancel(walk, loser, gateway, winner, now)
    pks = [loser.pk for loser in losers]
    Timer.objects.filter(workitem_id__in=pks, fired_at=None).delete()
    Incident.objects.filter(workitem_id__in=pks, resolved_at=None).update(resolved_at=now)


def _gateway_of(walk: Walk, winner: WorkItem) -> WorkItem | None:
    if winner.gateway_id is None:
        return None
    if walk.arming is not None and walk.arming.pk == winner.gateway_id:
        return walk.arming  # (the same object the arming loop looks at)
    return WorkItem.objects.filter(pk=winner.gateway_id).first()


def _cancel(
    walk: Walk, loser: WorkItem, gateway: WorkItem, winner: WorkItem, now: datetime
) -> None:
    previous = loser.state
    check_move("workitem", previous, WorkItemState.CANCELLED)
    loser.state = WorkItemState.CANCELLED
    loser.completed_at = now
    locks.bump(loser, "state", "completed_at")
    record(
        "workitem.cancelled",
        walk.run,
        loser,
        status_from=previous,
        status_to=WorkItemState.CANCELLED,
        metadata={
            "first_of": gateway.activity_key,
            "won_by": winner.activity_key,
            "reason": f"{winner.name or winner.activity_key!r} came first",
        },
    )
