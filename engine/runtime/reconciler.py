"""The reconciler: moves READY steps whose queue message or worker was lost.

The engine's tables say what is due, so a lost message or a dead worker never
loses a run. A READY step stops moving in one of two ways, told apart by its
lease (see ``engine.runtime.leases``):

- **Its message was lost before any worker took it.** The Redis broker loses
  the messages a killed cluster had fetched; a rotated SECRET_KEY makes queued
  messages unreadable; a crash between commit and enqueue loses the enqueue.
  The step has no lease and was sent more than
  ``WAYMARK_RECONCILE_AFTER_SECONDS`` ago: it is sent again, with the same
  ``lock_version``. Whichever copy a worker takes first claims the step (the
  claim bumps the version) and the others do nothing. This is not an attempt.
  The version is deliberately not bumped here: when the queue is merely
  slower than the setting, a bump would make every earlier copy stale and the
  step could be re-sent again and again without ever running.
  The same goes for a parallel split's steps that no message names (a split
  sends one doorbell per run, passed on by each claim: see
  ``engine.runtime.scheduler.dispatch_steps``): they carry ``dispatched_at``
  from the split's commit, so if the doorbell is lost or its worker dies
  between its claim and ringing on, each is sent again here, in its own message.
- **Its worker died while running it** (``exit``, a segfault, SIGKILL,
  Django-Q2's timeout): the lease was not renewed and lapsed. That is a failed
  attempt, recorded like a handler's exception with the error "the worker
  running this step died (lease expired)": the step is retried per the
  activity's retry policy and falls out with an incident after its last
  attempt (``engine.runtime.worker.record_dead_worker``).

A handler may run as long as it needs: its worker renews the lease meanwhile,
so a slow step is never sent twice. The whole sweep (these two, kept signals,
webhook deliveries) is ``engine.services.scans.reconcile``, run by the timer
loop (``manage.py waymark_timers``) every few seconds, so a lost message is
sent again within about ``WAYMARK_RECONCILE_AFTER_SECONDS`` and a dead
worker's step is counted within about ``WAYMARK_STEP_LEASE_SECONDS`` (plus the
sweep interval); the Django-Q2 schedule ``waymark.reconcile`` is a slower
safety net.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from engine.conf import waymark_setting
from engine.models import WorkItem, WorkItemState
from engine.runtime.effects import Effects
from engine.runtime.locks import ACTIVE_RUN
from engine.runtime.worker import record_dead_worker

log = logging.getLogger("engine.reconciler")

BATCH = 500


def redispatch_lost(now: datetime | None = None, limit: int = BATCH) -> int:
    """Send again the READY steps no worker took in time; returns how many were sent."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=float(waymark_setting("RECONCILE_AFTER_SECONDS")))
    unclaimed = Q(state=WorkItemState.READY, lease_expires_at=None) & (
        Q(dispatched_at__lt=cutoff) | Q(dispatched_at=None)
    )
    stale = list(
        WorkItem.objects.filter(unclaimed, instance__state__in=ACTIVE_RUN)
        .order_by("dispatched_at", "pk")
        .values_list("pk", "lock_version")[:limit]
    )
    sent = 0
    for pk, lock_version in stale:
        # Compare-and-set: a worker that claimed it meanwhile (or another sweep) wins.
        if WorkItem.objects.filter(unclaimed, pk=pk, lock_version=lock_version).update(
            dispatched_at=now
        ):
            effects = Effects()
            effects.send(pk, lock_version)
            effects.schedule()
            sent += 1
    return sent


def expire_leases(now: datetime | None = None, limit: int = BATCH) -> int:
    """Count a failed attempt for every READY step whose worker's lease lapsed."""
    now = now or timezone.now()
    lapsed = list(
        WorkItem.objects.filter(
            state=WorkItemState.READY,
            lease_expires_at__lt=now,
            instance__state__in=ACTIVE_RUN,
        )
        .order_by("lease_expires_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    counted = 0
    for pk in lapsed:
        try:
            if record_dead_worker(pk, now):
                counted += 1
        except Exception:  # one broken step must not keep the others stuck
            log.exception("could not record the dead worker of workitem %s", pk)
    return counted
