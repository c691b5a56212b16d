"""From a version's rows to DOT text.

Ids in the DOT text are our own (``n<i>``/``e<i>``, never user text) and
every label is quoted and backslash-escaped by the graphviz package, so
nothing a designer types can change the graph's structure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import graphviz

LAYOUTS = ("auto", "dot")

# Graphviz shape and attributes per activity kind; colours live in CSS.
KIND_SHAPES: dict[str, dict[str, str]] = {
    "start": {"shape": "circle", "width": "0.55", "margin": "0.04"},
    "end": {"shape": "circle", "width": "0.55", "margin": "0.04", "penwidth": "3"},
    "human": {"shape": "box", "style": "rounded"},
    "automatic": {"shape": "box"},
    "exclusive": {"shape": "diamond", "width": "0.7", "height": "0.7"},
    "parallel": {"shape": "diamond", "width": "0.7", "height": "0.7", "penwidth": "2"},
    "timer": {"shape": "doublecircle", "width": "0.5", "margin": "0.04"},
    "signal": {"shape": "hexagon"},
    "subprocess": {"shape": "box", "peripheries": "2"},
    # "wait for the first": a gateway with a double border (BPMN's event-based gateway)
    "first_of": {"shape": "diamond", "width": "0.8", "height": "0.8", "peripheries": "2"},
    "http": {"shape": "component"},  # a call to another service (a box with tabs)
}
# A trigger is drawn as a small dashed start marker, one shape per kind, with a
# dashed edge to each start activity (its key is the label).
MARKER_SHAPES: dict[str, dict[str, str]] = {
    "schedule": {"shape": "circle"},
    "model_event": {"shape": "cylinder"},
    "date_event": {"shape": "note"},
    "signal": {"shape": "invhouse"},
}
MARKER_GAP = 130.0  # points left of the start activity (pinned layouts)
MARKER_STEP = 60.0  # points between markers stacked at one start
LABEL_WIDTH = 22  # characters per line of a node label
ROUND_LABEL_WIDTH = 12  # narrower lines keep circles small
ROUND_KINDS = {"start", "end", "timer"}
EDGE_LABEL_MAX = 40  # longer conditions are shortened on the edge (full text in the title)
# neato's edge router (splines=true) grows fast with the number of obstacles:
# about 0.1 s at 20 activities but 7.5 s at 200 on a 2-core machine. Above this
# many pinned activities edges are drawn straight (tens of milliseconds).
ROUTED_EDGES_LIMIT = 25


# Reading a version ---------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    key: str
    kind: str
    label: str
    x: float | None
    y: float | None


@dataclass(frozen=True)
class Edge:
    key: str
    source: str
    target: str
    name: str
    condition: str
    is_default: bool


@dataclass(frozen=True)
class Marker:
    """A trigger's start marker: its key and kind."""

    key: str
    kind: str


def read(version) -> tuple[list[Node], list[Edge]]:
    nodes = [
        Node(key, kind, name or key, x, y)
        for key, kind, name, x, y in version.activities.order_by("pk").values_list(
            "key", "kind", "name", "x", "y"
        )
    ]
    edges = [
        Edge(*row)
        for row in version.transitions.order_by("priority", "pk").values_list(
            "key", "source__key", "target__key", "name", "condition", "is_default"
        )
    ]
    return nodes, edges


def read_markers(version) -> list[Marker]:
    return [Marker(*row) for row in version.triggers.order_by("key").values_list("key", "kind")]


# DOT --------------------------------------------------------------------------------


def _literal(text: str) -> str:
    """User text as a DOT string shown literally (graphviz's own quoting).

    ``escape`` doubles backslashes so ``\\n``, ``\\N`` and friends are not
    interpreted, and marks the text as never an HTML-like label, so ``<`` and
    ``>`` stay text and Graphviz escapes them in the SVG.
    """
    return graphviz.escape(re.sub(r"[\x00-\x1f\x7f]+", " ", text))


def _wrap(text: str, width: int = LABEL_WIDTH, note: str = "") -> str:
    """A quoted label broken into lines (Graphviz does not wrap by itself).

    A ``note`` is one more line under the label (e.g. a heatmap's figures), so
    Graphviz sizes the node to hold it.
    """
    lines = _lines(text, width)[:4] or [" "]
    if note:
        lines.append(_short(note, 2 * width))
    return graphviz.nohtml("\\n".join(_literal(line) for line in lines))


def _lines(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def edge_text(edge: Edge) -> str:
    parts = []
    if edge.name:
        parts.append(edge.name)
    if edge.condition:
        parts.append(edge.condition)
    if edge.is_default:
        parts.append("(default)")
    return " · ".join(parts)


def _short(text: str, limit: int = EDGE_LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pinned(nodes: list[Node]) -> bool:
    return bool(nodes) and all(n.x is not None and n.y is not None for n in nodes)


def to_dot(
    nodes: list[Node],
    edges: list[Edge],
    *,
    pinned: bool,
    markers: tuple[Marker, ...] = (),
    notes: Mapping[str, str] | None = None,
) -> str:
    index = {n.key: i for i, n in enumerate(nodes)}
    graph = graphviz.Digraph("process")
    graph.attr(
        "graph",
        rankdir="LR",
        nodesep="0.5",
        ranksep="0.6",
        outputorder="edgesfirst",
        splines="line" if pinned and len(nodes) > ROUTED_EDGES_LIMIT else "true",
        notranslate="true",
        pad="0.3",
        bgcolor="transparent",
    )
    graph.attr("node", fontname="Helvetica", fontsize="11", margin="0.22,0.08")
    graph.attr("edge", fontname="Helvetica", fontsize="10", arrowsize="0.7")
    for i, node in enumerate(nodes):
        width = ROUND_LABEL_WIDTH if node.kind in ROUND_KINDS else LABEL_WIDTH
        attrs = dict(KIND_SHAPES.get(node.kind, KIND_SHAPES["automatic"]))
        if pinned:
            # Stored y grows downwards like the screen; Graphviz's grows upwards.
            attrs["pos"] = f"{node.x:.2f},{-node.y:.2f}!"
        note = (notes or {}).get(node.key, "")
        graph.node(f"n{i}", _wrap(node.label, width, note), id=f"n{i}", **attrs)
    for i, edge in enumerate(edges):
        if edge.source not in index or edge.target not in index:
            continue
        text = edge_text(edge)
        attrs = {"id": f"e{i}"}
        if text:
            attrs["label"] = _literal(_short(text))
        if edge.is_default:
            attrs.update(arrowtail="odiamond", dir="both")
        graph.edge(f"n{index[edge.source]}", f"n{index[edge.target]}", **attrs)
    _add_markers(graph, nodes, markers, pinned=pinned)
    return graph.source


def _add_markers(
    graph: graphviz.Digraph, nodes: list[Node], markers: tuple[Marker, ...], *, pinned: bool
) -> None:
    """Trigger markers (ids ``m<i>``) and their dashed edges to the start activities (``s<i>``)."""
    starts = [i for i, n in enumerate(nodes) if n.kind == "start"]
    for i, marker in enumerate(markers):
        attrs = dict(MARKER_SHAPES.get(marker.kind, MARKER_SHAPES["signal"]))
        attrs.update(style="dashed", fontsize="9", margin="0.04")
        if pinned:
            x, y = _marker_position(nodes, starts, i, len(markers))
            attrs["pos"] = f"{x:.2f},{-y:.2f}!"
        graph.node(f"m{i}", _wrap(marker.key, ROUND_LABEL_WIDTH), id=f"m{i}", **attrs)
        for j, start in enumerate(starts):
            graph.edge(f"m{i}", f"n{start}", id=f"s{i}_{j}", style="dashed", arrowhead="empty")


def _marker_position(
    nodes: list[Node], starts: list[int], i: int, count: int
) -> tuple[float, float]:
    """Left of the (first) start activity, markers stacked around its height."""
    anchor = nodes[starts[0]] if starts else min(nodes, key=lambda n: n.x or 0.0)
    x, y = anchor.x or 0.0, anchor.y or 0.0
    return x - MARKER_GAP, y + (i - (count - 1) / 2) * MARKER_STEP


def use_pins(nodes: list[Node], layout: str) -> bool:
    """Whether to keep the stored positions (``neato -n2``) rather than lay out with ``dot``."""
    if layout not in LAYOUTS:
        raise ValueError(f"Unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}.")
    return layout == "auto" and _pinned(nodes)
