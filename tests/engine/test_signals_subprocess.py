"""Wait for signal (with correlation, early signals) and subprocesses."""

from datetime import UTC, datetime, timedelta

import pytest

from engine.models import AuditEvent, PendingSignal, ProcessInstance, RunState, WorkItemState
from engine.services.runtime import InvalidData
from tests.engine.conftest import deploy

T0 = datetime(2030, 1, 10, 8, 0, tzinfo=UTC)


@pytest.fixture
def waits(wm):
    deploy(
        [
            {
                "key": "paid",
                "kind": "signal",
                "signal_name": "payment.received",
                "correlation": "data.order",
            },
            {"key": "ship", "kind": "automatic", "handler": "test.noop"},
        ],
        ["start>paid", "paid>ship", "ship>end"],
        code="orders",
    )


def test_a_signal_wakes_only_the_run_with_the_matching_correlation(wm, waits):
    one = wm.start_run("orders", {"order": 1})
    two = wm.start_run("orders", {"order": 2})
    assert one.workitems.get(activity_key="paid").state == WorkItemState.WAITING
    result = wm.send_signal("payment.received", {"amount": 12.5}, correlation="2")
    assert result.woken == [two.pk] and result.kept is None
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.state == RunState.WAITING
    assert two.state == RunState.COMPLETED and two.data == {"order": 2, "amount": 12.5}
    assert AuditEvent.objects.filter(instance=two, action="signal.received").count() == 1
    assert wm.send_signal("payment.received", correlation=2).woken == []  # already woken


def test_a_signal_with_another_name_wakes_nobody(wm, waits):
    run = wm.start_run("orders", {"order": 7})
    result = wm.send_signal("payment.refunded", {}, correlation=7)
    assert result.woken == [] and result.kept is not None
    run.refresh_from_db()
    assert run.state == RunState.WAITING


def test_an_early_signal_is_kept_and_consumed_when_the_run_waits(wm, waits):
    kept = wm.send_signal("payment.received", {"amount": 3}, correlation=9).kept
    assert kept is not None and kept.consumed_at is None
    run = wm.start_run("orders", {"order": 9})
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and run.data["amount"] == 3
    kept.refresh_from_db()
    assert kept.consumed_by_id == run.pk
    # Consumed once: the next run with the same correlation waits.
    again = wm.start_run("orders", {"order": 9})
    again.refresh_from_db()
    assert again.state == RunState.WAITING


def test_an_early_signal_expires(wm, waits, time_machine, settings):
    settings.WAYMARK_SIGNAL_RETENTION = "1h"
    time_machine.move_to(T0, tick=False)
    wm.send_signal("payment.received", correlation=5)
    time_machine.shift(timedelta(hours=2))
    run = wm.start_run("orders", {"order": 5})
    run.refresh_from_db()
    assert run.state == RunState.WAITING
    wm.reconcile()
    assert not PendingSignal.objects.exists()


def test_a_kept_signal_meets_a_wait_that_missed_it(wm, waits):
    run = wm.start_run("orders", {"order": 11})
    # As if the signal had committed while the run was starting to wait:
    PendingSignal.objects.create(
        name="payment.received",
        correlation="11",
        payload={"late": True},
        expires_at=T0 + timedelta(days=3650),
    )
    assert wm.reconcile()["signals_matched"] == 1
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and run.data["late"] is True


def test_signal_timeout(wm, time_machine):
    time_machine.move_to(T0, tick=False)
    deploy(
        [
            {"key": "wait", "kind": "signal", "signal_name": "go", "signal_timeout": "10m"},
            {"key": "gave_up", "kind": "end"},
        ],
        [
            "start>wait",
            {"source": "wait", "target": "gave_up", "condition": "eq:TIMEOUT"},
            {"source": "wait", "target": "end", "default": True},
        ],
        code="patience",
    )
    run = wm.start_run("patience")
    time_machine.shift(timedelta(minutes=11))
    assert wm.fire_due() == 1
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED and run.condition == "TIMEOUT"
    assert run.workitems.get(activity_key="wait").state == WorkItemState.TIMED_OUT
    assert run.workitems.filter(activity_key="gave_up").exists()


def test_a_signal_payload_must_be_an_object(wm):
    with pytest.raises(InvalidData):
        wm.send_signal("x", ["no"])
    with pytest.raises(InvalidData):
        wm.send_signal("", {})


def test_subprocess_result_merges_into_the_parent(wm, bob):
    deploy(
        [
            {"key": "check", "kind": "automatic", "handler": "test.add_one"},
            {"key": "approve", "kind": "human", "allowed_users": ["bob"]},
        ],
        ["start>check", "check>approve", "approve>end"],
        code="child",
    )
    deploy(
        [
            {"key": "sub", "kind": "subprocess", "subprocess_code": "child"},
            {"key": "after", "kind": "automatic", "handler": "test.add_one"},
        ],
        ["start>sub", "sub>after", "after>end"],
        code="parent",
    )
    parent = wm.start_run("parent", {"n": 10})
    sub = parent.workitems.get(activity_key="sub")
    child = ProcessInstance.objects.get(parent_workitem=sub)
    assert child.state == RunState.WAITING and child.data == {"n": 11}
    assert sub.state == WorkItemState.WAITING
    wm.complete(child.workitems.get(activity_key="approve"), user=bob, data={"ok": True})
    parent.refresh_from_db()
    child.refresh_from_db()
    assert child.state == RunState.COMPLETED and child.result == {"n": 11, "ok": True}
    assert parent.state == RunState.COMPLETED
    assert parent.data == {"n": 12, "ok": True}


def test_cancelling_a_child_gives_the_parent_an_incident(wm, bob):
    deploy(
        [{"key": "h", "kind": "human", "allowed_users": ["bob"]}], ["start>h", "h>end"], code="kid"
    )
    deploy(
        [{"key": "sub", "kind": "subprocess", "subprocess_code": "kid"}],
        ["start>sub", "sub>end"],
        code="mum",
    )
    parent = wm.start_run("mum")
    child = ProcessInstance.objects.get(parent_workitem__instance=parent)
    wm.cancel_run(child)
    parent.refresh_from_db()
    assert parent.state == RunState.FAILED
    assert parent.incidents.get().kind == "subprocess"
    # Retrying starts a new child run.
    wm.retry_workitem(parent.workitems.get(activity_key="sub", state="fallout"))
    assert ProcessInstance.objects.filter(process__code="kid", state=RunState.WAITING).count() == 1


def test_cancelling_the_parent_cancels_the_child(wm):
    deploy(
        [{"key": "h", "kind": "human", "allowed_users": ["bob"]}], ["start>h", "h>end"], code="kid2"
    )
    deploy(
        [{"key": "sub", "kind": "subprocess", "subprocess_code": "kid2"}],
        ["start>sub", "sub>end"],
        code="mum2",
    )
    parent = wm.start_run("mum2")
    wm.cancel_run(parent)
    assert ProcessInstance.objects.get(process__code="kid2").state == RunState.CANCELLED
