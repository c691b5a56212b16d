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

Two caches keep re-renders cheap: the Graphviz output by a hash of the DOT
source, and the finished markup by that hash plus the elements themselves
(keys included) and the decorations. The DOT source names elements by
position only, so drafts that look alike share a layout; the finished markup
carries each draft's own keys, so it is never shared between them. Both are
small LRUs local to the process; content-addressed keys never go stale.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import graphviz

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

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
}
KIND_NAMES = {
    "start": "Start",
    "end": "End",
    "human": "Human task",
    "automatic": "Automatic task",
    "exclusive": "Exclusive gateway",
    "parallel": "Parallel gateway",
    "timer": "Timer",
    "signal": "Wait for signal",
    "subprocess": "Subprocess",
}
LABEL_WIDTH = 22  # characters per line of a node label
ROUND_LABEL_WIDTH = 12  # narrower lines keep circles small
ROUND_KINDS = {"start", "end", "timer"}
EDGE_LABEL_MAX = 40  # longer conditions are shortened on the edge (full text in the title)
CACHE_SIZE = 128
# neato's edge router (splines=true) grows fast with the number of obstacles:
# about 0.1 s at 20 activities but 7.5 s at 200 on a 2-core machine. Above this
# many pinned activities edges are drawn straight (tens of milliseconds).
ROUTED_EDGES_LIMIT = 25


# Reading a version ---------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    key: str
    kind: str
    label: str
    x: float | None
    y: float | None


@dataclass(frozen=True)
class _Edge:
    key: str
    source: str
    target: str
    name: str
    condition: str
    is_default: bool


def _read(version) -> tuple[list[_Node], list[_Edge]]:
    nodes = [
        _Node(key, kind, name or key, x, y)
        for key, kind, name, x, y in version.activities.order_by("pk").values_list(
            "key", "kind", "name", "x", "y"
        )
    ]
    edges = [
        _Edge(*row)
        for row in version.transitions.order_by("priority", "pk").values_list(
            "key", "source__key", "target__key", "name", "condition", "is_default"
        )
    ]
    return nodes, edges


# DOT --------------------------------------------------------------------------------


def _literal(text: str) -> str:
    """User text as a DOT string shown literally (graphviz's own quoting).

    ``escape`` doubles backslashes so ``\\n``, ``\\N`` and friends are not
    interpreted, and marks the text as never an HTML-like label, so ``<`` and
    ``>`` stay text and Graphviz escapes them in the SVG.
    """
    return graphviz.escape(re.sub(r"[\x00-\x1f\x7f]+", " ", text))


def _wrap(text: str, width: int = LABEL_WIDTH) -> str:
    """A quoted label broken into lines (Graphviz does not wrap by itself)."""
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
    return graphviz.nohtml("\\n".join(_literal(line) for line in lines[:4]) or " ")


def _edge_text(edge: _Edge) -> str:
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


def _pinned(nodes: list[_Node]) -> bool:
    return bool(nodes) and all(n.x is not None and n.y is not None for n in nodes)


def _dot(nodes: list[_Node], edges: list[_Edge], *, pinned: bool) -> str:
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
        graph.node(f"n{i}", _wrap(node.label, width), id=f"n{i}", **attrs)
    for i, edge in enumerate(edges):
        if edge.source not in index or edge.target not in index:
            continue
        text = _edge_text(edge)
        attrs = {"id": f"e{i}"}
        if text:
            attrs["label"] = _literal(_short(text))
        if edge.is_default:
            attrs.update(arrowtail="odiamond", dir="both")
        graph.edge(f"n{index[edge.source]}", f"n{index[edge.target]}", **attrs)
    return graph.source


def version_dot(version, *, layout: str = "auto") -> str:
    """DOT source of a version (for export and debugging)."""
    nodes, edges = _read(version)
    return _dot(nodes, edges, pinned=_use_pins(nodes, layout))


def _use_pins(nodes: list[_Node], layout: str) -> bool:
    if layout not in LAYOUTS:
        raise ValueError(f"Unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}.")
    return layout == "auto" and _pinned(nodes)


# Graphviz -----------------------------------------------------------------------------


class _LRU:
    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: str) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_layouts = _LRU(CACHE_SIZE)
_finished = _LRU(CACHE_SIZE)


def clear_caches() -> None:
    """Forget cached renders (tests and benchmarks measure cold renders with it)."""
    _layouts.clear()
    _finished.clear()


class DrawingError(RuntimeError):
    """Graphviz is missing or failed."""


# Graphviz spends ~40 ms of every run loading its plugins, most of it the
# pango/cairo renderer initialising fontconfig. SVG and plain output need only
# the core renderer and the layout engines; without pango, text is measured
# with Graphviz's built-in Helvetica metrics (also the same on every machine).
# So runs use a private plugin directory holding only those three plugins:
# ~10 ms per run instead of ~50. Any trouble building it falls back to the
# normal installation.
LITE_PLUGINS = ("core", "dot_layout", "neato_layout")
PLUGIN_GLOBS = (
    "/usr/lib/*/graphviz",
    "/usr/lib64/graphviz",
    "/usr/lib/graphviz",
    "/usr/local/lib/graphviz",
    "/opt/homebrew/lib/graphviz",
)


@functools.cache
def _graphviz_env() -> dict[str, str] | None:
    try:
        return _lite_plugin_env()
    except (OSError, AttributeError, subprocess.SubprocessError):
        return None


def _lite_plugin_env() -> dict[str, str] | None:
    source = next(
        (
            d
            for pattern in PLUGIN_GLOBS
            for d in sorted(glob.glob(pattern))
            if glob.glob(os.path.join(d, "libgvplugin_core.so*"))
        ),
        None,
    )
    if source is None or shutil.which("dot") is None:
        return None
    target = os.path.join(tempfile.gettempdir(), f"waymark-graphviz-{os.getuid()}")
    env = {**os.environ, "GVBINDIR": target}
    if not os.path.exists(os.path.join(target, "config6a")) and not os.path.exists(
        os.path.join(target, "config6")
    ):
        building = tempfile.mkdtemp(prefix="waymark-graphviz-")
        for plugin in LITE_PLUGINS:
            for path in glob.glob(os.path.join(source, f"libgvplugin_{plugin}.so*")):
                os.symlink(path, os.path.join(building, os.path.basename(path)))
        subprocess.run(
            ["dot", "-c"], env={**os.environ, "GVBINDIR": building}, check=True, timeout=30
        )
        try:
            os.rename(building, target)
        except OSError:
            shutil.rmtree(building, ignore_errors=True)  # another process made it first
    # Graphviz loads code from this directory: use it only if it is ours alone
    # (mkdtemp makes it 0700), never one someone else planted in /tmp.
    info = os.lstat(target)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    check = subprocess.run(
        ["dot", "-Tsvg"], input=b"digraph{a->b}", env=env, capture_output=True, timeout=30
    )
    return env if check.returncode == 0 and b"<svg" in check.stdout else None


def _run_graphviz(dot: str, fmt: str, *, pinned: bool) -> str:
    command = [*(["neato", "-n2"] if pinned else ["dot"]), f"-T{fmt}"]
    env = _graphviz_env()
    done = _graphviz(command, dot, env)
    if done.returncode != 0 and env is not None:
        # The private plugin directory may have been cleaned away with /tmp:
        # run as installed now, and build it again next time.
        _graphviz_env.cache_clear()
        done = _graphviz(command, dot, None)
    if done.returncode != 0:
        raise DrawingError(f"Graphviz failed: {done.stderr.decode('utf-8', 'replace')[:500]}")
    return done.stdout.decode("utf-8")


def _graphviz(command: list[str], dot: str, env) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            command, input=dot.encode("utf-8"), capture_output=True, timeout=30, env=env
        )
    except FileNotFoundError as exc:
        raise DrawingError(
            "Graphviz is not installed: install the 'graphviz' package (dot)."
        ) from exc


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _layout_svg(dot: str, *, pinned: bool) -> str:
    key = _digest(dot)
    svg = _layouts.get(key)
    if svg is None:
        svg = _run_graphviz(dot, "svg", pinned=pinned)
        _layouts.put(key, svg)
    return svg


# SVG rewriting ----------------------------------------------------------------------------


def _tag(name: str) -> str:
    return f"{{{SVG_NS}}}{name}"


def _words(classes: Iterable[str] | str | None) -> tuple[str, ...]:
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


def _shape_box(group: ET.Element) -> tuple[float, float, float, float] | None:
    """Bounding box (x0, y0, x1, y1) of a node's outline, read from its shapes."""
    xs: list[float] = []
    ys: list[float] = []
    for el in group:
        if el.tag == _tag("ellipse"):
            cx, cy = float(el.get("cx", 0)), float(el.get("cy", 0))
            rx, ry = float(el.get("rx", 0)), float(el.get("ry", 0))
            xs += [cx - rx, cx + rx]
            ys += [cy - ry, cy + ry]
        elif el.tag in (_tag("polygon"), _tag("path")):
            raw = el.get("points") or el.get("d") or ""
            numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", raw)]
            xs += numbers[0::2]
            ys += numbers[1::2]
    if not xs or not ys:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def _add_badge(group: ET.Element, text: str) -> None:
    box = _shape_box(group)
    if box is None:
        return
    _, y0, x1, _ = box
    width = 8 + 6.5 * len(text)
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


def _decorate(
    raw: str,
    nodes: list[_Node],
    edges: list[_Edge],
    *,
    node_classes: Mapping[str, Iterable[str]],
    edge_classes: Mapping[str, Iterable[str]],
    node_badges: Mapping[str, object],
    interactive: bool,
) -> str:
    root = ET.fromstring(raw[raw.index("<svg") :])
    root.attrib.pop("width", None)
    root.attrib.pop("height", None)
    root.set("class", "process-graph")
    root.set("role", "group" if interactive else "img")
    root.set("aria-label", "Process graph")
    labels = {n.key: n.label for n in nodes}
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
            _decorate_node(group, nodes[int(ident[1:])], node_classes, node_badges, interactive)
        elif ident.startswith("e") and ident[1:].isdigit():
            _decorate_edge(group, edges[int(ident[1:])], labels, edge_classes, interactive)
    return ET.tostring(root, encoding="unicode")


def _set_title(group: ET.Element, text: str) -> None:
    title = group.find(_tag("title"))
    if title is None:
        title = ET.Element(_tag("title"))
        group.insert(0, title)
    title.text = text


def _decorate_node(group, node: _Node, node_classes, node_badges, interactive) -> None:
    del group.attrib["id"]
    kind_name = KIND_NAMES.get(node.kind, node.kind)
    group.set("class", _classes(f"node activity kind-{node.kind}", node_classes.get(node.key)))
    group.set("data-key", node.key)
    group.set("data-kind", node.kind)
    _set_title(group, f"{node.label} ({kind_name})")
    badge = node_badges.get(node.key)
    if badge not in (None, ""):
        _add_badge(group, str(badge))
    if interactive:
        group.set("tabindex", "0")
        group.set("role", "button")
        group.set("aria-label", f"{node.label}, {kind_name}")


def _decorate_edge(group, edge: _Edge, labels, edge_classes, interactive) -> None:
    del group.attrib["id"]
    group.set("class", _classes("edge transition", edge_classes.get(edge.key)))
    group.set("data-key", edge.key)
    group.set("data-source", edge.source)
    group.set("data-target", edge.target)
    source, target = labels.get(edge.source, edge.source), labels.get(edge.target, edge.target)
    text = _edge_text(edge)
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


def version_svg(
    version,
    *,
    node_classes: Mapping[str, Iterable[str]] | None = None,
    edge_classes: Mapping[str, Iterable[str]] | None = None,
    node_badges: Mapping[str, object] | None = None,
    layout: str = "auto",
    interactive: bool = False,
) -> str:
    """Inline ``<svg>`` markup of a version, safe to put in a page.

    No XML prolog, doctype or comments and no pt width/height (size it with
    CSS). Every activity is a ``<g class="node activity kind-<kind> …">`` with
    ``data-key``; every transition a ``<g class="edge transition …">`` with
    ``data-key``, ``data-source`` and ``data-target``; the root has class
    ``process-graph``.

    ``node_classes``/``edge_classes`` add CSS classes by element key;
    ``node_badges`` puts a short text badge on activities (e.g. a visit
    count). ``layout="auto"`` keeps stored positions when every activity has
    one, else lays out with ``dot``; ``"dot"`` always lays out.
    ``interactive`` adds editor affordances (focusable nodes and edges with
    roles and names, wide invisible hit lines on edges).
    """
    nodes, edges = _read(version)
    return render_svg(
        nodes,
        edges,
        node_classes=node_classes,
        edge_classes=edge_classes,
        node_badges=node_badges,
        layout=layout,
        interactive=interactive,
    )


def render_svg(
    nodes: list[_Node],
    edges: list[_Edge],
    *,
    node_classes=None,
    edge_classes=None,
    node_badges=None,
    layout: str = "auto",
    interactive: bool = False,
) -> str:
    pinned = _use_pins(nodes, layout)
    dot = _dot(nodes, edges, pinned=pinned)
    node_classes = {k: _words(v) for k, v in (node_classes or {}).items()}
    edge_classes = {k: _words(v) for k, v in (edge_classes or {}).items()}
    node_badges = {k: str(v) for k, v in (node_badges or {}).items()}
    # The DOT text holds no element keys (ids are n<i>/e<i>): two drafts of the
    # same shape have the same DOT. The markup carries data-key attributes, so
    # its cache key must hold the elements, or one draft would get another's keys.
    finished_key = _digest(
        repr(
            (
                dot,
                nodes,
                edges,
                sorted(node_classes.items()),
                sorted(edge_classes.items()),
                sorted(node_badges.items()),
                interactive,
            )
        )
    )
    svg = _finished.get(finished_key)
    if svg is None:
        raw = _layout_svg(dot, pinned=pinned)
        svg = _decorate(
            raw,
            nodes,
            edges,
            node_classes=node_classes,
            edge_classes=edge_classes,
            node_badges=node_badges,
            interactive=interactive,
        )
        _finished.put(finished_key, svg)
    return svg


# Automatic layout ----------------------------------------------------------------------------


def auto_layout_positions(version) -> dict[str, tuple[float, float]]:
    """Positions computed by ``dot`` for every activity key (screen coordinates in points)."""
    nodes, edges = _read(version)
    if not nodes:
        return {}
    plain = _run_graphviz(_dot(nodes, edges, pinned=False), "plain", pinned=False)
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
