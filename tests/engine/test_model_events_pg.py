"""model_event outbox under failure, on PostgreSQL with a real cluster and timer loop.

A subprocess saves a record in ``transaction.atomic()`` and SIGKILLs itself
right after the commit, before the dispatch task is sent: the outbox row is
committed with the record, and the reconciler's sweep (``waymark_timers``)
starts its run, once. Skipped on SQLite, as the other real-worker tests.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from engine.models import AuditEvent, ModelEvent, ProcessInstance
from engine.models.definitions import clear_graph_cache
from engine.runtime import model_events
from engine.services import transfer
from tests.engine.test_durability_pg import cluster, start, wait_for  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SAVE_AND_DIE = """
import os, signal
from django.contrib.auth.models import Group
from django.db import transaction
with transaction.atomic():
    # Registered first, so it runs first after the commit: the process dies before the
    # dispatch task (registered by the save below) is ever sent.
    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
    Group.objects.create(name=%r)
raise SystemExit("not reached: killed after the commit")
"""


@pytest.fixture(autouse=True)
def postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    model_events.forget_armed()
    yield
    model_events.forget_armed()


def publish_vip_trigger():
    transfer.import_definition(
        {
            "format": "waymark.process/1",
            "process": {"code": "vip", "title": "VIP"},
            "triggers": [
                {
                    "key": "vip_created",
                    "kind": "model_event",
                    "model": "auth.Group",
                    "on": ["create"],
                    "condition": "record.name == 'vip'",
                    "data": {"group_id": "record.pk"},
                }
            ],
            "activities": [
                {"key": "start", "kind": "start"},
                {"key": "hold", "kind": "signal", "signal_name": "hold"},
                {"key": "end", "kind": "end"},
            ],
            "transitions": [
                {"key": "t1", "source": "start", "target": "hold"},
                {"key": "t2", "source": "hold", "target": "end"},
            ],
        },
        publish_it=True,
    )


def runs():
    return ProcessInstance.objects.filter(process__code="vip", trigger_key="vip_created")


@pytest.mark.slow
def test_a_save_killed_right_after_its_commit_still_starts_exactly_one_run(cluster):  # noqa: F811
    publish_vip_trigger()
    saver = start("shell", "-c", SAVE_AND_DIE % "vip")
    assert saver.wait(timeout=60) == -9  # SIGKILL, after the commit
    group = Group.objects.get(name="vip")
    row = ModelEvent.objects.get()
    assert row.dispatched_at is None and row.record_pk == str(group.pk)  # nothing sent
    cluster("waymark_worker")
    cluster("waymark_timers", "--poll", "0.2")  # its sweep dispatches what was left
    wait_for(runs().exists, timeout=60, what="the left model event to start a run")
    time.sleep(8)  # more sweeps: none may start it again
    [run] = runs()
    assert run.data == {"group_id": group.pk}
    row.refresh_from_db()
    assert row.dispatched_at is not None and row.attempts == 1
    fired = AuditEvent.objects.filter(action="trigger.fired", process__code="vip")
    assert fired.count() == 1


@pytest.mark.slow
def test_duplicate_dispatch_messages_and_the_sweep_start_one_run(cluster):  # noqa: F811
    from django_q.tasks import async_task

    publish_vip_trigger()
    cluster("waymark_timers", "--poll", "0.2")
    saver = start(
        "shell",
        "-c",
        "from django.contrib.auth.models import Group\nGroup.objects.create(name='vip')",
    )  # autocommit: task sent after it
    assert saver.wait(timeout=60) == 0
    row = ModelEvent.objects.get()
    for _ in range(3):  # the same message delivered three more times
        async_task("engine.tasks.dispatch_model_event", row.pk)
    cluster("waymark_worker")
    wait_for(runs().exists, timeout=60, what="the model event to start a run")
    time.sleep(8)
    assert runs().count() == 1
    row.refresh_from_db()
    assert row.dispatched_at is not None and row.attempts == 1
