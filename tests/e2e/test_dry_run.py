"""Handlers and dry runs in the editor, used as a person would."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.models import ProcessInstance, WorkItem
from engine.services import definitions
from tests.engine.test_dry_run import expense_draft

EDITOR = "/processes/expense/versions/1/"


@pytest.fixture
def designer(login):
    user = login("dana")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    return user


def node(page, label):
    return page.get_by_role("button", name=re.compile("^" + re.escape(label) + ", "))


def canvas_node(page, key):
    return page.locator(f'#canvas-stage g.node[data-key="{key}"]')


def canvas_edge(page, key):
    return page.locator(f'#canvas-stage g.edge[data-key="{key}"]')


def test_pick_a_handler_from_the_catalogue(page, live_server, designer):
    draft = expense_draft()
    definitions.update_activity(draft.activities.get(key="pay"), handler="nobody.registered")
    page.goto(live_server.url + EDITOR)
    expect(page.locator("#problems")).to_contain_text("WM114")
    expect(canvas_node(page, "pay")).to_have_class(re.compile("has-error"))

    node(page, "Pay").click()
    field = page.get_by_label("Handler", exact=True)
    expect(field).to_have_value("nobody.registered")
    status = page.locator("#properties .handler-status").first
    expect(status).to_contain_text("Not registered")

    picker = page.get_by_label("Pick a registered handler for handler")
    picker.select_option("demo.pay")
    expect(field).to_have_value("demo.pay")
    expect(status).to_contain_text("Writes paid, payment_reference")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#problems")).not_to_contain_text("WM114")
    expect(canvas_node(page, "pay")).not_to_have_class(re.compile("has-error"))
    assert draft.activities.get(key="pay").handler == "demo.pay"

    # Typing is still possible; a name nobody registered is marked at once.
    page.get_by_label("Handler", exact=True).fill("demo.paid")
    expect(page.locator("#properties .handler-status").first).to_contain_text("Not registered")

    # The catalogue has its own page, linked from the navigation.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Handlers").click()
    row = page.locator("table.handler-catalogue tr", has_text="demo.check_policy")
    expect(row).to_contain_text("within_policy")
    expect(row).to_contain_text("engine.demo_handlers.check_policy")


def test_dry_run_two_sample_inputs_take_different_branches(page, live_server, designer):
    expense_draft()
    page.goto(live_server.url + EDITOR)
    page.get_by_text("Dry run", exact=True).click()
    panel = page.locator("#dry-run-form")
    result = page.locator("#dry-run-result")

    # The sample data is typed in the process's start form; a missing amount is refused there.
    expect(panel.get_by_label("amount")).to_have_value("")
    page.get_by_role("button", name="Run from the start").click()
    expect(panel.locator(".field.has-error")).to_contain_text("required")

    # A big amount goes to the review: the condition is true and wins.
    panel.get_by_label("amount").fill("5000")
    page.get_by_role("button", name="Run from the start").click()
    expect(result).to_contain_text("Waiting at Review")
    conditions = result.get_by_role("table", name="Conditions out of Route")
    expect(conditions.locator("tr", has_text="review")).to_contain_text("true")
    expect(conditions.locator("tr", has_text="review")).to_contain_text("taken")
    expect(conditions.locator("tr", has_text="pay")).to_contain_text("default")
    expect(canvas_node(page, "route")).to_have_class(re.compile("dry-run-visited"))
    expect(canvas_edge(page, "t_big")).to_have_class(re.compile("dry-run-taken"))
    expect(canvas_node(page, "review")).to_have_class(re.compile("dry-run-waiting"))

    # The reviewer's form is checked; then the outcome is picked.
    result.get_by_label("note").fill("ok")
    result.get_by_role("button", name="APPROVED").click()
    expect(result).to_contain_text("is too short")
    result.get_by_label("note").fill("fine by me")
    result.get_by_role("button", name="APPROVED").click()
    expect(result).to_contain_text("Waiting at Pay")
    result.get_by_label("Sample output (JSON object merged into the data)").fill('{"paid": true}')
    result.get_by_role("button", name="Use this output").click()
    expect(result).to_contain_text("Completed")
    expect(canvas_node(page, "end")).to_have_class(re.compile("dry-run-visited"))

    # Step back along the path: the canvas follows.
    page.get_by_role("button", name="◀ Back").click()
    expect(page.locator(".dry-run-position")).to_have_text("Step 4 of 5")
    expect(canvas_node(page, "end")).not_to_have_class(re.compile("dry-run-visited"))
    expect(canvas_node(page, "pay")).to_have_class(re.compile("dry-run-current"))

    # A small amount, as JSON this time, takes the other branch: the default wins.
    panel.get_by_label("As JSON").check()
    panel.get_by_label("Sample data (JSON object)").fill('{"amount": 20}')
    page.get_by_role("button", name="Run from the start").click()
    expect(result).to_contain_text("Waiting at Pay")
    conditions = result.get_by_role("table", name="Conditions out of Route")
    expect(conditions.locator("tr", has_text="review")).to_contain_text("false")
    expect(conditions.locator("tr", has_text="pay")).to_contain_text("taken")
    expect(canvas_edge(page, "t_small")).to_have_class(re.compile("dry-run-taken"))
    expect(canvas_edge(page, "t_big")).not_to_have_class(re.compile("dry-run-taken"))
    expect(canvas_node(page, "review")).not_to_have_class(re.compile("dry-run-visited"))

    # The designer may call the handler itself, in dry-run mode.
    result.get_by_role("button", name="Call the handler").click()
    expect(result).to_contain_text("called handler test.dry.pay")
    result.get_by_text("Data now").click()
    expect(result.locator(".dry-run-data pre")).to_contain_text('"dry": true')

    assert not ProcessInstance.objects.exists() and not WorkItem.objects.exists()
