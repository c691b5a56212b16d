"""How a version diff is shown: change rows for the table and marks for the graphs.

The diff itself comes from engine.services.definitions.diff_versions; this
module only presents it. Every mark is a colour *and* a symbol (CSS class
``diff-<change>`` plus a badge), so nothing depends on seeing colours.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any

from engine.core.diff import ElementChange, VersionDiff

SYMBOLS = {"added": "+", "removed": "−", "changed": "✎", "moved": "⇢"}
CHANGES = ("added", "removed", "changed", "moved")
FIELD_LABELS = {
    "x": "position x",
    "y": "position y",
    "is_default": "default",
    "retry": "retry policy",
    "source": "from",
    "target": "to",
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
    element: str  # activity or transition
    key: str
    name: str
    change: str
    symbol: str
    anchor: str
    fields: list[FieldRow] = field(default_factory=list)

    @property
    def node_or_edge(self) -> str:
        return "node" if self.element == "activity" else "edge"


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


def change_rows(diff: VersionDiff) -> list[ChangeRow]:
    rows = []
    for change in sorted(diff.changes, key=_order):
        rows.append(
            ChangeRow(
                element=change.element,
                key=change.key,
                name=change.name,
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


def graph_marks(diff: VersionDiff) -> tuple[GraphMarks, GraphMarks]:
    """Marks for the old side (removed, changed, moved) and the new side (added, changed, moved)."""
    old, new = GraphMarks(), GraphMarks()
    for change in diff.changes:
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
