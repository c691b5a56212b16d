"""The client's tasks, signals, cancel, waits and idempotent starts inside the Django project."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from engine.models import ProcessInstance
from tests.client.conftest import Quick, Review
from tests.engine.conftest import deploy
from waymark_client import (
    ExecutionNotFoundError,
    InvalidWorkflowArgumentsError,
    TaskNotFoundError,
    Workflow,
    WorkflowExecutionError,
)

pytestmark = pytest.mark.django_db


class Shop(Workflow):
    process_code = "shop"


class Charge(Workflow):
    process_code = "charge"


def test_tasks_listed_and_completed_as_a_person(processes, django_user_model):
    ana = django_user_model.objects.create_user("ana")
    ana.groups.add(Group.objects.create(name="approvers"))
    execution = Review().invoke(customer="x")
    Review().invoke(customer="y")
    tasks = Review(user=ana).list_tasks(execution_id=execution.id)
    assert [(t.activity_key, t.state, t.run_id) for t in tasks] == [
        ("review", "offered", execution.id)
    ]
    assert len(Review(user=ana).list_tasks(box="available")) == 2
    stranger = django_user_model.objects.create_user("stranger")
    assert Review(user=stranger).list_tasks() == []
    with pytest.raises(TaskNotFoundError):
        Review(user=stranger).complete_task(tasks[0].id)
    done = Review(user=ana).complete_task(tasks[0].id, data={"ok": True})
    assert (done.state, done.form_data) == ("completed", {"ok": True})
    status = Review().get_execution_status(execution.id, wait=0)
    assert (status.state, status.result["ok"]) == ("SUCCEEDED", True)


def test_invoke_with_wait_and_an_idempotency_key(processes):
    finished = Quick().invoke(wait=5, n=1)
    assert (finished.state, finished.result, finished.end_time is not None) == (
        "SUCCEEDED",
        {"n": 1},
        True,
    )
    first = Review().start({"customer": "a"}, idempotency_key="k")
    assert Review().start({"customer": "a"}, idempotency_key="k").id == first.id
    assert ProcessInstance.objects.filter(process__code="review").count() == 1
    with pytest.raises(WorkflowExecutionError) as reused:
        Review().start({"customer": "b"}, idempotency_key="k")
    assert (reused.value.status, reused.value.code) == (422, "idempotency_key_reused")
    for bad in (-1, 61, "10", True):
        with pytest.raises(InvalidWorkflowArgumentsError, match="wait"):
            Quick().invoke(wait=bad)


def test_signal_cancel_and_a_failed_runs_error(processes, django_user_model):
    deploy(
        [{"key": "paid", "kind": "signal", "signal_name": "paid", "correlation": "data.order"}],
        ["start > paid", "paid > end"],
        code="shop",
    )
    waiting = Shop().invoke(order=7)
    assert Shop().get_execution_status(waiting.id).activities == ("paid",)
    assert Shop().signal("paid", {"amount": 3}, correlation=7).woken == (waiting.id,)
    assert Shop().get_execution_status(waiting.id).state == "SUCCEEDED"

    starter = django_user_model.objects.create_user("starter")
    doomed = Review(user=starter).invoke(customer="x")
    with pytest.raises(WorkflowExecutionError) as refused:
        Review(user=starter).cancel(doomed.id)
    assert (refused.value.status, refused.value.code) == (403, "permission_denied")
    stranger = django_user_model.objects.create_user("stranger")
    with pytest.raises(ExecutionNotFoundError):
        Review(user=stranger).cancel(doomed.id)
    op = django_user_model.objects.create_user("op")
    op.user_permissions.add(Permission.objects.get(codename="manage_runs"))
    assert Review(user=op).cancel(doomed.id, reason="no").state == "CANCELLED"
    with pytest.raises(WorkflowExecutionError) as again:
        Review(user=op).cancel(doomed.id)
    assert again.value.code == "run_not_active"


def test_a_failed_run_carries_its_error_and_when_it_failed(
    processes, django_capture_on_commit_callbacks
):
    deploy(
        [
            {
                "key": "card",
                "kind": "automatic",
                "handler": "test.fail",
                "retry": {"max_attempts": 1},
            }
        ],
        ["start > card", "card > end"],
        code="charge",
    )
    with django_capture_on_commit_callbacks(execute=True):  # the step runs, as in a worker
        execution = Charge().invoke()
    status = Charge().get_execution_status(execution.id)
    assert (status.state, status.detailed_state) == ("FAILED", "failed")
    assert "boom on attempt 1" in status.error
    assert status.end_time is not None
