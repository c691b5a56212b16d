"""What the engine and the validator ask of a condition besides its value."""

from __future__ import annotations

from datetime import timedelta

from engine.core.conditions.forms import parse
from engine.core.conditions.printer import normalize
from engine.core.conditions.syntax import (
    BoolOp,
    Compact,
    Compare,
    ConditionError,
    Expression,
    Literal,
    Name,
    Node,
    Not,
    Timeout,
)
from engine.core.durations import UNITS


def check(text: str, *, strategy: str = "compatible") -> tuple[str, ConditionError | None]:
    """The text to store for a condition, and the problem if it is kept although invalid."""
    try:
        return normalize(text), None
    except ConditionError as exc:
        if strategy == "strict":
            raise
        return (text or "").strip(), exc


def is_timeout(text: str) -> bool:
    """Whether the condition is a timeout (taken only by the timeout scan)."""
    try:
        return isinstance(parse(text), Timeout)
    except ConditionError:
        return False


def timeout_delta(text: str) -> timedelta | None:
    """How long a timeout condition waits; None for any other condition."""
    try:
        parsed = parse(text)
    except ConditionError:
        return None
    if not isinstance(parsed, Timeout):
        return None
    return timedelta(seconds=parsed.amount * UNITS[parsed.unit])


def referenced_outcomes(text: str) -> set[str] | None:
    """The outcomes a condition compares instance.condition with (None if it compares none)."""
    try:
        parsed = parse(text)
    except ConditionError:
        return None
    if isinstance(parsed, Compact):
        return set(parsed.values)
    if not isinstance(parsed, Expression):
        return None
    found: set[str] = set()
    _collect_outcomes(parsed.node, found)
    return found or None


def _collect_outcomes(node: Node, found: set[str]) -> None:
    if isinstance(node, BoolOp):
        _collect_outcomes(node.left, found)
        _collect_outcomes(node.right, found)
    elif isinstance(node, Not):
        _collect_outcomes(node.operand, found)
    elif isinstance(node, Compare):
        sides = (node.left, node.right)
        if any(isinstance(s, Name) and s.path == ("condition",) for s in sides):
            for side in sides:
                if isinstance(side, Literal):
                    values = side.value if isinstance(side.value, tuple) else (side.value,)
                    found.update(v for v in values if isinstance(v, str))
