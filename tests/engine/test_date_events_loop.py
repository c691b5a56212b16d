"""A date_event moves with its date under the real timer loop (in a thread, real clock)."""

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from engine.models import AuditEvent, DateEventFire, ProcessInstance
from engine.runtime import timers
from engine.services import transfer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only():
    # The loop's thread and the test share the database: SQLite's in-memory test
    # database locks whole tables across connections ("table is locked").
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")


def publish_reminder():
    return transfer.import_definition(
        {
            "format": "waymark.process/1",
            "process": {"code": "checkin", "title": "Check-in reminder"},
            "triggers": [
                {
                    "key": "before_check_in",
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


@pytest.fixture
def timer_loop(settings):
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    stop = threading.Event()

    def loop():
        try:
            timers.run_loop(poll=0.1, stop=stop)
        finally:
            connection.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)


def wait_for(predicate, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_date_event_moves_with_its_date_under_the_timer_loop(timer_loop):
    publish_reminder()
    # Check-in a day away: the reminder (an hour before) is far off.
    guest = User.objects.create(username="ana", last_login=timezone.now() + timedelta(days=1))
    assert DateEventFire.objects.get().due_at == guest.last_login - timedelta(hours=1)
    assert not wait_for(ProcessInstance.objects.exists, seconds=1.0)
    # The check-in moves to an hour and a second from now: the reminder comes in a second.
    guest.last_login = timezone.now() + timedelta(hours=1, seconds=1)
    guest.save()
    assert wait_for(ProcessInstance.objects.exists)
    [run] = ProcessInstance.objects.all()
    assert run.data == {"user_id": guest.pk} and run.trigger_key == "before_check_in"
    fired = AuditEvent.objects.get(action="trigger.fired")
    assert fired.metadata["record"] == str(guest.pk)
    assert not DateEventFire.objects.exists()
