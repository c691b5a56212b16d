"""The client over HTTP against a live Waymark server, with a token."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from engine.models import ProcessInstance
from tests.client.conftest import DraftOnly, Missing, Quick, Review
from waymark_client import (
    ExecutionNotFoundError,
    InvalidWorkflowArgumentsError,
    WorkflowConfigurationError,
    WorkflowExecutionError,
    WorkflowNotFoundError,
)
from waymark_client.http import HttpTransport

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(live_server, processes, django_user_model):
    robot = django_user_model.objects.create_user("robot")
    return {"base_url": live_server.url, "token": Token.objects.create(user=robot).key}


def test_invoke_status_and_console_url_over_http(server):
    workflow = Review(**server)
    assert isinstance(workflow.transport, HttpTransport)
    execution = workflow.invoke(customer="ana", total=12.5)
    run = ProcessInstance.objects.get(pk=execution.id)
    assert run.started_by.username == "robot"
    assert run.data == {"customer": "ana", "total": 12.5}
    assert (execution.process_code, execution.process_version, execution.state) == (
        "review",
        1,
        "ACTIVE",
    )
    assert execution.start_time == run.started_at
    status = workflow.get_execution_status(execution.id)
    assert (status.state, status.detailed_state, status.end_time) == ("ACTIVE", "waiting", None)
    page = reverse("monitoring:run_detail", args=[execution.id])
    assert workflow.get_console_url(execution.id) == f"{server['base_url']}{page}"


def test_a_finished_run_over_http(server):
    workflow = Quick(**server)
    execution = workflow.start({"n": 2}, business_key="k-1")
    status = workflow.get_execution_status(execution.id)
    assert (status.state, status.result) == ("SUCCEEDED", {"n": 2})
    assert isinstance(status.end_time, dt.datetime)
    assert ProcessInstance.objects.get(pk=execution.id).business_key == "k-1"


def test_settings_choose_http(server, settings):
    settings.WAYMARK_URL = server["base_url"]
    settings.WAYMARK_TOKEN = server["token"]
    assert isinstance(Review().transport, HttpTransport)
    assert Quick().invoke().state == "SUCCEEDED"


def test_environment_chooses_http(server, monkeypatch):
    monkeypatch.setenv("WAYMARK_URL", server["base_url"])
    monkeypatch.setenv("WAYMARK_TOKEN", server["token"])
    assert Quick().invoke().state == "SUCCEEDED"


def test_not_found_over_http(server):
    with pytest.raises(WorkflowNotFoundError, match="missing"):
        Missing(**server).invoke()
    with pytest.raises(WorkflowNotFoundError, match="no published version"):
        DraftOnly(**server).invoke()


def test_invalid_arguments_over_http(server):
    with pytest.raises(InvalidWorkflowArgumentsError) as refused:
        Review(**server).invoke(customer=42)
    assert refused.value.errors == [{"path": "customer", "message": "42 is not of type 'string'"}]
    with pytest.raises(InvalidWorkflowArgumentsError, match="JSON"):
        Review(**server).invoke(customer="ana", when=dt.datetime(2030, 1, 1))
    assert not ProcessInstance.objects.exists()


def test_unknown_executions_over_http(server):
    quick = Quick(**server).invoke()
    for bad in (987654, quick.id):  # quick.id: a run of another process
        with pytest.raises(ExecutionNotFoundError):
            Review(**server).get_execution_status(bad)
    with pytest.raises(ExecutionNotFoundError):
        Review(**server).get_console_url(987654)


def test_a_bad_token_is_a_configuration_error(server):
    with pytest.raises(WorkflowConfigurationError, match="refused the token"):
        Review(base_url=server["base_url"], token="nope").invoke(customer="ana")


@pytest.mark.parametrize("base_url", ["ftp://example.com", "not a url", "http://"])
def test_a_bad_base_url_is_a_configuration_error(base_url):
    with pytest.raises(WorkflowConfigurationError, match="not an http"):
        Review(base_url=base_url, token="t")


def test_a_url_without_a_token_or_the_reverse_is_a_configuration_error():
    with pytest.raises(WorkflowConfigurationError, match="token"):
        Review(base_url="https://waymark.example.com")
    with pytest.raises(WorkflowConfigurationError, match="base URL"):
        Review(token="t")


def test_a_url_that_is_not_waymark_is_a_configuration_error(server):
    wrong = Review(base_url=f"{server['base_url']}/not-waymark", token=server["token"])
    with pytest.raises(WorkflowConfigurationError, match="Waymark"):
        wrong.invoke(customer="ana")


def test_an_unreachable_server_is_an_execution_error():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    workflow = Review(base_url=f"http://127.0.0.1:{port}", token="t", timeout=2)
    with pytest.raises(WorkflowExecutionError, match="Could not reach"):
        workflow.invoke(customer="ana")


def test_the_http_client_runs_without_django():
    code = (
        "import sys\n"
        "from waymark_client.http import HttpTransport\n"
        "from waymark_client import Workflow, WorkflowConfigurationError\n"
        "class W(Workflow):\n    process_code = 'x'\n"
        "assert isinstance(W(base_url='http://127.0.0.1:9', token='t').transport, HttpTransport)\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)\n"
        "try:\n    W()\nexcept WorkflowConfigurationError as e:\n    print('config:', e)\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=".", check=False
    )
    assert done.returncode == 0, done.stderr
    assert "config: No Waymark URL and token" in done.stdout
