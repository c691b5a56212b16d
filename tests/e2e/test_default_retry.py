"""A person sets the version's default retry in the editor, publishes, and finds it in the file."""

import json

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.services import definitions as svc


@pytest.fixture
def dana(login):
    user = login("dana")
    for codename in ("design_process", "publish_process"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def test_a_default_retry_set_in_the_editor_is_published_and_exported(
    page, live_server, dana, tmp_path
):
    svc.create_process("gate", "Gate")
    page.goto(f"{live_server.url}/processes/gate/versions/1/")
    retry = page.get_by_role("group", name="Default retry")
    expect(retry).to_contain_text("An activity's own retry fields override it")

    retry.get_by_label("Attempts").fill("0")
    page.get_by_role("button", name="Save the default retry").click()
    retry = page.get_by_role("group", name="Default retry")
    expect(retry.get_by_role("alert")).to_contain_text("greater than or equal to 1")

    retry.get_by_label("Attempts").fill("5")
    retry.get_by_label("First delay (s)").fill("10")
    page.get_by_role("button", name="Save the default retry").click()
    expect(page.get_by_text("Saved the default retry policy.")).to_be_visible()
    expect(page.get_by_role("group", name="Default retry").get_by_label("Attempts")).to_have_value(
        "5"
    )

    page.goto(f"{live_server.url}/processes/gate/versions/")
    page.locator("tr#v1").get_by_role("link", name="Publish…").click()
    confirm = page.locator("#confirm-publish")
    confirm.get_by_role("button", name="Publish v1").click()
    expect(page.get_by_text("v1 is published.")).to_be_visible()

    with page.expect_download() as download_info:
        page.locator("tr#v1").get_by_role("link", name="JSON").click()
    saved = tmp_path / "gate.json"
    download_info.value.save_as(saved)
    exported = json.loads(saved.read_text())
    assert exported["process"]["default_retry"] == {"max_attempts": 5, "base_delay": 10.0}

    # Published: shown, no longer editable.
    page.goto(f"{live_server.url}/processes/gate/versions/1/")
    attempts = page.get_by_role("group", name="Default retry").get_by_label("Attempts")
    expect(attempts).to_have_value("5")
    expect(attempts).to_be_disabled()
