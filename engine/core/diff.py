"""Differences between two versions of a process, matched element by element by key.

An element is "moved" when only its position differs, "changed" when anything
else differs (its field list then also holds any x/y change). Names never
match elements: a renamed activity is "changed", not removed and added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any

from engine.core.graph import Activity, Graph, Transition
from engine.core.triggers import Trigger

__all__ = ["ElementChange", "FieldChange", "VersionDiff", "diff"]

LAYOUT_FIELDS = ("x", "y")


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ElementChange:
    element: str  # "activity", "transition" or "trigger"
    key: str
    name: str
    change: str  # added, removed, changed, moved
    fields: tuple[FieldChange, ...] = ()

    @property
    def moved(self) -> bool:
        return any(f.field in LAYOUT_FIELDS for f in self.fields)


@dataclass(frozen=True)
class VersionDiff:
    changes: tuple[ElementChange, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "changed": 0, "moved": 0}
        for change in self.changes:
            counts[change.change] += 1
        return counts

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def without_layout(self) -> VersionDiff:
        kept = []
        for change in self.changes:
            if change.change == "moved":
                continue
            if change.change == "changed":
                change = ElementChange(
                    change.element,
                    change.key,
                    change.name,
                    change.change,
                    tuple(f for f in change.fields if f.field not in LAYOUT_FIELDS),
                )
            kept.append(change)
        return VersionDiff(tuple(kept))

    def by_key(self) -> dict[tuple[str, str], ElementChange]:
        return {(c.element, c.key): c for c in self.changes}

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "changes": [
                {
                    "element": c.element,
                    "key": c.key,
                    "name": c.name,
                    "change": c.change,
                    "fields": [
                        {"field": f.field, "old": _plain(f.old), "new": _plain(f.new)}
                        for f in c.fields
                    ],
                }
                for c in self.changes
            ],
        }


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


Element = Activity | Transition | Trigger


def _field_changes(old: Element, new: Element) -> list[FieldChange]:
    return [
        FieldChange(f.name, getattr(old, f.name), getattr(new, f.name))
        for f in fields(old)
        if f.name != "key" and getattr(old, f.name) != getattr(new, f.name)
    ]


def _compare(
    element: str, old: Mapping[str, Element], new: Mapping[str, Element]
) -> list[ElementChange]:
    changes = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before is None:
            if after is not None:
                changes.append(ElementChange(element, key, after.label, "added"))
        elif after is None:
            changes.append(ElementChange(element, key, before.label, "removed"))
        else:
            delta = _field_changes(before, after)
            if not delta:
                continue
            layout_only = all(f.field in LAYOUT_FIELDS for f in delta)
            kind = "moved" if layout_only else "changed"
            changes.append(ElementChange(element, key, after.label, kind, tuple(delta)))
    return changes


def diff(
    old: Graph,
    new: Graph,
    *,
    old_triggers: Mapping[str, Trigger] | None = None,
    new_triggers: Mapping[str, Trigger] | None = None,
) -> VersionDiff:
    """What changed from ``old`` to ``new``; triggers are compared when given."""
    changes = _compare("activity", old.activities, new.activities)
    changes += _compare("transition", old.transitions, new.transitions)
    changes += _compare("trigger", old_triggers or {}, new_triggers or {})
    return VersionDiff(tuple(changes))
