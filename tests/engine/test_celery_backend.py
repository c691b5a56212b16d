"""The Celery backend without a worker: checks, what it sends, and what it refuses.

Messages are read back from a real RabbitMQ queue (skipped when none is
reachable, outside CI); the rest needs neither RabbitMQ nor PostgreSQL.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from engine import checks
from engine.models import RunState, WorkItemState
from engine.services import runtime
from tests.engine.celery_support import celery_queue, take_messages  # noqa: F401
from tests.engine.conftest import deploy

celery = pytest.importorskip("celery")


def ids(errors):
    return [error.id for error in errors]


def test_the_default_backend_asks_nothing_of_celery(settings):
    settings.WAYMARK_SCHEDULER_BACKEND = "django_q"
    assert checks.check_scheduler_backend(None) == []


def test_check_says_celery_is_missing(settings, monkeypatch):
    settings.WAYMARK_SCHEDULER_BACKEND = "celery"
    monkeypatch.setattr(checks, "find_spec", lambda name: None)
    errors = checks.check_scheduler_backend(None)
    assert ids(errors) == ["waymark.E030"]
    assert "Celery is not installed" in errors[0].msg
    assert 'pip install "celery>=5.4"' in errors[0].hint


def test_check_says_the_broker_url_is_missing(settings, monkeypatch):
    settings.WAYMARK_SCHEDULER_BACKEND = "celery"
    monkeypatch.setitem(celery.current_app.conf, "broker_url", "")
    errors = checks.check_scheduler_backend(None)
    assert ids(errors) == ["waymark.E031"]
    assert "CELERY_BROKER_URL" in errors[0].hint
    with pytest.raises(CommandError, match="CELERY_BROKER_URL"):
        call_command("waymark_celery_worker")
    monkeypatch.setitem(celery.current_app.conf, "broker_url", "amqp://guest@127.0.0.1//")
    assert checks.check_scheduler_backend(None) == []


def test_the_backend_refuses_a_function_no_worker_knows(settings):
    from engine.celery_backend import CelerySchedulerBackend

    with pytest.raises(ValueError, match="not one of Waymark's Celery tasks"):
        CelerySchedulerBackend().enqueue("os.system", "rm -rf /")


def test_every_queue_entry_point_is_a_late_acknowledged_celery_task():
    from engine import tasks
    from engine.celery_backend import TASK_NAMES
    from engine.webhooks.delivery import TASK as DELIVERY

    expected = {f"engine.tasks.{name}" for name in ("run_workitem", "reconcile", "notify")}
    expected |= {f"engine.tasks.{name}" for name in dir(tasks) if name.endswith("_scan")}
    assert expected | {DELIVERY} <= TASK_NAMES
    for name in TASK_NAMES:
        task = celery.current_app.tasks[name]
        assert task.acks_late and task.reject_on_worker_lost, name


def test_a_redelivered_message_is_told_apart():
    from engine.celery_backend import redelivered

    assert redelivered(SimpleNamespace(delivery_info={"redelivered": True}))
    assert not redelivered(SimpleNamespace(delivery_info={"redelivered": False}))
    assert not redelivered(SimpleNamespace(delivery_info=None))


def test_the_celery_tasks_run_a_step_its_chain_and_an_action(db, settings, bob):
    """Called as a worker calls them (in-process here; the workers' test is test_celery_pg)."""
    from engine import celery_backend

    settings.WAYMARK_SCHEDULER_BACKEND = "celery"  # (inside the test's transaction: never sent)
    deploy(
        [
            {"key": "a", "kind": "automatic", "handler": "test.add_one"},
            {"key": "b", "kind": "automatic", "handler": "test.add_one"},
            {"key": "h", "kind": "human", "allowed_users": ["bob"], "outcomes": ["OK"]},
        ],
        ["start>a", "a>b", "b>h", "h>end"],
        code="celerytasks",
    )
    run = runtime.start_run("celerytasks")
    item = run.workitems.get(activity_key="a")
    assert celery_backend.run_workitem(item.pk, item.lock_version) == 2  # a, then b inline
    assert celery_backend.run_workitem(item.pk, item.lock_version) == 0  # a duplicate
    human = run.workitems.get(activity_key="h")
    celery_backend.workitem_action(human.pk, "complete", {"outcome": "OK"})
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and run.data["n"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_started_run_sends_its_step_by_id_after_commit(settings, celery_queue):  # noqa: F811
    settings.WAYMARK_SCHEDULER_BACKEND = "celery"
    deploy(
        [{"key": "a", "kind": "automatic", "handler": "test.add_one"}],
        ["start>a", "a>end"],
        code="celerysend",
    )
    run = runtime.start_run("celerysend")
    item = run.workitems.get(activity_key="a")
    assert item.state == WorkItemState.READY
    assert take_messages(celery_queue) == [
        ("engine.tasks.run_workitem", [item.pk, item.lock_version])
    ]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_when_the_transaction_rolls_back(settings, celery_queue):  # noqa: F811
    from django.db import transaction

    settings.WAYMARK_SCHEDULER_BACKEND = "celery"
    deploy(
        [{"key": "a", "kind": "automatic", "handler": "test.add_one"}],
        ["start>a", "a>end"],
        code="celeryrollback",
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        runtime.start_run("celeryrollback")
        raise RuntimeError("the caller changed its mind")
    assert take_messages(celery_queue) == []


def test_celery_beat_runs_the_scans_django_q2_schedules():
    from engine.runtime.scheduler import PERIODIC

    beat = celery.current_app.conf.beat_schedule
    assert {name: (beat[name]["task"], beat[name]["schedule"]) for name in PERIODIC} == {
        name: (func, 60.0 * minutes) for name, (func, minutes) in PERIODIC.items()
    }
