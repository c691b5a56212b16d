"""A parallel split's branches reach the workers through one doorbell per run (issue 16).

Django-Q2's ORM broker (the suite's broker), the queue's messages played in
this process as a worker would take them: a commit that makes several steps
of one run READY sends one message for them (not one per step); a worker
that claims a step while the run has unclaimed READY steps left sends one
more (the doorbell passed on), so each claim can reach one more idle worker;
a message whose step is taken or done claims an unclaimed sibling instead;
every step no message names is the reconciler's once it has waited
``WAYMARK_RECONCILE_AFTER_SECONDS``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q import signing
from django_q.brokers.orm import ORM
from django_q.models import OrmQ

from engine.handlers import handler
from engine.models import RunState, WorkItem, WorkItemState
from engine.models.definitions import clear_graph_cache
from engine.runtime import reconciler, scheduler, worker
from engine.services import runtime
from tests.engine.conftest import CALLS, deploy

BRANCHES = ["b1", "b2", "b3"]


def split_of(branches: list[str], code: str, handler_name: str = "test.noop") -> None:
    deploy(
        [
            {"key": "split", "kind": "parallel"},
            *({"key": b, "kind": "automatic", "handler": handler_name} for b in branches),
            {"key": "join", "kind": "parallel"},
        ],
        ["start>split", *(f"split>{b}" for b in branches), *(f"{b}>join" for b in branches)]
        + ["join>end"],
        code=code,
    )


@pytest.fixture
def queue(settings, db):
    settings.WAYMARK_SCHEDULER_BACKEND = "django_q"
    if not isinstance(scheduler._broker(), ORM):
        pytest.skip("counts the ORM broker's rows (REDIS_URL is set)")
    clear_graph_cache()
    CALLS.clear()
    OrmQ.objects.all().delete()
    yield
    clear_graph_cache()


@pytest.fixture
def split(queue):
    split_of(BRANCHES, "par_dispatch")


def messages() -> list[dict]:
    return [signing.SignedPackage.loads(row.payload) for row in OrmQ.objects.order_by("pk")]


def take_message() -> dict:
    """The oldest queued message, removed from the queue (a worker took it)."""
    row = OrmQ.objects.order_by("pk").first()
    assert row is not None, "no message queued"
    row.delete()
    return signing.SignedPackage.loads(row.payload)


def run_message(task: dict):
    return import_string(task["func"])(*task["args"], **task["kwargs"])


def branch(run, key: str) -> WorkItem:
    return WorkItem.objects.get(instance=run, activity_key=key)


def test_a_split_sends_one_message_for_its_run_not_one_per_branch(
    split, django_capture_on_commit_callbacks
):
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = runtime.start_run("par_dispatch")
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "django_q_ormq"')]
    assert len(inserts) == 1, inserts
    first = branch(run, "b1")
    (task,) = messages()
    assert task["func"] == "engine.tasks.run_workitem"
    assert task["args"] == (first.pk, first.lock_version)
    assert task["save"] is False  # no result row per message
    # The other branches are READY, free for any claim, and waiting since the split
    # (the reconciler's clock for a step no message names).
    for key in ("b2", "b3"):
        step = branch(run, key)
        assert step.state == WorkItemState.READY and step.lease_expires_at is None
        assert step.dispatched_at is not None


def test_the_claim_passes_the_doorbell_on_and_a_free_worker_runs_the_rest(
    split, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = runtime.start_run("par_dispatch")
    first = take_message()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_message(first) == 3  # its branch, then the two others, one commit each
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and len(CALLS["test.noop"]) == 3
    # Claiming b1 rang once more, for b2, for an idle worker (there was none here).
    (rung,) = messages()
    assert rung["args"][0] == branch(run, "b2").pk
    rung = take_message()
    with CaptureQueriesContext(connection) as queries:
        assert run_message(rung) == 0  # b2 was run on, and nothing else waits
    written = [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert written == [] and len(queries) == 1  # the step and its free siblings, one read
    assert messages() == []


def test_a_message_whose_step_is_taken_claims_a_free_sibling(
    split, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = runtime.start_run("par_dispatch")
    doorbell = take_message()
    b1 = branch(run, "b1")
    assert worker._claim(b1)  # another worker took b1 (it is running its handler)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_message(doorbell) == 2  # b2 instead of b1, then b3 run on
    assert branch(run, "b2").state == branch(run, "b3").state == WorkItemState.COMPLETED
    b1 = branch(run, "b1")
    assert b1.state == WorkItemState.READY and b1.lease_expires_at is not None  # untouched
    assert [c.activity_key for c in CALLS["test.noop"]] == ["b2", "b3"]
    run.refresh_from_db()
    assert run.state == RunState.RUNNING  # the join waits for b1
    # The message rang on for b3 when it claimed b2; b3 is done by then: no step ran twice.
    (rung,) = messages()
    assert rung["args"][0] == branch(run, "b3").pk
    assert run_message(take_message()) == 0
    assert len(CALLS["test.noop"]) == 2


def test_a_stale_message_leaves_its_own_step_to_the_current_message(
    split, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = runtime.start_run("par_dispatch")
    doorbell = take_message()
    for key in ("b2", "b3"):  # the others taken: only b1 could be claimed
        assert worker._claim(branch(run, key))
    WorkItem.objects.filter(pk=doorbell["args"][0]).update(lock_version=7)
    assert run_message(doorbell) == 0  # sent at version 0: stale, and no sibling is free
    b1 = branch(run, "b1")
    assert b1.lease_expires_at is None and b1.lock_version == 7
    assert messages() == [] and CALLS.get("test.noop") is None


class Workers:
    """Which played worker ran each branch, and what it saw while running."""

    current = "A"
    ran: dict[str, str] = {}


@handler("par.two_workers")
def two_workers(ctx):
    """Runs as worker A or B; while A runs its first branch, idle worker B takes the
    queued doorbell (as a second worker process of the cluster would)."""
    Workers.ran[ctx.activity_key] = Workers.current
    if Workers.current == "A" and len(Workers.ran) == 1:
        Workers.current = "B"
        try:
            run_message(take_message())  # B: claims a branch, rings on, runs its chain
        finally:
            Workers.current = "A"


def test_with_two_workers_both_work_on_a_split_of_width_four(
    queue, django_capture_on_commit_callbacks
):
    branches = ["b1", "b2", "b3", "b4"]
    split_of(branches, "par_two", "par.two_workers")
    Workers.current, Workers.ran = "A", {}
    with django_capture_on_commit_callbacks(execute=True):
        run = runtime.start_run("par_two")
    assert len(messages()) == 1  # one doorbell for the four branches
    assert run_message(take_message()) >= 1  # worker A takes it
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert set(Workers.ran) == set(branches)
    assert Workers.ran["b1"] == "A"  # A claimed b1 from the doorbell and rang on ...
    assert Workers.ran["b2"] == "B"  # ... B, idle, took the rung message: both work
    assert sum(1 for who in Workers.ran.values() if who == "B") >= 1
    assert (
        WorkItem.objects.filter(
            instance=run, activity_key__in=branches, state=WorkItemState.COMPLETED
        ).count()
        == 4
    )
    # What is left in the queue are rung doorbells whose steps are done: no-ops.
    for task in messages():
        assert run_message(task) == 0
    assert len(Workers.ran) == 4


def test_steps_of_different_runs_never_share_a_doorbell():
    class Row:
        def __init__(self, run_id: int) -> None:
            self.instance_id = run_id

    created = {1: Row(10), 2: Row(10), 3: Row(20), 4: Row(10), 5: Row(20)}
    steps = [(1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 3), (7, 1)]
    # The first new step of each run, and every step that is not new (6 and 7: a
    # retry, a resumed run's) with its own message.
    assert scheduler.doorbells(steps, created) == [(1, 0), (3, 0), (6, 3), (7, 1)]


def test_messages_for_several_runs_reach_the_broker_in_one_insert(queue):
    with CaptureQueriesContext(connection) as queries:
        scheduler.get_backend().enqueue_many("engine.tasks.run_workitem", [(1, 0), (2, 0), (3, 0)])
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "django_q_ormq"')]
    assert len(inserts) == 1
    assert [task["args"] for task in messages()] == [(1, 0), (2, 0), (3, 0)]


def test_the_immediate_backend_sends_every_step_and_never_rings(settings, monkeypatch):
    """It runs each message in the caller: nobody to fan out to, and a doorbell passed on
    there would run a whole branch inside the claim of another."""
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    sent: list = []
    backend = scheduler.ImmediateSchedulerBackend
    monkeypatch.setattr(backend, "on_commit_many", lambda self, func, calls: sent.extend(calls))
    monkeypatch.setattr(backend, "enqueue", lambda self, func, *args: sent.append(args))

    class Row:
        instance_id = 10

    scheduler.dispatch_steps([(1, 0), (2, 0)], {1: Row(), 2: Row()})
    scheduler.ring(3, 0)
    assert sent == [(1, 0), (2, 0)]


def test_every_step_no_message_names_is_sent_again_by_the_reconciler(
    split, django_capture_on_commit_callbacks
):
    """kill -9 anywhere loses nothing: the doorbell lost (a killed cluster had fetched it,
    or the worker died between its claim and ringing on), the steps no message names are
    READY and unclaimed, and the reconciler's sweep sends each of them again."""
    with django_capture_on_commit_callbacks(execute=True):
        run = runtime.start_run("par_dispatch")
    take_message()  # fetched by a worker that is killed before it claims anything
    later = timezone.now() + timedelta(seconds=21)  # past WAYMARK_RECONCILE_AFTER_SECONDS
    with django_capture_on_commit_callbacks(execute=True):
        assert reconciler.redispatch_lost(later) == 3
    assert sorted(task["args"][0] for task in messages()) == sorted(
        branch(run, b).pk for b in BRANCHES
    )
    OrmQ.objects.all().delete()
    # The worker that claimed b1 died before ringing on: b2 and b3 are sent again,
    # b1 waits for its lease to lapse (a failed attempt, retried: expire_leases).
    assert worker._claim(branch(run, "b1"))
    later = timezone.now() + timedelta(seconds=42)
    with django_capture_on_commit_callbacks(execute=True):
        assert reconciler.redispatch_lost(later) == 2
    assert sorted(task["args"][0] for task in messages()) == sorted(
        branch(run, b).pk for b in ("b2", "b3")
    )
    for task in messages():
        with django_capture_on_commit_callbacks(execute=True):
            run_message(task)
    assert branch(run, "b2").state == branch(run, "b3").state == WorkItemState.COMPLETED
    with django_capture_on_commit_callbacks(execute=True):
        assert reconciler.expire_leases(timezone.now() + timedelta(minutes=5)) == 1
    b1 = branch(run, "b1")
    assert b1.state == WorkItemState.RETRY and b1.attempts == 1
