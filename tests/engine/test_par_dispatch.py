"""A parallel split's branches reach the queue in one write, and cost little when a free
worker already ran them (issue 16: par10 through the queue).

Django-Q2's ORM broker (the suite's broker): the split's messages are one
INSERT of one row each, stored with ``save=False``; the worker that takes the
first branch runs the others on (83c6ac7), and their messages then read the
step once and write nothing.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q import signing
from django_q.brokers.orm import ORM
from django_q.models import OrmQ

from engine.models import RunState, WorkItem
from engine.models.definitions import clear_graph_cache
from engine.runtime import scheduler
from engine.services import runtime
from tests.engine.conftest import CALLS, deploy

BRANCHES = ["b1", "b2", "b3"]


@pytest.fixture
def split(settings, db):
    settings.WAYMARK_SCHEDULER_BACKEND = "django_q"
    if not isinstance(scheduler._broker(), ORM):
        pytest.skip("counts the ORM broker's rows (REDIS_URL is set)")
    clear_graph_cache()
    CALLS.clear()
    deploy(
        [
            {"key": "split", "kind": "parallel"},
            *({"key": b, "kind": "automatic", "handler": "test.noop"} for b in BRANCHES),
            {"key": "join", "kind": "parallel"},
        ],
        ["start>split", *(f"split>{b}" for b in BRANCHES), *(f"{b}>join" for b in BRANCHES)]
        + ["join>end"],
        code="par_dispatch",
    )
    OrmQ.objects.all().delete()
    yield
    clear_graph_cache()


def messages() -> list[dict]:
    return [signing.SignedPackage.loads(row.payload) for row in OrmQ.objects.order_by("pk")]


def run_message(task: dict):
    from django.utils.module_loading import import_string

    return import_string(task["func"])(*task["args"], **task["kwargs"])


def test_a_splits_branches_are_queued_in_one_insert_without_stored_results(
    split, django_capture_on_commit_callbacks
):
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = runtime.start_run("par_dispatch")
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "django_q_ormq"')]
    assert len(inserts) == 1, inserts
    steps = WorkItem.objects.filter(instance=run, activity_key__in=BRANCHES).order_by("seq")
    tasks = messages()
    assert [task["args"] for task in tasks] == [(w.pk, w.lock_version) for w in steps]
    assert {task["func"] for task in tasks} == {"engine.tasks.run_workitem"}
    assert all(task["save"] is False for task in tasks)  # no result row per message


def test_the_messages_of_branches_a_free_worker_ran_write_nothing(
    split, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = runtime.start_run("par_dispatch")
    first, *others = messages()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_message(first) == 3  # its branch, then the two others, one commit each
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and len(CALLS["test.noop"]) == 3
    for task in others:
        with CaptureQueriesContext(connection) as queries:
            assert run_message(task) == 0
        written = [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE"))]
        assert written == [] and len(queries) == 1  # the step read once
