"""A person makes an end fail the run with a reason, publishes, and sees a run fail there."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

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


def test_an_end_with_a_reason_fails_the_run_visibly(page, live_server, dana):
    svc.create_process("gate", "Gate")
    page.goto(f"{live_server.url}/processes/gate/versions/1/?view=table")
    page.get_by_role("table", name="Activities").get_by_role("link", name="End").click()
    properties = page.locator("#properties")
    expect(properties.locator("h2")).to_contain_text("End")
    properties.get_by_label("Fail the run with the reason").fill("Nobody may pass, {data.who}")
    properties.get_by_role("button", name="Save").click()
    expect(properties.get_by_label("Fail the run with the reason")).to_have_value(
        "Nobody may pass, {data.who}"
    )

    page.goto(f"{live_server.url}/processes/gate/versions/")
    page.locator("tr#v1").get_by_role("link", name="Publish…").click()
    confirm = page.locator("#confirm-publish")
    expect(confirm).to_contain_text("No errors")
    confirm.get_by_role("button", name="Publish v1").click()
    expect(page.get_by_text("v1 is published.")).to_be_visible()

    page.goto(f"{live_server.url}/runs/start/gate/")
    page.get_by_label("Data (JSON object)").fill('{"who": "Ann"}')
    page.get_by_role("button", name="Start the run").click()
    expect(page.get_by_role("heading", name=re.compile(r"Run \d+"))).to_be_visible()
    expect(page.locator("#run-state")).to_have_text("Failed (at an end)")
    expect(page.locator("#run-failure-reason")).to_contain_text("Nobody may pass, Ann")
    expect(page.get_by_role("button", name="Retry failed steps")).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)
