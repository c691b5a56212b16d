"""A schedule trigger across a daylight-saving change, with the real worker cluster.

The timer loop's pass runs here under time-machine (02:30 Berlin on the night
the clocks spring forward, which does not exist and fires at 03:30 CEST);
the run it starts is carried to its end by a real ``manage.py
waymark_worker`` subprocess through Django-Q2, as in production.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection

from engine.models import AuditEvent, ProcessInstance, RunState, ScheduleFire
from engine.models.definitions import clear_graph_cache
from engine.runtime import timers
from engine.services import transfer
from tests.engine.test_durability_pg import cluster as cluster_fixture
from tests.engine.test_durability_pg import state_of, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
cluster = cluster_fixture  # the worker cluster as a subprocess


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    clear_graph_cache()


def nightly(log: str) -> None:
    transfer.import_definition(
        {
            "format": "waymark.process/1",
            "process": {"code": "berlin", "title": "Berlin nightly"},
            "triggers": [
                {
                    "key": "nightly",
                    "kind": "schedule",
                    "cron": "30 2 * * *",
                    "timezone": "Europe/Berlin",
                    "data": {"log": log},
                }
            ],
            "activities": [
                {"key": "start", "kind": "start"},
                {"key": "a", "kind": "automatic", "handler": "durable.step"},
                {"key": "end", "kind": "end"},
            ],
            "transitions": [
                {"key": "t1", "source": "start", "target": "a"},
                {"key": "t2", "source": "a", "target": "end"},
            ],
        },
        publish_it=True,
    )


def loop_pass_at(moment: datetime) -> None:
    with time_machine.travel(moment, tick=False):
        timers.run_loop(poll=0, max_cycles=1)


def test_a_cron_fires_in_its_zone_across_spring_forward_and_a_worker_runs_it(cluster, tmp_path):
    log = tmp_path / "log"
    with time_machine.travel(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), tick=False):
        nightly(str(log))
    fire = ScheduleFire.objects.get()
    assert fire.due_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST: 02:30 is skipped
    cluster("waymark_worker")

    loop_pass_at(datetime(2026, 3, 29, 1, 29, 59, tzinfo=UTC))
    assert not ProcessInstance.objects.exists()  # a second early: nothing fires
    loop_pass_at(datetime(2026, 3, 29, 1, 30, 0, tzinfo=UTC))
    loop_pass_at(datetime(2026, 3, 29, 1, 30, 1, tzinfo=UTC))  # another pass: fired once

    [run] = ProcessInstance.objects.all()
    assert run.trigger_key == "nightly"
    wait_for(lambda: state_of(run) == RunState.COMPLETED, what="the worker to finish the run")
    [line] = log.read_text().splitlines()
    assert int(line.split()[1]) != os.getpid()  # the step ran in the worker, not here
    fired = AuditEvent.objects.get(action="trigger.fired")
    assert fired.metadata["scheduled_for"] == "2026-03-29T01:30:00+00:00"
    fire.refresh_from_db()
    assert fire.due_at == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)  # 02:30 CEST the next night
