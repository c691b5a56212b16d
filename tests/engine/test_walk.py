"""The walk settles a run's state by itself, whatever its caller changed before."""

from __future__ import annotations

from engine.models import RunState, WorkItemState
from engine.services import runtime
from tests.engine.conftest import deploy


def test_retrying_one_branch_leaves_the_run_failed_while_another_is_fallen_out(
    wm, calls, django_capture_on_commit_callbacks
):
    """A retried branch makes a step ready, but the other branch's incident still stands."""
    deploy(
        [
            {"key": "split", "kind": "parallel"},
            {"key": "x", "kind": "exclusive"},
            {"key": "a", "kind": "automatic", "handler": "test.noop"},
            {"key": "b", "kind": "automatic", "handler": "test.fail", "retry": {"max_attempts": 1}},
            {"key": "join", "kind": "parallel"},
        ],
        [
            "start>split",
            "split>x",
            "split>b",
            {"source": "x", "target": "a", "condition": "instance.data.go == true"},
            "a>join",
            "b>join",
            "join>end",
        ],
        code="twofall",
    )
    run = wm.start_run("twofall", {"go": False})
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    assert run.workitems.filter(state=WorkItemState.FALLOUT).count() == 2

    wm.update_run_data(run, {"go": True})
    with django_capture_on_commit_callbacks(execute=False) as queued:
        runtime.retry_workitem(run.workitems.get(activity_key="x"))
    run.refresh_from_db()
    # The retry made a ready; until a worker runs it the run is still failed (b's incident).
    assert run.workitems.get(activity_key="a").state == WorkItemState.READY
    assert run.state == RunState.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()
    run.refresh_from_db()
    assert run.workitems.get(activity_key="a").state == WorkItemState.COMPLETED
    assert run.workitems.get(activity_key="b").state == WorkItemState.FALLOUT
    assert run.state == RunState.FAILED  # b's incident is still open
    assert run.incidents.filter(resolved_at=None).count() == 1


def test_a_resumed_run_with_a_fallen_out_step_is_failed_again(
    wm, calls, django_capture_on_commit_callbacks
):
    deploy(
        [
            {"key": "split", "kind": "parallel"},
            {"key": "w", "kind": "signal", "signal_name": "go"},
            {"key": "a", "kind": "automatic", "handler": "test.noop"},
            {"key": "b", "kind": "automatic", "handler": "test.fail", "retry": {"max_attempts": 1}},
            {"key": "join", "kind": "parallel"},
        ],
        ["start>split", "split>w", "split>b", "w>a", "a>join", "b>join", "join>end"],
        code="resumefail",
    )
    run = wm.start_run("resumefail")
    run.refresh_from_db()
    assert run.state == RunState.FAILED
    wm.suspend_run(run)
    wm.send_signal("go")  # kept: the run is suspended
    with django_capture_on_commit_callbacks(execute=False) as queued:
        runtime.resume_run(run)  # the wait takes the kept signal and a becomes ready
    run.refresh_from_db()
    assert run.workitems.get(activity_key="a").state == WorkItemState.READY
    assert run.state == RunState.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()
    run.refresh_from_db()
    assert run.workitems.get(activity_key="a").state == WorkItemState.COMPLETED
    assert run.state == RunState.FAILED
