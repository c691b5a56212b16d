"""How a version diff is shown: change rows for the table and marks for the graphs.

The diff itself comes from engine.services.definitions.diff_versions; this
module only presents it. Every mark is a colour *and* a symbol (CSS class
``diff-<change>`` plus a badge), so nothing depends on seeing colours.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

from designer.trigger_words import cron_words, offset_words
from engine.core.diff import ElementChange, VersionDiff
from engine.core.graph import Graph
from engine.core.triggers import KIND_FIELDS
from engine.core.triggers import Trigger as TriggerSpec

SYMBOLS = {"added": "+", "removed": "−", "changed": "✎", "moved": "⇢"}
CHANGES = ("added", "removed", "changed", "moved")
FIELD_LABELS = {
    "x": "position x",
    "y": "position y",
    "is_default": "default",
    "retry": "retry policy",
    "source": "from",
    "target": "to",
    # Trigger fields (every kind's)
    "timezone": "time zone",
    "on": "on events",
    "watch": "watched fields",
    "concurrency": "while a run is active",
    "data": "run data",
    "signal": "signal name",
}


@dataclass
class FieldRow:
    field: str
    label: str
    old: str
    new: str
    layout_only: bool


@dataclass
class ChangeRow:
    element: str  # activity, transition or trigger
    key: str
    name: str
    change: str
    symbol: str
    anchor: str
    fields: list[FieldRow] = field(default_factory=list)
    route: str = ""  # transitions: "Review → Pay"

    @property
    def node_or_edge(self) -> str:
        # Triggers are listed but not drawn: no node or edge of the drawing is theirs.
        return {"activity": "node", "transition": "edge"}.get(self.element, self.element)


def show_value(value: Any) -> str:
    """A field value as short plain text (templates escape it)."""
    if value is None or value == "" or value == () or value == {}:
        return "—"
    if is_dataclass(value):
        value = asdict(value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    if isinstance(value, (tuple, list)):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def anchor_for(element: str, key: str) -> str:
    return f"change-{element}-{key}"


def routes(*graphs: Graph) -> dict[str, str]:
    """Each transition's "source → target" by activity labels (later graphs win)."""
    found: dict[str, str] = {}
    for graph in graphs:
        for key, transition in graph.transitions.items():
            source = graph.activities.get(transition.source)
            target = graph.activities.get(transition.target)
            found[key] = (
                f"{source.label if source else transition.source} → "
                f"{target.label if target else transition.target}"
            )
    return found


def _trigger_value(name: str, value: Any) -> str:
    """A trigger field as people read it: a cron or an offset also in words."""
    shown = show_value(value)
    if name == "cron" and value and cron_words(value):
        return f"{value} ({cron_words(value)})"
    if name == "offset" and value:
        return f"{value} ({offset_words(value, 'the date')})"
    return shown


def _trigger_fields(change: ElementChange, trigger: TriggerSpec | None) -> list[FieldRow]:
    """A changed trigger's fields; an added or removed one's fields of its kind."""
    if change.fields or trigger is None:
        pairs = [(f.field, f.old, f.new) for f in change.fields]
    else:
        names = ("kind", *KIND_FIELDS.get(trigger.kind, ()))
        values = [(name, getattr(trigger, name)) for name in names]
        added = change.change == "added"
        pairs = [(n, None, v) if added else (n, v, None) for n, v in values]
    return [
        FieldRow(
            field=name,
            label=FIELD_LABELS.get(name, name.replace("_", " ")),
            old=_trigger_value(name, old),
            new=_trigger_value(name, new),
            layout_only=False,
        )
        for name, old, new in pairs
    ]


def change_rows(
    diff: VersionDiff,
    route_of: dict[str, str] | None = None,
    triggers: dict[str, TriggerSpec] | None = None,
) -> list[ChangeRow]:
    """The table's rows; ``triggers`` (by key, either side) give added or removed ones' fields."""
    route_of = route_of or {}
    rows = []
    for change in sorted(diff.changes, key=_order):
        if change.element == "trigger":
            rows.append(_trigger_row(change, (triggers or {}).get(change.key)))
            continue
        route = route_of.get(change.key, "") if change.element == "transition" else ""
        rows.append(
            ChangeRow(
                element=change.element,
                key=change.key,
                name=change.name or route or change.key,
                route=route if change.name else "",
                change=change.change,
                symbol=SYMBOLS[change.change],
                anchor=anchor_for(change.element, change.key),
                fields=[
                    FieldRow(
                        field=f.field,
                        label=FIELD_LABELS.get(f.field, f.field.replace("_", " ")),
                        old=show_value(f.old),
                        new=show_value(f.new),
                        layout_only=f.field in ("x", "y"),
                    )
                    for f in change.fields
                ],
            )
        )
    return rows


def _trigger_row(change: ElementChange, trigger: TriggerSpec | None) -> ChangeRow:
    return ChangeRow(
        element="trigger",
        key=change.key,
        name=change.name or change.key,
        change=change.change,
        symbol=SYMBOLS[change.change],
        anchor=anchor_for("trigger", change.key),
        fields=_trigger_fields(change, trigger),
    )


def _order(change: ElementChange) -> tuple:
    return (CHANGES.index(change.change), change.element != "activity", change.name, change.key)


@dataclass
class GraphMarks:
    """Extra CSS classes and badges for one side's drawing (keyword args of version_svg)."""

    node_classes: dict[str, list[str]] = field(default_factory=dict)
    edge_classes: dict[str, list[str]] = field(default_factory=dict)
    node_badges: dict[str, str] = field(default_factory=dict)

    def as_kwargs(self) -> dict[str, dict]:
        return {
            "node_classes": self.node_classes,
            "edge_classes": self.edge_classes,
            "node_badges": self.node_badges,
        }


def natural_width(svg: str) -> float | None:
    """The drawing's width in its own units, so both sides are drawn at the same scale."""
    match = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) [\d.]+"', svg[:500])
    return float(match.group(1)) if match else None


def graph_marks(diff: VersionDiff) -> tuple[GraphMarks, GraphMarks]:
    """Marks for the old side (removed, changed, moved) and the new side (added, changed, moved)."""
    old, new = GraphMarks(), GraphMarks()
    for change in diff.changes:
        if change.element == "trigger":  # not drawn on the graphs
            continue
        sides = {"added": (new,), "removed": (old,)}.get(change.change, (old, new))
        for side in sides:
            css = [f"diff-{change.change}"]
            if change.element == "activity":
                side.node_classes[change.key] = css
                side.node_badges[change.key] = SYMBOLS[change.change]
            else:
                side.edge_classes[change.key] = css
    return old, new


def summary(diff: VersionDiff) -> list[dict[str, Any]]:
    counts = diff.summary
    return [{"change": c, "symbol": SYMBOLS[c], "count": counts[c]} for c in CHANGES]
