"""A person designs a start form and a task form in the editor, then uses both."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from engine.models import Activity, Process, ProcessInstance, WorkItem
from engine.services import definitions as svc

DRAFT = {
    "format": "waymark.process/1",
    "process": {"code": "leave", "title": "Leave request"},
    "activities": [
        {"key": "start", "kind": "start", "name": "Start", "x": 60, "y": 120},
        {
            "key": "review",
            "kind": "human",
            "name": "Review the request",
            "roles": ["approvers"],
            "outcomes": ["APPROVED", "REJECTED"],
            "x": 220,
            "y": 120,
        },
        {"key": "end", "kind": "end", "name": "End", "x": 400, "y": 120},
    ],
    "transitions": [
        {"key": "t1", "source": "start", "target": "review"},
        {"key": "t2", "source": "review", "target": "end"},
    ],
}


@pytest.fixture
def designer(login):
    user = login("dora", groups=("approvers",))
    for codename in ("design_process", "publish_process"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    Group.objects.get_or_create(name="approvers")
    return user


def add_field(panel, label, kind, **extra):
    panel.get_by_role("button", name="Add a field").click()
    field = panel.locator(".fd-field").last
    field.get_by_label("Type").select_option(kind)
    field.get_by_label("Label", exact=True).fill(label)
    for name, value in extra.items():
        target = field.get_by_label(name, exact=True)
        if value is True:
            target.check()
        else:
            target.fill(value)
    return field


def test_design_forms_start_a_run_and_complete_the_task(page, live_server, designer):
    version = svc.import_definition(DRAFT, publish_it=False)
    page.goto(f"{live_server.url}/processes/leave/versions/{version.number}/")

    # The process's input form: five kinds of field, and one more.
    panel = page.locator("#process-input")
    add_field(panel, "Employee name", "text", Required=True, **{"Longest length": "40"})
    add_field(panel, "Reason", "long_text", **{"Help text": "why you are away"})
    add_field(panel, "Days", "number", Minimum="1", Maximum="30")
    add_field(panel, "First day", "date", Required=True)
    kind = add_field(panel, "Kind of leave", "choice")
    kind.get_by_label("Choices").fill("holiday\nsick")
    kind.get_by_label("Default").select_option("holiday")
    add_field(panel, "Urgent", "checkbox")
    # The last field moves up, above the choice.
    panel.get_by_role("button", name="Move up: Urgent").click()
    panel.get_by_role("button", name="Save the input form").click()
    expect(panel.get_by_role("status")).to_contain_text("Saved the input form.")
    schema = Process.objects.get(code="leave").input_schema
    assert schema["x-waymark-order"] == [
        "employee_name",
        "reason",
        "days",
        "first_day",
        "urgent",
        "kind_of_leave",
    ]
    assert schema["required"] == ["employee_name", "first_day"]
    assert schema["properties"]["first_day"] == {
        "type": "string",
        "title": "First day",
        "format": "date",
    }
    assert schema["properties"]["kind_of_leave"]["enum"] == ["holiday", "sick"]
    assert schema["properties"]["reason"]["x-waymark-widget"] == "textarea"

    # The task's form: a comment, and labels for its outcome buttons; previewed, saved.
    page.get_by_text("Table view").click()
    page.get_by_role("table", name="Activities").get_by_role(
        "link", name="Review the request"
    ).click()
    props = page.locator("#properties")
    expect(props.locator("h2")).to_contain_text("Review the request")
    add_field(props, "Comment", "long_text", Required=True)
    props.get_by_label("Button label for APPROVED").fill("Approve")
    props.get_by_label("Button label for REJECTED").fill("Reject")
    props.get_by_role("button", name="Preview").click()
    preview = page.locator("#form-preview-dialog")
    expect(preview.get_by_label("Comment")).to_be_disabled()
    expect(preview.get_by_role("button", name="Approve")).to_contain_text("APPROVED")
    preview.get_by_role("button", name="Close preview").click()
    props.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#properties .notice")).to_contain_text("Saved Review the request")
    form_schema = Activity.objects.get(version=version, key="review").form_schema
    assert form_schema["required"] == ["comment"]
    assert form_schema["x-waymark-outcome-labels"] == {"APPROVED": "Approve", "REJECTED": "Reject"}

    svc.publish(version)

    # Starting a run from the generated form: a bad date and a missing name are refused.
    page.goto(f"{live_server.url}/runs/start/leave/")
    labels = page.locator(".start-form .field > label").all_inner_texts()
    assert [label.strip(" *") for label in labels[:6]] == [
        "Employee name",
        "Reason",
        "Days",
        "First day",
        "Urgent",
        "Kind of leave",
    ]
    page.get_by_label("Reason").fill("family wedding")
    page.get_by_label("Days").fill("3")
    expect(page.get_by_label("Kind of leave")).to_have_value('"holiday"')
    # Typed as text, as a browser without a date picker sends it.
    page.get_by_label("First day").evaluate("input => { input.type = 'text'; }")
    page.get_by_label("First day").fill("2026-02-30")
    page.get_by_role("button", name="Start the run").click()
    name_group = page.locator(".field", has=page.get_by_label("Employee name"))
    expect(name_group.locator(".field-error")).to_have_text("This field is required.")
    date_group = page.locator(".field", has=page.get_by_label("First day"))
    expect(date_group.locator(".field-error")).to_have_text("Enter a valid date.")
    expect(page.get_by_label("Reason")).to_have_value("family wedding")
    expect(page.get_by_label("Days")).to_have_value("3")
    assert not ProcessInstance.objects.exists()

    page.get_by_label("Employee name").fill("Dora")
    page.get_by_label("First day").fill("2026-03-02")
    page.get_by_label("Urgent").check()
    page.get_by_role("button", name="Start the run").click()
    expect(page.get_by_role("heading", name=re.compile(r"Run \d+"))).to_be_visible()
    run = ProcessInstance.objects.get()
    assert run.data == {
        "employee_name": "Dora",
        "reason": "family wedding",
        "days": 3,
        "first_day": "2026-03-02",
        "urgent": True,
        "kind_of_leave": "holiday",
    }

    # Completing the task from its generated form, with labelled outcome buttons.
    item = WorkItem.objects.get(instance=run, activity_key="review")
    page.goto(f"{live_server.url}/inbox/{item.pk}/")
    page.get_by_role("button", name="Claim").click()
    approve = page.get_by_role("button", name="Approve")
    expect(approve).to_contain_text("APPROVED")
    expect(page.get_by_role("button", name="Reject")).to_contain_text("REJECTED")
    approve.click()
    comment_group = page.locator(".field", has=page.get_by_label("Comment"))
    expect(comment_group.locator(".field-error")).to_have_text("This field is required.")
    page.get_by_label("Comment").fill("enjoy")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").first).to_contain_text("Completed")
    item.refresh_from_db()
    assert (item.outcome, item.form_data) == ("APPROVED", {"comment": "enjoy"})


def test_a_schema_written_by_hand_keeps_what_the_designer_cannot_edit(page, live_server, designer):
    hand_written = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "iban": {"type": "string", "title": "IBAN", "pattern": "^[A-Z]{2}[0-9]{2}"},
            "days": {"type": "integer", "title": "Days", "minimum": 1},
        },
        "required": ["iban"],
    }
    draft = {**DRAFT, "activities": [dict(a) for a in DRAFT["activities"]]}
    draft["activities"][1]["form_schema"] = hand_written
    version = svc.import_definition(draft, publish_it=False)
    page.goto(f"{live_server.url}/processes/leave/versions/{version.number}/?sel=a:review")
    props = page.locator("#properties")
    kept = props.locator(".fd-field.fd-readonly")
    expect(kept).to_contain_text("“iban” uses JSON Schema the designer does not edit")
    expect(kept).to_contain_text('"pattern"')
    expect(props.locator(".form-designer")).to_contain_text('"additionalProperties": false')
    days = props.locator(".fd-field").filter(has_text="Days")
    days.get_by_text("Edit Days").click()
    days.get_by_label("Maximum").fill("10")
    props.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#properties .notice")).to_contain_text("Saved Review the request")
    saved = Activity.objects.get(version=version, key="review").form_schema
    assert saved["properties"]["iban"] == hand_written["properties"]["iban"]
    assert saved["additionalProperties"] is False
    assert saved["required"] == ["iban"]
    assert saved["properties"]["days"] == {
        "type": "integer",
        "title": "Days",
        "minimum": 1,
        "maximum": 10,
    }
