"""A person adds an HTTP request in the editor, configures it, publishes, and a run calls it."""

import json
import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.models import ProcessInstance
from engine.services import definitions as svc
from tests.e2e.test_first_of import connect, node_by_label
from tests.engine import http_task_server

SECRET = "Bearer e2e-secret"


@pytest.fixture
def service(settings, monkeypatch):
    server, httpd = http_task_server.start()
    settings.WAYMARK_HTTP_ALLOWED_HOSTS = [f"127.0.0.1:{server.port}"]
    settings.WAYMARK_HTTP_SECRETS = {"crm_token": "env:E2E_CRM_TOKEN"}
    monkeypatch.setenv("E2E_CRM_TOKEN", SECRET)
    yield server
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def dana(login, settings):
    from engine.models.definitions import clear_graph_cache

    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    user = login("dana")
    for codename in ("design_process", "publish_process", "manage_runs"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    yield user
    clear_graph_cache()


def add(page, kind, name, **fields):
    page.get_by_role("button", name=kind, exact=True).click()
    expect(page.locator("#properties h2")).to_contain_text(kind)
    properties = page.locator("#properties")
    properties.get_by_label(re.compile(r"^Name\b")).fill(name)
    for label, value in fields.items():
        properties.get_by_label(label, exact=True).fill(value)
    properties.get_by_role("button", name="Save").click()
    expect(node_by_label(page, name)).to_be_visible()


def test_configure_an_http_request_publish_and_run_it(page, live_server, dana, service):
    svc.create_process("crm", "CRM sync")
    page.goto(f"{live_server.url}/processes/crm/versions/1/?view=table")
    page.get_by_role("link", name="Edit transition Start to End").click()
    page.get_by_role("button", name="Delete transition").click()
    expect(page.get_by_role("link", name="Edit transition Start to End")).to_have_count(0)

    add(
        page,
        "HTTP request",
        "Create the order",
        **{
            "Method": "POST",
            "URL": service.base + "/orders/{data.customer}",
            "Body (JSON)": '{"items": "{data.items}"}',
            "Headers from secrets (JSON)": '{"Authorization": "crm_token"}',
            "Result path in the answer": "id",
            "Store the result as (data key)": "order_id",
        },
    )
    expect(page.locator("#canvas-stage g.kind-http")).to_have_count(1)
    connect(page, "Start", "Create the order (HTTP request)")
    connect(page, "Create the order", "End (End)")

    page.goto(f"{live_server.url}/processes/crm/versions/")
    page.locator("tr#v1").get_by_role("link", name="Publish…").click()
    confirm = page.locator("#confirm-publish")
    expect(confirm).to_contain_text("No errors")
    confirm.get_by_role("button", name="Publish v1").click()
    expect(page.get_by_text("v1 is published.")).to_be_visible()

    page.goto(f"{live_server.url}/runs/start/crm/")
    page.get_by_label("Data (JSON object)").fill('{"customer": "ann", "items": [3, 4]}')
    page.get_by_role("button", name="Start the run").click()
    expect(page.get_by_role("heading", name=re.compile(r"Run \d+"))).to_be_visible()
    expect(page.locator("#run-state")).to_have_text("Completed")

    run = ProcessInstance.objects.get(process__code="crm")
    assert run.data["order_id"] == 42
    [seen] = service.requests
    assert seen.path == "/orders/ann" and json.loads(seen.body) == {"items": [3, 4]}
    assert seen.headers["Authorization"] == SECRET
    assert SECRET not in page.content()
