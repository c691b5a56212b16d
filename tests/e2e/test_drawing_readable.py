"""Graphs that read well, measured in the browser as a person sees them.

Condition labels sit on no activity and on no other label (with the positions
people set, drawn by ``neato -n2``, and laid out by ``dot``); a focused
activity keeps a plain label; heatmap figures stay inside their activity;
read-only graphs have labels neither tiny nor huge; the run timeline names
activities, never their keys.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from engine.models import WorkItem
from engine.services import definitions, runtime, workitems

# The demo where eq:APPROVED sat under the diamond and under "Place order".
CROWDED = {
    "format": "waymark.process/1",
    "process": {"code": "orders", "title": "Orders"},
    "activities": [
        {"key": "start", "kind": "start", "name": "Start", "x": 40, "y": 160},
        {
            "key": "review",
            "kind": "human",
            "name": "Review the order",
            "outcomes": ["APPROVED", "REJECTED"],
            "x": 170,
            "y": 160,
        },
        {"key": "decide", "kind": "exclusive", "name": "Approved?", "x": 300, "y": 160},
        {"key": "order", "kind": "human", "name": "Place order", "x": 450, "y": 160},
        {"key": "refused", "kind": "end", "name": "Refused", "x": 450, "y": 250},
        {"key": "end", "kind": "end", "name": "Done", "x": 580, "y": 160},
    ],
    "transitions": [
        {"key": "t1", "source": "start", "target": "review"},
        {"key": "t2", "source": "review", "target": "decide"},
        {"key": "t3", "source": "decide", "target": "order", "condition": "eq:APPROVED"},
        {"key": "t4", "source": "decide", "target": "refused", "condition": "eq:REJECTED"},
        {"key": "t5", "source": "order", "target": "end"},
    ],
}

BOXES = """(root) => {
  const svg = document.querySelector(root);
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const outline = (g) => g.querySelector(":scope > ellipse, :scope > polygon, :scope > path");
  return {
    nodes: [...svg.querySelectorAll("g.activity")].map((g) => [g.dataset.key, box(outline(g))]),
    labels: [...svg.querySelectorAll("g.transition text")].map((t) => [t.textContent, box(t)]),
    notes: [...svg.querySelectorAll("g.activity")].filter((g) => g.querySelector("text.note"))
      .map((g) => [g.dataset.key, box(g.querySelector("text.note")), box(outline(g))]),
    texts: [...svg.querySelectorAll("g.activity > text")]
      .map((t) => t.getBoundingClientRect().height),
    view: box(svg.parentElement),
  };
}"""


def overlaps(a, b, slack=0.5) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


def assert_labels_clear(found) -> None:
    assert found["labels"], "no condition labels drawn"
    for text, label in found["labels"]:
        for key, node in found["nodes"]:
            assert not overlaps(label, node), f"{text!r} sits on {key}"
    for i, (text, label) in enumerate(found["labels"]):
        for other, box in found["labels"][i + 1 :]:
            assert not overlaps(label, box), f"{text!r} sits on {other!r}"


@pytest.fixture
def designer(login):
    user = login("dana")
    user.user_permissions.add(Permission.objects.get(codename="design_process"))
    user.user_permissions.add(Permission.objects.get(codename="manage_runs"))
    return user


@pytest.fixture
def engine_inline(settings):
    from engine.models.definitions import clear_graph_cache

    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    clear_graph_cache()
    yield
    clear_graph_cache()


def test_condition_labels_clear_nodes_pinned_and_laid_out(page, live_server, designer):
    definitions.import_definition(CROWDED)
    page.goto(f"{live_server.url}/processes/orders/versions/1/")
    page.locator("#canvas-stage g.transition text").first.wait_for()
    # The positions people set (neato -n2).
    assert_labels_clear(page.evaluate(BOXES, "#canvas-stage svg"))
    # Auto-layout (dot) and its pinned result.
    page.get_by_role("button", name="Auto-layout").click()
    expect(page.locator("#canvas-stage g.transition text").first).to_be_visible()
    page.wait_for_timeout(300)
    assert_labels_clear(page.evaluate(BOXES, "#canvas-stage svg"))


def test_a_focused_activity_keeps_a_plain_label(page, live_server, designer):
    definitions.import_definition(CROWDED)
    page.goto(f"{live_server.url}/processes/orders/versions/1/")
    node = page.get_by_role("button", name=re.compile("^Place order, "))
    node.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    expect(node).to_be_focused()
    styles = node.evaluate(
        """(g) => {
          const outline = getComputedStyle(g.querySelector(":scope > polygon, :scope > path"));
          const text = getComputedStyle(g.querySelector("text"));
          return {ring: outline.strokeWidth, stroke: text.stroke, width: text.strokeWidth};
        }"""
    )
    assert styles["ring"] == "4px"  # the outline shows the focus...
    assert styles["stroke"] == "none"  # ...and the label is not stroked into a blob


def run_with_outcome(version, outcome):
    run = runtime.start_run(version.process.code, {}, business_key=f"o-{outcome}")
    item = WorkItem.objects.get(instance=run, activity_key="review")
    user = item.instance.started_by
    if outcome:
        workitems.complete(item, user=user, outcome=outcome)
    return run


def test_run_pages_and_heatmap_read_well(page, live_server, designer, engine_inline):
    version = definitions.import_definition(CROWDED, publish_it=True)
    done = run_with_outcome(version, "REJECTED")
    waiting = run_with_outcome(version, None)

    page.goto(f"{live_server.url}/runs/{done.pk}/")
    found = page.evaluate(BOXES, ".graph svg")
    assert_labels_clear(found)
    # Readable, not blown up: label lines of 9 to 18 px.
    assert all(9 <= height <= 18 for height in found["texts"]), found["texts"]
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Review the order")
    assert not re.search(r"\breview\b", timeline.inner_text())

    task = WorkItem.objects.get(instance=waiting, activity_key="review")
    page.goto(f"{live_server.url}/inbox/{task.pk}/")
    found = page.evaluate(BOXES, ".graph svg")
    assert all(9 <= height <= 18 for height in found["texts"]), found["texts"]
    # The task's own activity is in view in the scrolled box.
    here = page.locator(".graph g.current")
    here_box = here.bounding_box()
    view = found["view"]
    assert view[0] <= here_box["x"] and here_box["x"] + here_box["width"] <= view[2] + 1

    page.goto(f"{live_server.url}/processes/orders/monitor/?measure=visits")
    found = page.evaluate(BOXES, ".heatmap svg")
    assert found["notes"], "no figures drawn"
    for key, note, outline in found["notes"]:
        assert outline[0] <= note[0] and note[2] <= outline[2], f"{key}'s figures leave it"
        assert outline[1] <= note[1] and note[3] <= outline[3], f"{key}'s figures leave it"


def test_people_see_names_in_the_audit_log_and_the_publish_dialog(
    page, live_server, designer, engine_inline
):
    designer.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    designer.user_permissions.add(Permission.objects.get(codename="publish_process"))
    version = definitions.import_definition(CROWDED, publish_it=True)
    run_with_outcome(version, None)
    page.goto(f"{live_server.url}/audit/?action=workitem.created")
    rows = page.locator("table tbody tr", has_text="workitem.created")
    expect(rows.first).to_contain_text("Review the order")
    assert "review" not in rows.first.locator("td").nth(5).inner_text()

    draft = definitions.clone(version)
    definitions.add_activity(draft, "human", key="a_lonely", name="Lonely task", x=300, y=300)
    code, number = draft.process.code, draft.number
    page.goto(f"{live_server.url}/processes/{code}/versions/{number}/publish/")
    dialog = page.locator(".confirm-publish")
    expect(dialog).to_contain_text("(Lonely task)")
    expect(dialog).not_to_contain_text("a_lonely")


def test_a_three_activity_run_is_not_blown_up(page, live_server, designer, engine_inline):
    from tests.engine.conftest import deploy

    task = {"key": "task", "kind": "human", "name": "Sign"}
    deploy([task], ["start > task", "task > end"], code="sign")
    run = runtime.start_run("sign", {})
    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    found = page.evaluate(BOXES, ".graph svg")
    assert len(found["nodes"]) == 3
    assert all(9 <= height <= 18 for height in found["texts"]), found["texts"]
