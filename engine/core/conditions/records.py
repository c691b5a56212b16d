"""Trigger conditions: the condition language over a saved record (``record.<field>``).

Record triggers (model_event, date_event) write conditions such as
``record.name == 'vip'`` or ``record.is_active == true and record.total >= 100``.
The operators, literals and comparison rules are the transitions' (see the
package docstring); only the names differ: ``record.<field>[.<key>...]`` is
the one root, and ``instance.*`` / ``data.*`` are refused here just as
``record`` is refused in transition conditions. An empty condition always
holds. A record is a plain mapping (field name to JSON value); a missing
field is null.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from engine.core.conditions.evaluator import _value
from engine.core.conditions.lexer import Token
from engine.core.conditions.parser import Parser, check_words
from engine.core.conditions.syntax import (
    MAX_LENGTH,
    BoolOp,
    Compare,
    ConditionError,
    Name,
    Node,
    Not,
)

ROOT = "record"
_ALLOWED = "a trigger condition reads the saved record: record.<field>"


def record_name(parts: list[Token], offset: int = 0) -> Name:
    """``record.<field>[...]`` as ``Name(("record", field, ...))``; anything else is refused."""
    check_words(parts, offset)
    words = [p.value for p in parts]
    if words[0] == ROOT and len(words) > 1:
        return Name((ROOT, *words[1:]))
    raise ConditionError(f"unknown name {'.'.join(words)!r}: {_ALLOWED}", parts[0].pos + offset)


def parse_record_condition(text: str) -> Node | None:
    """The parsed condition (None: empty, always holds); ConditionError with a position."""
    if not isinstance(text, str):
        raise ConditionError("a condition must be text", 0)
    return _parse_cached(text)


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> Node | None:
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"a condition is at most {MAX_LENGTH} characters", MAX_LENGTH)
    if not text.strip():
        return None
    return Parser(text, names=record_name).parse()


def record_condition_fields(text: str) -> set[str]:
    """The record fields a condition reads (``record.total`` -> ``total``)."""
    found: set[str] = set()
    node = parse_record_condition(text)
    if node is not None:
        _collect_fields(node, found)
    return found


def _collect_fields(node: Node, found: set[str]) -> None:
    if isinstance(node, Name):
        found.add(node.path[1])
    elif isinstance(node, Not):
        _collect_fields(node.operand, found)
    elif isinstance(node, BoolOp | Compare):
        _collect_fields(node.left, found)
        _collect_fields(node.right, found)


def record_condition_holds(text: str, record: Mapping[str, Any]) -> bool:
    """Whether the condition holds over ``record``; ConditionError if it does not parse.

    Evaluation itself never raises: comparing values of different types is false.
    """
    node = parse_record_condition(text)
    if node is None:
        return True
    # Names are ("record", field, ...): the evaluator reads path[1:] from the mapping.
    return bool(_value(node, None, record))
