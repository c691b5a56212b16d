"""One canonical text per meaning (what is stored when a transition is saved).

Compact forms when an expression only compares ``instance.condition`` with
strings; otherwise the expression with single quotes, one space around
operators and only the parentheses precedence needs.
"""

from __future__ import annotations

from typing import Any

from engine.core.conditions.forms import parse
from engine.core.conditions.syntax import (
    Always,
    BoolOp,
    Compact,
    Compare,
    Condition,
    Literal,
    Name,
    Node,
    Not,
    Timeout,
)

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "atom": 5}


def normalize(text: str) -> str:
    """The canonical text of a condition (raises ConditionError for invalid text)."""
    return print_condition(parse(text))


def _compact_value_ok(value: Any, *, in_list: bool) -> bool:
    return (
        isinstance(value, str)
        and value != ""
        and value == value.strip()
        and (not in_list or "," not in value)
        and value[:1] not in "'\""
        and value[-1:] not in "'\""
    )


def _as_compact(node: Node) -> Compact | None:
    """An expression that only compares instance.condition with strings, as a compact form."""
    if not isinstance(node, Compare):
        return None
    left, right = node.left, node.right
    if isinstance(right, Name) and isinstance(left, Literal) and node.op in ("==", "!="):
        left, right = right, left
    if not (isinstance(left, Name) and left.path == ("condition",) and isinstance(right, Literal)):
        return None
    if node.op in ("==", "!=") and _compact_value_ok(right.value, in_list=False):
        return Compact("eq" if node.op == "==" else "ne", (right.value,))
    listed = node.op in ("in", "not in") and isinstance(right.value, tuple) and right.value
    if listed and all(_compact_value_ok(v, in_list=True) for v in right.value):
        return Compact("in" if node.op == "in" else "notin", right.value)
    return None


def print_condition(condition: Condition) -> str:
    """The canonical text of a parsed condition."""
    if isinstance(condition, Always):
        if not condition.written:
            return ""
        return "true" if condition.value else "false"
    if isinstance(condition, Timeout):
        return f"timeout:{condition.amount}{condition.unit}"
    if isinstance(condition, Compact):
        return f"{condition.op}:{','.join(condition.values)}"
    node = condition.node
    compact = _as_compact(node)
    if compact is not None:
        return print_condition(compact)
    if isinstance(node, Literal) and isinstance(node.value, bool):
        return "true" if node.value else "false"
    return _print_node(node)


def _precedence(node: Node) -> int:
    if isinstance(node, BoolOp):
        return _PRECEDENCE[node.op]
    if isinstance(node, Not):
        return _PRECEDENCE["not"]
    if isinstance(node, Compare):
        return _PRECEDENCE["compare"]
    return _PRECEDENCE["atom"]


def _wrap(node: Node, minimum: int) -> str:
    text = _print_node(node)
    return f"({text})" if _precedence(node) < minimum else text


def _print_node(node: Node) -> str:
    if isinstance(node, BoolOp):
        level = _PRECEDENCE[node.op]
        return f"{_wrap(node.left, level)} {node.op} {_wrap(node.right, level + 1)}"
    if isinstance(node, Not):
        return f"not {_wrap(node.operand, _PRECEDENCE['not'])}"
    if isinstance(node, Compare):
        level = _PRECEDENCE["atom"]
        return f"{_wrap(node.left, level)} {node.op} {_wrap(node.right, level)}"
    if isinstance(node, Name):
        if node.path == ("condition",):
            return "instance.condition"
        return "instance." + ".".join(node.path)
    return _print_literal(node.value)


def _print_literal(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, tuple):
        return "[" + ", ".join(_print_literal(v) for v in value) + "]"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace("'", "\\'")
        escaped = escaped.replace("\n", "\\n").replace("\t", "\\t")
        return f"'{escaped}'"
    return repr(value)
