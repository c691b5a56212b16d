"""The API's doors for JSON Schemas: a schema naming the outside is a JSON 400, never a fetch."""

from __future__ import annotations

import json

import pytest

from engine.models import Activity, Process, ProcessInstance
from tests.schema_sentinel import OUTSIDE, SECRET

pytestmark = pytest.mark.django_db

D = "/api/v1/processes/orders/versions/1"


def problems_at(answer, path: str) -> list[str]:
    assert answer.status_code == 400, answer.content
    body = answer.json()
    assert SECRET not in json.dumps(body)
    return [e["message"] for e in body["errors"] if e["path"] == path]


def test_creating_or_changing_a_process_with_an_outside_reference_is_400(api, outside_refs):
    designer = api("dee", "design")
    for ref in outside_refs:
        answer = designer.post(
            "/api/v1/processes/",
            {"code": "orders", "title": "Orders", "input_schema": {"$ref": ref}},
            format="json",
        )
        assert problems_at(answer, "input_schema") == [f"$ref {ref!r} {OUTSIDE}."]
    assert not Process.objects.exists()
    designer.post("/api/v1/processes/", {"code": "orders", "title": "Orders"}, format="json")
    answer = designer.patch(
        "/api/v1/processes/orders/",
        {"input_schema": {"properties": {"a": {"$ref": "#/definitions/nope"}}}},
        format="json",
    )
    assert "does not point at anything" in problems_at(answer, "input_schema")[0]
    assert Process.objects.get().input_schema == {}


def test_an_activity_form_schema_with_an_outside_reference_is_400(api, outside_refs):
    designer = api("dee", "design")
    designer.post("/api/v1/processes/", {"code": "orders", "title": "Orders"}, format="json")
    answer = designer.post(
        f"{D}/activities/",
        {"key": "check", "kind": "human", "form_schema": {"$ref": outside_refs[1]}},
        format="json",
    )
    assert OUTSIDE in problems_at(answer, "form_schema")[0]
    assert not Activity.objects.filter(key="check").exists()
    answer = designer.post(
        f"{D}/activities/",
        {"key": "check", "kind": "human", "form_schema": {"pattern": "(?<=a)b"}},
        format="json",
    )
    assert "linear time (RE2)" in problems_at(answer, "form_schema")[0]


def test_an_imported_file_with_an_outside_reference_is_400(api, outside_refs):
    data = {
        "format": "waymark.process/1",
        "process": {"code": "orders", "title": "Orders", "input_schema": {"$ref": outside_refs[0]}},
        "activities": [{"key": "start", "kind": "start"}, {"key": "end", "kind": "end"}],
        "transitions": [{"key": "t1", "source": "start", "target": "end"}],
    }
    answer = api("dee", "design").post(
        "/api/v1/processes/orders/versions/import/", data, format="json"
    )
    assert OUTSIDE in problems_at(answer, "process.input_schema")[0]
    assert not Process.objects.exists()


def test_starting_a_run_of_a_stored_outside_reference_is_a_json_400(
    api, review_process, outside_refs
):
    client = api("sam")
    for ref in outside_refs:
        Process.objects.filter(code="review").update(input_schema={"$ref": ref})
        answer = client.post(
            "/api/v1/runs/", {"process": "review", "data": {"customer": "ana"}}, format="json"
        )
        assert answer["Content-Type"].startswith("application/json")
        assert answer.json()["code"] == "invalid"
        assert any(OUTSIDE in message for message in problems_at(answer, ""))
    assert not ProcessInstance.objects.exists()


def test_a_started_run_gets_the_defaults_of_its_schema(api, review_process):
    Process.objects.filter(code="review").update(
        input_schema={
            "type": "object",
            "properties": {
                "customer": {"type": "string"},
                "channel": {"type": "string", "default": "web"},
            },
        }
    )
    answer = api("sam").post(
        "/api/v1/runs/", {"process": "review", "data": {"customer": "ana"}}, format="json"
    )
    assert answer.status_code == 201
    assert ProcessInstance.objects.get().data == {"customer": "ana", "channel": "web"}
