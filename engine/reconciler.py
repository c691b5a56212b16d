"""The reconciler: rings the doorbell again for work whose queue message was lost.

The Redis broker loses the message of a killed worker; a rotated SECRET_KEY
makes queued messages unreadable; a crash between commit and enqueue loses
the enqueue. None of that loses a run, because the engine's tables say what
is due: a READY workitem whose ``dispatched_at`` is older than
``WAYMARK_RECONCILE_AFTER_SECONDS`` is sent again. Its ``lock_version`` is
bumped first, so if the old message turns up after all, it finds the version
changed and does nothing. (A handler that runs longer than that setting is
sent again while it still runs; only one result is recorded, and its side
effects should use the idempotency key anyway.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from engine.conf import waymark_setting
from engine.executor import ACTIVE_RUN, Effects, lock_run
from engine.models import WorkItem, WorkItemState

BATCH = 500


def redispatch_lost(now: datetime | None = None, limit: int = BATCH) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=float(waymark_setting("RECONCILE_AFTER_SECONDS")))
    stale = list(
        WorkItem.objects.filter(state=WorkItemState.READY, instance__state__in=ACTIVE_RUN)
        .filter(Q(dispatched_at__lt=cutoff) | Q(dispatched_at=None))
        .values_list("pk", "instance_id")[:limit]
    )
    sent = 0
    for pk, instance_id in stale:
        effects = Effects()
        with transaction.atomic():
            lock_run(instance_id)
            workitem = WorkItem.objects.get(pk=pk)
            if workitem.state != WorkItemState.READY or (
                workitem.dispatched_at is not None and workitem.dispatched_at >= cutoff
            ):
                continue
            workitem.dispatched_at = now
            workitem.lock_version += 1
            workitem.save(update_fields=["dispatched_at", "lock_version"])
            effects.ready.append((workitem.pk, workitem.lock_version))
            effects.schedule()
            sent += 1
    return sent


def reconcile(now: datetime | None = None) -> dict[str, int]:
    """One sweep: lost steps sent again, kept signals matched, expired signals dropped,
    webhook deliveries that are due sent."""
    from engine.services import signals
    from engine.webhooks import delivery

    return {
        "redispatched": redispatch_lost(now),
        "signals_matched": signals.match_pending(now),
        "signals_expired": signals.expire_pending(now),
        "webhooks_sent": delivery.send_due(now),  # retries that are due, lost messages
    }
