"""GET /api/v1/runs/{id}/ says where a run stands: open activities, waits, timers, failure."""

from __future__ import annotations

from datetime import datetime

from engine.models import Incident
from engine.services import runtime
from tests.engine.conftest import deploy

RUNS = "/api/v1/runs/"


def detail(client, run_id):
    answer = client.get(f"{RUNS}{run_id}/")
    assert answer.status_code == 200
    return answer.json()


def test_a_task_shows_its_key_name_state_and_assignee(api, review_process, approvers):
    client = api("op", "manage")
    run = runtime.start_run("review", {"customer": "ana"})
    body = detail(client, run.pk)
    assert body["error"] is None and body["failed_at"] is None
    [current] = body["current"]
    assert current["activity_key"] == "review"
    assert current["name"] == "Review"
    assert (current["kind"], current["state"], current["assignee"]) == ("human", "offered", None)
    assert current["signal"] is None and current["correlation"] is None
    assert current["workitem"] == run.workitems.get(activity_key="review").pk


def test_a_signal_wait_shows_the_signal_and_its_correlation(api, wm):
    deploy(
        [
            {
                "key": "paid",
                "kind": "signal",
                "name": "Payment received",
                "signal_name": "payment.received",
                "correlation": "data.order",
            }
        ],
        ["start > paid", "paid > end"],
        code="shop",
    )
    run = runtime.start_run("shop", {"order": 77})
    [current] = detail(api("op", "manage"), run.pk)["current"]
    assert (current["activity_key"], current["name"]) == ("paid", "Payment received")
    assert (current["signal"], current["correlation"]) == ("payment.received", "77")


def test_a_timer_shows_when_it_is_due(api, wm):
    deploy(
        [{"key": "wait", "kind": "timer", "name": "Cool down", "timer_duration": "2h"}],
        ["start > wait", "wait > end"],
        code="cool",
    )
    run = runtime.start_run("cool")
    body = detail(api("op", "manage"), run.pk)
    [timer] = body["timers"]
    assert (timer["kind"], timer["activity_key"]) == ("timer", "wait")
    due = datetime.fromisoformat(timer["due_at"].replace("Z", "+00:00"))
    assert due == run.timers.get().due_at
    assert body["current"][0]["due_at"] == timer["due_at"]


def test_a_failed_run_shows_its_error_and_when_it_failed(api, wm):
    deploy(
        [
            {
                "key": "charge",
                "kind": "automatic",
                "handler": "test.fail",
                "retry": {"max_attempts": 1},
            }
        ],
        ["start > charge", "charge > end"],
        code="charge",
    )
    run = wm.start_run("charge")
    body = detail(api("op", "manage"), run.pk)
    assert (body["state"], body["detailed_state"]) == ("FAILED", "failed")
    assert "boom on attempt 1" in body["error"]
    incident = Incident.objects.get(instance=run)
    assert datetime.fromisoformat(body["failed_at"].replace("Z", "+00:00")) == incident.created_at
    assert body["current"][0]["state"] == "fallout"
    assert body["incidents"][0]["id"] == incident.pk


def test_a_completed_run_stands_nowhere(api, wm):
    deploy([], ["start > end"], code="quick")
    run = runtime.start_run("quick", {"x": 1})
    body = detail(api("op", "manage"), run.pk)
    assert (body["current"], body["timers"], body["error"]) == ([], [], None)
    assert body["ended_at"] is not None
