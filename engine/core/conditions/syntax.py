"""The parts every condition module shares: the error, the limits and the tree.

A parsed condition is one of four forms (``Condition``); an expression holds a
tree of ``Node`` values. Every class is frozen, so parsed trees can be cached
and shared between threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 2000
MAX_DEPTH = 32
MAX_LIST = 200
MAX_NUMBER_CHARS = 30


class ConditionError(ValueError):
    """An invalid condition, with the 0-based position of the problem in the text."""

    def __init__(self, message: str, position: int = 0):
        self.message = message
        self.position = position
        super().__init__(f"{message} at position {position}")


@dataclass(frozen=True)
class Always:
    value: bool
    written: bool = True  # False for the empty condition ("always", with nothing written)


@dataclass(frozen=True)
class Compact:
    op: str  # eq, ne, in, notin
    values: tuple[str, ...]


@dataclass(frozen=True)
class Timeout:
    amount: int
    unit: str


@dataclass(frozen=True)
class Literal:
    value: Any  # str, int, float, bool, None, or a tuple of those


@dataclass(frozen=True)
class Name:
    path: tuple[str, ...]  # ("condition",) or ("data", field, ...)


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # and, or
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >= in "not in"
    left: Node
    right: Node


Node = Literal | Name | Not | BoolOp | Compare


@dataclass(frozen=True)
class Expression:
    node: Node


Condition = Always | Compact | Timeout | Expression
