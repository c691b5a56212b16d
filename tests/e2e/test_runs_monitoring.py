"""Browser tests of runs and the inbox, used as people use them.

A requester starts a run from the form; a worker of the right group finds it
under Available, claims it and completes it with an outcome while the
requester's run page follows along by polling until the run completes; an
operator retries a failing automatic step; someone outside the group neither
sees nor can act on the task.
"""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from engine.handlers import handler
from engine.models import ProcessInstance, RunState, WorkItem, WorkItemState
from tests.designer.test_monitoring_fixtures import deploy, deploy_review

FRAGILE = {"broken": True}


@handler("e2e.fragile")
def fragile(ctx):
    if FRAGILE["broken"]:
        raise RuntimeError("card declined by the bank")
    return {"charged": True}


@pytest.fixture
def engine_inline(settings):
    """Automatic steps run right after each request's commit, as a worker would."""
    from engine.models.definitions import clear_graph_cache

    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    FRAGILE["broken"] = True
    yield
    clear_graph_cache()


def sign_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def test_start_claim_complete_and_watch_live(
    page, browser, live_server, login, engine_inline, django_user_model
):
    deploy_review()
    worker = django_user_model.objects.create_user("wendy", password="pw-wendy-123")
    worker.groups.add(Group.objects.get_or_create(name="approvers")[0])

    # The requester starts a run from the form made from the input schema.
    login("rita")
    page.goto(f"{live_server.url}/runs/")
    page.get_by_role("link", name="Start a run").click()
    page.get_by_role("link", name="Expense").click()
    page.get_by_role("button", name="Start the run").click()
    expect(page.locator(".field-error").first).to_contain_text("required")
    page.get_by_label("Requester").fill("rita")
    page.get_by_label("Amount (EUR)").fill("42.5")
    page.get_by_label("Category").select_option("travel")
    page.get_by_label("Business key").fill("EXP-42")
    page.get_by_role("button", name="Start the run").click()
    expect(page.get_by_role("heading", name=re.compile(r"Run \d+ · EXP-42"))).to_be_visible()
    expect(page.locator("#run-state")).to_have_text("Waiting")
    expect(page.locator('g.node[data-key="check"]')).to_have_class(re.compile("state-done"))
    expect(page.locator('g.node[data-key="review"]')).to_have_class(re.compile("state-waiting"))
    expect(page.locator("#run-live")).to_have_attribute("hx-trigger", "every 2s")
    run = ProcessInstance.objects.get(business_key="EXP-42")
    assert run.data["amount"] == 42.5

    live_requests = []
    page.on("request", lambda r: live_requests.append(r.url) if "/live/" in r.url else None)

    # A worker of the group finds it under Available, claims and approves it.
    other = browser.new_context()
    worker_page = other.new_page()
    sign_in(worker_page, live_server, "wendy", "pw-wendy-123")
    worker_page.get_by_role("link", name="Inbox").first.click()
    worker_page.get_by_role("link", name=re.compile("^Available")).click()
    row = worker_page.get_by_role("row", name=re.compile("EXP-42"))
    expect(row).to_contain_text("Approve the expense")
    row.get_by_role("link", name="Approve the expense").click()
    worker_page.get_by_role("button", name="Claim").click()
    expect(worker_page.get_by_role("status")).to_contain_text("You claimed")
    expect(worker_page.locator("#task-assignee")).to_have_text("wendy")
    worker_page.get_by_label("Comment").fill("ok")
    worker_page.get_by_role("button", name="APPROVED").click()
    expect(worker_page.get_by_role("status")).to_contain_text("Completed “Approve the expense”")
    worker_page.get_by_role("link", name=re.compile("^Done")).click()
    expect(worker_page.get_by_role("row", name=re.compile("EXP-42"))).to_contain_text("APPROVED")
    other.close()

    # The requester's page followed along by polling, then stopped polling.
    expect(page.locator("#run-state")).to_have_text("Completed", timeout=10_000)
    expect(page.locator("#run-live")).to_have_attribute("data-polling", "off")
    expect(page.locator('g.node[data-key="pay"]')).to_have_class(re.compile("state-done"))
    expect(page.locator('g.node[data-key="refused"]')).to_have_class(
        re.compile("state-not-reached")
    )
    assert live_requests, "the page never polled"
    polled = len(live_requests)
    page.wait_for_timeout(2500)  # longer than the polling interval
    assert len(live_requests) == polled
    expect(page.locator(".timeline")).to_contain_text("workitem.completed")


def test_failing_step_shows_an_incident_and_retry_recovers_it(
    page, live_server, login, engine_inline
):
    deploy(
        [
            {
                "key": "charge",
                "kind": "automatic",
                "name": "Charge the card",
                "handler": "e2e.fragile",
                "retry": {"max_attempts": 1},
            }
        ],
        ["start > charge", "charge > end"],
        code="charging",
    )
    user = login("olga")
    user.user_permissions.add(Permission.objects.get(codename="manage_runs"))
    page.goto(f"{live_server.url}/runs/start/charging/")
    page.get_by_label("Data (JSON object)").fill("not json")
    page.get_by_role("button", name="Start the run").click()
    expect(page.get_by_role("alert").first).to_contain_text("not valid JSON")
    expect(page.get_by_label("Data (JSON object)")).to_have_value("not json")
    page.get_by_label("Data (JSON object)").fill(json.dumps({"card": "<4242>"}))
    page.get_by_role("button", name="Start the run").click()

    expect(page.locator("#run-state")).to_have_text("Failed")
    incident = page.locator(".incident.open")
    expect(incident).to_contain_text("card declined by the bank")
    expect(page.locator('g.node[data-key="charge"]')).to_have_class(re.compile("state-failed"))
    incident.get_by_text("Traceback", exact=True).click()
    expect(incident.locator("pre")).to_contain_text("RuntimeError")
    expect(page.locator("pre.json")).to_contain_text('"card": "<4242>"')

    FRAGILE["broken"] = False
    incident.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("status")).to_contain_text("The step was retried")
    expect(page.locator("#run-state")).to_have_text("Completed")
    expect(page.locator(".incident.resolved")).to_contain_text("Resolved")
    page.get_by_role("link", name="Runs").first.click()
    expect(page.locator('.state-counts a[href*="state=completed"] .count')).to_have_text("1")


def test_someone_outside_the_group_neither_sees_nor_acts(
    page, live_server, login, engine_inline, django_user_model
):
    from engine.services import runtime

    deploy_review()
    Group.objects.get_or_create(name="approvers")
    requester = django_user_model.objects.create_user("rita", password="pw-rita-123")
    run = runtime.start_run("expense", {"requester": "rita", "amount": 3}, user=requester)
    item = WorkItem.objects.get(instance=run, activity_key="review")
    assert item.state == WorkItemState.OFFERED

    login("oscar")
    page.goto(f"{live_server.url}/inbox/?tab=available")
    expect(page.get_by_text("Nothing waiting to be claimed")).to_be_visible()
    page.goto(f"{live_server.url}/runs/")
    expect(page.get_by_text("No runs.")).to_be_visible()

    response = page.goto(f"{live_server.url}/inbox/{item.pk}/")
    assert response.status == 404
    response = page.goto(f"{live_server.url}/runs/{run.pk}/")
    assert response.status == 404

    # Even a hand-made POST with a valid CSRF token changes nothing and reveals nothing.
    page.goto(f"{live_server.url}/inbox/")
    token = json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRFToken"]
    for action in ("claim", "complete"):
        answer = page.request.post(
            f"{live_server.url}/inbox/{item.pk}/{action}/",
            form={"outcome": "APPROVED"},
            headers={"X-CSRFToken": token, "Referer": f"{live_server.url}/inbox/"},
        )
        assert answer.status == 404
    item.refresh_from_db()
    assert item.state == WorkItemState.OFFERED and item.assignee is None
    run.refresh_from_db()
    assert run.state == RunState.WAITING
