"""Triggers as a person uses them: the editor's panel, the canvas, publish, pause, the runs list."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.models import Process, Trigger
from engine.runtime.trigger_starts import start_for_trigger
from engine.services import definitions as svc
from engine.services import runs as run_service


@pytest.fixture
def designer(login):
    user = login("dana")
    for codename in (
        "design_process",
        "publish_process",
        "view_processinstance",
        "view_auditevent",
    ):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def test_a_schedule_trigger_from_the_editor_to_the_runs_list(page, live_server, designer):
    svc.create_process("nightly", "Nightly job")
    page.goto(f"{live_server.url}/processes/nightly/versions/1/")
    panel = page.locator("#triggers")
    expect(panel).to_contain_text("No triggers")

    # Add a schedule trigger: choose the kind, then its fields.
    panel.get_by_role("link", name="Add trigger").click()
    panel.get_by_role("link", name="Schedule", exact=True).click()
    expect(panel.get_by_role("heading", name=re.compile("New trigger"))).to_be_visible()
    panel.get_by_label("Key").fill("nightly")

    # An invalid cron: the preview says why, and saving is refused next to the field.
    panel.get_by_label("Cron").fill("61 * * * *")
    preview = panel.locator("#trigger-preview")
    expect(preview).to_contain_text("invalid cron")
    panel.get_by_role("button", name="Add trigger").click()
    cron_group = panel.locator(".field.has-error", has=page.get_by_label("Cron"))
    expect(cron_group).to_contain_text("invalid cron '61 * * * *'")
    assert not Trigger.objects.exists()

    # The cron in words and the next five fire times in its zone, as they are typed.
    panel.get_by_label("Cron").fill("30 7 * * *")
    panel.get_by_label("Time zone").fill("Asia/Tehran")
    expect(preview).to_contain_text("At 07:30")
    expect(preview).to_contain_text("Asia/Tehran time")
    fires = preview.locator(".next-fires li")
    expect(fires).to_have_count(5)
    for i in range(5):
        expect(fires.nth(i)).to_contain_text("07:30 (+0330)")
    panel.get_by_label("While a run is active").select_option("skip")
    panel.get_by_role("button", name="Add trigger").click()
    expect(page.locator("#properties")).to_contain_text("Added trigger nightly.")
    expect(panel.locator(".trigger-row")).to_contain_text("At 07:30 (Asia/Tehran)")

    # The start marker on the canvas, joined to Start; clicking it opens the trigger.
    marker = page.locator("#canvas-stage g.trigger-marker[data-trigger='nightly']")
    expect(marker).to_be_visible()
    expect(page.locator("#canvas-stage g.trigger-edge[data-trigger='nightly']")).to_have_count(1)
    marker.click()
    expect(panel.get_by_role("heading", name=re.compile("Trigger nightly"))).to_be_visible()
    expect(panel.get_by_label("Cron")).to_have_value("30 7 * * *")
    expect(marker).to_have_class(re.compile(r"\bselected\b"))

    # Publish from the versions page: the trigger is armed.
    page.goto(f"{live_server.url}/processes/nightly/versions/")
    page.get_by_role("link", name="Publish…").click()
    page.locator("#confirm-publish").get_by_role("button", name="Publish v1").click()
    expect(page.get_by_text("v1 is published.")).to_be_visible()
    trigger = Trigger.objects.get(key="nightly")
    started = start_for_trigger(trigger, {}, {"scheduled_for": "2026-11-28T04:00:00+00:00"})
    by_hand = run_service.start_run("nightly", {})

    # Pause: the triggers stop firing (a fire is skipped), then resume.
    page.get_by_role("button", name="Pause triggers").click()
    expect(page.get_by_text("Paused Nightly job")).to_be_visible()
    expect(page.locator("#paused-chip")).to_be_visible()
    trigger.refresh_from_db()
    start_for_trigger(trigger, {}, {"scheduled_for": "2026-11-29T04:00:00+00:00"})
    page.get_by_role("button", name="Resume triggers").click()
    expect(page.get_by_text("Resumed Nightly job")).to_be_visible()
    assert not Process.objects.get(code="nightly").paused

    # The runs list filtered by the trigger: its run, and the fire that started none.
    page.goto(f"{live_server.url}/runs/")
    page.get_by_label("Trigger").select_option("nightly")
    page.get_by_role("button", name="Filter").click()
    runs = page.locator("table.runs tbody")
    expect(runs.get_by_role("link", name=f"Run {started.run.pk}", exact=True)).to_be_visible()
    expect(runs.get_by_role("link", name=f"Run {by_hand.pk}", exact=True)).to_have_count(0)
    fires_table = page.locator("section.trigger-fires")
    expect(fires_table).to_contain_text("Trigger nightly skipped: the process is paused")

    # The run page says which trigger started the run.
    runs.get_by_role("link", name=f"Run {started.run.pk}", exact=True).click()
    expect(page.locator("#run-trigger")).to_have_text("nightly")
