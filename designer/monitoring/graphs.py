"""A run or a process drawn on its graph: state classes, badges and the heatmap.

The drawing itself is ``engine.drawing.version_svg``; this module only says
which CSS classes and badges each activity and transition gets. Every state
also has a symbol in its badge and a row in the table beside the graph, so
nothing is told by colour alone.
"""

from __future__ import annotations

import logging

from django.utils.safestring import SafeString, mark_safe

from engine.models import ProcessInstance, Version, WorkItem, WorkItemState

log = logging.getLogger(__name__)

# Workitem state -> (display state, symbol, words)
DISPLAY = {
    WorkItemState.COMPLETED: ("done", "✓", "done"),
    WorkItemState.TIMED_OUT: ("done", "⊘", "timed out"),
    WorkItemState.CANCELLED: ("done", "✕", "cancelled"),
    WorkItemState.READY: ("active", "▶", "running"),
    WorkItemState.RETRY: ("active", "↻", "waiting to retry"),
    WorkItemState.OFFERED: ("waiting", "○", "waiting for a person"),
    WorkItemState.ASSIGNED: ("waiting", "○", "with a person"),
    WorkItemState.WAITING: ("waiting", "○", "waiting"),
    WorkItemState.FALLOUT: ("failed", "✖", "failed"),
}
NOT_REACHED = ("not-reached", "·", "not reached")

LEGEND = [
    ("done", "✓", "done"),
    ("active", "▶", "running"),
    ("waiting", "○", "waiting"),
    ("failed", "✖", "failed"),
    ("not-reached", "·", "not reached"),
]

HEAT_LEVELS = 5


def draw(version: Version, **options) -> SafeString:
    """The version's SVG (already escaped by the drawing module), or "" when it cannot draw."""
    try:
        from engine.drawing import version_svg
    except ImportError:  # the drawing module is not installed: the tables still tell it all
        return mark_safe("")
    try:
        return mark_safe(version_svg(version, **options))  # noqa: S308 - escaped by version_svg
    except Exception:  # Graphviz missing or failing must not take the run page down
        log.exception("could not draw version %s", version.pk)
        return mark_safe("")


def run_overlay(run: ProcessInstance) -> dict:
    """Per activity of the run's version: display state, visits, and the transitions taken.

    Two queries: the run's activity states and the transitions it arrived by.
    """
    states = run.activity_states()
    taken = set(
        WorkItem.objects.filter(instance=run)
        .exclude(arrived_via="")
        .values_list("arrived_via", flat=True)
        .distinct()
    )
    # version_svg takes a list of classes per key (a bare string would be split).
    node_classes: dict[str, list[str]] = {}
    node_badges: dict[str, str] = {}
    rows = {}
    for key, entry in states.items():
        state, symbol, words = DISPLAY.get(entry["state"], NOT_REACHED)
        visits = entry["visits"]
        node_classes[key] = [f"state-{state}"]
        node_badges[key] = f"{symbol} ×{visits}" if visits > 1 else symbol
        rows[key] = {
            "state": state,
            "symbol": symbol,
            "words": words,
            "visits": visits,
            "workitem": entry["workitem"],
        }
    return {
        "node_classes": node_classes,
        "node_badges": node_badges,
        "edge_classes": {key: ["path-taken"] for key in taken},
        "rows": rows,
    }


def run_graph(run: ProcessInstance, overlay: dict, activities: list) -> SafeString:
    classes = dict(overlay["node_classes"])
    for activity in activities:
        classes.setdefault(activity.key, ["state-not-reached"])
    return draw(
        run.version,
        node_classes=classes,
        edge_classes=overlay["edge_classes"],
        node_badges=overlay["node_badges"],
    )


def heat_level(value: float, highest: float) -> int:
    """0 (none) to HEAT_LEVELS - 1 (the highest value of the page)."""
    if not value or not highest:
        return 0
    return max(1, min(HEAT_LEVELS - 1, round(value / highest * (HEAT_LEVELS - 1))))
