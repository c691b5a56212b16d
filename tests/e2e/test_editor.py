"""The draft editor, used as a person would: palette, properties, connect, drag, undo."""

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.services import definitions as svc


@pytest.fixture
def designer(login):
    user = login("dana")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    return user


def node(page, name):
    return page.locator("#canvas-stage g.activity", has=page.locator(f"title:text-is('{name}')"))


def node_by_label(page, label):
    return page.get_by_role("button", name=re.compile("^" + re.escape(label) + ", "))


def position_cell(page, name):
    row = page.locator("table[aria-label=Activities] tbody tr", has_text=name)
    return row.locator("td").nth(3)


def test_person_draws_a_process_in_the_editor(page, live_server, designer):
    svc.create_process("expenses", "Expense claim")
    page.goto(f"{live_server.url}/processes/expenses/versions/1/")
    expect(page.get_by_role("heading", name=re.compile("Expense claim"))).to_be_visible()

    # Add a human task from the palette and name it.
    page.get_by_role("button", name="Human task", exact=True).click()
    expect(page.locator("#properties h2")).to_contain_text("Human task")
    page.get_by_label("Name").fill("Review claim")
    page.get_by_role("button", name="Save").click()
    expect(node_by_label(page, "Review claim")).to_be_visible()

    # The human task is not connected: the problems panel says so.
    problems = page.locator("#problems")
    expect(problems).to_contain_text("Review claim")

    # Add an automatic task (placed after the selected one) and name it.
    page.get_by_role("button", name="Automatic task", exact=True).click()
    expect(page.locator("#properties h2")).to_contain_text("Automatic task")
    page.get_by_label("Name").fill("Pay out")
    page.get_by_role("button", name="Save").click()
    expect(node_by_label(page, "Pay out")).to_be_visible()

    # Connect them with "Connect to…" from the human task.
    node_by_label(page, "Review claim").click()
    expect(page.locator("#properties h2")).to_contain_text("Review claim")
    page.get_by_label("Connect to…").select_option(label="Pay out (Automatic task)")
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.locator("#properties h2")).to_contain_text("Review claim → Pay out")

    # A loosely typed condition comes back normalized.
    page.get_by_label("Condition").fill("IN: A , B")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#properties")).to_contain_text("normalized to: in:A,B")
    expect(page.get_by_label("Condition")).to_have_value("in:A,B")
    edge = page.locator("#canvas-stage g.transition[data-source][aria-label*='Pay out']")
    expect(edge.locator("text")).to_have_text("in:A,B")

    # Finish the way: Start leads to Review claim, Pay out goes to End.
    node_by_label(page, "Start").click()
    expect(page.locator("#properties h2")).to_contain_text("Start")
    page.get_by_label("Connect to…").select_option(label="Review claim (Human task)")
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.locator("#properties h2")).to_contain_text("Start → Review claim")
    node_by_label(page, "Pay out").click()
    expect(page.locator("#properties h2")).to_contain_text("Pay out")
    page.get_by_label("Connect to…").select_option(label="End (End)")
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.locator("#properties h2")).to_contain_text("Pay out → End")

    # The automatic task has no handler: click the problem, fix it, it goes away.
    problem = problems.get_by_role("link", name=re.compile("handler"))
    expect(problem).to_be_visible()
    expect(node_by_label(page, "Pay out")).to_have_class(re.compile("has-error"))
    problem.click()
    expect(page.locator("#properties h2")).to_contain_text("Pay out")
    page.get_by_label("Handler", exact=True).fill("demo.pay")
    page.get_by_role("button", name="Save").click()
    expect(problems.get_by_role("link", name=re.compile("handler"))).to_have_count(0)
    expect(node_by_label(page, "Pay out")).not_to_have_class(re.compile("has-error"))


def test_dragged_position_is_kept_and_undo_redo_restore_it(page, live_server, designer):
    process = svc.create_process("leave", "Leave request")
    version = process.versions.get()
    svc.add_activity(version, "human", key="review", name="Review", x=180, y=200)
    page.goto(f"{live_server.url}/processes/leave/versions/1/?view=table")
    expect(position_cell(page, "Review")).to_have_text("180, 200")

    label = node_by_label(page, "Review").locator("text").first
    box = label.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 80, box["y"] + 60, steps=8)
    page.mouse.up()
    expect(page.locator("#properties .notice")).to_contain_text("Moved Review")
    expect(position_cell(page, "Review")).not_to_have_text("180, 200")
    moved = position_cell(page, "Review").inner_text()
    assert moved != "180, 200"

    page.reload()
    expect(position_cell(page, "Review")).to_have_text(moved)

    page.get_by_role("button", name="Undo").click()
    expect(position_cell(page, "Review")).to_have_text("180, 200")
    page.get_by_role("button", name="Redo").click()
    expect(position_cell(page, "Review")).to_have_text(moved)

    # Keyboard: Ctrl+Z undoes too.
    page.locator("#canvas-viewport").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+z")
    expect(position_cell(page, "Review")).to_have_text("180, 200")


def test_delete_key_removes_the_selected_activity(page, live_server, designer):
    process = svc.create_process("trip", "Trip")
    svc.add_activity(process.versions.get(), "timer", key="wait", name="Wait a day", x=180, y=220)
    page.goto(f"{live_server.url}/processes/trip/versions/1/")
    node_by_label(page, "Wait a day").click()
    expect(page.locator("#properties h2")).to_contain_text("Wait a day")
    page.keyboard.press("Delete")
    expect(node_by_label(page, "Wait a day")).to_have_count(0)
    expect(page.locator("#properties .notice")).to_contain_text("Deleted Wait a day")
    page.keyboard.press("Control+z")
    expect(node_by_label(page, "Wait a day")).to_be_visible()


def test_drag_from_the_handle_connects_two_activities(page, live_server, designer):
    process = svc.create_process("ship", "Ship")
    version = process.versions.get()
    svc.add_activity(version, "human", key="pack", name="Pack", x=160, y=260)
    svc.add_activity(version, "human", key="send", name="Send", x=360, y=260)
    page.goto(f"{live_server.url}/processes/ship/versions/1/?sel=a:pack")
    handle = page.locator("#canvas-stage .connect-handle")
    expect(handle).to_have_count(1)
    start = handle.bounding_box()
    end = node_by_label(page, "Send").locator("text").first.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=10)
    page.mouse.up()
    expect(page.locator("#properties h2")).to_contain_text("Pack → Send")
    edge = page.locator("#canvas-stage g.transition[data-source=pack][data-target=send]")
    expect(edge).to_have_count(1)


def test_invalid_condition_shows_where_it_goes_wrong(page, live_server, designer):
    svc.create_process("bad", "Bad")
    page.goto(f"{live_server.url}/processes/bad/versions/1/?view=table")
    page.get_by_role("link", name="Edit transition Start to End").click()
    page.get_by_label("Condition").fill("instance.data.amount >")
    page.get_by_role("button", name="Save").click()
    caret = page.locator(".condition-caret")
    expect(caret).to_contain_text("instance.data.amount >")
    expect(caret).to_contain_text("position")
    expect(page.locator("#problems")).to_contain_text("WM109")


def test_published_version_opens_read_only(page, live_server, designer):
    process = svc.create_process("done", "Finished process")
    svc.publish(process.versions.get())
    page.goto(f"{live_server.url}/processes/done/versions/1/")
    expect(page.get_by_role("status").filter(has_text="Read-only")).to_be_visible()
    expect(page.get_by_role("button", name="Human task", exact=True)).to_have_count(0)
    node_by_label(page, "Start").click()
    expect(page.locator("#properties h2")).to_contain_text("Start")
    expect(page.get_by_label("Name")).to_be_disabled()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)

    # The way forward is a clone: it opens as an editable draft.
    page.get_by_role("button", name="Clone to a new draft").click()
    expect(page.get_by_role("heading", name=re.compile("v2"))).to_be_visible()
    expect(page.get_by_role("button", name="Human task", exact=True)).to_be_visible()


def test_keyboard_moves_zooms_and_the_zoom_survives_changes(page, live_server, designer):
    process = svc.create_process("keys", "Keys")
    svc.add_activity(process.versions.get(), "signal", key="wait", name="Wait", x=200, y=240)
    page.goto(f"{live_server.url}/processes/keys/versions/1/")
    page.get_by_text("Table view").click()
    node = node_by_label(page, "Wait")
    node.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#properties h2")).to_contain_text("Wait")

    stage = page.locator("#canvas-stage")
    expect(stage).to_have_attribute("data-scale", re.compile(r"\d"))
    before = float(stage.get_attribute("data-scale"))
    page.keyboard.press("+")
    zoomed = float(stage.get_attribute("data-scale"))
    assert zoomed > before
    node_by_label(page, "Wait").focus()

    page.keyboard.press("ArrowRight")
    expect(position_cell(page, "Wait")).to_have_text("210, 240")
    page.keyboard.press("Shift+ArrowDown")
    expect(position_cell(page, "Wait")).to_have_text("210, 290")
    # The canvas was redrawn twice; the zoom is still what the person chose.
    expect(page.locator("#canvas-stage")).to_have_attribute("data-scale", str(zoomed))

    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()


def test_table_view_selects_and_edits_without_the_canvas(page, live_server, designer):
    process = svc.create_process("tbl", "Table")
    svc.add_activity(process.versions.get(), "human", key="check", name="Check", x=200, y=240)
    page.goto(f"{live_server.url}/processes/tbl/versions/1/")
    page.get_by_text("Table view").click()
    page.get_by_role("table", name="Activities").get_by_role("link", name="Check").click()
    expect(page.locator("#properties h2")).to_contain_text("Check")
    page.get_by_label("Outcomes").fill("APPROVED, REJECTED")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#properties .notice")).to_contain_text("Saved Check")
    expect(page.get_by_label("Outcomes")).to_have_value("APPROVED, REJECTED")
    expect(page.get_by_role("table", name="Activities")).to_be_visible()


def test_auto_layout_can_be_undone(page, live_server, designer):
    process = svc.create_process("tidy", "Tidy")
    version = process.versions.get()
    svc.add_activity(version, "human", key="far", name="Far away", x=900, y=700)
    page.goto(f"{live_server.url}/processes/tidy/versions/1/")
    page.get_by_text("Table view").click()
    expect(position_cell(page, "Far away")).to_have_text("900, 700")
    page.get_by_role("button", name="Auto-layout").click()
    expect(page.locator("#properties .notice")).to_contain_text("Laid out")
    expect(position_cell(page, "Far away")).not_to_have_text("900, 700")
    page.get_by_role("button", name="Undo").click()
    expect(position_cell(page, "Far away")).to_have_text("900, 700")


def test_double_click_renames(page, live_server, designer):
    process = svc.create_process("dbl", "Double")
    svc.add_activity(process.versions.get(), "human", key="old", name="Old name", x=200, y=240)
    page.goto(f"{live_server.url}/processes/dbl/versions/1/")
    node_by_label(page, "Old name").locator("text").first.dblclick()
    name = page.get_by_role("textbox", name="Name on the canvas")  # renamed in place
    expect(name).to_be_focused()
    page.keyboard.type("New name")
    page.keyboard.press("Enter")
    expect(node_by_label(page, "New name")).to_be_visible()
