# ruff: noqa: F811  (the engine_inline fixture is imported)
"""Two people reach for the same task: the second one is told who got there first."""

from __future__ import annotations

import re

from django.contrib.auth.models import Group
from playwright.sync_api import expect

from engine.models import WorkItem, WorkItemState
from tests.designer.test_monitoring_fixtures import deploy_review
from tests.e2e.test_runs_monitoring import engine_inline, sign_in  # noqa: F401


def test_second_worker_learns_who_took_the_task(
    page, browser, live_server, login, engine_inline, django_user_model
):
    from engine.services import runtime

    deploy_review()
    approvers = Group.objects.get_or_create(name="approvers")[0]
    requester = django_user_model.objects.create_user("rita", password="pw-rita-123")
    for key in ("EXP-1", "EXP-2", "EXP-3"):
        runtime.start_run(
            "expense", {"requester": "rita", "amount": 5}, business_key=key, user=requester
        )
    wanda = django_user_model.objects.create_user("wanda", password="pw-wanda-123")
    wanda.groups.add(approvers)

    login("wendy", groups=["approvers"])
    page.goto(f"{live_server.url}/inbox/?tab=available")
    page.get_by_role("link", name="Approve the expense").first.click()
    expect(page.get_by_role("button", name="Claim")).to_be_visible()

    # Meanwhile Wanda claims the same task from her own browser.
    other = browser.new_context()
    wanda_page = other.new_page()
    sign_in(wanda_page, live_server, "wanda", "pw-wanda-123")
    wanda_page.goto(page.url)
    wanda_page.get_by_role("button", name="Claim").click()
    expect(wanda_page.get_by_role("status")).to_contain_text("You claimed")
    other.close()

    page.get_by_role("button", name="APPROVED").click()
    expect(page.locator(".messages")).to_contain_text("This task changed since you opened it")
    expect(page.get_by_text("This task is being worked on by wanda")).to_be_visible()
    expect(page.get_by_role("button", name="Claim")).to_have_count(0)
    assert WorkItem.objects.filter(state=WorkItemState.ASSIGNED, assignee=wanda).count() == 1

    # Bulk claim of the two others from Available.
    page.goto(f"{live_server.url}/inbox/?tab=available")
    for key in ("EXP-1", "EXP-2"):
        page.get_by_role("row", name=re.compile(key)).get_by_role("checkbox").check()
    page.get_by_role("button", name="Claim selected").click()
    expect(page.get_by_role("status")).to_contain_text("Claimed 2 tasks")
    expect(page.get_by_role("row", name=re.compile("EXP-1"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^My work"))).to_contain_text("2")
