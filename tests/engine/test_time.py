"""Timers, timeouts, retries with backoff, fallout, compensation: all on a fake clock."""

from datetime import UTC, datetime, timedelta

import pytest

from engine.models import AuditEvent, Incident, RunState, Timer, WorkItem, WorkItemState
from tests.engine.conftest import deploy

T0 = datetime(2030, 3, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def test_a_timer_waits_for_its_duration(wm, clock):
    deploy(
        [
            {"key": "wait", "kind": "timer", "timer_duration": "2h"},
            {"key": "a", "kind": "automatic", "handler": "test.noop"},
        ],
        ["start>wait", "wait>a", "a>end"],
        code="nap",
    )
    run = wm.start_run("nap")
    wait = run.workitems.get(activity_key="wait")
    assert wait.state == WorkItemState.WAITING and wait.due_at == T0 + timedelta(hours=2)
    clock.shift(timedelta(hours=1, minutes=59))
    assert wm.fire_due() == 0
    clock.shift(timedelta(minutes=1))
    assert wm.fire_due() == 1
    assert wm.fire_due() == 0  # fired once
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED


def test_a_timer_reads_its_date_from_the_data(wm, clock):
    deploy(
        [{"key": "wait", "kind": "timer", "timer_date_field": "data.remind_at"}],
        ["start>wait", "wait>end"],
        code="dated",
    )
    run = wm.start_run("dated", {"remind_at": "2030-04-02T09:00:00+02:00"})
    wait = run.workitems.get(activity_key="wait")
    assert wait.due_at == datetime(2030, 4, 2, 7, 0, tzinfo=UTC)
    bad = wm.start_run("dated", {"remind_at": "next tuesday"})
    bad.refresh_from_db()
    assert bad.state == RunState.FAILED
    assert "not a date" in bad.incidents.get().message


def test_a_timer_survives_a_daylight_saving_jump(wm, clock, settings):
    settings.TIME_ZONE = "Europe/Paris"
    deploy(
        [{"key": "wait", "kind": "timer", "timer_date_field": "data.at"}],
        ["start>wait", "wait>end"],
        code="dst",
    )
    # 2030-03-31 is the spring-forward day in Paris: 02:00 local does not exist.
    run = wm.start_run("dst", {"at": "2030-03-31T03:30:00"})  # naive: the site's zone
    due = run.workitems.get(activity_key="wait").due_at
    assert due == datetime(2030, 3, 31, 1, 30, tzinfo=UTC)
    clock.move_to(due - timedelta(seconds=1), tick=False)
    assert wm.fire_due() == 0
    clock.move_to(due, tick=False)
    assert wm.fire_due() == 1


def test_a_human_task_times_out_exactly_once(wm, clock, bob):
    deploy(
        [
            {"key": "h", "kind": "human", "allowed_users": ["bob"], "outcomes": ["DONE"]},
            {"key": "late", "kind": "automatic", "handler": "test.noop"},
        ],
        [
            "start>h",
            {"source": "h", "target": "end", "condition": "eq:DONE"},
            {"source": "h", "target": "late", "condition": "timeout:3d"},
            "late>end",
        ],
        code="slow",
    )
    run = wm.start_run("slow")
    item = run.workitems.get(activity_key="h")
    assert item.due_at == T0 + timedelta(days=3)
    clock.shift(timedelta(days=3, seconds=1))
    assert wm.timeout_scan() == 1
    assert wm.timeout_scan() == 0
    item.refresh_from_db()
    run.refresh_from_db()
    assert item.state == WorkItemState.TIMED_OUT
    assert run.state == RunState.COMPLETED
    assert run.workitems.filter(activity_key="late").count() == 1
    assert AuditEvent.objects.filter(workitem=item, action="workitem.timed_out").count() == 1
    from engine.services.runtime import Conflict

    with pytest.raises(Conflict, match="timed out"):
        wm.complete(item, user=bob, outcome="DONE")


def test_completing_in_time_cancels_the_timeout(wm, clock, bob):
    deploy(
        [{"key": "h", "kind": "human", "allowed_users": ["bob"]}, {"key": "late", "kind": "end"}],
        ["start>h", "h>end", {"source": "h", "target": "late", "condition": "timeout:1d"}],
        code="intime",
    )
    run = wm.start_run("intime")
    wm.complete(run.workitems.get(activity_key="h"), user=bob)
    clock.shift(timedelta(days=2))
    assert wm.fire_due() == 0
    assert not Timer.objects.filter(fired_at=None).exists()
    assert not run.workitems.filter(activity_key="late").exists()


def test_a_failing_handler_retries_with_backoff_then_succeeds(wm, clock, calls):
    deploy(
        [
            {
                "key": "call",
                "kind": "automatic",
                "handler": "test.flaky",
                "retry": {"max_attempts": 4, "base_delay": 10, "backoff_factor": 2},
            }
        ],
        ["start>call", "call>end"],
        code="flaky",
    )
    run = wm.start_run("flaky", {"succeed_on": 3})
    item = run.workitems.get(activity_key="call")
    assert item.state == WorkItemState.RETRY and item.attempts == 1
    assert "temporary failure 1" in item.error
    first_wait = item.next_attempt_at - T0
    assert timedelta(seconds=10) <= first_wait <= timedelta(seconds=11)
    run.refresh_from_db()
    assert run.state == RunState.RUNNING
    clock.shift(timedelta(seconds=5))
    assert wm.fire_due() == 0
    clock.shift(timedelta(seconds=7))
    assert wm.fire_due() == 1
    item.refresh_from_db()
    assert item.state == WorkItemState.RETRY and item.attempts == 2
    assert item.next_attempt_at - T0 >= timedelta(seconds=12 + 20)
    clock.shift(timedelta(seconds=30))
    wm.fire_due()
    item.refresh_from_db()
    run.refresh_from_db()
    assert item.state == WorkItemState.COMPLETED
    assert run.state == RunState.COMPLETED and run.data["flaky_done_on"] == 3
    keys = {c.idempotency_key for c in calls["test.flaky"]}
    assert [c.attempt for c in calls["test.flaky"]] == [1, 2, 3] and len(keys) == 1


def test_attempts_used_up_fall_out_with_an_incident(wm, clock, calls):
    deploy(
        [
            {
                "key": "call",
                "kind": "automatic",
                "handler": "test.fail",
                "compensation_handler": "test.compensate",
                "retry": {"max_attempts": 2, "base_delay": 1},
            }
        ],
        ["start>call", "call>end"],
        code="poison",
    )
    run = wm.start_run("poison")
    clock.shift(timedelta(seconds=5))
    wm.fire_due()
    item = run.workitems.get(activity_key="call")
    run.refresh_from_db()
    assert item.state == WorkItemState.FALLOUT and item.attempts == 2
    assert run.state == RunState.FAILED
    incident = Incident.objects.get(instance=run)
    assert "boom on attempt 2" in incident.message
    assert "RuntimeError" in incident.traceback and "Traceback" in incident.traceback
    assert AuditEvent.objects.filter(workitem=item, action="workitem.fallen_out").exists()
    assert "test.compensate" not in calls  # not automatic by default
    wm.compensate(item)
    item.refresh_from_db()
    run.refresh_from_db()
    assert item.compensated_at is not None and run.data["refunded"] is True
    assert "boom" in calls["test.compensate"][0].error
    assert AuditEvent.objects.filter(workitem=item, action="workitem.compensated").count() == 1
    wm.compensate_workitem(item.pk)  # once only
    assert len(calls["test.compensate"]) == 1


def test_compensation_runs_automatically_when_configured(wm, clock, calls, settings):
    settings.WAYMARK_COMPENSATION_AUTO = True
    deploy(
        [
            {
                "key": "call",
                "kind": "automatic",
                "handler": "test.fail",
                "compensation_handler": "test.compensate",
                "retry": {"max_attempts": 1},
            }
        ],
        ["start>call", "call>end"],
        code="autocomp",
    )
    run = wm.start_run("autocomp")
    item = run.workitems.get(activity_key="call")
    assert item.state == WorkItemState.FALLOUT and item.compensated_at is not None
    assert len(calls["test.compensate"]) == 1


def test_retry_a_fallen_out_workitem(wm, clock, calls):
    deploy(
        [
            {
                "key": "call",
                "kind": "automatic",
                "handler": "test.flaky",
                "retry": {"max_attempts": 1},
            }
        ],
        ["start>call", "call>end"],
        code="retryme",
    )
    run = wm.start_run("retryme", {"succeed_on": 2})
    item = run.workitems.get(activity_key="call")
    assert item.state == WorkItemState.FALLOUT
    # The retry counts attempts from the start again: make the handler succeed now.
    wm.update_run_data(run, {"succeed_on": 1})
    wm.retry_workitem(item)
    item.refresh_from_db()
    run.refresh_from_db()
    assert item.state == WorkItemState.COMPLETED
    assert run.state == RunState.COMPLETED
    assert not run.incidents.filter(resolved_at=None).exists()
    assert AuditEvent.objects.filter(workitem=item, action="workitem.retried").exists()


def test_timers_of_a_suspended_run_wait_for_resume(wm, clock):
    deploy(
        [{"key": "wait", "kind": "timer", "timer_duration": "1m"}],
        ["start>wait", "wait>end"],
        code="paused",
    )
    run = wm.start_run("paused")
    wm.suspend_run(run)
    clock.shift(timedelta(minutes=5))
    assert wm.fire_due() == 0
    wm.resume_run(run)
    assert wm.fire_due() == 1
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED


def test_cancel_closes_open_work_and_timers(wm, clock, bob):
    deploy(
        [
            {"key": "split", "kind": "parallel"},
            {"key": "h", "kind": "human", "allowed_users": ["bob"]},
            {"key": "wait", "kind": "timer", "timer_duration": "1h"},
            {"key": "join", "kind": "parallel"},
        ],
        ["start>split", "split>h", "split>wait", "h>join", "wait>join", "join>end"],
        code="cancelme",
    )
    run = wm.start_run("cancelme")
    wm.cancel_run(run, reason="customer withdrew")
    run.refresh_from_db()
    assert run.state == RunState.CANCELLED and run.status == "CANCELLED"
    assert set(
        run.workitems.exclude(activity_key__in=["start", "split"]).values_list("state", flat=True)
    ) == {"cancelled"}
    assert not WorkItem.objects.available(bob).exists()
    clock.shift(timedelta(hours=2))
    assert wm.fire_due() == 0
    assert AuditEvent.objects.filter(instance=run, action="run.cancelled").exists()
    from engine.services.runtime import RunNotActive

    with pytest.raises(RunNotActive):
        wm.cancel_run(run)
