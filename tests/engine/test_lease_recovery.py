"""Steps a worker took without a claim, whose worker then died, run again exactly once.

Two ways of issue 16 give a worker a step with no queue message of its own
and no claim: the step a chain goes on with is inserted already leased to the
worker (83dcd0c), and a worker whose branch ends at a join leases a READY
sibling in the same commit (83c6ac7). If that worker dies (SIGKILL: nothing
after the handler's start runs), only the lease tells: the reconciler counts a
failed attempt once it lapses, the retry timer sends the step again, and it
runs once more, never twice. (The chaos test's stuck runs were not this: see
test_chaos_queue.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.models import AuditEvent, RunState, WorkItem, WorkItemState
from engine.runtime import leases
from tests.engine.conftest import CALLS, deploy
from tests.engine.test_leases import DIED, WorkerGone, last_run

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=15)  # WAYMARK_STEP_LEASE_SECONDS' default
RETRY = {"max_attempts": 3, "base_delay": 5}
DIES = {"kind": "automatic", "handler": "test.lease.dies", "retry": RETRY}


def step(run, key: str) -> WorkItem:
    return WorkItem.objects.get(instance=run, activity_key=key)


def recovered_once(wm, time_machine, run, key: str) -> None:
    """The dead worker's step: untouched within its lease, one failed attempt after it,
    run again by its retry; a second sweep and a late message change nothing."""
    item = step(run, key)
    assert item.state == WorkItemState.READY and item.attempts == 0
    assert item.lease_expires_at == T0 + LEASE
    held_version = item.lock_version

    time_machine.shift(LEASE - timedelta(seconds=1))
    assert wm.reconcile()["workers_died"] == 0
    # Its queue message (if it had one) finds it held: nothing runs, nothing is written.
    assert wm.run_workitem(item.pk, held_version) == 0
    time_machine.shift(timedelta(seconds=2))
    swept = wm.reconcile()
    assert swept["workers_died"] == 1 and swept["redispatched"] == 0
    item.refresh_from_db()
    assert item.state == WorkItemState.RETRY and item.attempts == 1 and item.error == DIED
    assert wm.reconcile()["workers_died"] == 0  # counted once

    time_machine.shift(timedelta(seconds=10))
    assert wm.fire_due() == 1  # the retry sends it again
    run.refresh_from_db()
    item.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert item.state == WorkItemState.COMPLETED and item.lease_expires_at is None
    assert wm.run_workitem(item.pk, held_version) == 0  # the old message: stale
    assert [ctx.attempt for ctx in CALLS["test.lease.dies"]] == [1, 2]
    completed = AuditEvent.objects.filter(workitem=item, action="workitem.completed")
    assert completed.count() == 1
    assert leases.heartbeat.held() == {}


def test_a_chain_step_inserted_leased_whose_worker_dies_runs_again_once(wm, time_machine):
    time_machine.move_to(T0, tick=False)
    deploy(
        [{"key": "a", "kind": "automatic", "handler": "test.noop"}, {"key": "b", **DIES}],
        ["start>a", "a>b", "b>end"],
        code="chain_dies",
    )
    with pytest.raises(WorkerGone):  # a's worker goes on with b and dies in its handler
        wm.start_run("chain_dies", {"die_until": 1})
    run = last_run()
    assert step(run, "a").state == WorkItemState.COMPLETED
    recovered_once(wm, time_machine, run, "b")
    assert len(CALLS["test.noop"]) == 1


def test_a_sibling_taken_by_a_worker_that_dies_runs_again_once(wm, time_machine):
    time_machine.move_to(T0, tick=False)
    deploy(
        [
            {"key": "split", "kind": "parallel"},
            {"key": "b1", "kind": "automatic", "handler": "test.noop"},
            {"key": "b2", **DIES},
            {"key": "join", "kind": "parallel"},
        ],
        ["start>split", "split>b1", "split>b2", "b1>join", "b2>join", "join>end"],
        code="sibling_dies",
    )
    # b1's worker ends its branch at the join, takes b2 in that commit and dies in it.
    with pytest.raises(WorkerGone):
        wm.start_run("sibling_dies", {"die_until": 1})
    run = last_run()
    assert step(run, "b1").state == WorkItemState.COMPLETED
    recovered_once(wm, time_machine, run, "b2")
    assert len(CALLS["test.noop"]) == 1
