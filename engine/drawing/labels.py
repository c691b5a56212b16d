"""Moving edge labels off nodes and off each other.

``dot`` gives edge labels room of their own, but ``neato -n2`` (the pinned
positions people set) puts each label at its edge's middle, whatever is
there: a condition could sit under a gateway or under the next activity.
Graphviz's ``xlabel`` placement does no better with pinned positions, so the
labels are placed here, after layout: a label that overlaps a node or an
earlier label moves along its own edge (above, below or on the line) to the
first free spot, or to the spot with the least overlap.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (SVG coordinates, y down)

SVG_NS = "http://www.w3.org/2000/svg"
# Advances in font sizes, a little wider than Helvetica's: the page draws labels
# with the system font, often wider (DejaVu Sans) than what Graphviz measured.
WIDE, NARROW, THIN = 0.74, 0.6, 0.36
GAP = 3.0  # points between a moved label and its line
ALONG = (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.12, 0.88)
# Box comparisons one drawing may spend on moving labels: a dense graph of 200
# activities where no spot is free would otherwise cost half a second. Labels
# left when it is spent stay where Graphviz put them (the same every time).
WORK_BUDGET = 20_000


def _tag(name: str) -> str:
    return f"{{{SVG_NS}}}{name}"


def _numbers(raw: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", raw)]


def outline_box(group: ET.Element) -> Box | None:
    """Bounding box of a node's outline (ellipses, polygons, paths)."""
    xs: list[float] = []
    ys: list[float] = []
    for el in group:
        if el.tag == _tag("ellipse"):
            cx, cy = float(el.get("cx", 0)), float(el.get("cy", 0))
            rx, ry = float(el.get("rx", 0)), float(el.get("ry", 0))
            xs += [cx - rx, cx + rx]
            ys += [cy - ry, cy + ry]
        elif el.tag in (_tag("polygon"), _tag("path")):
            numbers = _numbers(el.get("points") or el.get("d") or "")
            xs += numbers[0::2]
            ys += numbers[1::2]
    if not xs or not ys:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def _advance(char: str) -> float:
    if char.isupper() or char in "mwMW@%&":
        return WIDE
    if char in " .,:;'|!ilIjtf()[]":
        return THIN
    return NARROW


def text_box(text: ET.Element) -> Box:
    """The box a one-line ``<text>`` covers (estimated from its length and size)."""
    size = float(text.get("font-size", "10"))
    width = sum(_advance(c) for c in text.text or "") * size + 4
    x, y = float(text.get("x", 0)), float(text.get("y", 0))
    anchor = text.get("text-anchor", "middle")
    x0 = x - width / 2 if anchor == "middle" else (x - width if anchor == "end" else x)
    return x0, y - size * 0.95, x0 + width, y + size * 0.35


def overlap(a: Box, b: Box) -> float:
    """Area shared by two boxes (0 when they do not touch)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _polyline(d: str) -> list[tuple[float, float]]:
    """Points along a Graphviz edge path (``M p C p p p p p p …``, cubic Béziers)."""
    numbers = _numbers(d)
    points = list(zip(numbers[0::2], numbers[1::2], strict=False))
    if len(points) < 4:
        return points
    line = [points[0]]
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i : i + 4]
        for step in range(1, 9):
            t = step / 8
            u = 1 - t
            line.append(
                (
                    u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                    u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
                )
            )
    return line


def _points_along(line: list[tuple[float, float]], fractions) -> list[tuple[float, float]]:
    """The points at these fractions of the line's length."""
    lengths = [math.dist(a, b) for a, b in zip(line, line[1:], strict=False)]
    total = sum(lengths)
    points = []
    for fraction in fractions:
        goal = total * fraction
        for (a, b), length in zip(zip(line, line[1:], strict=False), lengths, strict=False):
            if goal <= length and length:
                t = goal / length
                points.append((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t))
                break
            goal -= length
        else:
            points.append(line[-1])
    return points


def _candidates(line: list[tuple[float, float]], box: Box) -> list[Box]:
    """Spots along the edge for a label of this box's size.

    At each point: above, below or on the line; centred on the point, or
    starting or ending there (a short edge between close nodes); then further
    out, above and below.
    """
    width, height = box[2] - box[0], box[3] - box[1]
    points = _points_along(line, ALONG) if line else []
    spots = []
    for x, y in points:
        for top in (y - GAP - height, y + GAP, y - height / 2):
            for left in (x - width / 2, x - width, x):
                spots.append((left, top, left + width, top + height))
    for step in (2, 3, 4):
        for x, y in points[:3]:
            for top in (y - step * (GAP + height), y + step * GAP + (step - 1) * height):
                spots.append((x - width / 2, top, x + width / 2, top + height))
    return spots


def _cost(box: Box, obstacles: list[Box]) -> float:
    """Area of ``box`` covered by the obstacles (``overlap`` inlined: the hot loop)."""
    x0, y0, x1, y1 = box
    total = 0.0
    for ox0, oy0, ox1, oy1 in obstacles:
        w = (x1 if x1 < ox1 else ox1) - (x0 if x0 > ox0 else ox0)
        if w > 0:
            h = (y1 if y1 < oy1 else oy1) - (y0 if y0 > oy0 else oy0)
            if h > 0:
                total += w * h
    return total


def _move(text: ET.Element, old: Box, new: Box) -> None:
    dx, dy = new[0] - old[0], new[1] - old[1]
    text.set("x", f"{float(text.get('x', 0)) + dx:.2f}")
    text.set("y", f"{float(text.get('y', 0)) + dy:.2f}")


def place_edge_labels(root: ET.Element, keep_clear: Sequence[Box] = ()) -> list[Box]:
    """Move edge labels (``<g id="e<i>">``) clear of nodes, earlier labels and ``keep_clear``.

    Reads node outlines from ``<g id="n<i>">`` and ``<g id="m<i>">`` groups, so it
    runs on Graphviz's own SVG, before the ids are rewritten. Returns the
    labels' final boxes.
    """
    groups = list(root.iter(_tag("g")))
    nodes: list[Box] = []
    for group in groups:
        ident = group.get("id", "")
        if ident[:1] in ("n", "m") and ident[1:].isdigit():
            box = outline_box(group)
            if box is not None:
                nodes.append((box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2))
    nodes += list(keep_clear)
    placed: list[Box] = []
    budget = [WORK_BUDGET]
    for group in groups:
        ident = group.get("id", "")
        text = group.find(_tag("text"))
        path = group.find(_tag("path"))
        if not (ident[:1] == "e" and ident[1:].isdigit()) or text is None or path is None:
            continue
        box = text_box(text)
        if budget[0] > 0 and _cost(box, nodes + placed):
            best = _best_spot(_polyline(path.get("d", "")), box, nodes + placed, budget)
            if best is not box:
                _move(text, box, best)
                box = best
        placed.append(box)
    return placed


def _best_spot(
    line: list[tuple[float, float]], box: Box, everything: list[Box], budget: list[int]
) -> Box:
    """The first free spot along the line, else the least covered one (``box`` if no better).

    Only obstacles near the line count: a big graph has hundreds of nodes,
    and a label can only move a few of its own heights away.
    """
    if not line:
        return box
    reach = 5 * (box[3] - box[1]) + (box[2] - box[0])
    xs, ys = [p[0] for p in line], [p[1] for p in line]
    area = (min(xs) - reach, min(ys) - reach, max(xs) + reach, max(ys) + reach)
    near = [other for other in everything if overlap(area, other)]
    best, best_cost = box, _cost(box, near)
    for spot in _candidates(line, box):
        budget[0] -= len(near) + 1
        if budget[0] <= 0:
            break
        cost = _cost(spot, near)
        if cost < best_cost:
            best, best_cost = spot, cost
            if not cost:
                break
    return best
