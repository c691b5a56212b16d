"""Drawing a version as a Graphviz graph: DOT source, inline SVG, automatic positions.

The designer canvas, the versions and compare pages and the run pages all
draw with this module, so a process looks the same everywhere.

Pipeline: the version's rows become DOT text (built and quoted by the graphviz
package) in which ids are our own
(``n<i>``/``e<i>``, never user text) and every label is quoted and
backslash-escaped; Graphviz lays it out (``dot`` when positions are missing
or a read-only view asks for it, ``neato -n2`` with ``notranslate`` to keep
the positions people set and route only the edges); the SVG is then
rewritten with ElementTree: classes and ``data-key`` attributes for CSS and
scripts, badges, and editor affordances.

One module per step: ``dot`` (rows to DOT text), ``runner`` (Graphviz and
the caches), ``svg`` (the rewriting); this module is the public door.

Two caches keep re-renders cheap: the Graphviz output by a hash of the DOT
source, and the finished markup by that hash plus the elements themselves
(keys included) and the decorations. The DOT source names elements by
position only, so drafts that look alike share a layout; the finished markup
carries each draft's own keys, so it is never shared between them. Both are
small LRUs local to the process; content-addressed keys never go stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from engine.drawing import dot, runner, svg
from engine.drawing.dot import KIND_SHAPES, LAYOUTS
from engine.drawing.runner import DrawingError, clear_caches

__all__ = [
    "KIND_SHAPES",
    "LAYOUTS",
    "DrawingError",
    "auto_layout_positions",
    "clear_caches",
    "layout_positions",
    "render_svg",
    "version_dot",
    "version_svg",
]


def version_dot(version, *, layout: str = "auto") -> str:
    """DOT source of a version (for export and debugging)."""
    nodes, edges = dot.read(version)
    markers = tuple(dot.read_markers(version))
    return dot.to_dot(nodes, edges, pinned=dot.use_pins(nodes, layout), markers=markers)


def version_svg(
    version,
    *,
    node_classes: Mapping[str, Iterable[str]] | None = None,
    edge_classes: Mapping[str, Iterable[str]] | None = None,
    node_badges: Mapping[str, object] | None = None,
    layout: str = "auto",
    interactive: bool = False,
    triggers: bool = True,
    node_notes: Mapping[str, str] | None = None,
) -> str:
    """Inline ``<svg>`` markup of a version, safe to put in a page.

    No XML prolog, doctype or comments and no pt width/height (size it with
    CSS). Every activity is a ``<g class="node activity kind-<kind> …">`` with
    ``data-key``; every transition a ``<g class="edge transition …">`` with
    ``data-key``, ``data-source`` and ``data-target``; the root has class
    ``process-graph``.

    ``node_classes``/``edge_classes`` add CSS classes by element key;
    ``node_badges`` puts a short text badge on activities (e.g. a visit
    count), straddling its top right corner; ``node_notes`` a line of text
    inside the activity, under its name (the node grows to hold it; the line
    is a ``<text class="note">``). ``layout="auto"`` keeps stored positions when every activity has
    one, else lays out with ``dot``; ``"dot"`` always lays out.
    ``interactive`` adds editor affordances (focusable nodes and edges with
    roles and names, wide invisible hit lines on edges).

    With ``triggers`` each trigger is a ``<g class="trigger-marker trigger-<kind>">``
    with ``data-trigger`` (its key), joined to the start activity by a dashed
    ``<g class="trigger-edge">``.
    """
    nodes, edges = dot.read(version)
    return render_svg(
        nodes,
        edges,
        node_classes=node_classes,
        edge_classes=edge_classes,
        node_badges=node_badges,
        layout=layout,
        interactive=interactive,
        markers=tuple(dot.read_markers(version)) if triggers else (),
        node_notes=node_notes,
    )


def render_svg(
    nodes: list[dot.Node],
    edges: list[dot.Edge],
    *,
    node_classes=None,
    edge_classes=None,
    node_badges=None,
    layout: str = "auto",
    interactive: bool = False,
    markers: tuple[dot.Marker, ...] = (),
    node_notes: Mapping[str, str] | None = None,
) -> str:
    """``version_svg`` for elements already read (``dot.read``, ``dot.read_markers``)."""
    pinned = dot.use_pins(nodes, layout)
    node_notes = {k: str(v) for k, v in (node_notes or {}).items() if v}
    source = dot.to_dot(nodes, edges, pinned=pinned, markers=markers, notes=node_notes)
    node_classes = {k: svg.words(v) for k, v in (node_classes or {}).items()}
    edge_classes = {k: svg.words(v) for k, v in (edge_classes or {}).items()}
    node_badges = {k: str(v) for k, v in (node_badges or {}).items()}
    # The DOT text holds no element keys (ids are n<i>/e<i>): two drafts of the
    # same shape have the same DOT. The markup carries data-key attributes, so
    # its cache key must hold the elements, or one draft would get another's keys.
    finished_key = runner.digest(
        repr(
            (
                source,
                nodes,
                edges,
                markers,
                sorted(node_classes.items()),
                sorted(edge_classes.items()),
                sorted(node_badges.items()),
                interactive,
            )
        )
    )
    markup = runner.finished.get(finished_key)
    if markup is None:
        raw = runner.layout_svg(source, pinned=pinned)
        markup = svg.decorate(
            raw,
            nodes,
            edges,
            node_classes=node_classes,
            edge_classes=edge_classes,
            node_badges=node_badges,
            interactive=interactive,
            markers=markers,
            node_notes=node_notes,
        )
        runner.finished.put(finished_key, markup)
    return markup


def auto_layout_positions(version) -> dict[str, tuple[float, float]]:
    """Positions computed by ``dot`` for every activity key (screen coordinates in points)."""
    nodes, edges = dot.read(version)
    return layout_positions(nodes, edges)


def layout_positions(
    nodes: list[dot.Node], edges: list[dot.Edge]
) -> dict[str, tuple[float, float]]:
    """``auto_layout_positions`` for elements already read (or built from a file)."""
    if not nodes:
        return {}
    plain = runner.run_graphviz(dot.to_dot(nodes, edges, pinned=False), "plain", pinned=False)
    height = 0.0
    positions: dict[str, tuple[float, float]] = {}
    for line in plain.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "graph":
            height = float(parts[3])
        elif parts[0] == "node":
            i = int(parts[1][1:])
            # plain output is in inches with y upwards; stored positions are
            # points with y downwards.
            x, y = float(parts[2]) * 72, (height - float(parts[3])) * 72
            positions[nodes[i].key] = (round(x, 1), round(y, 1))
    return positions
