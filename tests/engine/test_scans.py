"""SLA scan, duplicate and lost messages, scheduler backends."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from engine import scheduler
from engine.models import AuditEvent, RunState, WorkItem, WorkItemState
from engine.models.definitions import clear_graph_cache
from engine.runtime import reconciler, timers, worker
from tests.engine.conftest import deploy

T0 = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def sla(wm, time_machine, approvers, bob, carol):
    time_machine.move_to(T0, tick=False)
    approvers.user_set.add(bob)
    deploy(
        [
            {
                "key": "h",
                "kind": "human",
                "roles": ["approvers"],
                "assignee": "data.who",
                "sla_warn": "1d",
                "sla_duration": "2d",
            }
        ],
        ["start>h", "h>end"],
        code="sla",
    )
    run = wm.start_run("sla", {"who": "carol"})
    return run.workitems.get(activity_key="h")


def test_sla_warned_once_and_breached_once(wm, sla, time_machine):
    assert sla.sla_warn_at == T0 + timedelta(days=1)
    assert wm.sla_scan() == {"warned": 0, "breached": 0}
    time_machine.shift(timedelta(days=1, minutes=1))
    assert wm.sla_scan() == {"warned": 1, "breached": 0}
    assert wm.sla_scan() == {"warned": 0, "breached": 0}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["carol@example.com"]
    time_machine.shift(timedelta(days=1))
    assert wm.sla_scan() == {"warned": 0, "breached": 1}
    assert wm.sla_scan() == {"warned": 0, "breached": 0}
    sla.refresh_from_db()
    assert sla.sla_warned_at == T0 + timedelta(days=1, minutes=1)
    assert sla.sla_breached_at == T0 + timedelta(days=2, minutes=1)
    assert sla.state == WorkItemState.ASSIGNED  # no escalation by default
    actions = list(AuditEvent.objects.filter(workitem=sla).values_list("action", flat=True))
    assert actions.count("sla.warned") == 1 and actions.count("sla.breached") == 1
    assert len(mail.outbox) == 2
    assert list(WorkItem.objects.overdue()) == [sla]


def test_sla_breach_escalates_to_the_roles_when_enabled(wm, sla, time_machine, settings, bob):
    settings.WAYMARK_SLA_AUTO_ASSIGN = True
    time_machine.shift(timedelta(days=3))
    assert wm.sla_scan() == {"warned": 0, "breached": 1}  # a breach implies the warning
    sla.refresh_from_db()
    assert sla.state == WorkItemState.OFFERED and sla.assignee is None
    assert list(WorkItem.objects.available(bob)) == [sla]
    assert AuditEvent.objects.filter(workitem=sla, action="workitem.escalated").exists()


def test_sla_can_be_turned_off(wm, sla, time_machine, settings):
    settings.WAYMARK_SLA_ENABLED = False
    settings.WAYMARK_SLA_NOTIFY = False
    time_machine.shift(timedelta(days=3))
    assert wm.sla_scan() == {"warned": 0, "breached": 0}


def test_completed_work_is_not_scanned(wm, sla, time_machine, carol):
    wm.complete(sla, user=carol)
    time_machine.shift(timedelta(days=3))
    assert wm.sla_scan() == {"warned": 0, "breached": 0}


def test_audit_can_be_turned_off(wm, settings):
    settings.WAYMARK_AUDIT_ENABLED = False
    deploy(
        [{"key": "a", "kind": "automatic", "handler": "test.noop"}],
        ["start>a", "a>end"],
        code="quiet",
    )
    run = wm.start_run("quiet")
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert not AuditEvent.objects.filter(instance=run).exists()


# Duplicates and lost messages -----------------------------------------------------------


@pytest.fixture
def ready_item(settings, db, calls, django_capture_on_commit_callbacks):
    """A run whose first step is READY and whose message was never sent."""
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    deploy(
        [{"key": "a", "kind": "automatic", "handler": "test.add_one"}],
        ["start>a", "a>end"],
        code="dup",
    )
    from engine.services.runtime import start_run

    run = start_run("dup", {"n": 0})  # on-commit callbacks are never run: "lost"
    return run.workitems.get(activity_key="a")


def test_a_message_delivered_twice_is_a_no_op(ready_item, calls):
    version = ready_item.lock_version
    assert worker.run_workitem(ready_item.pk, version) == 1
    assert worker.run_workitem(ready_item.pk, version) == 0
    assert len(calls["test.add_one"]) == 1
    run = ready_item.instance
    run.refresh_from_db()
    assert run.data == {"n": 1} and run.state == RunState.COMPLETED


def test_a_stale_message_is_ignored(ready_item, calls):
    assert worker.run_workitem(ready_item.pk, ready_item.lock_version + 7) == 0
    assert "test.add_one" not in calls


def test_a_duplicate_arriving_while_the_step_runs_is_a_no_op(ready_item, calls, monkeypatch):
    from engine import handlers

    original = handlers.resolve
    nested = []

    def resolve(name):
        fn = original(name)

        def racing(ctx):
            if not nested:  # the same message, taken by another worker meanwhile
                nested.append(worker.run_workitem(ready_item.pk, ready_item.lock_version))
            return fn(ctx)

        return racing

    monkeypatch.setattr(handlers, "resolve", resolve)
    assert worker.run_workitem(ready_item.pk, ready_item.lock_version) == 1
    assert nested == [0]
    assert len(calls["test.add_one"]) == 1
    run = ready_item.instance
    run.refresh_from_db()
    assert run.data == {"n": 1} and run.workitems.filter(activity_key="end").count() == 1


def test_a_result_is_recorded_once_when_a_worker_stalls_past_its_lease(
    ready_item, calls, monkeypatch
):
    """The worker stalled until its lease lapsed: the reconciler counted a failed attempt and
    the retry ran elsewhere and recorded; the stalled worker's result is dropped (its side
    effect ran with the same idempotency key)."""
    from django.utils import timezone

    from engine import handlers
    from engine.models import Timer

    original = handlers.resolve
    overtaken = []
    stalled = []

    def resolve(name):
        fn = original(name)

        def slow(ctx):
            if not stalled:
                stalled.append(ctx.attempt)
                WorkItem.objects.filter(pk=ready_item.pk).update(
                    lease_expires_at=timezone.now() - timedelta(seconds=1)
                )
                assert reconciler.expire_leases() == 1
                retry = Timer.objects.get(workitem=ready_item, fired_at=None)
                assert timers.fire_timer(retry.pk, retry.due_at)
                item = WorkItem.objects.get(pk=ready_item.pk)
                overtaken.append(worker.run_workitem(item.pk, item.lock_version))
            return fn(ctx)

        return slow

    monkeypatch.setattr(handlers, "resolve", resolve)
    assert worker.run_workitem(ready_item.pk, ready_item.lock_version) == 0
    assert overtaken == [1]
    assert [c.attempt for c in calls["test.add_one"]] == [2, 1]
    assert len({c.idempotency_key for c in calls["test.add_one"]}) == 1
    run = ready_item.instance
    run.refresh_from_db()
    assert run.data == {"n": 1} and run.workitems.filter(activity_key="end").count() == 1


def test_the_reconciler_resends_lost_work(
    ready_item, calls, time_machine, settings, django_capture_on_commit_callbacks
):
    settings.WAYMARK_RECONCILE_AFTER_SECONDS = 60
    time_machine.move_to(ready_item.dispatched_at + timedelta(seconds=30), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert reconciler.redispatch_lost() == 0
    time_machine.move_to(ready_item.dispatched_at + timedelta(seconds=61), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert reconciler.redispatch_lost() == 1
    run = ready_item.instance
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and len(calls["test.add_one"]) == 1
    # The original message, arriving late, finds the version changed.
    assert worker.run_workitem(ready_item.pk, ready_item.lock_version) == 0


# Scheduler backends ------------------------------------------------------------------------


def test_django_q_backend_in_sync_mode_runs_the_chain(
    settings, db, calls, django_capture_on_commit_callbacks, monkeypatch
):
    from django_q.conf import Conf

    settings.WAYMARK_SCHEDULER_BACKEND = "django_q"
    monkeypatch.setattr(Conf, "SYNC", True)
    clear_graph_cache()
    deploy(
        [
            {"key": "a", "kind": "automatic", "handler": "test.add_one"},
            {"key": "b", "kind": "automatic", "handler": "test.add_one"},
        ],
        ["start>a", "a>b", "b>end"],
        code="dq",
    )
    from engine.services.runtime import start_run

    with django_capture_on_commit_callbacks(execute=True):
        run = start_run("dq", {"n": 0})
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and run.data == {"n": 2}


def test_django_q_backend_installs_its_schedules(settings, db):
    from django_q.models import Schedule

    settings.WAYMARK_SCHEDULER_BACKEND = "django_q"
    scheduler.install()
    scheduler.install()
    names = set(Schedule.objects.values_list("name", flat=True))
    assert set(scheduler.PERIODIC) <= names
    assert Schedule.objects.filter(name="waymark.timeout_scan").count() == 1


def test_public_functions_call_the_backend(wm, sla, time_machine, monkeypatch):
    time_machine.shift(timedelta(days=3))
    scheduler.schedule_sla_scan()
    sla.refresh_from_db()
    assert sla.sla_breached_at is not None
    scheduler.schedule_timeout_scan()
    wm.run(scheduler.schedule_notification, sla.assignee_id, [sla.pk])
    assert mail.outbox[-1].to == ["carol@example.com"]


def test_schedule_workitem_action_completes_later(wm, sla, carol):
    wm.run(scheduler.schedule_workitem_action, sla.pk, "complete", outcome=None, data={"x": 1})
    sla.refresh_from_db()
    assert sla.state == WorkItemState.COMPLETED and sla.form_data == {"x": 1}


def test_cron_backend_runs_scans_inline(settings, sla, time_machine):
    settings.WAYMARK_SCHEDULER_BACKEND = "cron"
    time_machine.shift(timedelta(days=3))
    scheduler.schedule_sla_scan()
    sla.refresh_from_db()
    assert sla.sla_breached_at is not None
