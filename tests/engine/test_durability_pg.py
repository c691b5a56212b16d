"""Durability on PostgreSQL: real row locks, real threads, a real qcluster, SIGKILL.

Run with DATABASE_URL=postgres://...; skipped on SQLite. The qcluster and the
timer loop run as subprocesses against pytest's test database (with
tests/engine/durable_settings.py: the ORM broker, short retry), and are
killed at the end of each test. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection, connections

from engine import executor
from engine.models import AuditEvent, ProcessInstance, RunState, WorkItem, WorkItemState
from engine.services import runtime
from tests.engine.conftest import deploy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    executor.clear_graph_cache()


def in_threads(count, target):
    """Run ``target(i)`` in ``count`` threads started together; returns results or errors."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def work(i):
        try:
            barrier.wait(timeout=10)
            results[i] = target(i)
        except Exception as exc:  # collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


# Real concurrency, no queue ---------------------------------------------------------------


def test_two_people_completing_one_workitem_exactly_one_wins(bob, carol, approvers):
    approvers.user_set.add(bob, carol)
    deploy(
        [{"key": "h", "kind": "human", "roles": ["approvers"], "outcomes": ["OK"]}],
        ["start>h", "h>end"],
        code="race",
    )
    for _ in range(5):
        run = runtime.start_run("race")
        item = run.workitems.get(activity_key="h")
        results = in_threads(
            2,
            lambda i, pk=item.pk: runtime.complete(pk, user=(bob, carol)[i], outcome="OK"),
        )
        wins = [r for r in results if isinstance(r, WorkItem)]
        losses = [r for r in results if isinstance(r, runtime.Conflict)]
        assert len(wins) == 1 and len(losses) == 1, results
        assert "already completed by" in str(losses[0]) or "claimed by" in str(losses[0])
        run.refresh_from_db()
        assert run.state == RunState.COMPLETED
        assert AuditEvent.objects.filter(workitem=item, action="workitem.completed").count() == 1
        assert run.workitems.filter(activity_key="end").count() == 1


def test_branches_arriving_together_release_the_join_once(bob):
    width = 6
    acts = [{"key": "split", "kind": "parallel"}, {"key": "join", "kind": "parallel"}]
    acts += [{"key": f"h{i}", "kind": "human", "allowed_users": ["bob"]} for i in range(width)]
    edges = ["start>split", "join>end"]
    edges += [f"split>h{i}" for i in range(width)] + [f"h{i}>join" for i in range(width)]
    deploy(acts, edges, code="joinrace")
    run = runtime.start_run("joinrace")
    items = list(run.workitems.filter(activity_kind="human").order_by("activity_key"))
    results = in_threads(
        width, lambda i: runtime.complete(items[i].pk, user=bob, data={f"b{i}": i})
    )
    assert all(isinstance(r, WorkItem) for r in results), results
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert run.workitems.filter(activity_key="join").count() == 1
    assert run.data == {f"b{i}": i for i in range(width)}


def test_duplicate_messages_racing_record_the_step_once(tmp_path):
    log = tmp_path / "log"
    deploy(
        [{"key": "a", "kind": "automatic", "handler": "durable.step"}],
        ["start>a", "a>end"],
        code="dupes",
    )
    from django.test.utils import override_settings

    with override_settings(WAYMARK_SCHEDULER_BACKEND="django_q"):
        # Enqueued to the ORM broker on commit; nobody consumes it here.
        run = runtime.start_run("dupes", {"log": str(log)})
    item = run.workitems.get(activity_key="a")
    results = in_threads(4, lambda i: executor.run_workitem(item.pk, item.lock_version))
    assert sorted(results) == [0, 0, 0, 1], results
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and run.data["n"] == 1
    assert AuditEvent.objects.filter(workitem=item, action="workitem.completed").count() == 1


# A real qcluster ---------------------------------------------------------------------------------


def start(*command):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    settings_dict = connection.settings_dict
    env.update(
        DJANGO_SETTINGS_MODULE="tests.engine.durable_settings",
        DATABASE_URL="postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            USER=settings_dict["USER"] or "postgres",
            HOST=settings_dict["HOST"] or "127.0.0.1",
            PORT=settings_dict["PORT"] or 5432,
            NAME=settings_dict["NAME"],
        ),
        PGPASSWORD=settings_dict.get("PASSWORD") or "",
        WAYMARK_LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.fixture
def cluster(settings):
    settings.WAYMARK_SCHEDULER_BACKEND = "django_q"
    started = []

    def run(*command):
        process = start(*command)
        started.append(process)
        return process

    yield run
    for process in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    connections.close_all()


def wait_for(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def state_of(run):
    return ProcessInstance.objects.filter(pk=run.pk).values_list("state", flat=True).first()


@pytest.mark.slow
def test_qcluster_runs_chains_and_ignores_duplicate_deliveries(cluster, tmp_path):
    from django_q.tasks import async_task

    log = tmp_path / "log"
    handler = "durable.step"
    deploy(
        [{"key": k, "kind": "automatic", "handler": handler} for k in ("a", "b", "c")],
        ["start>a", "a>b", "b>c", "c>end"],
        code="real",
    )
    runs = [runtime.start_run("real", {"log": str(log)}) for _ in range(3)]
    for run in runs:  # the first step's message, delivered three more times
        item = run.workitems.get(activity_key="a")
        for _ in range(3):
            async_task("engine.tasks.run_workitem", item.pk, item.lock_version)
    cluster("qcluster")
    for run in runs:
        wait_for(lambda run=run: state_of(run) == RunState.COMPLETED, what=f"run {run.pk}")
        run.refresh_from_db()
        assert run.data["n"] == 3
        assert run.workitems.count() == 5
    lines = log.read_text().splitlines()
    counts = Counter(line.split()[0] for line in lines)
    assert len(counts) == 9 and set(counts.values()) == {1}, counts  # each step once
    completed = AuditEvent.objects.filter(action="workitem.completed", instance__in=runs)
    assert completed.count() == 9


@pytest.mark.slow
def test_a_worker_killed_mid_step_loses_nothing(cluster, tmp_path):
    log = tmp_path / "log"
    deploy(
        [
            {"key": "a", "kind": "automatic", "handler": "durable.step"},
            {
                "key": "slow",
                "kind": "automatic",
                "handler": "durable.hang_once",
            },
            {"key": "c", "kind": "automatic", "handler": "durable.step"},
        ],
        ["start>a", "a>slow", "slow>c", "c>end"],
        code="killme",
    )
    cluster("qcluster")
    cluster("waymark_timers", "--poll", "0.2")  # the reconciler re-sends the lost step
    run = runtime.start_run("killme", {"log": str(log)})
    marker = Path(f"{log}.hang")
    wait_for(marker.exists, what="the slow step to start")
    worker = int(wait_for(lambda: marker.read_text().strip(), what="the worker pid"))
    os.kill(worker, signal.SIGKILL)
    wait_for(lambda: state_of(run) == RunState.COMPLETED, timeout=90, what="the run to complete")
    run.refresh_from_db()
    assert run.data["n"] == 3 and run.data["hang_done"] is True
    slow = run.workitems.get(activity_key="slow")
    assert slow.state == WorkItemState.COMPLETED
    assert AuditEvent.objects.filter(workitem=slow, action="workitem.completed").count() == 1
    executions = [line.split() for line in log.read_text().splitlines()]
    slow_runs = [e for e in executions if e[3] == "slow"]
    assert len(slow_runs) == 2  # killed once, run again ...
    assert len({e[0] for e in slow_runs}) == 1  # ... with the same idempotency key
    assert slow_runs[0][1] == str(worker) != slow_runs[1][1]
    assert run.workitems.filter(activity_key="c").count() == 1
