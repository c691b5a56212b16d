"""Moving running runs to another version: all or nothing, audited, and they finish there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission

from engine.errors import NotAllowed, RunsCannotMove
from engine.models import AuditEvent, ProcessInstance, RunState, Version, WorkItem
from engine.services import definitions
from engine.services.moving import move_runs
from tests.engine.conftest import deploy

T0 = datetime(2030, 5, 4, 9, 0, tzinfo=UTC)
ROUTES = ("review", "cool", "paid")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def v1(wm):
    """start -> route -> review (human) | cool (timer 1d) | paid (signal) -> end."""
    return deploy(
        [
            {"key": "route", "kind": "exclusive"},
            {"key": "review", "kind": "human", "outcomes": ["OK"]},
            {"key": "cool", "kind": "timer", "timer_duration": "1d"},
            {"key": "paid", "kind": "signal", "signal_name": "paid", "correlation": "data.n"},
        ],
        [
            "start>route",
            *(
                {"source": "route", "target": r, "condition": f"data.route == '{r}'"}
                for r in ROUTES
            ),
            "review>end",
            "cool>end",
            "paid>end",
        ],
        code="moves",
    )


def v2_of(v1: Version) -> Version:
    """The next version: 'review' is now 'approve', and every way out goes through 'log'."""
    data = definitions.export_version(v1)
    for activity in data["activities"]:
        if activity["key"] == "review":
            activity.update(key="approve", name="Approve")
    data["activities"].append({"key": "log", "kind": "automatic", "handler": "test.noop"})
    for transition in data["transitions"]:
        transition["source"] = (
            "approve" if transition["source"] == "review" else transition["source"]
        )
        transition["target"] = (
            "approve" if transition["target"] == "review" else transition["target"]
        )
        transition["target"] = "log" if transition["target"] == "end" else transition["target"]
    data["transitions"].append({"key": "log_end", "source": "log", "target": "end"})
    return definitions.import_definition(data, publish_it=True)


def waiting_at(key: str) -> int:
    return WorkItem.objects.filter(activity_key=key, state__in=["offered", "waiting"]).count()


def test_fifty_runs_waiting_at_three_activities_move_and_complete_there(wm, v1, clock, calls):
    runs = [wm.start_run("moves", {"route": ROUTES[i % 3], "n": i}) for i in range(50)]
    v2 = v2_of(v1)
    assert [waiting_at(key) for key in ROUTES] == [17, 17, 16]

    moved = wm.run(move_runs, v1, v2, mapping={"review": "approve"})

    assert len(moved) == 50
    assert set(ProcessInstance.objects.values_list("version__number", flat=True)) == {2}
    assert [waiting_at(key) for key in ("approve", "cool", "paid")] == [17, 17, 16]
    event = AuditEvent.objects.filter(action="run.moved", instance=runs[0]).get()
    assert event.metadata == {"from": 1, "to": 2, "renamed": {"review": "approve"}}
    assert event.version.number == 2

    for item in WorkItem.objects.filter(activity_key="approve"):
        wm.complete(item.pk, outcome="OK")
    clock.shift(timedelta(days=1))
    assert wm.fire_due() == 17
    for i in range(2, 50, 3):
        wm.send_signal("paid", correlation=str(i))

    assert set(ProcessInstance.objects.values_list("state", flat=True)) == {RunState.COMPLETED}
    # They finished on the new version: through its new step.
    assert len(calls["test.noop"]) == 50


def test_a_waiting_activity_without_a_place_refuses_the_whole_move(wm, v1):
    for i in range(6):
        wm.start_run("moves", {"route": ROUTES[i % 3], "n": i})
    v2 = v2_of(v1)  # no 'review' there: it became 'approve'
    with pytest.raises(RunsCannotMove) as caught:
        wm.run(move_runs, v1, v2)
    paths = [p["path"] for p in caught.value.problems]
    assert len(paths) == 2 and all(path.endswith(".review") for path in paths)
    assert "waits at 'review'; the target has no 'review'" in caught.value.problems[0]["message"]
    assert set(ProcessInstance.objects.values_list("version__number", flat=True)) == {1}
    assert not AuditEvent.objects.filter(action="run.moved").exists()


def test_a_mapping_to_another_kind_or_to_nothing_is_refused(wm, v1):
    wm.start_run("moves", {"route": "review", "n": 1})
    v2 = v2_of(v1)
    with pytest.raises(RunsCannotMove) as caught:
        wm.run(move_runs, v1, v2, mapping={"review": "log", "nowhere": "end"})
    messages = [p["message"] for p in caught.value.problems]
    assert "v1 has no activity 'nowhere'" in messages
    assert "waits at a human activity; 'log' is an automatic activity" in messages
    assert ProcessInstance.objects.get().version.number == 1


def test_only_the_runs_named_move_and_a_draft_is_no_target(wm, v1):
    one = wm.start_run("moves", {"route": "cool", "n": 1})
    two = wm.start_run("moves", {"route": "cool", "n": 2})
    draft = definitions.clone(v1)
    with pytest.raises(RunsCannotMove, match="is a draft: publish it first"):
        wm.run(move_runs, v1, draft)
    v3 = definitions.publish(draft)
    wm.run(move_runs, v1, v3, run_ids=[two.pk])
    one.refresh_from_db(), two.refresh_from_db()
    assert (one.version_id, two.version_id) == (v1.pk, v3.pk)
    with pytest.raises(RunsCannotMove, match="the run is not on v1"):
        wm.run(move_runs, v1, v3, run_ids=[two.pk])


def test_moving_runs_needs_the_manage_runs_permission(wm, v1, django_user_model):
    v2 = v2_of(v1)
    dee = django_user_model.objects.create_user("dee")
    with pytest.raises(NotAllowed):
        move_runs(v1, v2, user=dee)
    dee.user_permissions.add(Permission.objects.get(codename="manage_runs"))
    dee = django_user_model.objects.get(pk=dee.pk)
    assert move_runs(v1, v2, user=dee) == []


def test_a_timeout_the_target_cannot_take_refuses_the_move(wm):
    edges = ["start>review", "review>end", {"source": "review", "target": "late"}, "late>end"]
    edges[2]["condition"], edges[2]["key"] = "timeout:3d", "too_slow"
    activities = [
        {"key": "review", "kind": "human", "outcomes": ["OK"]},
        {"key": "late", "kind": "automatic", "handler": "test.noop"},
    ]
    v1 = deploy(activities, edges, code="slow")
    run = wm.start_run("slow")
    kept = definitions.import_definition(definitions.export_version(v1), publish_it=True)
    data = definitions.export_version(v1)
    data["transitions"] = [
        t for t in data["transitions"] if "late" not in (t["source"], t["target"])
    ]
    data["activities"] = [a for a in data["activities"] if a["key"] != "late"]
    dropped = definitions.import_definition(data, publish_it=True)
    with pytest.raises(RunsCannotMove) as caught:
        wm.run(move_runs, v1, dropped)
    assert caught.value.problems == [
        {
            "path": f"runs.{run.pk}.review",
            "message": "the timeout at 'review' is to take 'too_slow', "
            "which does not leave 'review' in the target",
        }
    ]
    assert wm.run(move_runs, v1, kept) == [run]
