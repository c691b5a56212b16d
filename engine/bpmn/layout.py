"""Where each element sits in the BPMN diagram: shapes' bounds and edges' waypoints.

Waymark stores an activity's position as the centre of its shape; BPMN's
``dc:Bounds`` give the top-left corner and the size. When any activity of
the version has no stored position, Graphviz (``engine.drawing``) lays the
whole graph out, as the designer does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.bpmn.mapping import size_of

# Graphviz lays nodes out for its own smaller shapes; BPMN tasks are 100 x 80.
LAYOUT_SCALE_X = 1.3
LAYOUT_SCALE_Y = 1.6


@dataclass(frozen=True)
class Bounds:
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2


def centres(activities: list[dict[str, Any]], transitions: list[dict[str, Any]]) -> dict:
    """The centre of every activity by key: stored positions, else a Graphviz layout."""
    if activities and all(a.get("x") is not None and a.get("y") is not None for a in activities):
        return {a["key"]: (float(a["x"]), float(a["y"])) for a in activities}
    from engine.drawing import dot, layout_positions

    nodes = [
        dot.Node(a["key"], a["kind"], a.get("name") or a["key"], None, None) for a in activities
    ]
    edges = [
        dot.Edge(
            t["key"],
            t["source"],
            t["target"],
            t.get("name", ""),
            t.get("condition", ""),
            bool(t.get("default")),
        )
        for t in transitions
    ]
    laid_out = layout_positions(nodes, edges)
    return {
        key: (round(x * LAYOUT_SCALE_X, 1), round(y * LAYOUT_SCALE_Y, 1))
        for key, (x, y) in laid_out.items()
    }


def bounds_of(kind: str, centre: tuple[float, float]) -> Bounds:
    width, height = size_of(kind)
    return Bounds(centre[0] - width / 2, centre[1] - height / 2, width, height)


def waypoints(source: Bounds, target: Bounds) -> list[tuple[float, float]]:
    """A straight edge from the border of one shape to the border of the other."""
    (sx, sy), (tx, ty) = source.centre, target.centre
    return [_border(source, tx - sx, ty - sy), _border(target, sx - tx, sy - ty)]


def _border(box: Bounds, dx: float, dy: float) -> tuple[float, float]:
    """Where a ray from the centre of ``box`` in direction (dx, dy) leaves it."""
    cx, cy = box.centre
    if dx == 0 and dy == 0:
        return cx, cy
    scales = []
    if dx:
        scales.append(box.width / 2 / abs(dx))
    if dy:
        scales.append(box.height / 2 / abs(dy))
    t = min(scales)
    return round(cx + dx * t, 1), round(cy + dy * t, 1)


def number(value: float) -> str:
    """A coordinate as short text, exact to a thousandth (``320``, ``12.5``)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
