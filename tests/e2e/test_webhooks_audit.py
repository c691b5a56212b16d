"""A person adds a webhook, sends a test event, sees the delivery; filters the audit log."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from standardwebhooks import Webhook

from engine.models import AuditEvent
from tests.engine.test_webhooks_receiver import receiver_fixture  # noqa: F401


@pytest.fixture
def webhook_settings(settings):
    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"  # deliver in the request, after commit
    settings.WAYMARK_WEBHOOK_ALLOW_PRIVATE = True  # the receiver runs on localhost


def test_person_adds_an_endpoint_sends_a_test_event_and_sees_the_delivery(
    page, live_server, login, receiver, webhook_settings
):
    login("walter", is_superuser=True)
    page.goto(f"{live_server.url}/webhooks/")
    expect(page.get_by_text("No webhook endpoints yet.")).to_be_visible()

    # A mistake first: the form says what is wrong and keeps the rest.
    page.get_by_label("URL").fill("ftp://files.example.com/")
    page.get_by_label("Description").fill("Billing system")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_text("The URL must start with https://")).to_be_visible()
    expect(page.get_by_label("Description")).to_have_value("Billing system")

    page.get_by_label("URL").fill(receiver.url + "/waymark")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("heading", name="Signing secret")).to_be_visible()
    secret = page.get_by_label("Secret").input_value()
    assert secret.startswith("whsec_")

    page.get_by_role("button", name="Send test event").click()
    row = page.locator("#deliveries tr.delivery").first
    expect(row).to_contain_text("test.ping")
    expect(row).to_contain_text("Succeeded")
    expect(row.get_by_role("cell", name="200", exact=True)).to_be_visible()
    got = receiver.received[-1]
    assert Webhook(secret).verify(got.body, got.headers)["action"] == "test.ping"

    # The secret was shown once: coming back to the page does not show it again.
    page.reload()
    expect(page.get_by_role("heading", name="Signing secret")).to_have_count(0)
    expect(page.locator("#deliveries")).to_contain_text("test.ping")


def test_person_sees_a_failed_delivery_and_retries_it(
    page, live_server, login, receiver, webhook_settings
):
    receiver.answers = [500, 200]
    login("walter", is_superuser=True)
    page.goto(f"{live_server.url}/webhooks/")
    page.get_by_label("URL").fill(receiver.url + "/flaky")
    page.get_by_role("button", name="Add endpoint").click()
    page.get_by_role("button", name="Send test event").click()
    row = page.locator("#deliveries tr.delivery").first
    expect(row).to_contain_text("Failed")
    expect(row).to_contain_text("The receiver answered 500.")
    row.get_by_role("button", name="Retry now").click()
    expect(page.locator("#deliveries tr.delivery").first).to_contain_text("Succeeded")
    expect(page.get_by_role("button", name="Retry now")).to_have_count(0)


def test_person_filters_the_audit_log(page, live_server, login):
    AuditEvent.objects.create(action="run.started", actor_name="bob")
    AuditEvent.objects.create(action="workitem.completed", actor_name="carol")
    AuditEvent.objects.create(action="workitem.claimed", actor_name="bob")
    login("audrey", is_superuser=True)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    rows = page.locator("#audit-results tbody tr")
    expect(rows).to_have_count(3)

    page.get_by_label("Action").fill("workitem.*")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#audit-results")).not_to_contain_text("run.started")

    page.get_by_label("Who").fill("bob")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("workitem.claimed")
    assert "actor=bob" in page.url  # the filtered view can be bookmarked

    page.get_by_label("Run id").fill("twelve")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-results")).to_contain_text("A run id is a whole number")

    page.get_by_role("link", name="Clear").click()
    expect(rows).to_have_count(3)
