"""The precise timer loop: fires due timers, timeouts and retries within a second or two.

Django-Q2's scheduler ticks about every 30 seconds and ``async_task`` has no
ETA, so what is due lives in the ``Timer`` table (indexed on ``due_at`` for
unfired rows) and this loop polls it every ``WAYMARK_TIMER_POLL_SECONDS``
(0.5 s), sleeping less when the next timer is nearer. Each timer fires in its
own transaction holding its run's lock; the run's row is taken with ``SKIP
LOCKED`` on PostgreSQL, so several loops (one per machine, for availability)
share the work without waiting on each other, and a timer is fired once:
``fired_at`` is set in the same transaction as its effect. Firing only
changes state and queues automatic work; no handler runs here.

Every 5 s the loop also runs the reconciler: steps whose worker died (lapsed
lease) count a failed attempt, steps whose queue message was lost are sent
again, kept signals pair with new waits, old signals expire, due webhook
deliveries are sent. Run it with ``manage.py
waymark_timers``; the Django-Q2 timeout scan is a slower safety net.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from engine.conf import waymark_setting
from engine.executor import ACTIVE_RUN, TIMER_COLUMNS, fire_timer
from engine.models import Timer

log = logging.getLogger("engine.timers")

BATCH = 1000
FIRE_BATCH = 50  # timers per commit at most
FIRE_BATCH_SECONDS = 0.2  # ... and a batch commits after this long at most


def due_timers(now: datetime | None = None, limit: int = BATCH) -> list[dict]:
    """The columns of the timers due at ``now`` (of runs that may move), oldest first."""
    now = now or timezone.now()
    return list(
        Timer.objects.filter(fired_at=None, due_at__lte=now, instance__state__in=ACTIVE_RUN)
        .order_by("due_at", "pk")
        .values(*TIMER_COLUMNS)[:limit]
    )


def fire_due(now: datetime | None = None, limit: int = BATCH) -> int:
    """Fire every timer due at ``now``; returns how many fired. Running it twice is harmless.

    Timers fire in batches of up to FIRE_BATCH per commit (each in its own
    savepoint, holding its run's lock until the commit): with one commit per
    timer, 10,000 timers due in one minute needed more commits per second than
    the database gives on a small machine, and lateness grew to minutes. A
    batch commits after FIRE_BATCH_SECONDS at most, so firing is never held
    back long; one timer that fails rolls back to its savepoint only.
    """
    fired = 0
    rows = due_timers(now, limit)
    position = 0
    while position < len(rows):
        began = time.monotonic()
        with transaction.atomic():
            for row in rows[position : position + FIRE_BATCH]:
                position += 1
                try:
                    if fire_timer(row["id"], now, row=row):  # (a savepoint of this batch)
                        fired += 1
                except Exception:  # one bad timer must not stop the others
                    log.exception("timer %s could not fire", row["id"])
                if time.monotonic() - began >= FIRE_BATCH_SECONDS:
                    break
    return fired


def next_due_in(now: datetime | None = None) -> float | None:
    now = now or timezone.now()
    due = (
        Timer.objects.filter(fired_at=None, instance__state__in=ACTIVE_RUN)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    return None if due is None else max((due - now).total_seconds(), 0.0)


def run_loop(
    *,
    poll: float | None = None,
    stop: threading.Event | None = None,
    housekeeping_every: float = 5.0,
    max_cycles: int | None = None,
) -> None:
    """Fire timers until ``stop`` is set (or ``max_cycles`` polls have run)."""
    from engine import reconciler

    poll = float(poll if poll is not None else waymark_setting("TIMER_POLL_SECONDS"))
    stop = stop or threading.Event()
    last_housekeeping = 0.0
    cycles = 0
    while not stop.is_set():
        if not connection.in_atomic_block:  # (a test's transaction: keep it)
            close_old_connections()  # drop connections that are broken or too old
        try:
            fired = fire_due()
            if time.monotonic() - last_housekeeping >= housekeeping_every:
                reconciler.reconcile()
                last_housekeeping = time.monotonic()
        except Exception:
            log.exception("timer loop cycle failed; trying again")
            fired = 0
        cycles += 1
        if max_cycles is not None and cycles >= max_cycles:
            break
        if fired >= BATCH:
            continue  # more are due right now
        try:
            wait = next_due_in()
        except Exception:
            wait = None
        stop.wait(poll if wait is None else min(poll, wait))
