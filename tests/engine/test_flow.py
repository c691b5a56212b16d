"""Routing in real runs: exclusive choice, parallel split and join, stuck runs."""

from engine.models import Incident, RunState, Token, WorkItem, WorkItemState
from tests.engine.conftest import deploy


def auto(key, handler="test.branch"):
    return {"key": key, "kind": "automatic", "handler": handler}


def path(run):
    return list(run.workitems.order_by("seq").values_list("activity_key", flat=True))


def test_exclusive_choice_takes_the_first_true_transition_by_priority(wm):
    deploy(
        [{"key": "x", "kind": "exclusive"}, auto("big"), auto("bigger"), auto("small")],
        [
            "start>x",
            {
                "source": "x",
                "target": "bigger",
                "condition": "instance.data.amount > 1000",
                "priority": 1,
            },
            {
                "source": "x",
                "target": "big",
                "condition": "instance.data.amount > 100",
                "priority": 2,
            },
            {"source": "x", "target": "small", "default": True},
            "big>end",
            "bigger>end",
            "small>end",
        ],
        code="amounts",
    )
    assert "bigger" in path(wm.start_run("amounts", {"amount": 5000}))
    assert "big" in path(wm.start_run("amounts", {"amount": 500}))
    assert "small" in path(wm.start_run("amounts", {"amount": 5}))


def test_no_way_out_is_an_incident_not_a_silent_stall(wm):
    deploy(
        [{"key": "x", "kind": "exclusive"}, auto("a")],
        [
            "start>x",
            {"source": "x", "target": "a", "condition": "instance.data.go == true"},
            "a>end",
        ],
        code="stuck",
    )
    run = wm.start_run("stuck", {"go": False})
    run.refresh_from_db()
    assert run.state == RunState.FAILED and run.status == "FAILED"
    incident = run.incidents.get()
    assert incident.kind == "routing" and "No transition out of 'x' matched" in incident.message
    gateway = run.workitems.get(activity_key="x")
    assert gateway.state == WorkItemState.FALLOUT
    # Fix the data and retry: the run routes on.
    wm.update_run_data(run, {"go": True})
    wm.retry_workitem(gateway)
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert Incident.objects.get(pk=incident.pk).resolved_at is not None


def test_parallel_split_and_join_wait_for_every_branch(wm, calls):
    deploy(
        [
            {"key": "split", "kind": "parallel"},
            auto("a"),
            auto("b"),
            auto("c"),
            {"key": "join", "kind": "parallel"},
            {"key": "after", "kind": "automatic", "handler": "test.noop"},
        ],
        [
            "start>split",
            "split>a",
            "split>b",
            "split>c",
            "a>join",
            "b>join",
            "c>join",
            "join>after",
            "after>end",
        ],
        code="fan",
    )
    run = wm.start_run("fan")
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert run.data == {"branch_a": True, "branch_b": True, "branch_c": True}
    assert len(calls["test.noop"]) == 1  # the join fired once
    assert run.workitems.filter(activity_key="join").count() == 1
    assert not Token.objects.filter(instance=run, consumed_at=None).exists()


def test_join_waits_for_a_person_on_one_branch(wm, bob):
    deploy(
        [
            {"key": "split", "kind": "parallel"},
            auto("a"),
            {"key": "h", "kind": "human", "allowed_users": ["bob"]},
            {"key": "join", "kind": "parallel"},
        ],
        ["start>split", "split>a", "split>h", "a>join", "h>join", "join>end"],
        code="mixed",
    )
    run = wm.start_run("mixed")
    run.refresh_from_db()
    assert run.state == RunState.WAITING
    assert Token.objects.filter(instance=run, consumed_at=None).count() == 1
    assert not run.workitems.filter(activity_key="join").exists()
    wm.complete(run.workitems.get(activity_key="h"), user=bob)
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert run.workitems.filter(activity_key="join").count() == 1


def test_parallel_split_takes_every_true_transition(wm):
    deploy(
        [{"key": "split", "kind": "parallel"}, auto("a"), auto("b"), {"key": "e2", "kind": "end"}],
        [
            "start>split",
            {"source": "split", "target": "a", "condition": "instance.data.want_a == true"},
            {"source": "split", "target": "b", "condition": "instance.data.want_b == true"},
            "a>end",
            "b>e2",
        ],
        code="some",
    )
    run = wm.start_run("some", {"want_a": True, "want_b": False})
    assert "a" in path(run) and "b" not in path(run)
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED


def test_handler_outcome_sets_the_condition(wm):
    deploy(
        [
            {"key": "decide", "kind": "automatic", "handler": "test.outcome"},
            auto("yes"),
            auto("no"),
        ],
        [
            "start>decide",
            {"source": "decide", "target": "yes", "condition": "eq:YES"},
            {"source": "decide", "target": "no", "condition": "eq:NO"},
            "yes>end",
            "no>end",
        ],
        code="decide",
    )
    run = wm.start_run("decide", {"want": "NO"})
    run.refresh_from_db()
    assert run.condition == "NO" and "no" in path(run) and "yes" not in path(run)
    assert WorkItem.objects.get(instance=run, activity_key="decide").outcome == "NO"


def test_activity_states_for_the_run_page(wm, bob):
    deploy(
        [auto("a"), {"key": "h", "kind": "human", "allowed_users": ["bob"]}],
        ["start>a", "a>h", "h>end"],
        code="overlay",
    )
    run = wm.start_run("overlay")
    states = run.activity_states()
    assert states["a"]["state"] == "completed" and states["a"]["visits"] == 1
    assert states["h"]["state"] == "offered"
    assert "end" not in states
