"""The expression parser (precedence climbing) and the names it accepts.

Precedence, loosest first: ``or``, ``and``, ``not``, one comparison (chains
such as ``a < b < c`` are refused), then values, names, lists and
parentheses. Nesting is limited so a hostile text cannot exhaust the stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.core.conditions.lexer import Token, describe, tokenize
from engine.core.conditions.syntax import (
    MAX_DEPTH,
    MAX_LIST,
    BoolOp,
    Compare,
    ConditionError,
    Literal,
    Name,
    Node,
    Not,
)

_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}
KEYWORD_LITERALS: dict[str, Any] = {
    "true": True,
    "True": True,
    "false": False,
    "False": False,
    "null": None,
    "None": None,
}
_RESERVED = {"and", "or", "not", "in"}
_ALLOWED = "allowed are instance.condition and instance.data.<field>"


class Parser:
    """Reads one expression from ``text``; positions in errors are shifted by ``offset``.

    ``names`` turns dotted name tokens into a Name: transitions' names by
    default; trigger conditions pass the ``record`` root's (conditions.records).
    """

    def __init__(
        self,
        text: str,
        offset: int = 0,
        names: Callable[[list[Token], int], Name] | None = None,
    ):
        self.text = text
        self.names = names or name_from_parts
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.offset = offset

    def error(self, message: str, token: Token | None = None) -> ConditionError:
        token = token or self.peek()
        return ConditionError(message, token.pos + self.offset)

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.i += 1
        return token

    def at(self, kind: str, value: Any = None) -> bool:
        token = self.peek()
        return token.kind == kind and (value is None or token.value == value)

    def expect(self, kind: str, value: str) -> Token:
        if not self.at(kind, value):
            raise self.error(f"expected {value!r}")
        return self.take()

    def parse(self) -> Node:
        node = self.parse_or()
        if not self.at("end"):
            token = self.peek()
            raise self.error(f"unexpected {describe(token)}", token)
        return node

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("the condition is nested too deeply")

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.at("name", "or"):
            self.take()
            node = BoolOp("or", node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.at("name", "and"):
            self.take()
            node = BoolOp("and", node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        if self.at("name", "not"):
            self.take()
            self.nest()
            node = Not(self.parse_not())
            self.depth -= 1
            return node
        return self.parse_comparison()

    def comparison_operator(self) -> str | None:
        token = self.peek()
        if token.kind == "op" and token.value in _COMPARISONS:
            return str(token.value)
        if token.kind == "name" and token.value == "in":
            return "in"
        if token.kind == "name" and token.value == "not" and self.peek(1).value == "in":
            return "not in"
        return None

    def parse_comparison(self) -> Node:
        left = self.parse_primary()
        op = self.comparison_operator()
        if op is None:
            return left
        self.take()
        if op == "not in":
            self.take()
        right = self.parse_primary()
        if self.comparison_operator() is not None:
            raise self.error("chained comparisons are not supported: join them with 'and'")
        return Compare(op, left, right)

    def parse_primary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.value == "(":
            self.take()
            self.nest()
            node = self.parse_or()
            self.depth -= 1
            self.expect("op", ")")
            return node
        if token.kind == "op" and token.value == "[":
            return self.parse_list()
        if token.kind == "name" and token.value not in KEYWORD_LITERALS:
            return self.parse_name()
        return Literal(self.parse_literal())

    def parse_literal(self) -> Any:
        token = self.take()
        if token.kind == "str":
            return token.value
        if token.kind == "num":
            return token.value
        if token.kind == "op" and token.value == "-" and self.at("num"):
            return -self.take().value
        if token.kind == "name" and token.value in KEYWORD_LITERALS:
            return KEYWORD_LITERALS[token.value]
        raise self.error(f"expected a value, found {describe(token)}", token)

    def parse_list(self) -> Literal:
        self.take()
        items: list[Any] = []
        while not self.at("op", "]"):
            if len(items) >= MAX_LIST:
                raise self.error(f"a list holds at most {MAX_LIST} items")
            items.append(self.parse_literal())
            if self.at("op", ","):
                self.take()
            elif not self.at("op", "]"):
                raise self.error("expected ',' or ']'")
        self.take()
        return Literal(tuple(items))

    def parse_name(self) -> Name:
        first = self.take()
        parts = [first]
        while self.at("op", "."):
            self.take()
            token = self.peek()
            if token.kind != "name":
                raise self.error("expected a field name after '.'")
            parts.append(self.take())
        return self.names(parts, self.offset)


def check_words(parts: list[Token], offset: int) -> None:
    for part in parts:
        if part.value.startswith("_"):
            raise ConditionError(
                f"field names may not start with '_' ({part.value!r})", part.pos + offset
            )
        if part.value in _RESERVED:
            raise ConditionError(f"{part.value!r} is a keyword, not a name", part.pos + offset)


def name_from_parts(parts: list[Token], offset: int = 0) -> Name:
    """The name that dotted name tokens spell, or a ConditionError saying what is allowed."""
    check_words(parts, offset)
    words = [p.value for p in parts]
    if words == ["instance", "condition"]:
        return Name(("condition",))
    if words[:2] == ["instance", "data"] and len(words) > 2:
        return Name(("data", *words[2:]))
    if words[0] == "data" and len(words) > 1:
        return Name(("data", *words[1:]))
    if words[0] == "instance" and len(words) > 1:
        bad = parts[1]
        raise ConditionError(f"unknown name 'instance.{bad.value}': {_ALLOWED}", bad.pos + offset)
    raise ConditionError(f"unknown name {'.'.join(words)!r}: {_ALLOWED}", parts[0].pos + offset)
