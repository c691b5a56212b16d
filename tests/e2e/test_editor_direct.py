"""Direct manipulation in the editor, with the mouse and the keyboard as a person would."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.services import definitions as svc


@pytest.fixture
def designer(login):
    user = login("dana")
    for codename in ("design_process", "publish_process"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def node(page, label):
    return page.get_by_role("button", name=re.compile("^" + re.escape(label) + ", "))


def centre(locator):
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(page, start, end):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=10)
    page.mouse.up()


def position_cell(page, name):
    link = page.get_by_role("link", name=name, exact=True)
    row = page.locator("table[aria-label=Activities] tbody tr", has=link)
    return row.locator("td").nth(3)


def chain(code, title, names, y=200):
    """A pinned draft: Start → names… → End, left to right."""
    version = svc.create_process(code, title).versions.get()
    version.transitions.all().delete()
    svc.move_activity(version.activities.get(key="start"), 60, y)
    previous = version.activities.get(key="start")
    for i, name in enumerate(names):
        step = svc.add_activity(version, "human", name=name, x=220 + 180 * i, y=y)
        svc.add_transition(version, previous, step)
        previous = step
    end = version.activities.get(key="end")
    svc.move_activity(end, 220 + 180 * len(names), y)
    svc.add_transition(version, previous, end)
    return version


def test_drag_a_kind_from_the_palette_to_a_point_and_onto_an_arrow(page, live_server, designer):
    version = chain("order", "Order", ["Check stock"])
    page.goto(f"{live_server.url}/processes/order/versions/1/?view=table")
    expect(node(page, "Check stock")).to_be_visible()

    # Onto an empty point below the chain: placed there, selected.
    below = centre(node(page, "Check stock"))
    drop = (below[0], below[1] + 150)
    drag(page, centre(page.get_by_role("button", name="Timer", exact=True)), drop)
    expect(page.locator("#properties h2")).to_contain_text("Timer")
    expect(node(page, "Timer")).to_be_visible()
    timer_box = node(page, "Timer").bounding_box()
    assert abs(timer_box["y"] + timer_box["height"] / 2 - drop[1]) < 30
    assert version.activities.get(kind="timer").y > 250  # below the chain (y 200)

    # Onto the arrow from Check stock to End: inserted into it.
    arrow = page.locator("#canvas-stage g.transition[aria-label*='Check stock to End']")
    expect(arrow).to_have_count(1)
    drag(page, centre(page.get_by_role("button", name="Automatic task", exact=True)), centre(arrow))
    expect(page.locator("#properties .notice")).to_contain_text(
        "Inserted automatic task between Check stock and End"
    )
    expect(page.locator("g.transition[aria-label*='Check stock to Automatic task']")).to_have_count(
        1
    )
    expect(page.locator("g.transition[aria-label*='Automatic task to End']")).to_have_count(1)
    expect(page.locator("g.transition[aria-label*='Check stock to End']")).to_have_count(0)

    # One drop is one undo step.
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("g.transition[aria-label*='Check stock to End']")).to_have_count(1)
    expect(node(page, "Automatic task")).to_have_count(0)


def test_the_context_pad_adds_connects_changes_kind_and_deletes(page, live_server, designer):
    chain("pad", "Pad", ["Review"])
    page.goto(f"{live_server.url}/processes/pad/versions/1/")
    node(page, "Review").click()
    pad = page.get_by_role("toolbar", name="Actions on Review")
    expect(pad).to_be_visible()

    # Add the next step: connected, placed to the right, selected and in view.
    pad.get_by_label("Add next step").click()
    pad.get_by_role("button", name="Wait for signal", exact=True).click()
    expect(page.locator("#properties .notice")).to_contain_text("after Review")
    expect(page.locator("#properties h2")).to_contain_text("Wait for signal")
    expect(page.locator("g.transition[aria-label*='Review to Wait for signal']")).to_have_count(1)
    review_x = node(page, "Review").bounding_box()["x"]
    assert node(page, "Wait for signal").bounding_box()["x"] > review_x

    # Change its kind (a wait becomes another wait).
    pad = page.get_by_role("toolbar", name="Actions on Wait for signal")
    pad.get_by_label("Change kind").click()
    pad.get_by_role("button", name="Timer", exact=True).click()
    expect(page.locator("#properties h2")).to_contain_text("Timer")

    # Connect from the pad: then click the target.
    pad = page.get_by_role("toolbar", name=re.compile("^Actions on "))
    pad.get_by_label("Connect, then click the target").click()
    node(page, "End").click()
    expect(page.locator("#properties h2")).to_contain_text("→ End")

    # Delete from the pad.
    node(page, "Review").click()
    page.get_by_role("toolbar", name="Actions on Review").get_by_label("Delete Review").click()
    expect(node(page, "Review")).to_have_count(0)
    expect(page.locator("#properties .notice")).to_contain_text("Deleted Review")


def test_rename_in_place_enter_saves_escape_cancels(page, live_server, designer):
    chain("ren", "Rename", ["Old name"])
    page.goto(f"{live_server.url}/processes/ren/versions/1/")
    node(page, "Old name").locator("text").first.dblclick()
    field = page.get_by_role("textbox", name="Name on the canvas")
    expect(field).to_be_focused()
    expect(field).to_have_value("Old name")
    page.keyboard.type("Approve")
    page.keyboard.press("Enter")
    expect(node(page, "Approve")).to_be_visible()
    expect(field).to_have_count(0)

    # F2 on the selection, then Escape: nothing changes.
    node(page, "Approve").click()
    expect(page.locator("#properties h2")).to_contain_text("Approve")
    page.keyboard.press("F2")
    field = page.get_by_role("textbox", name="Name on the canvas")
    expect(field).to_be_focused()
    page.keyboard.type("Something else")
    page.keyboard.press("Escape")
    expect(field).to_have_count(0)
    expect(node(page, "Approve")).to_be_visible()
    expect(node(page, "Something else")).to_have_count(0)


def test_rubber_band_move_and_copy_paste_into_another_process(page, live_server, designer):
    chain("src", "Source", ["Pack", "Ship"])
    other = chain("dst", "Destination", ["Bill"])
    page.goto(f"{live_server.url}/processes/src/versions/1/?view=table")
    pack, ship = node(page, "Pack").bounding_box(), node(page, "Ship").bounding_box()

    # Shift+drag on the background around Pack and Ship selects both.
    page.keyboard.down("Shift")
    drag(
        page,
        (pack["x"] - 20, pack["y"] - 30),
        (ship["x"] + ship["width"] + 20, ship["y"] + ship["height"] + 30),
    )
    page.keyboard.up("Shift")
    expect(page.locator("#canvas-stage g.activity.multi-selected")).to_have_count(2)

    # Dragging one moves both, in one undo step.
    before = (position_cell(page, "Pack").inner_text(), position_cell(page, "Ship").inner_text())
    drag(page, centre(node(page, "Pack").locator("text").first), (pack["x"] + 40, pack["y"] + 90))
    expect(page.locator("#properties .notice")).to_contain_text("Moved 2 activities")
    expect(position_cell(page, "Pack")).not_to_have_text(before[0])
    expect(position_cell(page, "Ship")).not_to_have_text(before[1])
    expect(page.locator("#canvas-stage g.activity.multi-selected")).to_have_count(2)

    # Copy them; paste into the other process's draft: new keys, their arrow kept.
    page.keyboard.press("Control+c")
    expect(page.locator("#properties .notice")).to_contain_text("Copied 2 activities")
    page.goto(f"{live_server.url}/processes/dst/versions/1/")
    expect(node(page, "Bill")).to_be_visible()
    page.locator("#canvas-viewport").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+v")
    expect(page.locator("#properties .notice")).to_contain_text("Pasted 2 activities")
    expect(node(page, "Pack")).to_be_visible()
    expect(page.locator("g.transition[aria-label*='Pack to Ship']")).to_have_count(1)
    expect(page.locator("#canvas-stage g.activity.multi-selected")).to_have_count(2)
    keys = set(other.activities.values_list("key", flat=True))
    assert len(keys) == 5

    # The whole paste is one undo step.
    page.keyboard.press("Control+z")
    expect(node(page, "Pack")).to_have_count(0)
    expect(node(page, "Ship")).to_have_count(0)


def test_ctrl_d_duplicates_and_shift_click_selects_several(page, live_server, designer):
    chain("dup", "Duplicate", ["Pack", "Ship"])
    page.goto(f"{live_server.url}/processes/dup/versions/1/")
    node(page, "Pack").click()
    expect(page.locator("#properties h2")).to_contain_text("Pack")
    node(page, "Ship").click(modifiers=["Shift"])
    expect(page.locator("#canvas-stage g.activity.multi-selected")).to_have_count(2)
    page.keyboard.press("Control+d")
    expect(page.locator("#properties .notice")).to_contain_text("Duplicated 2 activities")
    expect(node(page, "Pack")).to_have_count(2)
    expect(page.locator("g.transition[aria-label*='Pack to Ship']")).to_have_count(2)

    # Delete removes all the selected (the duplicates) at once.
    page.keyboard.press("Delete")
    expect(node(page, "Pack")).to_have_count(1)
    expect(node(page, "Ship")).to_have_count(1)


def test_find_selects_by_name(page, live_server, designer):
    chain("find", "Find", [f"Step {i}" for i in range(8)] + ["Refund the customer"])
    page.goto(f"{live_server.url}/processes/find/versions/1/")
    page.locator("#canvas-viewport").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+f")
    search = page.get_by_role("searchbox", name="Find an activity")
    expect(search).to_be_focused()
    search.fill("refund")
    expect(page.get_by_role("list", name="Activities found").get_by_role("button")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator("#properties h2")).to_contain_text("Refund the customer")
    # The found activity is in view.
    box = node(page, "Refund the customer").bounding_box()
    area = page.locator("#canvas-viewport").bounding_box()
    assert area["x"] <= box["x"] and box["x"] + box["width"] <= area["x"] + area["width"]


def test_a_minimap_shows_above_thirty_activities(page, live_server, designer):
    chain("big", "Big", [f"Task {i}" for i in range(30)])
    page.goto(f"{live_server.url}/processes/big/versions/1/")
    expect(page.locator("#minimap svg")).to_have_count(1)
    # A click on the overview looks there.
    before = page.locator("#canvas-stage").get_attribute("style")
    box = page.locator("#minimap").bounding_box()
    page.mouse.click(box["x"] + box["width"] - 5, box["y"] + box["height"] / 2)
    expect(page.locator("#canvas-stage")).not_to_have_attribute("style", before)
    chain("small", "Small", ["Only"])
    page.goto(f"{live_server.url}/processes/small/versions/1/")
    expect(node(page, "Only")).to_be_visible()
    expect(page.locator("#minimap")).to_have_count(0)


def test_publish_from_the_editor_shows_the_review(page, live_server, designer):
    version = chain("pub", "Publish me", ["Approve"])
    svc.publish(version)
    draft = svc.clone(version)
    svc.add_activity(draft, "human", name="Unconnected", x=400, y=400)
    page.goto(f"{live_server.url}/processes/pub/versions/2/")
    page.get_by_role("link", name="Publish…").click()
    dialog = page.get_by_role("dialog", name="Publish this version")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Publish v2 of Publish me?")
    expect(dialog).to_contain_text("must be fixed before publishing")
    expect(dialog).to_contain_text("Unconnected")
    expect(dialog.get_by_role("button", name="Publish v2")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Fix it (delete the unconnected task) and publish: the changes against v1 show.
    node(page, "Unconnected").click()
    expect(page.locator("#properties h2")).to_contain_text("Unconnected")
    page.keyboard.press("Delete")
    expect(node(page, "Unconnected")).to_have_count(0)
    node(page, "Approve").dblclick()
    page.keyboard.type("Approve the order")
    page.keyboard.press("Enter")
    expect(node(page, "Approve the order")).to_be_visible()
    page.get_by_role("link", name="Publish…").click()
    expect(dialog).to_contain_text("Against the published v1")
    expect(dialog).to_contain_text("Approve the order")
    dialog.get_by_role("button", name="Publish v2").click()
    expect(page.get_by_text("v2 is published.")).to_be_visible()


def test_the_view_follows_the_work(page, live_server, designer):
    version = chain("view", "View", ["Near"])
    svc.add_activity(version, "human", name="Far away", x=3000, y=2200)
    page.goto(f"{live_server.url}/processes/view/versions/1/")
    area = page.locator("#canvas-viewport").bounding_box()

    def in_view(label):
        box = node(page, label).bounding_box()
        return (
            area["x"] <= box["x"]
            and box["x"] + box["width"] <= area["x"] + area["width"]
            and area["y"] <= box["y"]
            and box["y"] + box["height"] <= area["y"] + area["height"]
        )

    page.get_by_role("button", name="100%").click()  # actual size: Far away is out of view
    assert not in_view("Far away")
    # Escape then a quick palette click: the canvas ends on the graph with the new node.
    node(page, "Near").click()
    expect(page.locator("#properties h2")).to_contain_text("Near")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Parallel gateway", exact=True).click()
    expect(page.locator("#properties h2")).to_contain_text("Parallel gateway")
    expect(node(page, "Parallel gateway")).to_be_visible()
    assert in_view("Parallel gateway")

    # After auto-layout the whole graph fits.
    page.get_by_role("button", name="Auto-layout").click()
    expect(page.locator("#properties .notice")).to_contain_text("Laid out")
    page.wait_for_function(
        "() => { const v = document.getElementById('canvas-viewport').getBoundingClientRect();"
        " return [...document.querySelectorAll('#canvas-stage g.activity')].every(n => {"
        " const b = n.getBoundingClientRect(); return b.left >= v.left && b.right <= v.right"
        " && b.top >= v.top && b.bottom <= v.bottom; }); }"
    )
    assert in_view("Far away") and in_view("Near")
