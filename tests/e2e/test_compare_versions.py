"""A person clones a published process, changes the clone and sees exactly that change."""

import re

from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.services import definitions
from tests.e2e.test_versions_library import add_tasks


def test_clone_change_and_compare(page, live_server, login):
    user = login("dora")
    for codename in ("design_process", "publish_process"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    process = definitions.create_process("expenses", "Expense approval")
    add_tasks(process.versions.get(number=1))
    definitions.publish(process.versions.get(number=1))

    page.goto(f"{live_server.url}/processes/expenses/")
    page.locator("tr#v1").get_by_role("link", name="Clone…").click()
    page.get_by_role("button", name="Clone to a new draft").click()
    expect(page.get_by_text("v2 is a new draft cloned from v1.")).to_be_visible()

    # The clone opens in the editor: rename the review there.
    page.get_by_role("button", name=re.compile(r"^Review, ")).click()
    page.get_by_label("Name").fill("Check receipt")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("button", name=re.compile(r"^Check receipt, "))).to_be_visible()
    # ...and move the end (as a drag would).
    v2 = process.versions.get(number=2)
    definitions.move_activity(v2.activities.get(key="end"), 460, 220)

    page.goto(f"{live_server.url}/processes/expenses/")
    page.get_by_role("link", name="Compare versions").click()
    expect(page.get_by_label("Before")).to_have_value("1")
    expect(page.get_by_label("After")).to_have_value("2")

    table = page.locator("table.change-table")
    expect(table.locator("tbody")).to_have_count(2)  # the rename and the move, nothing else
    review = page.locator("#change-activity-review")
    expect(review).to_contain_text("changed")
    expect(review.locator("td.old")).to_have_text("Review")
    expect(review.locator("td.new")).to_have_text("Check receipt")
    expect(page.locator("#change-activity-end")).to_contain_text("moved")

    after = page.locator(".side-new .process-graph")
    expect(after.locator('g.node[data-key="review"]')).to_have_class(
        re.compile(r"\bdiff-changed\b")
    )
    expect(after.locator('g.node[data-key="end"]')).to_have_class(re.compile(r"\bdiff-moved\b"))
    expect(after.locator('g.node[data-key="pay"]')).not_to_have_class(re.compile(r"\bdiff-"))
    expect(page.locator(".diff-legend")).to_contain_text("changed")

    # Hovering a row highlights its element in both graphs.
    review.hover()
    expect(page.locator('.side-old g.node[data-key="review"]')).to_have_class(
        re.compile(r"\bhighlight\b")
    )
    expect(after.locator('g.node[data-key="review"]')).to_have_class(re.compile(r"\bhighlight\b"))

    # Clicking a marked element on the graph jumps to its row in the table.
    after.locator('g.node[data-key="review"]').click()
    expect(review).to_be_focused()
    assert page.url.endswith("#change-activity-review")

    # Hide layout-only changes: the move disappears, the rename stays.
    page.get_by_label("Hide layout-only changes").check()
    expect(page.locator("#change-activity-end")).to_have_count(0)
    expect(page.locator("#change-activity-review")).to_be_visible()
    expect(page.get_by_text("1 layout-only change hidden")).to_be_visible()
    expect(page.locator('.side-new g.node[data-key="end"]')).not_to_have_class(
        re.compile(r"\bdiff-moved\b")
    )
    assert "layout=hide" in page.url
