"""Step leases: how the engine tells a dead worker from a slow one.

A worker that takes a READY step (a claim from a queue message, or the chain
going on in-process) sets the workitem's ``lease_expires_at`` to now plus
``WAYMARK_STEP_LEASE_SECONDS``. While the handler runs, a heartbeat thread of
the worker's process pushes that moment forward every third of the lease. A
worker that dies (``exit``, a segfault, SIGKILL, Django-Q2's timeout) stops
renewing; the reconciler then finds a READY step whose lease lapsed and
counts a failed attempt (see ``engine.runtime.reconciler``).

One heartbeat thread per process renews every step that process is running,
with its own database connection (Django's connections belong to a thread).
It renews a lease only while the step is still READY at the version the
worker took it with: once the result is recorded, or the reconciler has given
up on the worker, there is nothing left to renew.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime, timedelta

from django.db import connections
from django.utils import timezone

from engine.conf import step_setting

log = logging.getLogger("engine.leases")

DEAD_WORKER_ERROR = "the worker running this step died (lease expired)"


def lease_seconds() -> float:
    # Read on every step that leases its successor: cached until a setting changes.
    return float(step_setting("STEP_LEASE_SECONDS"))


def lease_until(now: datetime | None = None) -> datetime:
    """When a lease taken or renewed at ``now`` lapses."""
    return (now or timezone.now()) + timedelta(seconds=lease_seconds())


def renew(workitem_id: int, lock_version: int, now: datetime | None = None) -> bool:
    """Push a held lease forward; False when the step is no longer this worker's."""
    from engine.models import WorkItem, WorkItemState

    renewed = WorkItem.objects.filter(
        pk=workitem_id,
        state=WorkItemState.READY,
        lock_version=lock_version,
        lease_expires_at__isnull=False,
    ).update(lease_expires_at=lease_until(now))
    return bool(renewed)


class Heartbeat:
    """Renews the leases of the steps this process is running, from one daemon thread."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        # Also called in a forked child: the parent's thread and its steps stay behind.
        self._lock = threading.Lock()
        self._held: dict[int, int] = {}  # workitem id -> lock_version it was taken at
        self._thread: threading.Thread | None = None

    def hold(self, workitem_id: int, lock_version: int) -> None:
        """Keep renewing this step's lease until ``release``."""
        with self._lock:
            self._held[workitem_id] = lock_version
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._beat, name="waymark-lease-heartbeat", daemon=True
                )
                self._thread.start()

    def release(self, workitem_id: int) -> None:
        with self._lock:
            self._held.pop(workitem_id, None)

    def held(self) -> dict[int, int]:
        with self._lock:
            return dict(self._held)

    def beat(self) -> int:
        """Renew every held lease once; returns how many were renewed."""
        renewed = 0
        try:
            for pk, version in self.held().items():
                if renew(pk, version):
                    renewed += 1
                    continue
                with self._lock:
                    lost = self._held.get(pk) == version  # (not just released meanwhile)
                    if lost:
                        del self._held[pk]
                if lost:
                    log.warning(
                        "workitem %s: lease lost (the step was given up on or changed); "
                        "its result will not be recorded",
                        pk,
                    )
        except Exception:  # a database hiccup: the next beat tries again, well inside the lease
            log.exception("could not renew step leases")
        finally:
            _close_connections()
        return renewed

    def _beat(self) -> None:
        last = time.monotonic()
        while True:
            # Every third of the lease; the setting is read again each round, and
            # the thread wakes at least every second to notice when it changed.
            every = _renew_every()
            time.sleep(min(every, 1.0))
            if time.monotonic() - last >= every:
                last = time.monotonic()
                try:
                    if self.held():
                        self.beat()
                except Exception:  # the thread must outlive any one beat: steps rely on it
                    log.exception("lease heartbeat: a beat failed; trying again")


def _close_connections() -> None:
    """Close this thread's connections (a failure to close must not stop the heartbeat)."""
    try:
        connections.close_all()
    except Exception:
        log.exception("lease heartbeat: could not close its database connections")


def _renew_every() -> float:
    """A third of the lease; a broken setting (system check waymark.E020) must not stop
    the thread: it then renews as often as the default lease needs."""
    try:
        return max(lease_seconds() / 3, 0.05)
    except Exception:  # TypeError/ValueError from the setting, or settings being swapped
        return 5.0


heartbeat = Heartbeat()
os.register_at_fork(after_in_child=heartbeat._reset)
