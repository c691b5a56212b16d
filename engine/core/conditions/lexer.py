"""Tokens of the expression language (strings, numbers, names, operators)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from engine.core.conditions.syntax import MAX_NUMBER_CHARS, ConditionError


@dataclass(frozen=True)
class Token:
    kind: str  # str, num, name, op, end
    value: Any
    pos: int


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,|\.|-)
  | (?P<quote>['"])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}


def _read_string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(_ESCAPES.get(text[i + 1], "\\" + text[i + 1]))
            i += 2
            continue
        if ch == quote:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise ConditionError("unterminated string", start)


def _number(raw: str, pos: int) -> int | float:
    if len(raw) > MAX_NUMBER_CHARS:
        raise ConditionError("number too long", pos)
    return float(raw) if any(c in raw for c in ".eE") else int(raw)


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token at its length."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ConditionError(f"unexpected character {text[pos]!r}", pos)
        kind = match.lastgroup
        if kind == "quote":
            value, end = _read_string(text, pos)
            tokens.append(Token("str", value, pos))
            pos = end
            continue
        if kind == "num":
            tokens.append(Token("num", _number(match.group(), pos), pos))
        elif kind in ("name", "op"):
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", None, len(text)))
    return tokens


def describe(token: Token) -> str:
    """A token as an error message names it."""
    if token.kind == "end":
        return "end of text"
    if token.kind == "str":
        return f"string {token.value!r}"
    return repr(str(token.value))
