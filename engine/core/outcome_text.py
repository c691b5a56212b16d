"""Conditions that run time compares with the outcome as text, and what was probably meant.

Under the ``compatible`` strategy a condition that does not parse is kept as
typed and is true only when the last outcome (``instance.condition``) is that
exact text. That is right for an outcome such as ``Needs review`` and silently
wrong for ``amount > 1000``, which never fires. Before publishing, people are
shown every such condition; when the text names a field of the process input
or reads like a comparison, the data form that parses is suggested
(``data.amount > 1000``).

A compact outcome test whose value is also an input field (``eq:urgent`` with a
field ``urgent``) is listed too, unless its task offers that outcome.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from engine.core.conditions import ConditionError, parse
from engine.core.conditions.syntax import Compact
from engine.core.graph import ActivityKind, Graph, Transition

__all__ = ["TextCondition", "input_fields", "text_conditions"]


@dataclass(frozen=True)
class TextCondition:
    key: str  # the transition's key
    arrow: str  # how people see the transition: its name, else "Source → Target"
    condition: str  # as stored
    suggestion: str  # a condition over run data that parses, or ""
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def input_fields(schema: object) -> set[str]:
    """Top-level field names of a process input JSON Schema (none if it has no properties)."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return set(properties) if isinstance(properties, dict) else set()


def text_conditions(
    graph: Graph, fields: Iterable[str] = (), *, strategy: str = "compatible"
) -> list[TextCondition]:
    """Every condition of the graph that is compared with the outcome as text.

    Under ``strict`` nothing is: a condition that does not parse is an error
    (WM109) and is never true, so the list is empty.
    """
    if strategy == "strict":
        return []
    fields = set(fields)
    found = []
    for t in sorted(graph.transitions.values(), key=lambda t: (t.source, t.priority, t.key)):
        if t.is_default or not t.condition.strip():
            continue
        item = _kept_as_typed(graph, t, fields) or _outcome_named_like_a_field(graph, t, fields)
        if item is not None:
            found.append(item)
    return found


def _arrow(graph: Graph, t: Transition) -> str:
    source = graph.activities.get(t.source)
    target = graph.activities.get(t.target)
    path = f"{source.label if source else t.source} → {target.label if target else t.target}"
    return f"{t.name} ({path})" if t.name else path


def _kept_as_typed(graph: Graph, t: Transition, fields: set[str]) -> TextCondition | None:
    try:
        parse(t.condition)
    except ConditionError:
        pass
    else:
        return None
    text = t.condition.strip()
    suggestion = suggest(text, fields)
    message = (
        f"{_arrow(graph, t)}: {text!r} does not parse, so it is compared with the outcome "
        f"as text and is taken only when the last outcome is exactly {text!r}."
    )
    if suggestion:
        message += f" To test run data, write: {suggestion}"
    return TextCondition(t.key, _arrow(graph, t), t.condition, suggestion, message)


def _outcome_named_like_a_field(
    graph: Graph, t: Transition, fields: set[str]
) -> TextCondition | None:
    try:
        parsed = parse(t.condition)
    except ConditionError:
        return None
    if not isinstance(parsed, Compact) or parsed.op not in ("eq", "ne"):
        return None
    value = parsed.values[0]
    source = graph.activities.get(t.source)
    offered = source is not None and source.kind == ActivityKind.HUMAN and value in source.outcomes
    if value not in fields or offered:
        return None
    suggestion = f"data.{value}" if parsed.op == "eq" else f"not data.{value}"
    message = (
        f"{_arrow(graph, t)}: {t.condition!r} compares the outcome with the text {value!r}, "
        f"which is also a field of the process input. To test the field, write: {suggestion}"
    )
    return TextCondition(t.key, _arrow(graph, t), t.condition, suggestion, message)


# Suggesting the data form ---------------------------------------------------------------

_Piece = tuple[str, str]  # (kind, text): a group name of _PIECE and what it matched
_PIECE = re.compile(
    r"""
    (?P<str>'[^']*'|"[^"]*")
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)
  | (?P<op>==|!=|<=|>=|=|<|>)
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.S,
)
_WORDS = {"and", "or", "not", "in"}
_LITERALS = {"true", "false", "null", "none"}
_FIELD_NAME = re.compile(r"[A-Za-z]\w*")


def suggest(text: str, fields: Iterable[str] = ()) -> str:
    """The data form of a comparison typed without ``data.`` ('' when none parses).

    ``amount > 1000`` gives ``data.amount > 1000``; a single ``=`` becomes
    ``==``; other bare words next to a field become strings
    (``status = approved`` gives ``data.status == 'approved'``).
    """
    fields = {f for f in fields if _FIELD_NAME.fullmatch(f)}
    # Every alternative of _PIECE is a named group, so lastgroup is always set.
    pieces = [(m.lastgroup or "other", m.group()) for m in _PIECE.finditer(text)]
    compares = any(kind == "op" for kind, _ in pieces) or any(
        kind == "name" and value.lower() == "in" for kind, value in pieces
    )
    names_field = any(kind == "name" and value.split(".")[0] in fields for kind, value in pieces)
    if not (compares or names_field):
        return ""
    solid = [piece for piece in pieces if piece[0] != "space"]
    context = {id(piece): (solid[i - 2 : i], solid[i + 1 : i + 2]) for i, piece in enumerate(solid)}
    # Spaces are kept as typed; only names and a single '=' are rewritten.
    candidate = "".join(
        value if kind == "space" else _rewrite(kind, value, *context[id(piece)], fields)
        for piece in pieces
        for kind, value in [piece]
    )
    try:
        parse(candidate)
    except ConditionError:
        return ""
    return candidate


def _rewrite(
    kind: str, value: str, before: list[_Piece], after: list[_Piece], fields: set[str]
) -> str:
    """One piece of the suggestion; ``before``/``after`` are the pieces around it."""
    if kind == "op":
        return "==" if value == "=" else value
    if kind != "name":
        return value
    head = value.split(".")[0]
    if head in ("data", "instance"):
        return value
    if value.lower() in _WORDS:
        return value.lower()
    if value.lower() in _LITERALS:
        return {"none": "null"}.get(value.lower(), value.lower())
    if head in fields or _left_operand(after) or _right_of_a_value(before):
        return f"data.{value}"
    if "." in value:
        return value  # an unknown dotted name: parsing will refuse it
    return f"'{value}'"


def _left_operand(after: list[_Piece]) -> bool:
    """A word followed by a comparison is what is compared: a field."""
    return bool(after) and (after[0][0] == "op" or after[0][1].lower() in ("in", "not"))


def _right_of_a_value(before: list[_Piece]) -> bool:
    """``1000 < amount``: a word compared with a number or a string is a field too."""
    return len(before) == 2 and before[1][0] == "op" and before[0][0] in ("num", "str")
