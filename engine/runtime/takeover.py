"""Taking over a dead worker's steps when its queue message comes back (Celery, PostgreSQL).

With late acknowledgement (the Celery backend), a step's message is acked
only after the task that ran it returned. When the worker process dies
(SIGKILL, the OOM killer), the broker delivers the message again, flagged as
redelivered. That copy names the step at the version it had *before* the dead
worker claimed it, so on its own it is stale and does nothing, and the step
would wait for its lease to lapse and for the reconciler.

To move at once, the redelivered copy must know that nobody is running the
run's steps any more. PostgreSQL tells: every Celery task that runs steps
holds a *shared* advisory lock on the step's run for as long as it runs
(``holding_run``); the server drops a session's advisory locks when its client
dies, because its connection closes with it. A redelivered copy that gets the
*exclusive* lock (``take_over``) therefore knows that no live task holds the
run, and counts a failed attempt for each of the run's READY steps that still
carries a lease: exactly what the reconciler does once a lease lapsed
(``engine.runtime.worker.record_dead_worker``), only without the wait. The
step is then retried per its retry policy; the copy's own version is stale
and does nothing more.

When the exclusive lock does not come within ``WAIT_SECONDS`` (a live worker
runs a step of the run: the message came back because a connection broke,
not because a worker died), nothing is taken over and leases decide, as
before. On other databases this module does nothing.

Not covered (leases and the reconciler still are): a step a chain reached in
another run (a subprocess) is held under the first run's lock only.
"""

from __future__ import annotations

import contextlib
import logging
import time
import zlib
from collections.abc import Iterator
from datetime import timedelta

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from engine.models import WorkItem, WorkItemState
from engine.runtime.worker import record_dead_worker

log = logging.getLogger("engine.takeover")

# The first key of Waymark's advisory locks (two int4 keys: this, then the run's id).
NAMESPACE = zlib.crc32(b"waymark.run") & 0x7FFFFFFF
WAIT_SECONDS = 3.0  # how long a redelivered copy waits for a dead worker's session to end


def supported() -> bool:
    return connection.vendor == "postgresql"


def run_of(workitem_id: int) -> int | None:
    return WorkItem.objects.filter(pk=workitem_id).values_list("instance_id", flat=True).first()


def _key(run_id: int) -> tuple[int, int]:
    return NAMESPACE, run_id & 0x7FFFFFFF  # (an id past 2**31 may share a key: harmless)


@contextlib.contextmanager
def holding_run(workitem_id: int) -> Iterator[None]:
    """Hold the shared lock on the step's run while the caller runs its steps."""
    run_id = run_of(workitem_id) if supported() else None
    if run_id is None:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock_shared(%s, %s)", _key(run_id))
    try:
        yield
    finally:
        # Best effort: if the connection is gone, so is the lock.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_shared(%s, %s)", _key(run_id))


def take_over(workitem_id: int, wait: float = WAIT_SECONDS) -> int:
    """Count a failed attempt for the leased READY steps of a run no live worker holds.

    Called for a redelivered message; returns how many steps were taken over.
    """
    run_id = run_of(workitem_id) if supported() else None
    if run_id is None:
        return 0
    with transaction.atomic():
        if not _exclusive(run_id, wait):
            log.info("run %s: a live worker still holds it; leases decide", run_id)
            return 0
        now = timezone.now()
        leased = WorkItem.objects.filter(
            instance_id=run_id, state=WorkItemState.READY, lease_expires_at__isnull=False
        ).values_list("pk", "lock_version")
        taken = 0
        for pk, version in list(leased):
            # Its holder is gone: the lease ends now, and the attempt is counted as the
            # reconciler would count it once the lease ran out.
            WorkItem.objects.filter(
                pk=pk, lock_version=version, lease_expires_at__isnull=False
            ).update(lease_expires_at=now - timedelta(microseconds=1))
            if record_dead_worker(pk, now):
                log.warning("workitem %s: its worker died; the redelivered message retries it", pk)
                taken += 1
    return taken


def _exclusive(run_id: int, wait: float) -> bool:
    """Take the run's exclusive lock until the transaction ends; False after ``wait`` s."""
    deadline = time.monotonic() + wait
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", _key(run_id))
            if cursor.fetchone()[0]:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
