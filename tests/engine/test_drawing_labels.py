"""engine.drawing: condition labels clear of nodes and of each other, notes inside nodes."""

import xml.etree.ElementTree as ET

import pytest

from engine import drawing
from engine.drawing import dot, labels

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def cold_caches():
    drawing.clear_caches()
    yield
    drawing.clear_caches()


def crowded() -> tuple[list[dot.Node], list[dot.Edge]]:
    """The demo that had ``eq:APPROVED`` under the diamond and under "Place order"."""
    nodes = [
        dot.Node("start", "start", "Start", 40, 160),
        dot.Node("review", "human", "Review", 170, 160),
        dot.Node("decide", "exclusive", "Approved?", 290, 160),
        dot.Node("order", "automatic", "Place order", 470, 160),
        dot.Node("refused", "end", "Refused", 470, 250),
    ]
    edges = [
        dot.Edge("t1", "start", "review", "", "", False),
        dot.Edge("t2", "review", "decide", "", "", False),
        dot.Edge("t3", "decide", "order", "", "eq:APPROVED", False),
        dot.Edge("t4", "decide", "refused", "", "eq:REJECTED", False),
    ]
    return nodes, edges


def boxes(root: ET.Element, cls: str) -> dict[str, labels.Box]:
    found = {}
    for group in root.iter(f"{SVG}g"):
        if cls not in (group.get("class") or "").split():
            continue
        if cls == "activity":
            found[group.get("data-key")] = labels.outline_box(group)
        elif group.find(f"{SVG}text") is not None:
            found[group.get("data-key")] = labels.text_box(group.find(f"{SVG}text"))
    return found


@pytest.mark.parametrize("layout", ["auto", "dot"])
def test_condition_labels_sit_on_no_node_and_no_other_label(layout):
    nodes, edges = crowded()
    root = ET.fromstring(drawing.render_svg(nodes, edges, layout=layout, interactive=True))
    node_boxes = boxes(root, "activity")
    label_boxes = boxes(root, "transition")
    assert set(label_boxes) == {"t3", "t4"}
    for key, label in label_boxes.items():
        for node, box in node_boxes.items():
            assert labels.overlap(label, box) == 0, f"{key} sits on {node}"
    assert labels.overlap(label_boxes["t3"], label_boxes["t4"]) == 0


def test_a_label_already_clear_stays_where_graphviz_put_it():
    nodes, edges = crowded()
    far = [
        n if n.key != "order" else dot.Node("order", "automatic", "Place order", 600, 160)
        for n in nodes
    ]
    source = dot.to_dot(far, edges, pinned=True)
    raw = drawing.runner.layout_svg(source, pinned=True)
    before = ET.fromstring(raw[raw.index("<svg") :])
    after = ET.fromstring(raw[raw.index("<svg") :])
    labels.place_edge_labels(after)
    text = [g.find(f"{SVG}text") for g in before.iter(f"{SVG}g") if g.get("id") == "e2"][0]
    moved = [g.find(f"{SVG}text") for g in after.iter(f"{SVG}g") if g.get("id") == "e2"][0]
    assert (text.get("x"), text.get("y")) == (moved.get("x"), moved.get("y"))


def test_a_note_is_a_line_inside_its_node_and_the_view_holds_every_badge():
    nodes, edges = crowded()
    markup = drawing.render_svg(
        nodes,
        edges,
        node_notes={"review": "4 open · p50 3 s"},
        node_badges={"refused": "✓ ×12"},
    )
    root = ET.fromstring(markup)
    review = next(g for g in root.iter(f"{SVG}g") if g.get("data-key") == "review")
    note = review.find(f"{SVG}text[@class='note']")
    assert note is not None and note.text == "4 open · p50 3 s"
    box = labels.outline_box(review)
    assert box[0] <= labels.text_box(note)[0] and labels.text_box(note)[2] <= box[2] + 8
    x, y, width, height = (float(n) for n in root.get("viewBox").split())
    badge = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "badge")
    rect = badge.find(f"{SVG}rect")
    graph = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "graph")
    tx, ty = (float(n) for n in graph.get("transform").split("translate(")[1].rstrip(")").split())
    right = float(rect.get("x")) + float(rect.get("width")) + tx
    assert right <= x + width and float(rect.get("y")) + ty >= y
    assert f"--graph-width: {width:.0f}" in root.get("style")
