"""The HTTP task through the doors: definition files, the API, BPMN, the rules (WM130)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from engine.bpmn import export_bpmn, import_bpmn
from engine.bpmn.mapping import BPMN, q
from engine.bpmn.schema import schema_errors
from engine.core.graph import Activity, ActivityKind
from engine.core.validation.activities import check_activity
from engine.errors import ValidationFailed
from engine.services import definitions as svc
from tests.api import conftest as api_fixtures

api = api_fixtures.api
make_user = api_fixtures.make_user

pytestmark = pytest.mark.django_db

FILE = """
format: waymark.process/1
process: {code: crm-sync, title: CRM sync}
activities:
  - {key: start, kind: start}
  - key: push
    kind: http
    name: Push to the CRM
    http_method: post
    http_url: "https://crm.example.com/contacts/{data.contact_id}"
    http_body: {email: "{data.email}", tags: "{data.tags}"}
    http_headers: {Authorization: crm_token}
    http_result_path: contact.id
    http_result_key: crm_id
    retry: {max_attempts: 5}
  - {key: end, kind: end}
transitions:
  - {key: t1, source: start, target: push}
  - {key: t2, source: push, target: end}
"""


def _problems(**fields) -> list[str]:
    fields = {"http_url": "https://x.example/", **fields}
    activity = Activity(key="a", kind=ActivityKind.HTTP, **fields)
    return [p.message for p in check_activity(activity, None, None) if p.code == "WM130"]


def test_a_file_imports_publishes_and_exports_the_same_fields():
    version = svc.import_definition(yaml.safe_load(FILE), publish_it=True)
    push = version.activities.get(key="push")
    assert (push.kind, push.http_method, push.retry_max_attempts) == ("http", "POST", 5)
    exported = svc.export_version(version)["activities"][1]
    assert exported["http_headers"] == {"Authorization": "crm_token"}
    assert exported["http_body"] == {"email": "{data.email}", "tags": "{data.tags}"}
    assert exported["http_result_path"] == "contact.id" and exported["http_result_key"] == "crm_id"
    plain = svc.import_definition(
        {
            **yaml.safe_load(FILE),
            "process": {"code": "plain", "title": "Plain"},
            "activities": [
                {"key": "start", "kind": "start"},
                {"key": "push", "kind": "http", "http_url": "https://x.example/"},
                {"key": "end", "kind": "end"},
            ],
        }
    )
    assert "http_method" not in svc.export_version(plain)["activities"][1]  # GET: the default


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"http_url": ""}, "no URL is set"),
        ({"http_url": "ftp://x.example/"}, "must start with https://"),
        ({"http_method": "FETCH"}, "is not one of GET"),
        ({"http_headers": {"Authorization": "Bearer abc"}}, "must name a secret"),
        ({"http_headers": {"Idempotency-Key": "k"}}, "set by Waymark itself"),
        ({"http_result_key": "two words"}, "is not a data key"),
        ({"http_result_path": "a..b"}, "is not a dotted path"),
    ],
)
def test_what_cannot_be_sent_blocks_publishing_with_wm130(fields, words):
    problems = _problems(**fields)
    assert len(problems) == 1 and words in problems[0]


def test_a_file_with_a_secret_value_in_a_header_is_refused():
    data = yaml.safe_load(FILE)
    data["activities"][1]["http_headers"] = {"Authorization": "Bearer abc"}
    with pytest.raises(ValidationFailed) as caught:
        svc.import_definition(data, publish_it=True)
    assert "WM130" in {p.code for p in caught.value.problems}


def test_the_api_drafts_an_http_task_and_refuses_a_bad_method(api):
    client = api("pia", "publish")
    client.post("/api/v1/processes/", {"code": "crm", "title": "CRM"}, format="json")
    draft = "/api/v1/processes/crm/versions/1"
    fields = {
        "key": "push",
        "kind": "http",
        "http_method": "POST",
        "http_url": "https://crm.example.com/contacts",
        "http_body": {"email": "{data.email}"},
        "http_headers": {"Authorization": "crm_token"},
        "http_result_key": "crm",
    }
    added = client.post(f"{draft}/activities/", fields, format="json")
    assert added.status_code == 201, added.json()
    assert added.json()["http_headers"] == {"Authorization": "crm_token"}
    bad = client.post(
        f"{draft}/activities/", {**fields, "key": "b", "http_method": "FETCH"}, format="json"
    )
    assert bad.status_code == 400 and "http_method" in str(bad.json())
    problems = client.get(f"{draft}/validate/").json()["problems"]
    assert [p["code"] for p in problems if p["key"] == "push"] == ["WM104"]  # not yet connected


def test_bpmn_carries_an_http_task_as_a_service_task_and_back():
    version = svc.import_definition(yaml.safe_load(FILE))
    xml = export_bpmn(version)
    assert schema_errors(xml) == []
    task = ET.fromstring(xml).find(f".//{q(BPMN, 'serviceTask')}")
    assert task is not None and task.get("id") == "push"
    back, skipped = import_bpmn(xml.replace("crm-sync", "crm-copy"))
    assert skipped == []
    push = back.activities.get(key="push")
    assert push.kind == "http" and push.http_headers == {"Authorization": "crm_token"}
    assert push.http_url == "https://crm.example.com/contacts/{data.contact_id}"


def test_the_cloud_workflows_example_in_the_docs_imports_and_publishes():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "engine.md").read_text()
    section = docs.split("The Cloud Workflows order example", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    data = {
        "format": "waymark.process/1",
        "process": {"code": "process-order", "title": "Process order"},
        **yaml.safe_load(block),
    }
    version = svc.import_definition(data, publish_it=True)
    kinds = [a.kind for a in version.activities.order_by("pk")]
    assert kinds == ["start", "http", "http", "http", "end"]
