"""Singleton runs through the API: 200 with the active run, a clear 400 without a value,
the process's singleton_key read and edited with the other process fields."""

from __future__ import annotations

import pytest

from engine.models import AuditEvent, Process, ProcessInstance
from engine.services import definitions, runtime
from tests.engine.conftest import deploy

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(wm):
    deploy(
        [{"key": "h", "kind": "human", "allowed_users": ["pat"]}],
        ["start>h", "h>end"],
        code="agent",
    )
    process = Process.objects.get(code="agent")
    definitions.update_process(process, singleton_key="data.group_id")
    return process


def start(client, data):
    return client.post("/api/v1/runs/", {"process": "agent", "data": data}, format="json")


def test_a_start_matching_an_active_run_answers_200_with_that_run(api, agent):
    pat = api("pat")
    first = start(pat, {"group_id": 7})
    assert first.status_code == 201
    again = start(pat, {"group_id": 7, "note": "second"})
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert ProcessInstance.objects.count() == 1
    event = AuditEvent.objects.get(action="run.start_deduplicated")
    assert event.actor.username == "pat" and event.metadata["value"] == "7"
    assert start(pat, {"group_id": 8}).status_code == 201


def test_a_start_matching_a_run_the_caller_may_not_open_is_409_and_shows_nothing(api, agent):
    runtime.start_run("agent", {"group_id": "g1", "secret": "s3cr3t"})  # the system's run
    answer = start(api("pat"), {"group_id": "g1"})
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "conflict"
    assert "already holds this value of data.group_id" in body["detail"]
    assert "s3cr3t" not in answer.content.decode()
    assert ProcessInstance.objects.count() == 1


@pytest.mark.parametrize("data", [{}, {"group_id": None}])
def test_a_start_without_the_key_value_is_a_clear_400(api, agent, data):
    answer = start(api("pat"), data)
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid"
    assert "needs a value at data.group_id" in body["detail"]
    assert [e["path"] for e in body["errors"]] == ["group_id"]
    assert not ProcessInstance.objects.exists()


def test_the_process_shows_and_patches_its_singleton_key(api, agent):
    designer = api("dee", "design")
    assert designer.get("/api/v1/processes/agent/").json()["singleton_key"] == "data.group_id"
    answer = designer.patch(
        "/api/v1/processes/agent/", {"singleton_key": "instance.data.guest"}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["singleton_key"] == "data.guest"
    assert (
        designer.patch("/api/v1/processes/agent/", {"singleton_key": ""}, format="json").json()[
            "singleton_key"
        ]
        == ""
    )


@pytest.mark.parametrize(
    "key, words",
    [("group id", "unexpected 'id'"), ("data._x", "may not start with '_'"), (5, "data path")],
)
def test_a_bad_singleton_key_is_a_400_naming_the_field(api, agent, key, words):
    answer = api("dee", "design").patch(
        "/api/v1/processes/agent/", {"singleton_key": key}, format="json"
    )
    assert answer.status_code == 400
    body = answer.json()
    assert words in body["detail"]
    assert [e["path"] for e in body["errors"]] == ["singleton_key"]
    agent.refresh_from_db()
    assert agent.singleton_key == "data.group_id"


def test_a_process_created_with_a_singleton_key(api):
    answer = api("dee", "design").post(
        "/api/v1/processes/",
        {"code": "stay", "title": "Stay", "singleton_key": "guest"},
        format="json",
    )
    assert answer.status_code == 201
    assert answer.json()["singleton_key"] == "data.guest"
