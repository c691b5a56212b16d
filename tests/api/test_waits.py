"""?wait= on POST /runs/ and GET /runs/{id}/: the answer comes when the run ends or time is up."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from engine.models import ProcessInstance
from engine.services import runtime
from tests.engine.conftest import deploy

RUNS = "/api/v1/runs/"


@pytest.fixture
def quick(wm):
    return deploy([], ["start > end"], code="quick")


def test_a_start_that_waits_answers_with_the_finished_run(api, quick):
    answer = api("robot").post(
        f"{RUNS}?wait=10", {"process": "quick", "data": {"n": 1}}, format="json"
    )
    assert answer.status_code == 201
    body = answer.json()
    assert (body["state"], body["result"]) == ("SUCCEEDED", {"n": 1})
    assert body["ended_at"] is not None


def test_a_wait_that_runs_out_answers_with_the_run_as_it_is(api, review_process):
    client = api("robot", "manage")
    started = client.post(
        f"{RUNS}?wait=0.1", {"process": "review", "data": {"customer": "a"}}, format="json"
    )
    assert started.status_code == 201
    assert (started.json()["state"], started.json()["detailed_state"]) == ("ACTIVE", "waiting")
    read = client.get(f"{RUNS}{started.json()['id']}/?wait=0.1")
    assert read.status_code == 200
    assert read.json()["state"] == "ACTIVE"


def test_the_server_cuts_a_long_wait(api, review_process, settings):
    settings.WAYMARK_API_MAX_WAIT_SECONDS = 0
    client = api("robot", "manage")
    run = runtime.start_run("review", {"customer": "a"})
    read = client.get(f"{RUNS}{run.pk}/?wait=60")
    assert (read.status_code, read.json()["state"]) == (200, "ACTIVE")


@pytest.mark.django_db(transaction=True)
def test_a_waiting_read_returns_when_someone_completes_the_run(api, review_process):
    client = api("robot", "manage")
    run = runtime.start_run("review", {"customer": "a"})
    task = run.workitems.get(activity_key="review")

    def complete_soon():
        try:
            time.sleep(0.3)
            runtime.complete(task.pk, outcome="OK", data={"amount": 3})
        finally:
            connections.close_all()

    worker = threading.Thread(target=complete_soon)
    worker.start()
    try:
        read = client.get(f"{RUNS}{run.pk}/?wait=30")
    finally:
        worker.join(timeout=30)
    assert read.status_code == 200
    assert read.json()["state"] == "SUCCEEDED"
    assert read.json()["result"]["customer"] == "a"


def test_a_cancelled_run_answers_at_once(api, review_process):
    client = api("robot", "manage")
    run = runtime.start_run("review", {"customer": "a"})
    runtime.cancel_run(run)
    read = client.get(f"{RUNS}{run.pk}/?wait=60")
    assert read.json()["state"] == "CANCELLED"


@pytest.mark.parametrize("value", ["-1", "abc", "61", "nan", "inf"])
def test_a_bad_wait_is_a_400(api, quick, value):
    client = api("robot", "manage")
    refused = client.post(f"{RUNS}?wait={value}", {"process": "quick"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["path"] == "wait"
    assert not ProcessInstance.objects.exists()
    run = runtime.start_run("quick")
    read = client.get(f"{RUNS}{run.pk}/?wait={value}")
    assert read.status_code == 400
    assert read.json()["errors"][0]["path"] == "wait"


def test_an_unknown_query_parameter_on_a_start_is_a_400(api, quick):
    refused = api("robot").post(f"{RUNS}?wiat=10", {"process": "quick"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["path"] == "wiat"
    assert not ProcessInstance.objects.exists()
