"""Schedule triggers fired by the timer loop.

Each armed schedule is one ``ScheduleFire`` row holding its next fire time in
UTC. Firing moves the row to its next time with a compare-and-set on
``due_at`` in the same transaction as the start, so with several timer loops
a fire is recorded once: the loop that loses the compare-and-set does nothing
(on PostgreSQL a row another loop holds is skipped without waiting, so loops
share a burst of due schedules instead of queueing behind each other).

Missed fires (everything was down past one or more fire times): the trigger
fires once, for the latest missed time, and is then armed for its next time
after now. A day of downtime starts one nightly run, not a burst.

``concurrency: skip`` records ``trigger.skipped`` instead of starting while a
run started by this trigger is still open; a start that fails (its data no
longer matches the process's input schema, say) records ``trigger.failed``.
Either way the schedule moves on.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from engine.core import triggers as core
from engine.models import ScheduleFire, Trigger, VersionStatus
from engine.runtime.trigger_starts import start_for_trigger

log = logging.getLogger("engine.triggers")

BATCH = 200
FIRE_BATCH = 50  # fires per commit at most (as timers)
FIRE_BATCH_SECONDS = 0.2  # ... and a batch commits after this long at most


def _due(now: datetime, limit: int) -> list[tuple[int, datetime]]:
    rows = (
        ScheduleFire.objects.filter(due_at__lte=now, process__paused=False)
        .order_by("due_at", "pk")
        .values_list("pk", "due_at")[:limit]
    )
    return list(rows)


def fire_due_schedules(now: datetime | None = None, limit: int = BATCH) -> int:
    """Fire every schedule due at ``now``; returns how many fired (started, skipped or failed).

    As timers do (engine.runtime.timers.fire_due), fires commit in batches of
    up to FIRE_BATCH, each fire in its own savepoint (a failing one rolls back
    alone), and a batch commits after FIRE_BATCH_SECONDS at most: one commit
    per fire caps a burst of due schedules at the database's commits per
    second. A crash mid-batch rolls the whole batch back, moves included, so
    those schedules fire again: none is lost, none fires twice.
    """
    now = now or timezone.now()
    fired = 0
    rows = _due(now, limit)
    position = 0
    while position < len(rows):
        began = time.monotonic()
        with transaction.atomic():
            for pk, due_at in rows[position : position + FIRE_BATCH]:
                position += 1
                try:
                    if fire_schedule(pk, due_at, now):  # (a savepoint of this batch)
                        fired += 1
                except Exception:  # one bad schedule must not stop the others
                    log.exception("schedule %s could not fire", pk)
                if time.monotonic() - began >= FIRE_BATCH_SECONDS:
                    break
    return fired


def next_schedule_in(now: datetime | None = None) -> float | None:
    """Seconds until the next armed schedule of an unpaused process (None: none is armed)."""
    now = now or timezone.now()
    due = (
        ScheduleFire.objects.filter(process__paused=False)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    return None if due is None else max((due - now).total_seconds(), 0.0)


@transaction.atomic
def fire_schedule(pk: int, due_at: datetime, now: datetime) -> bool:
    """Fire one schedule that was due at ``due_at``; False when another loop fired it."""
    # Several loops share the due rows: on PostgreSQL a row another loop is firing is
    # skipped at once instead of waited for (its compare-and-set would lose anyway).
    mine = ScheduleFire.objects.select_for_update(skip_locked=True).filter(pk=pk, due_at=due_at)
    if not mine.values_list("pk", flat=True):
        return False
    trigger = Trigger.objects.select_related("version__process").filter(fire__pk=pk).first()
    if trigger is None:  # disarmed since the poll read it
        return False
    version = trigger.version
    if version.status != VersionStatus.PUBLISHED or version.process.paused:
        return False
    scheduled_for = core.latest_fire(trigger.cron, trigger.timezone, now)
    next_due = core.next_fire(trigger.cron, trigger.timezone, now)
    moved = ScheduleFire.objects.filter(pk=pk, due_at=due_at).update(
        due_at=next_due, last_fired_at=scheduled_for, fires=F("fires") + 1
    )
    if not moved:  # another timer loop fired it first
        return False
    facts = {
        "scheduled_for": scheduled_for.isoformat(),
        "missed": scheduled_for > due_at,  # fired once for the latest of several missed times
        "next_due": next_due.isoformat(),
    }
    # Skip, the singleton key, the audit events: the path every trigger kind takes.
    start_for_trigger(trigger, dict(trigger.data or {}), facts)
    return True
