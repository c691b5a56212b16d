"""Celery workers for real: RabbitMQ, `manage.py waymark_celery_worker` processes, SIGKILL.

PostgreSQL only (the workers are processes of their own, and the take-over
of a dead worker's steps uses PostgreSQL's advisory locks); skipped on
SQLite like the Django-Q2 durability tests. Each test's processes use
tests/engine/celery_settings.py and this session's own queue, and are
killed at the end of the test. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection, connections

from engine.models import AuditEvent, RunState, WorkItemState
from engine.models.definitions import clear_graph_cache
from engine.runtime import takeover
from engine.services import runtime
from tests.engine.celery_support import BROKER, celery_queue  # noqa: F401
from tests.engine.conftest import deploy
from tests.engine.test_durability_pg import state_of, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DIED = "the worker running this step died (lease expired)"


@pytest.fixture(autouse=True)
def postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    pytest.importorskip("celery")
    settings.WAYMARK_SCHEDULER_BACKEND = "celery"
    clear_graph_cache()


@pytest.fixture
def processes(celery_queue, tmp_path):  # noqa: F811
    """Start ``manage.py <command>`` processes on this session's queue; killed afterwards."""
    started = []
    db = connection.settings_dict

    def start(*command, extra_env=None):
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.update(
            DJANGO_SETTINGS_MODULE="tests.engine.celery_settings",
            DATABASE_URL="postgres://{}@{}:{}/{}".format(
                db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["NAME"]
            ),
            PGPASSWORD=db.get("PASSWORD") or "",
            WAYMARK_LOG_LEVEL="WARNING",
            WAYMARK_TEST_CELERY_BROKER=BROKER,
            WAYMARK_TEST_CELERY_QUEUE=celery_queue,
        )
        env.update(extra_env or {})
        with open(tmp_path / f"{command[0]}.{len(started)}.log", "w") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", *command],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(process)
        return process

    yield start
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    connections.close_all()


WORKER = ("waymark_celery_worker", "--concurrency", "2", "--loglevel", "WARNING")


@pytest.mark.slow
def test_celery_workers_run_chains_and_ignore_duplicate_deliveries(processes, tmp_path):
    from celery import current_app

    log = tmp_path / "log"
    deploy(
        [{"key": k, "kind": "automatic", "handler": "durable.step"} for k in ("a", "b", "c")],
        ["start>a", "a>b", "b>c", "c>end"],
        code="celeryreal",
    )
    runs = [runtime.start_run("celeryreal", {"log": str(log)}) for _ in range(3)]
    for run in runs:  # the first step's message, delivered twice more
        item = run.workitems.get(activity_key="a")
        for _ in range(2):
            current_app.send_task("engine.tasks.run_workitem", args=(item.pk, item.lock_version))
    processes(*WORKER)
    for run in runs:
        wait_for(lambda run=run: state_of(run) == RunState.COMPLETED, what=f"run {run.pk}")
        run.refresh_from_db()
        assert run.data["n"] == 3 and run.workitems.count() == 5
    counts = Counter(line.split()[0] for line in log.read_text().splitlines())
    assert len(counts) == 9 and set(counts.values()) == {1}, counts  # each step once
    completed = AuditEvent.objects.filter(action="workitem.completed", instance__in=runs)
    assert completed.count() == 9


@pytest.mark.slow
def test_a_sigkilled_celery_workers_step_comes_back_by_redelivery(processes, tmp_path):
    """The lease is 60 s: the reconciler could not move the step within the 40 s waited,
    so what brings it back is the broker giving the message to another process."""
    log = tmp_path / "log"
    deploy(
        [
            {"key": "a", "kind": "automatic", "handler": "durable.step"},
            {"key": "slow", "kind": "automatic", "handler": "durable.hang_once"},
            {"key": "c", "kind": "automatic", "handler": "durable.step"},
        ],
        ["start>a", "a>slow", "slow>c", "c>end"],
        code="celerykill",
    )
    long_lease = {"WAYMARK_TEST_STEP_LEASE_SECONDS": "60"}
    processes(*WORKER, extra_env=long_lease)
    processes("waymark_timers", "--poll", "0.2", extra_env=long_lease)  # fires the retry
    run = runtime.start_run("celerykill", {"log": str(log)})
    marker = Path(f"{log}.hang")
    pid = int(wait_for(lambda: marker.exists() and marker.read_text().strip(), what="the pid"))
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: state_of(run) == RunState.COMPLETED, timeout=40, what="the run")

    run.refresh_from_db()
    assert run.data["n"] == 3 and run.data["hang_done"] is True  # nothing lost
    slow = run.workitems.get(activity_key="slow")
    assert slow.state == WorkItemState.COMPLETED and slow.attempts == 1
    failed = AuditEvent.objects.get(workitem=slow, action="workitem.failed")
    assert failed.metadata["error"] == DIED and failed.metadata["attempt"] == 1
    completed = AuditEvent.objects.filter(instance=run, action="workitem.completed")
    assert sorted(e.workitem.activity_key for e in completed) == ["a", "c", "slow"]  # once each
    assert Counter(item.activity_key for item in run.workitems.all()) == {
        "start": 1,
        "a": 1,
        "slow": 1,
        "c": 1,
        "end": 1,
    }
    slow_runs = [line.split() for line in log.read_text().splitlines() if line.endswith(" slow")]
    assert [(e[1] == str(pid), e[2]) for e in slow_runs] == [(True, "1"), (False, "2")]
    assert len({e[0] for e in slow_runs}) == 1  # the same idempotency key both times


def test_a_step_a_live_worker_holds_is_not_taken_over(tmp_path):
    """A message that comes back while its worker lives (a broken connection) takes nothing."""
    from engine.runtime import worker

    deploy(
        [{"key": "a", "kind": "automatic", "handler": "durable.step"}],
        ["start>a", "a>end"],
        code="celerylive",
    )
    run = runtime.start_run("celerylive", {"log": str(tmp_path / "log")})  # (not consumed)
    item = run.workitems.get(activity_key="a")
    assert worker._claim(item)  # a worker took the step ...
    holding, release = threading.Event(), threading.Event()

    def live_worker():
        with takeover.holding_run(item.pk):  # ... and runs it, alive
            holding.set()
            release.wait(30)
        connections.close_all()

    thread = threading.Thread(target=live_worker)
    thread.start()
    try:
        assert holding.wait(10)
        assert takeover.take_over(item.pk, wait=0.5) == 0
        item.refresh_from_db()
        assert item.state == WorkItemState.READY and item.attempts == 0
    finally:
        release.set()
        thread.join(10)
    # Its holder gone (the session's lock with it), the same message takes it over.
    assert takeover.take_over(item.pk, wait=0.5) == 1
    item.refresh_from_db()
    assert item.state == WorkItemState.RETRY and item.attempts == 1
    assert AuditEvent.objects.get(workitem=item, action="workitem.failed").metadata["error"] == DIED
