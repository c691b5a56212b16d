"""Wait for the first of several things: the first wait to fire wins, the others are cancelled."""

from datetime import UTC, datetime, timedelta

import pytest

from engine.models import AuditEvent, PendingSignal, RunState, Timer, WorkItemState
from tests.engine.conftest import deploy

T0 = datetime(2030, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def checkout(wm):
    """After check-in, the first of: the guest checks out (a signal) or a day passes."""
    deploy(
        [
            {"key": "first", "kind": "first_of", "name": "First of"},
            {
                "key": "checked_out",
                "kind": "signal",
                "signal_name": "guest.checked_out",
                "correlation": "data.guest",
            },
            {"key": "a_day", "kind": "timer", "timer_duration": "1d"},
            {"key": "thank", "kind": "automatic", "handler": "test.noop"},
            {"key": "remind", "kind": "automatic", "handler": "test.branch"},
        ],
        [
            "start>first",
            "first>checked_out",
            "first>a_day",
            "checked_out>thank",
            "thank>end",
            "a_day>remind",
            "remind>end",
        ],
        code="stay",
    )


def _items(run):
    return {w.activity_key: w for w in run.workitems.all()}


def test_arriving_arms_every_wait_at_once(wm, clock, checkout):
    run = wm.start_run("stay", {"guest": 7})
    items = _items(run)
    assert items["first"].state == WorkItemState.WAITING
    assert items["checked_out"].state == WorkItemState.WAITING
    assert items["a_day"].state == WorkItemState.WAITING
    assert {items["checked_out"].gateway_id, items["a_day"].gateway_id} == {items["first"].pk}
    assert Timer.objects.get(workitem=items["a_day"]).due_at == T0 + timedelta(days=1)
    run.refresh_from_db()
    assert run.state == RunState.WAITING


def test_the_signal_wins_and_the_timer_is_cancelled(wm, clock, checkout, calls):
    run = wm.start_run("stay", {"guest": 7})
    result = wm.send_signal("guest.checked_out", {"rating": 5}, correlation=7)
    assert result.woken == [run.pk]
    run.refresh_from_db()
    items = _items(run)
    assert run.state == RunState.COMPLETED and run.data["rating"] == 5
    assert items["first"].state == WorkItemState.COMPLETED
    assert items["checked_out"].state == WorkItemState.COMPLETED
    assert items["a_day"].state == WorkItemState.CANCELLED
    assert "thank" in items and "remind" not in items
    assert not Timer.objects.filter(workitem=items["a_day"]).exists()
    # The cancelled timer never fires later.
    clock.shift(timedelta(days=2))
    assert wm.fire_due() == 0
    assert "test.branch" not in calls
    cancelled = AuditEvent.objects.get(instance=run, action="workitem.cancelled")
    assert cancelled.activity_key == "a_day"
    assert cancelled.metadata["won_by"] == "checked_out"
    assert cancelled.metadata["first_of"] == "first"
    done = AuditEvent.objects.get(instance=run, action="workitem.completed", activity_key="first")
    assert done.metadata["first"] == "checked_out"


def test_the_timer_wins_and_the_signal_wait_is_withdrawn(wm, clock, checkout, calls):
    run = wm.start_run("stay", {"guest": 8})
    clock.shift(timedelta(days=1))
    assert wm.fire_due() == 1
    run.refresh_from_db()
    items = _items(run)
    assert run.state == RunState.COMPLETED
    assert items["a_day"].state == WorkItemState.COMPLETED
    assert items["checked_out"].state == WorkItemState.CANCELLED
    assert len(calls["test.branch"]) == 1
    # The withdrawn wait takes no signal: it is kept for whoever waits next.
    late = wm.send_signal("guest.checked_out", {"rating": 1}, correlation=8)
    assert late.woken == [] and late.kept is not None
    run.refresh_from_db()
    assert "rating" not in run.data
    cancelled = AuditEvent.objects.get(instance=run, action="workitem.cancelled")
    assert cancelled.activity_key == "checked_out"
    assert cancelled.metadata["won_by"] == "a_day"


def test_a_signal_kept_from_before_wins_at_once(wm, clock, checkout):
    kept = wm.send_signal("guest.checked_out", {"early": True}, correlation=9).kept
    run = wm.start_run("stay", {"guest": 9})
    run.refresh_from_db()
    items = _items(run)
    assert run.state == RunState.COMPLETED and run.data["early"] is True
    assert items["checked_out"].state == WorkItemState.COMPLETED
    # The signal wait comes first in the gateway's order and won before the timer was
    # armed: no timer was ever set.
    assert "a_day" not in items
    assert not Timer.objects.filter(instance=run).exists()
    kept.refresh_from_db()
    assert kept.consumed_by_id == run.pk


def test_a_kept_signal_after_an_armed_timer_cancels_it(wm, clock):
    deploy(
        [
            {"key": "first", "kind": "first_of"},
            {"key": "wait", "kind": "timer", "timer_duration": "1h"},
            {"key": "go", "kind": "signal", "signal_name": "go"},
        ],
        ["start>first", "first>wait", "first>go", "wait>end", "go>end"],
        code="order",
    )
    wm.send_signal("go")
    run = wm.start_run("order")
    run.refresh_from_db()
    items = _items(run)
    assert run.state == RunState.COMPLETED
    assert items["wait"].state == WorkItemState.CANCELLED
    assert items["go"].state == WorkItemState.COMPLETED
    assert not Timer.objects.filter(instance=run, fired_at=None).exists()
    clock.shift(timedelta(hours=2))
    assert wm.fire_due() == 0


def test_a_model_event_is_one_of_the_things_to_wait_for(wm, clock):
    """Model events arrive as signals ``event:<trigger key>`` correlated by the record's pk."""
    deploy(
        [
            {"key": "first", "kind": "first_of"},
            {
                "key": "renamed",
                "kind": "signal",
                "signal_name": "event:group_renamed",
                "correlation": "data.group_id",
            },
            {
                "key": "paid",
                "kind": "signal",
                "signal_name": "paid",
                "correlation": "data.group_id",
            },
            {"key": "week", "kind": "timer", "timer_duration": "7d"},
        ],
        [
            "start>first",
            "first>renamed",
            "first>paid",
            "first>week",
            "renamed>end",
            "paid>end",
            "week>end",
        ],
        code="agent",
    )
    run = wm.start_run("agent", {"group_id": 3})
    wm.send_signal("event:group_renamed", {"record": {"pk": 3}}, correlation=3)
    run.refresh_from_db()
    items = _items(run)
    assert run.state == RunState.COMPLETED
    assert items["renamed"].state == WorkItemState.COMPLETED
    assert items["paid"].state == items["week"].state == WorkItemState.CANCELLED
    assert AuditEvent.objects.filter(instance=run, action="workitem.cancelled").count() == 2


def test_a_gateway_in_a_loop_arms_again_each_time(wm, clock):
    """An agent: react to each event, come back to wait for the next, until a day is quiet."""
    deploy(
        [
            {"key": "first", "kind": "first_of"},
            {"key": "ping", "kind": "signal", "signal_name": "ping", "correlation": "data.g"},
            {"key": "quiet", "kind": "timer", "timer_duration": "1d"},
            {"key": "count", "kind": "automatic", "handler": "test.add_one"},
        ],
        ["start>first", "first>ping", "first>quiet", "ping>count", "count>first", "quiet>end"],
        code="agent_loop",
    )
    run = wm.start_run("agent_loop", {"g": 1})
    for _ in range(3):
        clock.shift(timedelta(hours=12))
        wm.send_signal("ping", correlation=1)
    run.refresh_from_db()
    assert run.data["n"] == 3 and run.state == RunState.WAITING
    # Each round's timer was cancelled; only the last round's is armed.
    assert Timer.objects.filter(instance=run, fired_at=None).count() == 1
    clock.shift(timedelta(hours=23))
    assert wm.fire_due() == 0
    clock.shift(timedelta(hours=1))
    assert wm.fire_due() == 1
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    states = [w.state for w in run.workitems.filter(activity_key="quiet").order_by("seq")]
    assert states == [WorkItemState.CANCELLED] * 3 + [WorkItemState.COMPLETED]


def test_a_resumed_run_takes_one_kept_signal_and_cancels_the_rest(wm, clock):
    deploy(
        [
            {"key": "first", "kind": "first_of"},
            {"key": "a", "kind": "signal", "signal_name": "a"},
            {"key": "b", "kind": "signal", "signal_name": "b"},
        ],
        ["start>first", "first>a", "first>b", "a>end", "b>end"],
        code="both",
    )
    run = wm.start_run("both")
    wm.suspend_run(run)
    assert wm.send_signal("a").kept is not None  # a suspended run takes nothing
    assert wm.send_signal("b").kept is not None
    wm.resume_run(run)
    run.refresh_from_db()
    items = _items(run)
    assert run.state == RunState.COMPLETED
    assert sorted(w.state for w in (items["a"], items["b"])) == [
        WorkItemState.CANCELLED,
        WorkItemState.COMPLETED,
    ]
    assert PendingSignal.objects.filter(consumed_at=None).count() == 1  # the other is kept


def test_cancelling_the_run_cancels_the_gateway_and_its_waits(wm, clock, checkout):
    run = wm.start_run("stay", {"guest": 10})
    wm.cancel_run(run)
    run.refresh_from_db()
    assert run.state == RunState.CANCELLED
    assert {w.state for w in run.workitems.exclude(activity_key="start")} == {
        WorkItemState.CANCELLED
    }
    clock.shift(timedelta(days=2))
    assert wm.fire_due() == 0


def test_a_wait_that_fell_out_on_arrival_is_cancelled_when_another_wins(wm, clock):
    deploy(
        [
            {"key": "first", "kind": "first_of"},
            {"key": "due", "kind": "timer", "timer_date_field": "data.when"},
            {"key": "go", "kind": "signal", "signal_name": "go", "correlation": "data.k"},
        ],
        ["start>first", "first>due", "first>go", "due>end", "go>end"],
        code="bad_date",
    )
    run = wm.start_run("bad_date", {"when": "soon", "k": 1})
    run.refresh_from_db()
    assert run.state == RunState.FAILED  # the timer's date is no date
    wm.send_signal("go", correlation=1)
    run.refresh_from_db()
    items = _items(run)
    assert items["due"].state == WorkItemState.CANCELLED
    assert not run.incidents.filter(resolved_at=None).exists()
    assert run.state == RunState.COMPLETED


def test_a_retried_wait_stays_in_its_gateway(wm, clock):
    deploy(
        [
            {"key": "first", "kind": "first_of"},
            {"key": "due", "kind": "timer", "timer_date_field": "data.when"},
            {"key": "go", "kind": "signal", "signal_name": "go", "correlation": "data.k"},
        ],
        ["start>first", "first>due", "first>go", "due>end", "go>end"],
        code="fixed_date",
    )
    run = wm.start_run("fixed_date", {"when": "soon", "k": 2})
    wm.update_run_data(run, {"when": (T0 + timedelta(hours=1)).isoformat()})
    wm.retry_run(run)
    run.refresh_from_db()
    assert run.state == RunState.WAITING
    retried = run.workitems.filter(activity_key="due").order_by("-seq").first()
    gateway = run.workitems.get(activity_key="first")
    assert retried.state == WorkItemState.WAITING and retried.gateway_id == gateway.pk
    clock.shift(timedelta(hours=1))
    assert wm.fire_due() == 1
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert run.workitems.get(activity_key="go").state == WorkItemState.CANCELLED
