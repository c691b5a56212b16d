"""BPMN through every door: management commands, the REST API and the designer pages."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from engine.bpmn import read
from engine.bpmn.schema import schema_errors
from engine.models import Process, Version
from engine.services import definitions as svc
from tests.api import conftest as api_fixtures
from tests.engine.bpmn_camunda import ORDER_BPMN

# The API tests' fixtures: a signed-in APIClient with the roles asked for.
api = api_fixtures.api
make_user = api_fixtures.make_user

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "engine" / "fixtures" / "demo_expense.yaml"
IMPORT = "/api/v1/processes/{code}/versions/import/"


@pytest.fixture
def demo():
    return svc.import_definition(yaml.safe_load(DEMO.read_text()))


def test_export_process_writes_bpmn(demo):
    out = io.StringIO()
    call_command("export_process", "expense-approval", "--format", "bpmn", stdout=out)
    assert schema_errors(out.getvalue()) == []
    assert len(read(out.getvalue()).definition["activities"]) == 6


def test_import_process_reads_a_bpmn_file_and_lists_what_it_left(tmp_path):
    path = tmp_path / "order.bpmn"
    path.write_text(ORDER_BPMN)
    out = io.StringIO()
    call_command("import_process", str(path), stdout=out)
    text = out.getvalue()
    assert "Imported process_order v1 (draft)" in text
    assert "Not carried over (8):" in text
    assert "  Activity_Script (scriptTask): Waymark has no such activity" in text


def test_import_process_refuses_a_bad_bpmn_file_and_says_why(tmp_path):
    path = tmp_path / "bad.bpmn"
    path.write_text("<bpmn:definitions")
    with pytest.raises(CommandError, match="not well-formed XML"):
        call_command("import_process", str(path), stdout=io.StringIO())
    assert not Process.objects.exists()


def test_the_api_exports_bpmn_with_format_bpmn(api, demo):
    answer = api("dee", "design").get(
        "/api/v1/processes/expense-approval/versions/1/export/?format=bpmn"
    )
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/xml")
    assert 'filename="expense-approval-v1.bpmn"' in answer["Content-Disposition"]
    assert schema_errors(answer.content) == []


def test_an_api_export_error_keeps_the_json_error_shape(api, demo):
    answer = api("dee", "design").get(
        "/api/v1/processes/expense-approval/versions/9/export/?format=bpmn"
    )
    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("application/json")
    assert "detail" in answer.json()


def test_the_api_imports_a_modeler_file_sent_as_xml_into_the_process_named(api):
    answer = api("dee", "design").post(
        IMPORT.format(code="orders"), ORDER_BPMN, content_type="application/xml"
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["number"] == 1
    assert {
        "id": "Event_Late",
        "type": "boundaryEvent",
        "reason": "Waymark has no such activity",
    } in (body["not_carried_over"])
    assert Process.objects.get().code == "orders"
    assert Version.objects.get().activities.count() == 10


def test_the_api_imports_a_bpmn_upload_and_refuses_one_for_another_process(api, demo):
    client = api("dee", "design")
    exported = client.get("/api/v1/processes/expense-approval/versions/1/export/?format=bpmn")
    upload = SimpleUploadedFile("demo.bpmn", exported.content)
    answer = client.post(
        IMPORT.format(code="expense-approval"), {"file": upload}, format="multipart"
    )
    assert answer.status_code == 201 and answer.json()["not_carried_over"] == []
    upload = SimpleUploadedFile("demo.bpmn", exported.content)
    answer = client.post(IMPORT.format(code="other"), {"file": upload}, format="multipart")
    assert answer.status_code == 400
    assert Version.objects.count() == 2


def test_the_api_answers_a_bad_bpmn_file_with_the_problem(api):
    answer = api("dee", "design").post(
        IMPORT.format(code="orders"),
        ORDER_BPMN.replace('id="Activity_Check"', 'id="9lives"'),
        content_type="application/xml",
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["errors"][0]["path"] == "9lives"
    assert "cannot be a Waymark key" in body["errors"][0]["message"]
    assert not Process.objects.exists()


@pytest.fixture
def designer(client, django_user_model):
    user = django_user_model.objects.create_user("dee", password="pw-dee-123")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    client.force_login(user)
    return client


def test_the_versions_page_links_a_bpmn_export(designer, demo):
    page = designer.get("/processes/expense-approval/versions/")
    assert b"/processes/expense-approval/versions/1/export/bpmn/" in page.content
    answer = designer.get("/processes/expense-approval/versions/1/export/bpmn/")
    assert answer.status_code == 200
    assert 'filename="expense-approval-v1.bpmn"' in answer["Content-Disposition"]
    assert schema_errors(answer.content) == []


def test_the_library_imports_a_bpmn_file_and_warns_of_what_it_left(designer):
    upload = SimpleUploadedFile("order.bpmn", ORDER_BPMN.encode())
    answer = designer.post("/processes/-/import/", {"file": upload}, follow=True)
    assert answer.status_code == 200
    texts = [str(m) for m in answer.context["messages"]]
    assert "Order fulfilment: v1 imported as a draft." in texts
    assert (
        "Not carried over: Lane_Sales (lane): lanes are not carried over (the tasks in them are)"
        in (texts)
    )
    assert Process.objects.get().code == "process_order"


def test_the_library_lists_the_problems_of_a_bad_bpmn_file(designer):
    upload = SimpleUploadedFile("order.bpmn", b"<bpmn:definitions")
    answer = designer.post("/processes/-/import/", {"file": upload})
    assert answer.status_code == 400
    assert b"Nothing was imported." in answer.content
    assert b"not well-formed XML" in answer.content
    assert not Process.objects.exists()
