"""Step leases: a dead worker's step is a failed attempt; a lost message is just sent again;
a forward delivered twice runs once. (The real SIGKILL test is in test_durability_pg.py.)"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from engine import scheduler
from engine.errors import EngineError
from engine.handlers import handler
from engine.models import (
    AuditEvent,
    IncidentKind,
    ProcessInstance,
    RunState,
    WorkItem,
    WorkItemState,
)
from engine.models.definitions import clear_graph_cache
from engine.runtime import leases, reconciler, worker
from engine.services import runtime
from tests.engine.conftest import CALLS, deploy

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
DIED = "the worker running this step died (lease expired)"


class WorkerGone(BaseException):
    """Stands for the worker process ending mid-handler (SIGKILL, segfault): nothing after
    this point of the worker runs, so the step stays READY and leased."""


@handler("test.lease.dies")
def dies(ctx):
    CALLS.setdefault("test.lease.dies", []).append(ctx)
    if ctx.attempt <= int(ctx.data.get("die_until", 99)):
        raise WorkerGone
    return {"survived_on": ctx.attempt}


@handler("test.lease.watch")
def watch(ctx):
    """Records the lease its step holds while it runs."""
    item = WorkItem.objects.get(pk=ctx.workitem_id)
    CALLS.setdefault("test.lease.watch", []).append(
        (item.lease_expires_at, leases.heartbeat.held().get(ctx.workitem_id))
    )
    return {"watched": True}


def deploy_dying(max_attempts=2):
    deploy(
        [
            {
                "key": "a",
                "kind": "automatic",
                "name": "Charge",
                "handler": "test.lease.dies",
                "retry": {"max_attempts": max_attempts, "base_delay": 5},
            }
        ],
        ["start>a", "a>end"],
        code="dying",
    )


def deploy_one(handler_name="test.add_one"):
    """A process start > a > end; returns its code."""
    version = deploy(
        [{"key": "a", "kind": "automatic", "handler": handler_name}], ["start>a", "a>end"]
    )
    return version.process.code


def item_of(run):
    return WorkItem.objects.get(instance=run, activity_key="a")


def last_run():
    return ProcessInstance.objects.order_by("-pk").first()


def test_a_step_is_leased_while_it_runs_and_released_after(wm, time_machine):
    time_machine.move_to(T0, tick=False)
    run = wm.start_run(deploy_one("test.lease.watch"))
    ((lease, held),) = CALLS["test.lease.watch"]
    assert lease == T0 + timedelta(seconds=15)  # WAYMARK_STEP_LEASE_SECONDS
    assert held is not None  # the heartbeat renews it meanwhile
    item = item_of(run)
    assert item.state == WorkItemState.COMPLETED and item.lease_expires_at is None
    assert leases.heartbeat.held() == {}


def test_a_worker_that_died_costs_an_attempt_and_the_step_runs_again(wm, time_machine):
    time_machine.move_to(T0, tick=False)
    deploy_dying(max_attempts=3)
    with pytest.raises(WorkerGone):
        wm.start_run("dying", {"die_until": 1})
    run = last_run()
    item = item_of(run)
    assert item.state == WorkItemState.READY and item.lease_expires_at == T0 + timedelta(seconds=15)

    time_machine.shift(timedelta(seconds=14))  # still within its lease: not touched
    assert wm.reconcile()["workers_died"] == 0
    item.refresh_from_db()
    assert item.state == WorkItemState.READY and item.attempts == 0

    time_machine.shift(timedelta(seconds=2))  # the lease lapsed
    swept = wm.reconcile()
    assert swept["workers_died"] == 1 and swept["redispatched"] == 0
    item.refresh_from_db()
    assert item.state == WorkItemState.RETRY and item.attempts == 1
    assert item.error == DIED and item.lease_expires_at is None
    failed = AuditEvent.objects.get(workitem=item, action="workitem.failed")
    assert failed.metadata["error"] == DIED
    assert wm.reconcile()["workers_died"] == 0  # counted once

    time_machine.shift(timedelta(seconds=10))
    assert wm.fire_due() == 1  # the retry, with the same idempotency key
    run.refresh_from_db()
    item.refresh_from_db()
    assert run.state == RunState.COMPLETED and run.data["survived_on"] == 2
    assert item.state == WorkItemState.COMPLETED and item.lease_expires_at is None
    keys = {ctx.idempotency_key for ctx in CALLS["test.lease.dies"]}
    assert len(keys) == 1 and [c.attempt for c in CALLS["test.lease.dies"]] == [1, 2]


def test_a_step_whose_worker_keeps_dying_ends_in_an_incident(wm, time_machine):
    time_machine.move_to(T0, tick=False)
    deploy_dying(max_attempts=2)
    with pytest.raises(WorkerGone):
        wm.start_run("dying")
    run = last_run()
    time_machine.shift(timedelta(seconds=16))
    assert wm.reconcile()["workers_died"] == 1
    time_machine.shift(timedelta(seconds=10))
    with pytest.raises(WorkerGone):  # the retry's worker dies too
        wm.fire_due()
    time_machine.shift(timedelta(seconds=16))
    assert wm.reconcile()["workers_died"] == 1
    run.refresh_from_db()
    item = item_of(run)
    assert run.state == RunState.FAILED
    assert item.state == WorkItemState.FALLOUT and item.attempts == 2
    incident = run.incidents.get()
    assert incident.kind == IncidentKind.HANDLER
    assert incident.message == f"'Charge' failed 2 time(s); last error: {DIED}"
    assert "lease on the step ran out" in incident.traceback
    time_machine.shift(timedelta(minutes=10))
    assert wm.reconcile() == {
        "workers_died": 0,
        "redispatched": 0,
        "signals_matched": 0,
        "signals_expired": 0,
        "webhooks_sent": 0,
        "model_events_dispatched": 0,
    }
    assert len(CALLS["test.lease.dies"]) == 2


def test_a_lost_message_is_sent_again_without_counting_an_attempt(
    settings, db, calls, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(T0, tick=False)
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    run = runtime.start_run(deploy_one(), {"n": 0})  # on-commit never runs: the message is lost
    item = item_of(run)
    original = item.lock_version
    time_machine.shift(timedelta(seconds=19))
    assert reconciler.redispatch_lost() == 0
    time_machine.shift(timedelta(seconds=2))  # WAYMARK_RECONCILE_AFTER_SECONDS (20) passed
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert reconciler.redispatch_lost() == 1
    assert reconciler.redispatch_lost() == 0  # once per interval
    item.refresh_from_db()
    assert item.lock_version == original and item.attempts == 0  # a copy, not an attempt
    # The original message turning up late still runs the step; the copy then does nothing.
    assert worker.run_workitem(item.pk, original) == 1
    for callback in sent:
        callback()
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and len(calls["test.add_one"]) == 1
    item.refresh_from_db()
    assert item.attempts == 0


def test_a_slow_step_whose_lease_is_renewed_is_neither_resent_nor_counted(
    settings, db, calls, time_machine, monkeypatch
):
    time_machine.move_to(T0, tick=False)
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    run = runtime.start_run(deploy_one(), {"n": 0})
    item = item_of(run)
    swept = []
    original = worker.handlers.resolve

    def resolve(name):
        fn = original(name)

        def slow(ctx):
            for _ in range(5):  # ten minutes of work, the heartbeat renewing every 5 s
                time_machine.shift(timedelta(minutes=2))
                held = leases.heartbeat.held()
                assert leases.renew(ctx.workitem_id, held[ctx.workitem_id])
                swept.append(reconciler.expire_leases() + reconciler.redispatch_lost())
            return fn(ctx)

        return slow

    monkeypatch.setattr(worker.handlers, "resolve", resolve)
    assert worker.run_workitem(item.pk, item.lock_version) == 1
    assert swept == [0] * 5
    item.refresh_from_db()
    assert item.state == WorkItemState.COMPLETED and item.attempts == 0
    assert len(calls["test.add_one"]) == 1


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_renews_a_running_step(sent, settings, calls, monkeypatch):
    """Real time, a real thread with its own connection (bounded waits, no timing asserts)."""
    settings.WAYMARK_STEP_LEASE_SECONDS = 1.5
    clear_graph_cache()
    run = runtime.start_run(deploy_one(), {"n": 0})  # its message is kept, not sent
    item = item_of(run)
    seen = []
    original = worker.handlers.resolve

    def resolve(name):
        fn = original(name)

        def slow(ctx):
            first = WorkItem.objects.get(pk=ctx.workitem_id).lease_expires_at
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                now = WorkItem.objects.get(pk=ctx.workitem_id).lease_expires_at
                if now > first:
                    break
                time.sleep(0.05)
            seen.append((first, now, reconciler.expire_leases(timezone.now())))
            return fn(ctx)

        return slow

    monkeypatch.setattr(worker.handlers, "resolve", resolve)
    assert worker.run_workitem(item.pk, item.lock_version) == 1
    ((first, renewed, died),) = seen
    assert renewed > first and died == 0
    item.refresh_from_db()
    assert item.state == WorkItemState.COMPLETED and item.attempts == 0


# schedule_workitem_action(id, "forward") ------------------------------------------------------


@pytest.fixture
def sent(settings, monkeypatch):
    """The messages the django_q backend would send, kept instead of sent."""
    settings.WAYMARK_SCHEDULER_BACKEND = "django_q"
    messages = []
    monkeypatch.setattr(
        scheduler.DjangoQSchedulerBackend,
        "enqueue",
        lambda self, func, *args: messages.append((func, args)),
    )
    return messages


def test_a_forward_delivered_twice_runs_the_handler_once(
    sent, db, calls, monkeypatch, django_capture_on_commit_callbacks
):
    clear_graph_cache()
    run = runtime.start_run(deploy_one(), {"n": 0})  # its own step message: never delivered
    item = item_of(run)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        scheduler.schedule_workitem_action(item.pk, "forward")
    ((func, (pk, action, kwargs)),) = sent
    assert func == "engine.tasks.workitem_action" and kwargs == {"lock_version": item.lock_version}

    from engine import tasks

    original = worker.handlers.resolve
    nested = []

    def resolve(name):
        fn = original(name)

        def racing(ctx):
            if not nested:  # the same message delivered to a second worker meanwhile
                nested.append(tasks.workitem_action(pk, action, kwargs))
            return fn(ctx)

        return racing

    monkeypatch.setattr(worker.handlers, "resolve", resolve)
    assert tasks.workitem_action(pk, action, kwargs) == 1
    assert nested == [0]
    assert tasks.workitem_action(pk, action, kwargs) == 0  # and once more, afterwards
    run.refresh_from_db()
    assert run.data == {"n": 1} and run.state == RunState.COMPLETED
    assert len(calls["test.add_one"]) == 1
    completed = AuditEvent.objects.filter(workitem=item, action="workitem.completed")
    assert completed.count() == 1


def test_a_forward_without_a_version_cannot_take_a_running_step(sent, db, calls, monkeypatch):
    """A message sent before the upgrade (no version) finds the step leased and does nothing."""
    clear_graph_cache()
    run = runtime.start_run(deploy_one(), {"n": 0})
    item = item_of(run)
    original = worker.handlers.resolve
    nested = []

    def resolve(name):
        fn = original(name)

        def racing(ctx):
            if not nested:
                nested.append(runtime.workitem_action(item.pk, "forward"))
            return fn(ctx)

        return racing

    monkeypatch.setattr(worker.handlers, "resolve", resolve)
    assert runtime.workitem_action(item.pk, "forward") == 1
    assert nested == [0] and len(calls["test.add_one"]) == 1


@pytest.mark.parametrize("bad", ["3", -1, True, 2.5])
def test_a_forward_with_a_bad_version_is_refused_clearly(wm, bad):
    with pytest.raises(EngineError, match="lock_version must be a whole number of 0 or more"):
        runtime.workitem_action(1, "forward", lock_version=bad)


@pytest.mark.parametrize("bad", [0, -5, "15", None])
def test_a_lease_setting_that_is_not_a_positive_number_fails_the_checks(settings, bad):
    from django.core.checks import run_checks

    settings.WAYMARK_STEP_LEASE_SECONDS = bad
    errors = [e for e in run_checks() if e.id == "waymark.E020"]
    assert [e.msg for e in errors] == [
        f"WAYMARK_STEP_LEASE_SECONDS must be a number of seconds of at least 1, not {bad!r}."
    ]
