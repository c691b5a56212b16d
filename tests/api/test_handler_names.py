"""The API refuses handlers nobody registered, and never imports what a definition names."""

from __future__ import annotations

import sys

import pytest

from engine.models import Process, Version

pytestmark = pytest.mark.django_db

SENTINEL = "tests.engine.handler_sentinel"
NOT_HANDLERS = ["sys.exit", "dataclasses.asdict", "os.system", f"{SENTINEL}.run"]


@pytest.fixture(autouse=True)
def sentinel_never_imported():
    assert SENTINEL not in sys.modules
    yield
    assert SENTINEL not in sys.modules, "a handler named by a definition was imported"


@pytest.mark.parametrize("name", NOT_HANDLERS)
def test_validate_and_publish_answer_the_unregistered_handler(api, name):
    client = api("pia", "publish")
    client.post("/api/v1/processes/", {"code": "shell", "title": "Shell"}, format="json")
    added = client.post(
        "/api/v1/processes/shell/versions/1/activities/",
        {"key": "run", "kind": "automatic", "name": "Run", "handler": name},
        format="json",
    )
    assert added.status_code == 201  # a draft may hold it; publishing may not
    validated = client.get("/api/v1/processes/shell/versions/1/validate/").json()
    assert validated["valid"] is False
    (problem,) = [p for p in validated["problems"] if p["code"] == "WM114"]
    assert problem["key"] == "run" and problem["severity"] == "error"
    assert f"the handler {name!r} is not registered" in problem["message"]
    assert "WAYMARK_HANDLER_MODULES" in problem["hint"]

    answer = client.post("/api/v1/processes/shell/versions/1/publish/")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "validation_failed"
    (error,) = [e for e in body["errors"] if e["code"] == "WM114"]
    assert error["path"] == "run" and f"{name!r} is not registered" in error["message"]
    assert Version.objects.get(process__code="shell").status == "draft"


def test_an_import_naming_an_unregistered_handler_is_refused_and_writes_nothing(api):
    definition = {
        "format": "waymark.process/1",
        "process": {"code": "imported", "title": "Imported"},
        "activities": [
            {"key": "start", "kind": "start", "name": "Start"},
            {
                "key": "pay",
                "kind": "automatic",
                "name": "Pay",
                "handler": "demo.pay",
                "compensation_handler": f"{SENTINEL}.run",
            },
            {"key": "end", "kind": "end", "name": "End"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "pay"},
            {"key": "t2", "source": "pay", "target": "end"},
        ],
    }
    answer = api("pia", "publish").post(
        "/api/v1/processes/imported/versions/import/?publish=1", definition, format="json"
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "validation_failed"
    assert [(e["path"], e["code"]) for e in body["errors"]] == [("pay", "WM114")]
    assert (
        f"compensation handler '{SENTINEL}.run' is not registered" in body["errors"][0]["message"]
    )
    assert not Process.objects.filter(code="imported").exists()
