"""Small things a person notices, done the way a person does them.

The inbox opens where the work is; an activity's name is refused with words
when empty or too long (never cut); the site has an icon; a short run says
seconds; Save stays in view; the zoom reset says what it does; Escape then a
quick palette click ends on the graph with the new activity.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from engine.models import Activity, ProcessInstance
from engine.services import definitions, runtime
from tests.engine.conftest import deploy

TASK = [{"key": "task", "kind": "human", "name": "Check the invoice", "roles": ["approvers"]}]


@pytest.fixture
def engine_inline(settings):
    from engine.models.definitions import clear_graph_cache

    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    yield
    clear_graph_cache()


@pytest.fixture
def designer(login):
    user = login("dana")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    return user


def test_the_inbox_opens_on_the_tab_that_has_work(page, live_server, login, engine_inline):
    deploy(TASK, ["start > task", "task > end"], code="invoices")
    runtime.start_run("invoices", {}, business_key="inv-1")
    worker = login("wendy")
    worker.groups.add(Group.objects.get_or_create(name="approvers")[0])

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    tabs = page.get_by_role("navigation", name="Inbox")
    expect(tabs.locator("a[aria-current]")).to_contain_text("Available")
    expect(page.get_by_role("link", name="Check the invoice")).to_be_visible()
    # Once it is claimed, the inbox opens on My work.
    page.get_by_role("link", name="Check the invoice").click()
    page.get_by_role("button", name="Claim").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    expect(tabs.locator("a[aria-current]")).to_contain_text("My work")
    expect(page.get_by_role("link", name="Check the invoice")).to_be_visible()


def test_a_name_is_required_and_limited_with_a_message(page, live_server, designer):
    process = definitions.create_process("claims", "Claims")
    version = process.versions.get()
    definitions.add_activity(version, "human", key="review", name="Review", x=200, y=100)
    page.goto(f"{live_server.url}/processes/claims/versions/1/")
    page.get_by_role("button", name=re.compile("^Review, ")).click()
    name = page.locator("#properties").get_by_label("Name")

    name.fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#properties")).to_contain_text("An activity needs a name.")

    name = page.locator("#properties").get_by_label("Name")
    name.fill("x" * 300)
    expect(name).to_have_value("x" * 300)  # the browser does not cut it
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#properties")).to_contain_text(re.compile(r"at most 200 characters"))
    assert Activity.objects.get(version=version, key="review").name == "Review"


def test_the_site_has_an_icon(page, live_server, login):
    login("ivy")
    answer = page.request.get(f"{live_server.url}/favicon.ico")
    assert answer.status == 200
    assert answer.headers["content-type"] == "image/x-icon"
    assert answer.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    linked = page.locator("link[rel=icon]").first.get_attribute("href")
    assert page.request.get(f"{live_server.url}{linked}").status == 200


def test_a_short_run_says_seconds(page, live_server, login, engine_inline):
    deploy([], ["start > end"], code="instant")
    run = runtime.start_run("instant", {})
    user = login("olga")
    user.user_permissions.add(Permission.objects.get(codename="manage_runs"))
    assert ProcessInstance.objects.get(pk=run.pk).ended_at is not None
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    ended = page.locator("dt:text-is('Ended') + dd")
    expect(ended).to_contain_text(re.compile(r"\(\d+ seconds?\)"))
    expect(ended).not_to_contain_text("minutes")


def test_save_stays_in_view_and_the_zoom_reset_says_what_it_does(page, live_server, designer):
    process = definitions.create_process("claims", "Claims")
    version = process.versions.get()
    definitions.add_activity(version, "human", key="review", name="Review", x=200, y=100)
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto(f"{live_server.url}/processes/claims/versions/1/")
    page.get_by_role("button", name=re.compile("^Review, ")).click()
    panel = page.locator("#properties")
    expect(panel.locator("h2")).to_contain_text("Review")
    panel.evaluate("(el) => { el.scrollTop = 0; }")
    save = panel.get_by_role("button", name="Save")
    box, frame = save.bounding_box(), panel.bounding_box()
    assert frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"]
    assert panel.evaluate("(el) => el.scrollHeight > el.clientHeight")  # the form is long

    reset = page.get_by_role("button", name="Zoom to actual size (100%)")
    expect(reset).to_have_text("Actual size")
    page.get_by_role("button", name="Zoom in").click()
    reset.click()
    expect(page.locator("#canvas-stage")).to_have_attribute("data-scale", "1")


def test_escape_then_a_quick_palette_click_ends_on_the_new_graph(page, live_server, designer):
    process = definitions.create_process("claims", "Claims")
    version = process.versions.get()
    definitions.add_activity(version, "human", key="review", name="Review", x=200, y=100)
    url = f"{live_server.url}/processes/claims/versions/1/"
    page.goto(url)
    page.get_by_role("button", name=re.compile("^Review, ")).click()
    expect(page.locator("#properties h2")).to_contain_text("Review")

    # The answer to the palette click comes back late, after the answer to
    # Escape (the editor without a selection) has replaced the editor.
    delayed = []

    def late(route):
        delayed.append(route.request.url)
        answer = route.fetch()
        page.wait_for_timeout(800)
        route.fulfill(response=answer)

    page.route(re.compile(re.escape(url) + r"activities/add/$"), late)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Automatic task", exact=True).click()
    page.wait_for_timeout(1500)  # both answers are in
    expect(page.get_by_role("button", name=re.compile("^Automatic task, "))).to_be_visible()
    assert Activity.objects.filter(version=version, kind="automatic").count() == 1
    assert delayed, "the answer to the palette click was not held back"
