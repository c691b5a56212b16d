"""The first-of gateway under real concurrency on PostgreSQL (skipped on SQLite).

Run with DATABASE_URL=postgres://...: two timer loops and two signal senders,
each in its own connection, wake the same runs' waits at the same moment.
Every run must end with exactly one winner and every other wait cancelled.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from engine.models import AuditEvent, ProcessInstance, RunState, Timer, WorkItemState
from engine.models.definitions import clear_graph_cache
from engine.runtime import timers
from engine.services import runtime
from tests.engine.conftest import deploy
from tests.engine.test_durability_pg import cluster as cluster_fixture
from tests.engine.test_durability_pg import in_threads, state_of, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
cluster = cluster_fixture  # the worker cluster and timer loop as subprocesses

RUNS = 20


@pytest.fixture(autouse=True)
def postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()


def test_a_timer_and_a_signal_at_the_same_moment_make_one_winner():
    deploy(
        [
            {"key": "first", "kind": "first_of"},
            {"key": "soon", "kind": "timer", "timer_duration": "1m"},
            {"key": "left", "kind": "signal", "signal_name": "left", "correlation": "data.g"},
            {"key": "end", "kind": "end", "name": "By timer"},
            {"key": "by_signal", "kind": "end"},
        ],
        ["start>first", "first>soon", "first>left", "soon>end", "left>by_signal"],
        code="race",
    )
    runs = [runtime.start_run("race", {"g": i}) for i in range(RUNS)]
    later = timezone.now() + timedelta(minutes=2)  # every timer is due

    def wake(i):
        if i < 2:  # two timer loops
            return timers.fire_due(later)
        order = range(RUNS) if i == 2 else reversed(range(RUNS))  # two senders
        return [runtime.send_signal("left", correlation=g).woken for g in order]

    results = in_threads(4, wake)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    timers.fire_due(later)  # timers skipped while a sender held their run fire now (or never)

    woken_by_signals = [pk for per_run in results[2:] for woken in per_run for pk in woken]
    assert len(woken_by_signals) == len(set(woken_by_signals))  # no run woken twice
    fired = results[0] + results[1]
    for run in ProcessInstance.objects.filter(pk__in=[r.pk for r in runs]):
        items = {w.activity_key: w for w in run.workitems.all()}
        assert run.state == RunState.COMPLETED, run.pk
        assert items["first"].state == WorkItemState.COMPLETED
        states = sorted([items["soon"].state, items["left"].state])
        assert states == [WorkItemState.CANCELLED, WorkItemState.COMPLETED], run.pk
        assert ("end" in items) != ("by_signal" in items)  # one way out, once
        assert ("by_signal" in items) == (run.pk in woken_by_signals)
        assert AuditEvent.objects.filter(instance=run, action="workitem.cancelled").count() == 1
    assert not Timer.objects.filter(instance__in=runs, fired_at=None).exists()
    assert fired + len(woken_by_signals) >= RUNS  # (a late pass may have fired the rest)


@pytest.mark.slow
def test_the_real_timer_loop_and_worker_take_the_first_and_cancel_the_rest(cluster, tmp_path):
    """``manage.py waymark_timers`` and ``waymark_worker`` as subprocesses: one run's timer
    wins and its next step runs in the worker; another run's signal wins, and its
    cancelled timer never fires although the loop keeps polling past its time."""
    log = tmp_path / "log"
    deploy(
        [
            {"key": "first", "kind": "first_of"},
            {"key": "soon", "kind": "timer", "timer_duration": "2s"},
            {"key": "left", "kind": "signal", "signal_name": "left", "correlation": "data.g"},
            {"key": "remind", "kind": "automatic", "handler": "durable.step"},
        ],
        ["start>first", "first>soon", "first>left", "soon>remind", "remind>end", "left>end"],
        code="real_race",
    )
    cluster("waymark_worker")
    cluster("waymark_timers", "--poll", "0.2")
    by_timer = runtime.start_run("real_race", {"g": 1, "log": str(log)})
    by_signal = runtime.start_run("real_race", {"g": 2, "log": str(log)})
    assert runtime.send_signal("left", correlation=2).woken == [by_signal.pk]
    wait_for(lambda: state_of(by_timer) == RunState.COMPLETED, what="the timer's run")
    time.sleep(1.0)  # the loop polls well past the cancelled timer's time
    items = {w.activity_key: w.state for w in by_timer.workitems.all()}
    assert items["soon"] == WorkItemState.COMPLETED and items["left"] == WorkItemState.CANCELLED
    assert items["remind"] == WorkItemState.COMPLETED
    assert len(log.read_text().splitlines()) == 1  # the worker ran the timer's next step once
    assert state_of(by_signal) == RunState.COMPLETED
    lost = {w.activity_key: w.state for w in by_signal.workitems.all()}
    assert lost["soon"] == WorkItemState.CANCELLED and "remind" not in lost
    assert not Timer.objects.filter(instance=by_signal).exists()
