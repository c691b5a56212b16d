"""Timer activities: an offset from the date in the data, and a timer that follows its date."""

from datetime import UTC, datetime, timedelta

import pytest

from engine.errors import ValidationFailed
from engine.handlers import handler
from engine.models import AuditEvent, RunState, Timer, WorkItemState
from engine.services import transfer, versions
from tests.engine.conftest import deploy

T0 = datetime(2030, 3, 30, 12, 0, tzinfo=UTC)
CHECK_IN = "2030-04-02T15:00:00Z"
CHECK_IN_AT = datetime(2030, 4, 2, 15, 0, tzinfo=UTC)


@handler("test.move_check_in")
def move_check_in(ctx):
    return {"check_in": ctx.data["moved_to"]}


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


def reminder(code="remind", offset="-1h", *, side=None):
    """start > split > (wait for check-in minus offset) and (side) > join > end."""
    acts = [
        {"key": "split", "kind": "parallel"},
        {
            "key": "wait",
            "kind": "timer",
            "timer_date_field": "data.check_in",
            "timer_offset": offset,
        },
        {"key": "join", "kind": "parallel"},
    ]
    edges = ["start>split", "split>wait", "wait>join", "join>end"]
    if side:
        acts.append(side)
        edges += [f"split>{side['key']}", f"{side['key']}>join"]
    return deploy(acts, edges, code=code)


def wait_of(run):
    return run.workitems.get(activity_key="wait")


def test_the_offset_moves_the_due_time_from_the_date(wm, clock):
    reminder()
    run = wm.start_run("remind", {"check_in": CHECK_IN})
    assert wait_of(run).due_at == CHECK_IN_AT - timedelta(hours=1)
    assert Timer.objects.get(workitem=wait_of(run)).due_at == CHECK_IN_AT - timedelta(hours=1)
    reminder("after", offset="2d")
    later = wm.start_run("after", {"check_in": CHECK_IN})
    assert wait_of(later).due_at == CHECK_IN_AT + timedelta(days=2)


def test_the_offset_is_in_the_file_and_round_trips(wm):
    version = reminder()
    exported = transfer.export_version(version)
    [wait] = [a for a in exported["activities"] if a["key"] == "wait"]
    assert wait["timer_offset"] == "-1h"


def test_an_open_timer_follows_its_date_when_an_operator_edits_the_data(wm, clock):
    reminder()
    run = wm.start_run("remind", {"check_in": CHECK_IN})
    wm.update_run_data(run, {"check_in": "2030-04-05T15:00:00Z"})
    moved = datetime(2030, 4, 5, 14, 0, tzinfo=UTC)
    assert wait_of(run).due_at == moved
    clock.move_to(CHECK_IN_AT, tick=False)  # the old time: nothing fires
    assert wm.fire_due() == 0
    clock.move_to(moved, tick=False)
    assert wm.fire_due() == 1
    event = AuditEvent.objects.get(action="workitem.timer_moved")
    assert event.metadata["to"] == moved.isoformat()


def test_an_earlier_date_fires_at_the_new_time(wm, clock):
    reminder()
    run = wm.start_run("remind", {"check_in": CHECK_IN})
    wm.update_run_data(run, {"check_in": "2030-03-31T10:00:00Z"})
    clock.move_to(datetime(2030, 3, 31, 9, 0, tzinfo=UTC), tick=False)
    assert wm.fire_due() == 1
    assert wait_of(run).state == WorkItemState.COMPLETED


def test_a_date_moved_into_the_past_fires_at_the_next_poll(wm, clock):
    reminder()
    run = wm.start_run("remind", {"check_in": CHECK_IN})
    wm.update_run_data(run, {"check_in": "2030-03-30T08:00:00Z"})
    assert wm.fire_due() == 1


def test_a_step_output_moves_the_open_timer(wm, clock):
    side = {"key": "rebook", "kind": "automatic", "handler": "test.move_check_in"}
    reminder("rebooked", side=side)
    run = wm.start_run("rebooked", {"check_in": CHECK_IN, "moved_to": "2030-04-09T15:00:00Z"})
    run.refresh_from_db()
    assert run.data["check_in"] == "2030-04-09T15:00:00Z"  # the step ran (immediate backend)
    assert wait_of(run).due_at == datetime(2030, 4, 9, 14, 0, tzinfo=UTC)


def test_a_signal_payload_moves_the_open_timer(wm, clock):
    side = {"key": "hear", "kind": "signal", "signal_name": "rebooked"}
    reminder("heard", side=side)
    run = wm.start_run("heard", {"check_in": CHECK_IN})
    wm.send_signal("rebooked", {"check_in": "2030-04-03T15:00:00Z"})
    assert wait_of(run).due_at == datetime(2030, 4, 3, 14, 0, tzinfo=UTC)


def test_a_removed_date_keeps_the_timer_and_says_why(wm, clock):
    reminder()
    run = wm.start_run("remind", {"check_in": CHECK_IN})
    wm.update_run_data(run, {"check_in": None})
    assert wait_of(run).due_at == CHECK_IN_AT - timedelta(hours=1)
    event = AuditEvent.objects.get(action="workitem.timer_not_moved")
    assert "not a date" in event.metadata["reason"]
    clock.move_to(CHECK_IN_AT - timedelta(hours=1), tick=False)
    assert wm.fire_due() == 1
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED


def test_a_fired_timer_does_not_move(wm, clock):
    reminder()
    run = wm.start_run("remind", {"check_in": "2030-03-30T12:30:00Z"})
    clock.move_to(datetime(2030, 3, 30, 11, 30, tzinfo=UTC), tick=False)
    wm.fire_due()
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert not AuditEvent.objects.filter(action="workitem.timer_moved").exists()


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        ({"timer_date_field": "data.at", "timer_offset": "soon"}, "WM115", "signed duration"),
        ({"timer_duration": "2h", "timer_offset": "-1h"}, "WM118", "date field"),
    ],
)
def test_publishing_refuses_a_bad_offset(wm, fields, code, words):
    data = {
        "format": "waymark.process/1",
        "process": {"code": "bad", "title": "bad"},
        "activities": [
            {"key": "start", "kind": "start"},
            {"key": "wait", "kind": "timer", **fields},
            {"key": "end", "kind": "end"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "wait"},
            {"key": "t2", "source": "wait", "target": "end"},
        ],
    }
    draft = transfer.import_definition(data)
    with pytest.raises(ValidationFailed) as caught:
        versions.publish(draft)
    [problem] = [p for p in caught.value.problems if p.code == code]
    assert problem.key == "wait" and words in problem.message


def test_a_task_form_moves_the_open_timer(wm, clock, bob):
    side = {
        "key": "confirm",
        "kind": "human",
        "allowed_users": ["bob"],
        "form_schema": {"type": "object", "properties": {"check_in": {"type": "string"}}},
    }
    reminder("confirmed", side=side)
    run = wm.start_run("confirmed", {"check_in": CHECK_IN})
    task = run.workitems.get(activity_key="confirm")
    wm.complete(task, user=bob, data={"check_in": "2030-04-04T15:00:00Z"})
    assert wait_of(run).due_at == datetime(2030, 4, 4, 14, 0, tzinfo=UTC)


def test_the_versions_diff_shows_a_changed_offset(wm):
    from engine.services import drafts

    first = reminder()
    draft = versions.clone(first)
    drafts.update_activity(draft.activities.get(key="wait"), timer_offset="-2h")
    [change] = versions.diff_versions(first, draft).to_dict()["changes"]
    assert change["key"] == "wait"
    assert change["fields"] == [{"field": "timer_offset", "old": "-1h", "new": "-2h"}]
