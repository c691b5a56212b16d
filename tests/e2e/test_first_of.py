"""A person draws "wait for the first" in the editor, publishes it, and a signal decides a run."""

import json
import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from engine.models import ProcessInstance, WorkItemState
from engine.services import definitions as svc


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


def node_by_label(page, label):
    return page.get_by_role("button", name=re.compile("^" + re.escape(label) + ", "))


def add(page, kind, name, **fields):
    page.get_by_role("button", name=kind, exact=True).click()
    expect(page.locator("#properties h2")).to_contain_text(kind)
    properties = page.locator("#properties")
    properties.get_by_label(re.compile(r"^Name\b")).fill(name)  # "Name *", not "Rename"
    for label, value in fields.items():
        properties.get_by_label(label, exact=True).fill(value)
    properties.get_by_role("button", name="Save").click()
    expect(node_by_label(page, name)).to_be_visible()


def connect(page, source, target):
    # (selected through the table view: the canvas may be scrolled anywhere)
    page.get_by_role("table", name="Activities").get_by_role("link", name=source).click()
    expect(page.locator("#properties h2")).to_contain_text(source)
    properties = page.locator("#properties")
    properties.get_by_label("Connect to…").select_option(label=target)
    properties.get_by_role("button", name="Connect", exact=True).click()
    expect(page.locator("#properties h2")).to_contain_text(f"{source} → {target.split(' (')[0]}")


def test_draw_publish_and_let_a_signal_come_first(page, live_server, dana):
    svc.create_process("journey", "Guest journey")
    page.goto(f"{live_server.url}/processes/journey/versions/1/?view=table")

    # A new process goes straight from Start to End: remove that way first.
    page.get_by_role("link", name="Edit transition Start to End").click()
    page.get_by_role("button", name="Delete transition").click()
    expect(page.get_by_role("link", name="Edit transition Start to End")).to_have_count(0)

    # Draw the gateway and the two things it waits for from the palette.
    add(page, "Wait for the first", "Next guest event")
    expect(page.locator("#first-of-hint")).to_contain_text("the first to fire wins")
    gateway = page.locator("#canvas-stage g.kind-first_of")
    expect(gateway.locator("polygon")).to_have_count(2)  # the double border
    add(
        page,
        "Wait for signal",
        "Guest left",
        **{"Signal name": "event:guest_left", "Correlation (data path)": "data.guest"},
    )
    add(page, "Timer", "Three quiet days", **{"Wait for (duration)": "3d"})

    connect(page, "Start", "Next guest event (Wait for the first)")
    connect(page, "Next guest event", "Guest left (Wait for signal)")
    # One way out is not enough: the problems panel says so.
    problems = page.locator("#problems")
    expect(problems).to_contain_text("1 way(s) lead out of it")
    connect(page, "Next guest event", "Three quiet days (Timer)")
    expect(problems).not_to_contain_text("way(s) lead out")
    connect(page, "Guest left", "End (End)")
    connect(page, "Three quiet days", "End (End)")

    # Publish through the versions page.
    page.goto(f"{live_server.url}/processes/journey/versions/")
    page.locator("tr#v1").get_by_role("link", name="Publish…").click()
    confirm = page.locator("#confirm-publish")
    expect(confirm).to_contain_text("No errors")
    confirm.get_by_role("button", name="Publish v1").click()
    expect(page.get_by_text("v1 is published.")).to_be_visible()

    # Start a run for guest 7; it waits at the gateway for both things at once.
    page.goto(f"{live_server.url}/runs/start/journey/")
    page.get_by_label("Data (JSON object)").fill('{"guest": 7}')
    page.get_by_role("button", name="Start the run").click()
    expect(page.get_by_role("heading", name=re.compile(r"Run \d+"))).to_be_visible()
    expect(page.locator("#run-state")).to_have_text("Waiting")
    run_page = page.url

    # The guest leaves: the model event arrives through the signal door.
    token = Token.objects.create(user=dana)
    answer = page.request.post(
        f"{live_server.url}/api/v1/signals/",
        data=json.dumps({"name": "event:guest_left", "correlation": 7}),
        headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
    )
    assert answer.status == 200, answer.text()
    run = ProcessInstance.objects.get(process__code="journey")
    assert answer.json()["woken"] == [run.pk]

    page.goto(run_page)
    expect(page.locator("#run-state")).to_have_text("Completed")
    timer = run.workitems.get(name="Three quiet days")
    assert timer.state == WorkItemState.CANCELLED
    expect(page.locator(f'g.node[data-key="{timer.activity_key}"]')).to_have_class(
        re.compile("state-done")
    )
    expect(page.get_by_text("cancelled").first).to_be_visible()
