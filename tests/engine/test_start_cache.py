"""Starts read a process's published version from a per-process cache (issue 16).

The cache must never start a version that is no longer published in the
process that changed it: publish, rollback, a process edit or deletion are
seen by the very next start. Another process sees them within
``STARTABLE_CACHE_SECONDS`` (as the webhook endpoints and armed triggers).
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from engine.errors import InvalidData, UnknownProcess
from engine.models import Process, Timer, WorkItem, WorkItemCandidate
from engine.services import processes, runtime, versions
from tests.engine.conftest import deploy

STEP = [{"key": "a", "kind": "human", "assignee": "data.user"}]


def _queries(fn, *args, **kwargs) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        fn(*args, **kwargs)
    return [q["sql"] for q in captured.captured_queries]


def test_a_second_start_reads_neither_the_process_nor_its_version(wm, bob):
    deploy(STEP, ["start>a", "a>end"], code="sc_plain")
    wm.start_run("sc_plain", {"user": "bob"})
    sql = _queries(wm.start_run, "sc_plain", {"user": "bob"})
    assert not any('FROM "engine_version"' in s or 'FROM "engine_process"' in s for s in sql)


def test_a_publish_and_a_rollback_are_seen_by_the_next_start(wm, bob):
    v1 = deploy(STEP, ["start>a", "a>end"], code="sc_versions")
    assert wm.start_run("sc_versions", {"user": "bob"}).version_id == v1.pk
    v2 = versions.publish(versions.clone(v1))
    assert wm.start_run("sc_versions", {"user": "bob"}).version_id == v2.pk
    v1.refresh_from_db()
    versions.rollback(v1)
    assert wm.start_run("sc_versions", {"user": "bob"}).version_id == v1.pk


def test_a_process_edit_or_deletion_is_seen_by_the_next_start(wm, bob):
    deploy(STEP, ["start>a", "a>end"], code="sc_edit")
    wm.start_run("sc_edit", {"user": "bob"})
    process = Process.objects.get(code="sc_edit")
    schema = {"type": "object", "required": ["amount"], "properties": {"amount": {}}}
    processes.update_process(process, input_schema=schema)
    with pytest.raises(InvalidData):
        wm.start_run("sc_edit", {"user": "bob"})
    deploy(STEP, ["start>a", "a>end"], code="sc_deleted")  # (no run: it may be deleted)
    assert processes.published("sc_deleted")[1] is not None  # cached
    Process.objects.filter(code="sc_deleted").delete()
    with pytest.raises(UnknownProcess):
        wm.start_run("sc_deleted", {"user": "bob"})


def test_a_stale_entry_is_read_again_after_its_seconds(wm, bob, monkeypatch):
    deploy(STEP, ["start>a", "a>end"], code="sc_ttl")
    wm.start_run("sc_ttl", {"user": "bob"})
    monkeypatch.setattr(processes, "STARTABLE_CACHE_SECONDS", -1.0)
    sql = _queries(wm.start_run, "sc_ttl", {"user": "bob"})
    assert sum('FROM "engine_version"' in s for s in sql) == 1


def test_a_completed_task_leaves_no_timer_and_no_offer(wm, bob):
    deploy(
        [
            {"key": "a", "kind": "human", "allowed_users": ["bob"]},
            {"key": "late", "kind": "automatic", "handler": "test.noop"},
        ],
        [
            "start>a",
            "a>end",
            {"source": "a", "target": "late", "condition": "timeout:1h"},
            "late>end",
        ],
        code="sc_timeout",
    )
    run = wm.start_run("sc_timeout")
    task = run.workitems.get(activity_key="a")
    assert task.due_at is not None
    assert Timer.objects.filter(workitem=task, fired_at=None).exists()
    assert WorkItemCandidate.objects.filter(workitem=task).exists()
    wm.complete(task, user=bob)
    assert WorkItem.objects.get(pk=task.pk).state == "completed"
    assert not Timer.objects.filter(workitem=task).exists()
    assert not WorkItemCandidate.objects.filter(workitem=task).exists()


def test_a_completion_of_a_deleted_task_is_a_conflict(wm, bob):
    deploy(STEP, ["start>a", "a>end"], code="sc_gone")
    run = wm.start_run("sc_gone", {"user": "bob"})
    task = run.workitems.get(activity_key="a")
    run.delete()
    with pytest.raises(runtime.Conflict):
        wm.complete(task, user=bob)
    with pytest.raises(runtime.Conflict):
        wm.complete(task.pk, user=bob)
