"""The "wait for the first" kind through the doors: the API and the definition file."""

from __future__ import annotations

import pytest
import yaml

from engine.models import RunState, WorkItemState
from engine.services import runtime
from tests.api import conftest as api_fixtures

api = api_fixtures.api  # the API callers' fixtures
make_user = api_fixtures.make_user

pytestmark = pytest.mark.django_db

P = "/api/v1/processes/journey"
FILE = """
format: waymark.process/1
process: {code: journey, title: Guest journey}
activities:
  - {key: start, kind: start}
  - {key: next, kind: first_of, name: Whatever comes first}
  - {key: left, kind: signal, signal_name: "event:guest_left", correlation: data.guest}
  - {key: quiet, kind: timer, timer_duration: 3d}
  - {key: end, kind: end}
transitions:
  - {key: t1, source: start, target: next}
  - {key: t2, source: next, target: left}
  - {key: t3, source: next, target: quiet}
  - {key: t4, source: left, target: end}
  - {key: t5, source: quiet, target: end}
"""


def _file(**change) -> dict:
    data = yaml.safe_load(FILE)
    for key, value in change.items():
        data[key] = value
    return data


def test_a_file_with_a_gateway_imports_publishes_runs_and_exports(api, wm):
    client = api("pia", "publish")
    answer = client.post(f"{P}/versions/import/?publish=true", _file(), format="json")
    assert answer.status_code == 201, answer.json()
    run = runtime.start_run("journey", {"guest": 5})
    signal = api("max", "manage").post(
        "/api/v1/signals/", {"name": "event:guest_left", "correlation": 5}, format="json"
    )
    assert signal.json()["woken"] == [run.pk]
    run.refresh_from_db()
    assert run.state == RunState.COMPLETED
    assert run.workitems.get(activity_key="quiet").state == WorkItemState.CANCELLED
    exported = yaml.safe_load(client.get(f"{P}/versions/1/export/?format=yaml").content)
    gateway = next(a for a in exported["activities"] if a["key"] == "next")
    assert gateway["kind"] == "first_of"


def test_a_file_with_a_condition_out_of_a_gateway_is_refused_with_wm127(api):
    data = _file()
    data["transitions"][1]["condition"] = "data.vip == true"
    answer = api("pia", "publish").post(f"{P}/versions/import/?publish=true", data, format="json")
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "validation_failed"
    [error] = [e for e in body["errors"] if e["code"] == "WM127"]
    assert error["path"] == "next" and "no condition or default applies" in error["message"]


def test_a_file_with_an_unknown_kind_names_the_new_one(api):
    data = _file()
    data["activities"][1]["kind"] = "first-of"
    answer = api("dee", "design").post(f"{P}/versions/import/", data, format="json")
    assert answer.status_code == 400
    assert "first_of" in answer.json()["detail"]


def test_the_api_draws_a_gateway_and_refuses_to_publish_it_half_connected(api):
    client = api("pia", "publish")
    client.post("/api/v1/processes/", {"code": "journey", "title": "Journey"}, format="json")
    draft = f"{P}/versions/1"
    added = client.post(f"{draft}/activities/", {"key": "next", "kind": "first_of"}, format="json")
    assert added.status_code == 201 and added.json()["kind"] == "first_of"
    client.post(
        f"{draft}/activities/",
        {"key": "quiet", "kind": "timer", "timer_duration": "1d"},
        format="json",
    )
    for source, target in (("start", "next"), ("next", "quiet"), ("quiet", "end")):
        made = client.post(
            f"{draft}/transitions/", {"source": source, "target": target}, format="json"
        )
        assert made.status_code == 201, made.json()
    problems = client.get(f"{draft}/validate/").json()["problems"]
    assert [p["code"] for p in problems if p["key"] == "next"] == ["WM127"]
    assert client.post(f"{draft}/publish/").status_code == 400
