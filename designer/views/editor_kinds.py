"""Which kinds an activity may change to on the canvas, and how kinds read in sentences."""

from __future__ import annotations

from engine.models import ActivityKind

# Kinds an activity may change to and back without losing its place in the graph.
KIND_FAMILIES = (
    ("human", "automatic", "subprocess", "http"),
    ("timer", "signal"),
    ("exclusive", "parallel", "first_of"),
)
NO_WAY_OUT = ("end",)  # nothing follows these
NO_WAY_IN = ("start",)  # nothing leads into these


def kind_label(kind: str) -> str:
    return dict(ActivityKind.choices)[kind]


def a_kind(kind: str) -> str:
    """'a human task', 'an automatic task'."""
    label = kind_label(kind).lower()
    return ("an " if label[0] in "aeiou" else "a ") + label


def kind_choices(kind: str) -> list[tuple[str, str]]:
    """The kinds an activity of ``kind`` may become (its family, itself excluded)."""
    for family in KIND_FAMILIES:
        if kind in family:
            return [(k, kind_label(k)) for k in family if k != kind]
    return []


def next_kinds(kind: str) -> list[tuple[str, str]]:
    """The kinds the context pad offers to add after an activity of ``kind``."""
    if kind in NO_WAY_OUT:
        return []
    return [(k, label) for k, label in ActivityKind.choices if k not in NO_WAY_IN]
