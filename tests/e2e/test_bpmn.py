"""A person takes a process to another modeler and back: BPMN export and import in the browser."""

from pathlib import Path

import yaml
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.bpmn import read
from engine.bpmn.schema import schema_errors
from engine.models import Process
from engine.services import definitions
from tests.engine.bpmn_camunda import ORDER_BPMN

DEMO = Path(__file__).resolve().parents[2] / "engine" / "fixtures" / "demo_expense.yaml"


def designer_login(login):
    user = login("dora")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    return user


def test_export_bpmn_from_the_versions_page_and_import_it_back(page, live_server, login, tmp_path):
    designer_login(login)
    definitions.import_definition(yaml.safe_load(DEMO.read_text()))
    page.goto(f"{live_server.url}/processes/expense-approval/versions/")
    with page.expect_download() as download_info:
        page.locator("tr#v1").get_by_role("link", name="BPMN 2.0").click()
    download = download_info.value
    assert download.suggested_filename == "expense-approval-v1.bpmn"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert schema_errors(saved.read_bytes()) == []
    assert len(read(saved.read_bytes()).definition["activities"]) == 6

    page.goto(f"{live_server.url}/processes/")
    page.get_by_role("heading", name="Import a definition").click()
    page.get_by_label("Definition file").set_input_files(saved)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Expense approval: v2 imported as a draft.")).to_be_visible()
    expect(page.locator("tr#v2")).to_contain_text("Draft")
    expect(page.get_by_text("Not carried over")).to_have_count(0)


def test_import_a_camunda_modeler_file_from_the_library(page, live_server, login, tmp_path):
    designer_login(login)
    (tmp_path / "order.bpmn").write_text(ORDER_BPMN)
    (tmp_path / "broken.bpmn").write_text("<bpmn:definitions")
    page.goto(f"{live_server.url}/processes/")
    page.get_by_role("heading", name="Import a definition").click()

    page.get_by_label("Definition file").set_input_files(tmp_path / "broken.bpmn")
    page.get_by_role("button", name="Import").click()
    problems = page.locator(".problems")
    expect(problems).to_contain_text("Nothing was imported")
    expect(problems).to_contain_text("not well-formed XML")
    assert not Process.objects.exists()

    page.get_by_label("Definition file").set_input_files(tmp_path / "order.bpmn")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Order fulfilment: v1 imported as a draft.")).to_be_visible()
    expect(
        page.get_by_text("Not carried over: Activity_Script (scriptTask): Waymark has no such")
    ).to_be_visible()
    expect(page.get_by_text("Not carried over: Lane_Sales (lane)")).to_be_visible()
    assert Process.objects.get().versions.get().activities.count() == 10
