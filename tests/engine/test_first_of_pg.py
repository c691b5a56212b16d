"""The first-of gateway under real concurrency on PostgreSQL (skipped on SQLite).

Run with DATABASE_URL=postgres://...: two timer loops and two signal senders,
each in its own connection, wake the same runs' waits at the same moment.
Every run must end with exactly one winner and every other wait cancelled.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from engine.models import AuditEvent, ProcessInstance, RunState, Timer, WorkItemState
from engine.models.definitions import clear_graph_cache
from engine.runtime import timers
from engine.services import runtime
from tests.engine.conftest import deploy
from tests.engine.test_durability_pg import in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

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
