"""date_event triggers under real concurrency: several timer loops, each record fired once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from engine.models import AuditEvent, DateEventFire, ProcessInstance
from engine.models.definitions import clear_graph_cache
from engine.runtime import date_events
from engine.services import transfer
from tests.engine.test_durability_pg import in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    date_events.forget()


def test_four_timer_loops_fire_each_due_record_once():
    now = timezone.now()
    for i in range(10):
        User.objects.create(username=f"guest{i}", last_login=now + timedelta(days=1))
    transfer.import_definition(
        {
            "format": "waymark.process/1",
            "process": {"code": "checkin", "title": "Check-in"},
            "triggers": [
                {
                    "key": "before",
                    "kind": "date_event",
                    "model": "auth.User",
                    "date_field": "last_login",
                    "offset": "-1h",
                    "data": {"user_id": "record.pk"},
                }
            ],
            "activities": [
                {"key": "start", "kind": "start"},
                {"key": "remind", "kind": "human", "roles": ["staff"]},
                {"key": "end", "kind": "end"},
            ],
            "transitions": [
                {"key": "t1", "source": "start", "target": "remind"},
                {"key": "t2", "source": "remind", "target": "end"},
            ],
        },
        publish_it=True,
    )
    assert DateEventFire.objects.count() == 10
    DateEventFire.objects.update(due_at=now - timedelta(seconds=1))
    fired = in_threads(4, lambda i: date_events.fire_due_date_events(now))
    assert sum(fired) == 10, fired
    runs = ProcessInstance.objects.filter(trigger_key="before")
    assert runs.count() == 10
    assert len({run.data["user_id"] for run in runs}) == 10
    assert AuditEvent.objects.filter(action="trigger.fired").count() == 10
    assert not DateEventFire.objects.exists()
