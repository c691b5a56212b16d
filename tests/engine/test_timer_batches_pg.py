"""Two timer loops firing the same due timers at once, on PostgreSQL (skipped on SQLite).

Each loop takes runs with SKIP LOCKED and marks a timer fired by compare-and-set,
so every timer fires once, and every step a fire made READY is in exactly one
loop's batch message.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from engine.models import AuditEvent, ProcessInstance, RunState, Timer, WorkItem, WorkItemState
from engine.models.definitions import clear_graph_cache
from engine.runtime import timers
from engine.services import runtime
from tests.engine.conftest import deploy
from tests.engine.test_durability_pg import in_threads
from tests.engine.test_timer_batches import RECORDING, SENT

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 60


@pytest.fixture(autouse=True)
def postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    SENT.clear()
    yield
    SENT.clear()


def test_two_loops_fire_each_timer_once_and_send_each_step_once(settings, monkeypatch):
    deploy(
        [
            {"key": "wait", "kind": "timer", "timer_duration": "1m"},
            {"key": "a", "kind": "automatic", "handler": "test.noop"},
        ],
        ["start>wait", "wait>a", "a>end"],
        code="two_loops",
    )
    runs = [runtime.start_run("two_loops") for _ in range(RUNS)]
    settings.WAYMARK_SCHEDULER_BACKEND = RECORDING
    monkeypatch.setattr(timers, "FIRE_BATCH", 7)  # several batches each, interleaved
    later = timezone.now() + timedelta(minutes=2)

    results = in_threads(2, lambda i: timers.fire_due(later))
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    results.append(timers.fire_due(later))  # what a loop skipped (its run was held) fires now

    assert sum(results) == RUNS  # each timer fired by exactly one loop
    assert not Timer.objects.filter(instance__in=runs, fired_at=None).exists()
    sent = Counter(pk for func, (steps,) in SENT for pk, _ in steps)
    assert all(func == timers.RUN_FIRED_STEPS for func, _ in SENT)
    ready = WorkItem.objects.filter(instance__in=runs, activity_key="a")
    assert ready.count() == RUNS
    assert all(w.state == WorkItemState.READY for w in ready)
    assert sent == Counter({w.pk: 1 for w in ready})  # each step in one message, once
    completed = AuditEvent.objects.filter(
        instance__in=runs, action="workitem.completed", workitem__activity_key="wait"
    )
    assert completed.count() == RUNS
    assert set(
        ProcessInstance.objects.filter(pk__in=[r.pk for r in runs]).values_list("state", flat=True)
    ) == {RunState.RUNNING}
