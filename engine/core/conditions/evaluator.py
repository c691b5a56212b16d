"""Evaluation: whether a transition may be taken, given the outcome and run data.

Data is only ever read with mapping lookups (no attribute access), and a
missing field is null. Values compare as JSON does: ``true`` is not ``1``,
and ``<``/``>`` only compare two numbers or two strings (anything else is
false, never an error).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.core.conditions.forms import check_path, parse
from engine.core.conditions.syntax import (
    Always,
    BoolOp,
    Compact,
    Condition,
    ConditionError,
    Literal,
    Name,
    Node,
    Not,
    Timeout,
)


def evaluate(
    text: str,
    *,
    condition: str | None = None,
    data: Mapping[str, Any] | None = None,
    strategy: str | None = None,
) -> bool:
    """Whether a transition with this condition may be taken. Never raises."""
    try:
        parsed = parse(text)
    except Exception:
        if strategy == "strict":
            return False
        # compatible: unknown text is compared with the outcome, as older tools did
        return isinstance(text, str) and condition is not None and text.strip() == condition
    try:
        return _evaluate_condition(parsed, condition, data or {})
    except Exception:
        return False


def _evaluate_condition(parsed: Condition, condition: str | None, data: Mapping[str, Any]) -> bool:
    if isinstance(parsed, Always):
        return parsed.value
    if isinstance(parsed, Timeout):
        return False
    if isinstance(parsed, Compact):
        if parsed.op == "eq":
            return condition == parsed.values[0]
        if parsed.op == "ne":
            return condition != parsed.values[0]
        if parsed.op == "in":
            return condition in parsed.values
        return condition not in parsed.values
    return bool(_value(parsed.node, condition, data))


def _value(node: Node, condition: str | None, data: Mapping[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        if node.path == ("condition",):
            return condition
        return _lookup(node.path[1:], data)
    if isinstance(node, Not):
        return not _value(node.operand, condition, data)
    if isinstance(node, BoolOp):
        left = _value(node.left, condition, data)
        if node.op == "and":
            return bool(left) and bool(_value(node.right, condition, data))
        return bool(left) or bool(_value(node.right, condition, data))
    return _compare(
        node.op, _value(node.left, condition, data), _value(node.right, condition, data)
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return _same(left, right)
    if op == "!=":
        return not _same(left, right)
    if op in ("in", "not in"):
        found = _contains(right, left)
        return found if op == "in" else not found
    comparable = (_is_number(left) and _is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    )
    if not comparable:
        return False
    ordered: dict[str, bool] = {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }
    return ordered[op]


def _same(left: Any, right: Any) -> bool:
    # true is not 1 here: run data comes from JSON, where they differ.
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if isinstance(left, list):
        left = tuple(left)
    if isinstance(right, list):
        right = tuple(right)
    return bool(left == right)


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, tuple | list):
        return any(_same(item, element) for element in container)
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, Mapping):
        return isinstance(item, str) and item in container
    return False


def _lookup(fields: tuple[str, ...], data: Any) -> Any:
    current = data
    for field in fields:
        if not isinstance(current, Mapping):
            return None
        current = current.get(field)
    if isinstance(current, list):
        return tuple(current)
    return current


def resolve_path(path: str, data: Mapping[str, Any] | None) -> Any:
    """The value at a data path in run data; None when missing or the path is invalid."""
    try:
        name = check_path(path)
    except ConditionError:
        return None
    return _lookup(name.path[1:], data or {})
