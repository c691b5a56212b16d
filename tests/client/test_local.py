"""The client inside the Django project: straight to engine.services.runtime."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.urls import reverse

from engine.models import ProcessInstance
from tests.client.conftest import DraftOnly, Missing, Quick, Review
from waymark_client import (
    ExecutionNotFoundError,
    InvalidWorkflowArgumentsError,
    Workflow,
    WorkflowConfigurationError,
    WorkflowNotFoundError,
)
from waymark_client.local import LocalTransport

pytestmark = pytest.mark.django_db


def test_invoke_starts_a_run_in_process(processes):
    workflow = Review()
    assert isinstance(workflow.transport, LocalTransport)
    execution = workflow.invoke(customer="ana", items=["a", "b"], total=99.5)
    run = ProcessInstance.objects.get(pk=execution.id)
    assert run.data == {"customer": "ana", "items": ["a", "b"], "total": 99.5}
    assert execution.name == f"processes/review/runs/{run.pk}"
    assert (execution.process_code, execution.process_version) == ("review", 1)
    assert execution.state == "ACTIVE"
    assert execution.start_time == run.started_at


def test_status_of_a_finished_run_has_its_result_and_end(processes):
    execution = Quick().invoke(n=1)
    status = Quick().get_execution_status(execution.id)
    assert status.state == "SUCCEEDED"
    assert status.result == {"n": 1}
    assert status.end_time is not None and status.end_time >= status.start_time


def test_status_of_a_waiting_run(processes):
    execution = Review().invoke(customer="ana")
    status = Review().get_execution_status(str(execution.id))
    assert (status.state, status.detailed_state, status.end_time) == ("ACTIVE", "waiting", None)


def test_start_with_a_business_key(processes):
    execution = Review().start({"customer": "ana"}, business_key="order-7")
    assert ProcessInstance.objects.get(pk=execution.id).business_key == "order-7"


def test_console_url_is_the_run_page(processes, settings):
    execution = Review().invoke(customer="ana")
    page = reverse("monitoring:run_detail", args=[execution.id])
    assert Review().get_console_url(execution.id) == page
    settings.WAYMARK_SITE_URL = "https://waymark.example.com/"
    assert Review().get_console_url(execution.id) == f"https://waymark.example.com{page}"


def test_unknown_or_unpublished_process_is_not_found(processes):
    with pytest.raises(WorkflowNotFoundError, match="missing"):
        Missing().invoke()
    with pytest.raises(WorkflowNotFoundError, match="no published version"):
        DraftOnly().invoke()
    assert not ProcessInstance.objects.exists()


@pytest.mark.parametrize(
    "kwargs",
    [{"when": dt.date(2030, 1, 1)}, {"thing": object()}, {"x": math.nan}, {"s": {1, 2}}],
)
def test_arguments_that_are_not_json_are_refused_before_anything(processes, kwargs):
    with pytest.raises(InvalidWorkflowArgumentsError, match="JSON") as refused:
        Review().invoke(customer="ana", **kwargs)
    assert refused.value.errors == [
        {"path": next(iter(kwargs)), "message": refused.value.errors[0]["message"]}
    ]
    assert not ProcessInstance.objects.exists()


def test_arguments_failing_the_input_schema_list_each_problem(processes):
    with pytest.raises(InvalidWorkflowArgumentsError) as refused:
        Review().invoke(customer=42)
    assert refused.value.errors == [{"path": "customer", "message": "42 is not of type 'string'"}]
    assert not ProcessInstance.objects.exists()


def test_unknown_execution_ids(processes):
    other = Quick().invoke()
    for bad in (987654, "abc", -1, other.id):  # other.id: a run of another process
        with pytest.raises(ExecutionNotFoundError):
            Review().get_execution_status(bad)


def test_a_workflow_needs_a_process_code():
    class Nameless(Workflow):
        pass

    with pytest.raises(WorkflowConfigurationError, match="process_code"):
        Nameless()


def test_a_user_sees_only_their_runs(processes, django_user_model):
    ana = django_user_model.objects.create_user("ana")
    sam = django_user_model.objects.create_user("sam")
    execution = Review(user=ana).invoke(customer="ana")
    assert ProcessInstance.objects.get(pk=execution.id).started_by == ana
    assert Review(user=ana).get_execution_status(execution.id).state == "ACTIVE"
    with pytest.raises(ExecutionNotFoundError):
        Review(user=sam).get_execution_status(execution.id)
