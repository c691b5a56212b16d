"""workitems/: boxes, claim, release, complete; who may act; conflicts and form errors."""

from __future__ import annotations

import pytest

from engine.models import ProcessInstance, WorkItem
from engine.services import runtime

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(review_process):
    """An open review task offered to the approvers group."""
    run = runtime.start_run("review", {"customer": "ana"})
    return run.workitems.get(activity_key="review")


@pytest.fixture
def approver(api, approvers):
    return api("apu", groups=[approvers])


def w(task, action=""):
    return f"/api/v1/workitems/{task.pk}/{action + '/' if action else ''}"


def test_boxes_available_mine_done(approver, task):
    assert approver.get("/api/v1/workitems/?box=available").json()["count"] == 1
    assert approver.get("/api/v1/workitems/").json()["count"] == 0  # mine by default
    claimed = approver.post(w(task, "claim"))
    assert claimed.status_code == 200
    assert (claimed.json()["state"], claimed.json()["assignee"]) == ("assigned", "apu")
    assert approver.get("/api/v1/workitems/?box=available").json()["count"] == 0
    assert [i["id"] for i in approver.get("/api/v1/workitems/?box=mine").json()["results"]] == [
        task.pk
    ]
    done = approver.post(
        w(task, "complete"), {"outcome": "OK", "data": {"amount": 12}}, format="json"
    )
    assert done.status_code == 200
    assert done.json()["state"] == "completed"
    assert approver.get("/api/v1/workitems/?box=done").json()["results"][0]["outcome"] == "OK"
    run = ProcessInstance.objects.get()
    assert (run.status, run.data["amount"], run.condition) == ("SUCCEEDED", 12, "OK")
    assert approver.get("/api/v1/workitems/?box=nothing").status_code == 400


def test_detail_has_outcomes_form_and_candidates(approver, task):
    detail = approver.get(w(task)).json()
    assert detail["outcomes"] == ["OK", "NO"]
    assert detail["form_schema"]["required"] == ["amount"]
    assert detail["candidates"] == {"users": [], "groups": ["approvers"]}
    assert detail["can_act"] is True
    assert detail["run"] == task.instance_id


def test_release_gives_the_task_back(approver, task):
    approver.post(w(task, "claim"))
    released = approver.post(w(task, "release"))
    assert released.status_code == 200
    assert released.json()["state"] == "offered"
    again = approver.post(w(task, "release"))
    assert again.status_code == 409
    assert "not claimed" in again.json()["detail"]


def test_form_data_failing_the_schema_is_400_with_paths(approver, task):
    answer = approver.post(
        w(task, "complete"), {"outcome": "OK", "data": {"amount": "lots"}}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == [
        {"path": "amount", "message": "'lots' is not of type 'number'"}
    ]
    task.refresh_from_db()
    assert task.state == "offered"


@pytest.mark.parametrize(
    "body, path",
    [
        ({"data": {"amount": 1}}, "outcome"),
        ({"outcome": "MAYBE", "data": {"amount": 1}}, "outcome"),
        ({"outcome": "OK", "data": [1]}, "data"),
        ({"outcome": "OK", "data": {"amount": 1}, "expected_version": "new"}, "expected_version"),
    ],
)
def test_bad_completions_say_where(approver, task, body, path):
    answer = approver.post(w(task, "complete"), body, format="json")
    assert answer.status_code == 400
    assert path in [e["path"] for e in answer.json()["errors"]]
    task.refresh_from_db()
    assert task.state == "offered"


def test_completing_twice_is_a_conflict(approver, task):
    body = {"outcome": "NO", "data": {"amount": 0}}
    assert approver.post(w(task, "complete"), body, format="json").status_code == 200
    again = approver.post(w(task, "complete"), body, format="json")
    assert again.status_code == 409
    assert again.json()["detail"] == "This task was already completed by apu."


def test_a_task_claimed_by_someone_else_is_a_conflict(api, approvers, task):
    first, second = api("apu", groups=[approvers]), api("ava", groups=[approvers])
    first.post(w(task, "claim"))
    answer = second.post(w(task, "claim"))
    assert answer.status_code == 409
    assert "already claimed by apu" in answer.json()["detail"]
    done = second.post(w(task, "complete"), {"outcome": "OK", "data": {"amount": 1}}, format="json")
    assert done.status_code == 409
    task.refresh_from_db()
    assert task.assignee.username == "apu"


def test_a_stale_expected_version_is_a_conflict(approver, task):
    answer = approver.post(
        w(task, "claim"), {"expected_version": task.lock_version + 5}, format="json"
    )
    assert answer.status_code == 409
    assert "reload" in answer.json()["detail"]
    ok = approver.post(w(task, "claim"), {"expected_version": task.lock_version}, format="json")
    assert ok.status_code == 200


def test_a_stranger_gets_404_and_changes_nothing(api, task):
    stranger = api("sam")
    assert stranger.get(w(task)).status_code == 404
    assert stranger.post(w(task, "claim")).status_code == 404
    assert stranger.post(w(task, "complete"), {"outcome": "OK"}, format="json").status_code == 404
    task.refresh_from_db()
    assert task.state == "offered"


def test_the_starter_of_a_run_does_not_see_its_tasks_as_in_the_inbox_pages(api, review_process):
    starter = api("ana")
    run_id = starter.post(
        "/api/v1/runs/", {"process": "review", "data": {"customer": "x"}}, format="json"
    ).json()["id"]
    task = WorkItem.objects.get(instance_id=run_id, activity_key="review")
    assert starter.get(f"/api/v1/runs/{run_id}/").status_code == 200
    assert starter.get(w(task)).status_code == 404
    assert starter.post(w(task, "claim")).status_code == 404


def test_a_candidate_may_not_release_someone_elses_claim(api, approvers, task):
    first, second = api("apu", groups=[approvers]), api("ava", groups=[approvers])
    first.post(w(task, "claim"))
    assert second.get(w(task)).json()["can_act"] is False
    answer = second.post(w(task, "release"))
    assert answer.status_code == 403
    assert "Only its assignee" in answer.json()["detail"]
    task.refresh_from_db()
    assert task.assignee.username == "apu"


def test_a_candidate_who_comes_late_hears_who_completed_it(api, approvers, task):
    first, second = api("apu", groups=[approvers]), api("ava", groups=[approvers])
    body = {"outcome": "OK", "data": {"amount": 1}}
    assert first.post(w(task, "complete"), body, format="json").status_code == 200
    late = second.post(w(task, "complete"), body, format="json")
    assert late.status_code == 409
    assert late.json()["detail"] == "This task was already completed by apu."
    assert api("sam").post(w(task, "complete"), body, format="json").status_code == 404


def test_a_workitem_manager_may_act_on_any_task(api, task):
    manager = api("mia", "workitems")
    assert manager.get(w(task)).status_code == 200
    done = manager.post(
        w(task, "complete"), {"outcome": "OK", "data": {"amount": 3}}, format="json"
    )
    assert done.status_code == 200
