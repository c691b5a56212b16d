"""Durability on PostgreSQL: real row locks, real threads, a real cluster
(`manage.py waymark_worker`), SIGKILL.

Run with DATABASE_URL=postgres://...; skipped on SQLite. The cluster and the
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

from engine.models import AuditEvent, ProcessInstance, RunState, WorkItem, WorkItemState
from engine.models.definitions import clear_graph_cache
from engine.runtime import worker
from engine.services import runtime
from tests.engine.conftest import deploy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def postgres_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()


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


@pytest.mark.parametrize("by", ["id", "workitem"])  # the doors pass the workitem they read
def test_two_people_completing_one_workitem_exactly_one_wins(bob, carol, approvers, by):
    approvers.user_set.add(bob, carol)
    deploy(
        [{"key": "h", "kind": "human", "roles": ["approvers"], "outcomes": ["OK"]}],
        ["start>h", "h>end"],
        code="race",
    )
    for _ in range(5):
        run = runtime.start_run("race")
        item = run.workitems.get(activity_key="h")
        target = item.pk if by == "id" else item
        results = in_threads(
            2,
            lambda i, t=target: runtime.complete(t, user=(bob, carol)[i], outcome="OK"),
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
    results = in_threads(4, lambda i: worker.run_workitem(item.pk, item.lock_version))
    assert sorted(results) == [0, 0, 0, 1], results
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and run.data["n"] == 1
    assert AuditEvent.objects.filter(workitem=item, action="workitem.completed").count() == 1


def test_a_result_waiting_for_the_run_lock_sees_the_step_changed_meanwhile():
    """The check "still as the handler got it" must see a change committed during its lock wait.

    PostgreSQL reads a subquery of a ``SELECT ... FOR UPDATE`` in the snapshot taken
    before the wait: the workitem UPDATE compares its version too, so a step recorded
    meanwhile by another transaction is not recorded a second time.
    """
    from django.db import transaction
    from django.db.models import F
    from django.test.utils import override_settings

    from engine.handlers import HandlerResult
    from engine.models import Version
    from engine.runtime.locks import lock_run

    deploy(
        [{"key": "a", "kind": "automatic", "handler": "durable.step"}],
        ["start>a", "a>end"],
        code="stale",
    )
    with override_settings(WAYMARK_SCHEDULER_BACKEND="django_q"):
        # Enqueued to the ORM broker on commit; nobody consumes it here.
        run = runtime.start_run("stale", {"log": "/dev/null"})
    item = run.workitems.get(activity_key="a")
    expected = item.lock_version
    activity = Version.graph_of(run.version_id).activity("a")
    locked, done = threading.Event(), threading.Event()

    def other_transaction():  # e.g. the step's lease expired and another worker recorded it
        with transaction.atomic():
            lock_run(run.pk)
            WorkItem.objects.filter(pk=item.pk).update(
                state=WorkItemState.COMPLETED, lock_version=F("lock_version") + 1
            )
            locked.set()
            done.wait(timeout=2)  # hold the lock while the step's result waits for it
        return "committed"

    def this_step():
        assert locked.wait(timeout=10)
        threading.Timer(0.5, done.set).start()  # the other commits while this one waits
        return worker._record(
            item, activity, expected, HandlerResult({"n": 1}), None, None, lease_next=False
        )

    results = in_threads(2, lambda i: other_transaction() if i == 0 else this_step())
    assert results[0] == "committed", results
    assert results[1].recorded is False, results
    item.refresh_from_db()
    assert item.state == WorkItemState.COMPLETED
    assert item.lock_version == expected + 1  # changed once, by the other transaction
    assert AuditEvent.objects.filter(workitem=item, action="workitem.completed").count() == 0
    run.refresh_from_db()
    assert "n" not in run.data


# A real cluster -----------------------------------------------------------------------------------


def start(*command, extra_env=None):
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
        **(extra_env or {}),
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

    def run(*command, extra_env=None):
        process = start(*command, extra_env=extra_env)
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
def test_cluster_runs_chains_and_ignores_duplicate_deliveries(cluster, tmp_path):
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
    cluster("waymark_worker")
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
    cluster("waymark_worker")
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


# Step leases ------------------------------------------------------------------------------------

DIED = "the worker running this step died (lease expired)"


@pytest.mark.slow
def test_a_sigkilled_workers_step_runs_again_well_inside_the_old_120s(cluster, tmp_path):
    """Default lease (15 s): the step is counted as a failed attempt and runs again; the
    bounded wait (60 s) is half the old global 120 s re-send delay."""
    log = tmp_path / "log"
    deploy(
        [{"key": "slow", "kind": "automatic", "handler": "durable.hang_once"}],
        ["start>slow", "slow>end"],
        code="leased",
    )
    cluster("waymark_worker")
    cluster("waymark_timers", "--poll", "0.2")
    run = runtime.start_run("leased", {"log": str(log)})
    marker = Path(f"{log}.hang")
    worker = int(wait_for(lambda: marker.exists() and marker.read_text().strip(), what="the pid"))
    slow = run.workitems.get(activity_key="slow")
    assert slow.state == WorkItemState.READY and slow.lease_expires_at is not None
    os.kill(worker, signal.SIGKILL)
    wait_for(lambda: state_of(run) == RunState.COMPLETED, timeout=60, what="the step to run again")
    slow.refresh_from_db()
    assert slow.state == WorkItemState.COMPLETED and slow.attempts == 1
    failed = AuditEvent.objects.get(workitem=slow, action="workitem.failed")
    assert failed.metadata["error"] == DIED and failed.metadata["attempt"] == 1
    attempts = [line.split()[2] for line in log.read_text().splitlines()]
    assert attempts == ["1", "2"]


@pytest.mark.slow
def test_a_step_whose_workers_keep_dying_ends_in_an_incident(cluster, tmp_path):
    log = tmp_path / "log"
    deploy(
        [
            {
                "key": "doomed",
                "kind": "automatic",
                "name": "Doomed",
                "handler": "durable.hang",
                "retry": {"max_attempts": 2, "base_delay": 1},
            }
        ],
        ["start>doomed", "doomed>end"],
        code="doomed",
    )
    cluster("waymark_worker", extra_env={"WAYMARK_TEST_STEP_LEASE_SECONDS": "4"})
    cluster("waymark_timers", "--poll", "0.2", extra_env={"WAYMARK_TEST_STEP_LEASE_SECONDS": "4"})
    run = runtime.start_run("doomed", {"log": str(log)})
    for attempt in (1, 2):
        marker = Path(f"{log}.pid.{attempt}")
        pid = int(wait_for(lambda m=marker: m.exists() and m.read_text().strip(), what="a pid"))
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: state_of(run) == RunState.FAILED, timeout=60, what="the incident")
    run.refresh_from_db()
    incident = run.incidents.get()
    assert incident.message == f"'Doomed' failed 2 time(s); last error: {DIED}"
    doomed = run.workitems.get(activity_key="doomed")
    assert doomed.state == WorkItemState.FALLOUT and doomed.attempts == 2
    assert len(log.read_text().splitlines()) == 2  # no third attempt


@pytest.mark.slow
def test_a_handler_running_longer_than_its_lease_is_renewed_not_resent(cluster, tmp_path):
    """The heartbeat of a real Django-Q2 worker process keeps a 2 s lease alive for 7 s."""
    log = tmp_path / "log"
    deploy(
        [{"key": "long", "kind": "automatic", "handler": "durable.sleep"}],
        ["start>long", "long>end"],
        code="long",
    )
    short_lease = {"WAYMARK_TEST_STEP_LEASE_SECONDS": "2"}
    cluster("waymark_worker", extra_env=short_lease)
    cluster("waymark_timers", "--poll", "0.2", extra_env=short_lease)
    run = runtime.start_run("long", {"log": str(log), "sleep": 7})
    wait_for(lambda: state_of(run) == RunState.COMPLETED, timeout=60, what="the run")
    item = run.workitems.get(activity_key="long")
    assert item.attempts == 0 and item.error == ""
    assert not AuditEvent.objects.filter(workitem=item, action="workitem.failed").exists()
    assert len(log.read_text().splitlines()) == 1  # ran once
