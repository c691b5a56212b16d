"""Schedule triggers under real concurrency: several timer loops, one fire (PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from engine.models import AuditEvent, ProcessInstance, ScheduleFire
from engine.models.definitions import clear_graph_cache
from engine.runtime.triggers import fire_due_schedules
from engine.services import transfer
from tests.engine.test_durability_pg import in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()


def test_four_timer_loops_fire_a_due_schedule_once():
    transfer.import_definition(
        {
            "format": "waymark.process/1",
            "process": {"code": "nightly", "title": "Nightly"},
            "triggers": [{"key": "nightly", "kind": "schedule", "cron": "30 7 * * *"}],
            "activities": [
                {"key": "start", "kind": "start"},
                {"key": "review", "kind": "human", "roles": ["staff"]},
                {"key": "end", "kind": "end"},
            ],
            "transitions": [
                {"key": "t1", "source": "start", "target": "review"},
                {"key": "t2", "source": "review", "target": "end"},
            ],
        },
        publish_it=True,
    )
    now = timezone.now()
    ScheduleFire.objects.update(due_at=now - timedelta(seconds=1))
    fired = in_threads(4, lambda i: fire_due_schedules(now))
    assert sorted(fired) == [0, 0, 0, 1], fired
    assert ProcessInstance.objects.filter(trigger_key="nightly").count() == 1
    assert AuditEvent.objects.filter(action="trigger.fired").count() == 1
    assert ScheduleFire.objects.get().due_at > now
