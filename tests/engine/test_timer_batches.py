"""The timer loop's batches: one queue message per committed batch of fires.

A batch of fires (up to ``FIRE_BATCH`` timers, one commit) sends the steps it
made READY to the workers in one message, ``engine.tasks.run_fired_steps``,
instead of one message per step; each step in it is still the worker's own
claim, handler and commit. These tests read the messages a recording backend
was given instead of running them, then deliver them by hand.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine import tasks
from engine.models import ProcessInstance, RunState, Timer, TimerKind, WorkItem
from engine.models import WorkItemState as S
from engine.runtime import timers, worker
from engine.runtime.scheduler import SchedulerBackend
from tests.engine.conftest import deploy

T0 = datetime(2030, 3, 30, 12, 0, tzinfo=UTC)
SENT: list[tuple[str, tuple]] = []
_sent_lock = threading.Lock()
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


class Recording(SchedulerBackend):
    """Keeps what it is asked to send (after the commit, as the real backends send it)."""

    name = "recording"

    def enqueue(self, func, *args):
        with _sent_lock:
            SENT.append((func, args))


RECORDING = f"{__name__}.Recording"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def recording(settings):
    SENT.clear()
    yield SENT
    SENT.clear()


def napping_runs(wm, count: int, code: str = "nap") -> list[ProcessInstance]:
    """``count`` runs waiting on a one-hour timer, then an automatic step."""
    deploy(
        [
            {"key": "wait", "kind": "timer", "timer_duration": "1h"},
            {"key": "a", "kind": "automatic", "handler": "test.noop"},
        ],
        ["start>wait", "wait>a", "a>end"],
        code=code,
    )
    return [wm.start_run(code) for _ in range(count)]


def ready_steps(runs) -> list[list[int]]:
    items = WorkItem.objects.filter(instance__in=runs, activity_key="a", state=S.READY)
    return [[w.pk, w.lock_version] for w in items.order_by("instance_id")]


def test_a_batch_of_fires_sends_its_steps_in_one_message(wm, clock, settings, recording, calls):
    runs = napping_runs(wm, 3)
    settings.WAYMARK_SCHEDULER_BACKEND = RECORDING
    clock.shift(timedelta(hours=1))
    assert wm.fire_due() == 3
    steps = ready_steps(runs)
    assert len(steps) == 3
    assert recording == [(timers.RUN_FIRED_STEPS, (steps,))]  # one message, not three
    assert timers.RUN_FIRED_STEPS == "engine.tasks.run_fired_steps"

    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    assert wm.run(tasks.run_fired_steps, steps) == 3
    assert {r.state for r in ProcessInstance.objects.filter(pk__in=[r.pk for r in runs])} == {
        RunState.COMPLETED
    }
    # Delivered twice: every step finds itself done, and no handler runs again.
    assert wm.run(tasks.run_fired_steps, steps) == 0
    assert len(calls["test.noop"]) == 3


def test_each_committed_batch_is_one_message(wm, clock, settings, recording, monkeypatch):
    runs = napping_runs(wm, 5)
    settings.WAYMARK_SCHEDULER_BACKEND = RECORDING
    monkeypatch.setattr(timers, "FIRE_BATCH", 2)
    clock.shift(timedelta(hours=1))
    assert wm.fire_due() == 5
    sizes = [len(args[0]) for func, args in recording if func == timers.RUN_FIRED_STEPS]
    assert sizes == [2, 2, 1]
    assert len(recording) == 3
    sent = [pair for _, args in recording for pair in args[0]]
    assert sorted(sent) == sorted(ready_steps(runs))


def test_a_fire_rolled_back_to_its_savepoint_sends_no_step(
    wm, clock, settings, recording, monkeypatch
):
    runs = napping_runs(wm, 3)
    broken = runs[1].pk
    original = timers.FIRE[TimerKind.TIMER]

    def fire_then_fail(walk, timer, workitem):
        original(walk, timer, workitem)  # the step is made READY, then the fire fails
        if walk.run.pk == broken:
            raise RuntimeError("boom")

    monkeypatch.setitem(timers.FIRE, TimerKind.TIMER, fire_then_fail)
    settings.WAYMARK_SCHEDULER_BACKEND = RECORDING
    clock.shift(timedelta(hours=1))
    assert wm.fire_due() == 2
    (func, (steps,)) = recording[0]
    assert len(recording) == 1
    assert steps == ready_steps([runs[0], runs[2]])
    # The failed fire left nothing behind: its timer waits, its step was never made.
    assert Timer.objects.get(instance_id=broken).fired_at is None
    assert not WorkItem.objects.filter(instance_id=broken, activity_key="a").exists()
    assert ProcessInstance.objects.get(pk=broken).state == RunState.WAITING


def test_a_fire_outside_a_batch_still_sends_its_own_message(wm, clock, settings, recording):
    (run,) = napping_runs(wm, 1)
    settings.WAYMARK_SCHEDULER_BACKEND = RECORDING
    clock.shift(timedelta(hours=1))
    timer = Timer.objects.get(instance=run)
    assert wm.fire_timer(timer.pk)
    (pk, version) = ready_steps([run])[0]
    assert recording == [("engine.tasks.run_workitem", (pk, version))]


def test_the_rest_of_a_long_message_goes_back_to_the_queue(
    wm, clock, settings, recording, monkeypatch, calls
):
    runs = napping_runs(wm, 3)
    settings.WAYMARK_SCHEDULER_BACKEND = RECORDING
    clock.shift(timedelta(hours=1))
    wm.fire_due()
    steps = ready_steps(runs)
    recording.clear()
    monkeypatch.setattr(timers, "HANDOFF_SECONDS", 0.0)  # every step takes "too long"
    assert wm.run(tasks.run_fired_steps, steps) == 1
    assert recording == [(timers.RUN_FIRED_STEPS, (steps[1:],))]  # free for another worker
    assert len(calls["test.noop"]) == 1


def test_a_step_that_raises_hands_the_rest_on(wm, clock, settings, recording, monkeypatch):
    runs = napping_runs(wm, 3)
    settings.WAYMARK_SCHEDULER_BACKEND = RECORDING
    clock.shift(timedelta(hours=1))
    wm.fire_due()
    steps = ready_steps(runs)
    recording.clear()

    def dies(workitem_id, lock_version=None):
        raise SystemExit("the worker is being stopped")

    monkeypatch.setattr(worker, "run_workitem", dies)
    with pytest.raises(SystemExit):
        timers.run_fired_steps(steps)
    assert recording == [(timers.RUN_FIRED_STEPS, (steps[1:],))]


def test_the_poll_walks_the_due_index(wm):
    """The due timers are found through the partial index on due_at, not by reading every
    active run (SQLite chose that for a join, without statistics)."""
    if connection.vendor != "sqlite":
        pytest.skip("the plan of SQLite without ANALYZE statistics")
    due = Timer.objects.filter(fired_at=None, due_at__lte=T0)
    plan = timers._of_active_runs(due).order_by("due_at", "pk").values("pk")[:10].explain()
    assert "USING INDEX timer_due" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # the index gives the order: no sort


def fire_cost(wm, clock, count: int, code: str) -> tuple[int, int]:
    """(statements, writes) of one fire_due that fires ``count`` timers."""
    napping_runs(wm, count, code=code)
    clock.shift(timedelta(hours=1))
    with CaptureQueriesContext(connection) as captured:
        assert wm.fire_due() == count
    clock.shift(timedelta(hours=-1))
    work = [q["sql"].lstrip().upper() for q in captured.captured_queries]
    work = [s for s in work if not s.startswith(CONTROL)]
    return len(work), sum(s.startswith(("INSERT", "UPDATE", "DELETE")) for s in work)


def test_what_a_fire_costs(wm, clock, settings, recording, monkeypatch):
    """Statements per fire, exact (lower the numbers when a change removes one).

    A fire of a timer activity whose next step is automatic: the run's lock,
    the timer's compare-and-set, the waiting workitem read, its UPDATE, the
    next step's INSERT, the run's UPDATE and one INSERT of the audit events.
    The poll adds one SELECT per call; the message is sent after the commit.
    """
    from engine.runtime import date_events, model_events
    from engine.webhooks import delivery

    monkeypatch.setattr(delivery, "ENDPOINT_CACHE_SECONDS", 3600.0)
    monkeypatch.setattr(model_events, "REFRESH_SECONDS", 3600.0)
    monkeypatch.setattr(date_events, "CACHE_SECONDS", 3600.0)
    settings.WAYMARK_SCHEDULER_BACKEND = RECORDING
    fire_cost(wm, clock, 1, "warm")  # the graph, the caches
    two = fire_cost(wm, clock, 2, "two")
    five = fire_cost(wm, clock, 5, "five")
    per_fire = ((five[0] - two[0]) / 3, (five[1] - two[1]) / 3)
    assert per_fire == (7, 5)
    assert two[0] - 2 * per_fire[0] == 1  # the poll


def test_the_celery_task_runs_a_batch_holding_each_run(wm, clock, settings, recording):
    """Called as a Celery worker calls it (in-process): a step task, late-acknowledged."""
    celery = pytest.importorskip("celery")
    from engine import celery_backend

    runs = napping_runs(wm, 2)
    settings.WAYMARK_SCHEDULER_BACKEND = RECORDING
    clock.shift(timedelta(hours=1))
    wm.fire_due()
    steps = ready_steps(runs)
    task = celery.current_app.tasks[timers.RUN_FIRED_STEPS]
    assert task.acks_late and task.reject_on_worker_lost
    assert timers.RUN_FIRED_STEPS in celery_backend.STEP_TASKS  # (not a plain task)
    assert celery_backend.run_fired_steps(steps) == 2
    assert celery_backend.run_fired_steps(steps) == 0  # a duplicate
    assert {r.state for r in ProcessInstance.objects.filter(pk__in=[r.pk for r in runs])} == {
        RunState.COMPLETED
    }
