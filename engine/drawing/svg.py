"""Rewriting Graphviz's SVG for the page.

Classes and ``data-key`` attributes for CSS and scripts, titles and badges,
and the editor's affordances (focusable elements with roles and names, wide
invisible hit lines on edges), all with ElementTree.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

from engine.core.graph import KIND_LABELS
from engine.drawing import dot, labels

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
TRIGGER_KIND_LABELS = {
    "schedule": "schedule",
    "model_event": "model event",
    "date_event": "date on a record",
    "signal": "signal",
}
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


def _tag(name: str) -> str:
    return f"{{{SVG_NS}}}{name}"


def words(classes: Iterable[str] | str | None) -> tuple[str, ...]:
    """Class names; a string "state-done path-taken" is two classes, not its characters."""
    if isinstance(classes, str):
        return tuple(classes.split())
    return tuple(str(c) for c in classes or ())


def _classes(base: str, extra: Iterable[str] | None) -> str:
    words = base.split()
    for word in extra or ():
        for part in str(word).split():
            if part not in words:
                words.append(part)
    return " ".join(words)


def shape_box(group: ET.Element) -> tuple[float, float, float, float] | None:
    """Bounding box (x0, y0, x1, y1) of a node's outline, read from its shapes."""
    return labels.outline_box(group)


def _add_badge(group: ET.Element, text: str) -> labels.Box | None:
    """A short badge straddling the node's top right corner; returns the box it covers."""
    box = shape_box(group)
    if box is None:
        return None
    _, y0, x1, _ = box
    width = _badge_width(text)
    badge = ET.SubElement(group, _tag("g"), {"class": "badge", "aria-hidden": "true"})
    ET.SubElement(
        badge,
        _tag("rect"),
        {
            "x": f"{x1 - width / 2:.1f}",
            "y": f"{y0 - 9:.1f}",
            "width": f"{width:.1f}",
            "height": "16",
            "rx": "8",
        },
    )
    label = ET.SubElement(
        badge,
        _tag("text"),
        {"x": f"{x1:.1f}", "y": f"{y0 + 3:.1f}", "text-anchor": "middle"},
    )
    label.text = text
    return x1 - width / 2, y0 - 9, x1 + width / 2, y0 + 7


def _badge_width(text: str) -> float:
    return 8 + 6.5 * len(text)


def _badge_boxes(
    root: ET.Element, nodes: list[dot.Node], badges: Mapping[str, object]
) -> list[labels.Box]:
    """Where the badges will be (labels keep clear of them): one box per badged node."""
    boxes: list[labels.Box] = []
    for group in root.iter(_tag("g")):
        ident = group.get("id", "")
        if not (ident.startswith("n") and ident[1:].isdigit()):
            continue
        text = badges.get(nodes[int(ident[1:])].key)
        box = shape_box(group) if text not in (None, "") else None
        if box is not None:
            half = _badge_width(str(text)) / 2
            boxes.append((box[2] - half, box[1] - 9, box[2] + half, box[1] + 7))
    return boxes


def _mark_note(group: ET.Element) -> None:
    """The node's last text line is its note (``node_notes``): a class to style it."""
    texts = group.findall(_tag("text"))
    if len(texts) > 1:
        texts[-1].set("class", "note")


def _translation(root: ET.Element) -> tuple[float, float]:
    graph = next((g for g in root.iter(_tag("g")) if g.get("class") == "graph"), None)
    found = (
        re.search(r"translate\(([-\d.]+)[ ,]+([-\d.]+)\)", graph.get("transform", ""))
        if graph is not None
        else None
    )
    return (float(found.group(1)), float(found.group(2))) if found else (0.0, 0.0)


def _fit_view(root: ET.Element, extra: list[labels.Box]) -> None:
    """Grow the viewBox over badges and moved labels (nothing is clipped), and give the
    page the natural size as ``--graph-width``/``--graph-height`` (points) for CSS."""
    try:
        x, y, width, height = (float(n) for n in root.get("viewBox", "").split())
    except ValueError:
        return
    dx, dy = _translation(root)
    margin = 4.0
    for x0, y0, x1, y1 in extra:
        left, top = min(x, x0 + dx - margin), min(y, y0 + dy - margin)
        right = max(x + width, x1 + dx + margin)
        bottom = max(y + height, y1 + dy + margin)
        x, y, width, height = left, top, right - left, bottom - top
    root.set("viewBox", f"{x:.2f} {y:.2f} {width:.2f} {height:.2f}")
    root.set("style", f"--graph-width: {width:.0f}; --graph-height: {height:.0f}")


def decorate(
    raw: str,
    nodes: list[dot.Node],
    edges: list[dot.Edge],
    *,
    node_classes: Mapping[str, Iterable[str]],
    edge_classes: Mapping[str, Iterable[str]],
    node_badges: Mapping[str, object],
    interactive: bool,
    markers: tuple[dot.Marker, ...] = (),
    node_notes: Mapping[str, str] | None = None,
) -> str:
    root = ET.fromstring(raw[raw.index("<svg") :])
    extents = labels.place_edge_labels(root, _badge_boxes(root, nodes, node_badges))
    root.attrib.pop("width", None)
    root.attrib.pop("height", None)
    root.set("class", "process-graph")
    root.set("role", "group" if interactive else "img")
    root.set("aria-label", "Process graph")
    names = {n.key: n.label for n in nodes}
    for group in list(root.iter(_tag("g"))):
        ident = group.get("id", "")
        if group.get("class") == "graph":
            group.attrib.pop("id", None)
            for child in list(group):
                # The page background polygon would hide the canvas background.
                if child.tag in (_tag("title"), _tag("polygon")):
                    group.remove(child)
                    break
            continue
        if ident.startswith("n") and ident[1:].isdigit():
            node = nodes[int(ident[1:])]
            if node_notes and node_notes.get(node.key):
                _mark_note(group)
            badge = _decorate_node(group, node, node_classes, node_badges, interactive)
            if badge is not None:
                extents.append(badge)
        elif ident.startswith("e") and ident[1:].isdigit():
            _decorate_edge(group, edges[int(ident[1:])], names, edge_classes, interactive)
        elif ident.startswith("m") and ident[1:].isdigit():
            _decorate_marker(group, markers[int(ident[1:])], interactive)
        elif ident.startswith("s") and ident[1:2].isdigit():
            del group.attrib["id"]
            group.set("class", "trigger-edge")
            key = markers[int(ident[1:].partition("_")[0])].key
            group.set("data-trigger", key)
            _set_title(group, f"Trigger {key} starts a run here")
    _fit_view(root, extents)
    return ET.tostring(root, encoding="unicode")


def _set_title(group: ET.Element, text: str) -> None:
    title = group.find(_tag("title"))
    if title is None:
        title = ET.Element(_tag("title"))
        group.insert(0, title)
    title.text = text


def _decorate_node(
    group, node: dot.Node, node_classes, node_badges, interactive
) -> labels.Box | None:
    del group.attrib["id"]
    kind_name = KIND_LABELS.get(node.kind, node.kind)
    group.set("class", _classes(f"node activity kind-{node.kind}", node_classes.get(node.key)))
    group.set("data-key", node.key)
    group.set("data-kind", node.kind)
    _set_title(group, f"{node.label} ({kind_name})")
    if interactive:
        group.set("tabindex", "0")
        group.set("role", "button")
        group.set("aria-label", f"{node.label}, {kind_name}")
    badge = node_badges.get(node.key)
    return _add_badge(group, str(badge)) if badge not in (None, "") else None


def _decorate_marker(group, marker: dot.Marker, interactive: bool) -> None:
    del group.attrib["id"]
    group.set("class", f"trigger-marker trigger-{marker.kind}")
    group.set("data-trigger", marker.key)
    group.set("data-kind", marker.kind)
    description = f"Trigger {marker.key} ({TRIGGER_KIND_LABELS.get(marker.kind, marker.kind)})"
    _set_title(group, description)
    if interactive:
        group.set("tabindex", "0")
        group.set("role", "button")
        group.set("aria-label", description)


def _decorate_edge(group, edge: dot.Edge, labels, edge_classes, interactive) -> None:
    del group.attrib["id"]
    group.set("class", _classes("edge transition", edge_classes.get(edge.key)))
    group.set("data-key", edge.key)
    group.set("data-source", edge.source)
    group.set("data-target", edge.target)
    source, target = labels.get(edge.source, edge.source), labels.get(edge.target, edge.target)
    text = dot.edge_text(edge)
    description = f"{source} to {target}" + (f": {text}" if text else "")
    _set_title(group, description)
    if interactive:
        group.set("tabindex", "0")
        group.set("role", "button")
        group.set("aria-label", f"Transition {description}")
        path = group.find(_tag("path"))
        if path is not None:
            # A wide invisible twin of the line makes short edges easy to hit.
            hit = ET.Element(_tag("path"), {"class": "hit", "d": path.get("d", "")})
            group.insert(list(group).index(path), hit)
