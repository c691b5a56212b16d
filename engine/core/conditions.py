"""Transition conditions: parsed into a small AST of our own, never ``eval``-ed.

Forms (any case for prefixes and keywords):

    ""                      always true
    true / false
    eq:APPROVED             instance.condition == "APPROVED"
    ne:X, in:A,B, notin:A,B
    timeout:3d              taken only by the timeout scan (evaluate() is false)
    workitem.time_out(3, unit='days')       legacy spelling of timeout:3d
    APPROVED, 'APPROVED'    a bare value: eq:APPROVED
    expressions             instance.condition == 'A' and instance.data.amount >= 100

Names: ``instance.condition`` (the last outcome chosen) and
``instance.data.<field>[.<field>...]`` (``data.<field>`` is accepted and
written as ``instance.data.<field>``). A missing field is null. Fields
starting with ``_`` are refused, so no attribute walking is possible: data is
only ever read with mapping lookups.

``normalize`` gives one canonical text per meaning: compact forms when an
expression only compares ``instance.condition`` with strings, otherwise the
expression with single quotes, one space around operators and only the
parentheses precedence needs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from engine.core.durations import UNITS, DurationError, normalize_duration, unit_letter

__all__ = [
    "ConditionError",
    "check",
    "check_path",
    "evaluate",
    "is_timeout",
    "normalize",
    "parse",
    "referenced_outcomes",
    "resolve_path",
    "timeout_delta",
]

MAX_LENGTH = 2000
MAX_DEPTH = 32
MAX_LIST = 200
MAX_NUMBER_CHARS = 30
STRATEGIES = ("compatible", "strict")


class ConditionError(ValueError):
    """An invalid condition, with the 0-based position of the problem in the text."""

    def __init__(self, message: str, position: int = 0):
        self.message = message
        self.position = position
        super().__init__(f"{message} at position {position}")


# AST ---------------------------------------------------------------------------


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
    operand: Any


@dataclass(frozen=True)
class BoolOp:
    op: str  # and, or
    left: Any
    right: Any


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >= in "not in"
    left: Any
    right: Any


@dataclass(frozen=True)
class Expression:
    node: Any


Condition = Always | Compact | Timeout | Expression


# Tokens ------------------------------------------------------------------------


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


def tokenize(text: str) -> list[Token]:
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
            raw = match.group()
            if len(raw) > MAX_NUMBER_CHARS:
                raise ConditionError("number too long", pos)
            value = float(raw) if any(c in raw for c in ".eE") else int(raw)
            tokens.append(Token("num", value, pos))
        elif kind in ("name", "op"):
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", None, len(text)))
    return tokens


# Expression parser (precedence climbing) -----------------------------------------

_COMPARISONS = {"==", "!=", "<", "<=", ">", ">="}
_KEYWORD_LITERALS = {
    "true": True,
    "True": True,
    "false": False,
    "False": False,
    "null": None,
    "None": None,
}
_RESERVED = {"and", "or", "not", "in"}


class _Parser:
    def __init__(self, text: str, offset: int = 0):
        self.text = text
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

    def parse(self) -> Any:
        node = self.parse_or()
        if not self.at("end"):
            token = self.peek()
            raise self.error(f"unexpected {_describe(token)}", token)
        return node

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("the condition is nested too deeply")

    def parse_or(self) -> Any:
        node = self.parse_and()
        while self.at("name", "or"):
            self.take()
            node = BoolOp("or", node, self.parse_and())
        return node

    def parse_and(self) -> Any:
        node = self.parse_not()
        while self.at("name", "and"):
            self.take()
            node = BoolOp("and", node, self.parse_not())
        return node

    def parse_not(self) -> Any:
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
            return token.value
        if token.kind == "name" and token.value == "in":
            return "in"
        if token.kind == "name" and token.value == "not" and self.peek(1).value == "in":
            return "not in"
        return None

    def parse_comparison(self) -> Any:
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

    def parse_primary(self) -> Any:
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
        if token.kind == "name" and token.value not in _KEYWORD_LITERALS:
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
        if token.kind == "name" and token.value in _KEYWORD_LITERALS:
            return _KEYWORD_LITERALS[token.value]
        raise self.error(f"expected a value, found {_describe(token)}", token)

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
        return _name_from_parts(parts, self.offset)


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "end of text"
    if token.kind == "str":
        return f"string {token.value!r}"
    return repr(str(token.value))


def _name_from_parts(parts: list[Token], offset: int = 0) -> Name:
    words = [p.value for p in parts]
    for part in parts:
        if part.value.startswith("_"):
            raise ConditionError(
                f"field names may not start with '_' ({part.value!r})", part.pos + offset
            )
        if part.value in _RESERVED:
            raise ConditionError(f"{part.value!r} is a keyword, not a name", part.pos + offset)
    if words == ["instance", "condition"]:
        return Name(("condition",))
    if words[:2] == ["instance", "data"] and len(words) > 2:
        return Name(("data", *words[2:]))
    if words[0] == "data" and len(words) > 1:
        return Name(("data", *words[1:]))
    if words[0] == "instance" and len(words) > 1:
        bad = parts[1]
        raise ConditionError(
            f"unknown name 'instance.{bad.value}': allowed are instance.condition "
            "and instance.data.<field>",
            bad.pos + offset,
        )
    raise ConditionError(
        f"unknown name {'.'.join(words)!r}: allowed are instance.condition and "
        "instance.data.<field>",
        parts[0].pos + offset,
    )


# Whole-condition forms -------------------------------------------------------------

_PREFIX = re.compile(r"^\s*(eq|ne|in|notin|not[\s_]*in|timeout)\s*:", re.IGNORECASE)
_LEGACY_TIMEOUT = re.compile(r"^\s*workitem\s*\.\s*time_?out\s*\((.*)\)\s*$", re.IGNORECASE | re.S)
_LEGACY_ARGS = re.compile(
    r"""^\s*(?P<amount>[^,]*?)\s*(?:,\s*(?:unit\s*=\s*)?(?P<q>['"])(?P<unit>[^'"]*)(?P=q)\s*)?$""",
    re.S,
)
_BARE = re.compile(r"""^[^\s'"()\[\],:=<>!]+$""")


def _strip_quotes(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def parse(text: str) -> Condition:
    """Parse a condition; raise ConditionError with the position of the first problem."""
    if not isinstance(text, str):
        raise ConditionError("a condition must be text", 0)
    return _parse_cached(text)


# The engine evaluates the same few conditions again and again; parsed trees are
# immutable, so they can be shared. Errors are not cached (they are re-raised).
@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Condition:
    if not isinstance(text, str):
        raise ConditionError("a condition must be text", 0)
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"a condition is at most {MAX_LENGTH} characters", MAX_LENGTH)
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    if not stripped:
        return Always(True, written=False)
    if stripped.lower() in ("true", "false"):
        return Always(stripped.lower() == "true")
    prefix = _PREFIX.match(text)
    if prefix:
        return _parse_prefixed(text, prefix)
    legacy = _LEGACY_TIMEOUT.match(text)
    if legacy:
        return _parse_legacy_timeout(text, legacy)
    if len(stripped) >= 2 and stripped[0] in "'\"" and stripped[-1] == stripped[0]:
        inner = _strip_quotes(stripped)
        if stripped[0] not in inner:
            if not inner.strip():
                raise ConditionError("an empty value", lead)
            return Compact("eq", (inner.strip(),))
    try:
        return Expression(_Parser(text).parse())
    except ConditionError:
        if _BARE.match(stripped) and not _looks_like_name(stripped):
            return Compact("eq", (stripped,))
        raise


def _looks_like_name(text: str) -> bool:
    head = text.split(".", 1)[0]
    return head in ("instance", "data", "workitem") and "." in text


def _parse_prefixed(text: str, prefix: re.Match) -> Condition:
    raw_op = re.sub(r"[\s_]", "", prefix.group(1).lower())
    body_at = prefix.end()
    body = text[body_at:]
    if raw_op == "timeout":
        try:
            canonical = normalize_duration(body)
        except DurationError as exc:
            raise ConditionError(f"timeout: {exc.message}", body_at + exc.position) from exc
        return Timeout(int(canonical[:-1]), canonical[-1])
    if raw_op in ("eq", "ne"):
        value = _strip_quotes(body.strip()).strip()
        if not value:
            raise ConditionError(f"{raw_op}: needs a value", body_at)
        return Compact(raw_op, (value,))
    items = []
    position = body_at
    for raw in body.split(","):
        item = _strip_quotes(raw.strip()).strip()
        if not item:
            raise ConditionError(f"{raw_op}: has an empty item", position)
        items.append(item)
        position += len(raw) + 1
    if len(items) > MAX_LIST:
        raise ConditionError(f"a list holds at most {MAX_LIST} items", body_at)
    return Compact(raw_op, tuple(items))


def _parse_legacy_timeout(text: str, match: re.Match) -> Timeout:
    args_at = match.start(1)
    args = _LEGACY_ARGS.match(match.group(1))
    if args is None:
        raise ConditionError("expected time_out(<amount>, unit='days')", args_at)
    amount_text = args.group("amount")
    if not re.fullmatch(r"\d+", amount_text):
        raise ConditionError("the timeout amount must be a whole number above zero", args_at)
    unit = args.group("unit") if args.group("unit") is not None else "days"
    try:
        canonical = normalize_duration(f"{amount_text}{unit_letter(unit)}")
    except DurationError as exc:
        raise ConditionError(f"timeout: {exc.message}", args_at) from exc
    return Timeout(int(canonical[:-1]), canonical[-1])


# Normalization -------------------------------------------------------------------


def normalize(text: str) -> str:
    """The canonical text of a condition (raises ConditionError for invalid text)."""
    return _print_condition(parse(text))


def _compact_value_ok(value: Any, *, in_list: bool) -> bool:
    return (
        isinstance(value, str)
        and value != ""
        and value == value.strip()
        and (not in_list or "," not in value)
        and value[:1] not in "'\""
        and value[-1:] not in "'\""
    )


def _as_compact(node: Any) -> Compact | None:
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


def _print_condition(condition: Condition) -> str:
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
        return _print_condition(compact)
    if isinstance(node, Literal) and isinstance(node.value, bool):
        return "true" if node.value else "false"
    return _print_node(node)


_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "atom": 5}


def _precedence(node: Any) -> int:
    if isinstance(node, BoolOp):
        return _PRECEDENCE[node.op]
    if isinstance(node, Not):
        return _PRECEDENCE["not"]
    if isinstance(node, Compare):
        return _PRECEDENCE["compare"]
    return _PRECEDENCE["atom"]


def _wrap(node: Any, minimum: int) -> str:
    text = _print_node(node)
    return f"({text})" if _precedence(node) < minimum else text


def _print_node(node: Any) -> str:
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


# Evaluation ------------------------------------------------------------------------


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


def _evaluate_condition(parsed: Condition, condition: str | None, data: Mapping) -> bool:
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


def _value(node: Any, condition: str | None, data: Mapping) -> Any:
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
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _same(left: Any, right: Any) -> bool:
    # true is not 1 here: run data comes from JSON, where they differ.
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if isinstance(left, list):
        left = tuple(left)
    if isinstance(right, list):
        right = tuple(right)
    return left == right


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


# Helpers for the engine and the validator ---------------------------------------------


def check(text: str, *, strategy: str = "compatible") -> tuple[str, ConditionError | None]:
    """The text to store for a condition, and the problem if it is kept although invalid."""
    try:
        return normalize(text), None
    except ConditionError as exc:
        if strategy == "strict":
            raise
        return (text or "").strip(), exc


def is_timeout(text: str) -> bool:
    try:
        return isinstance(parse(text), Timeout)
    except ConditionError:
        return False


def timeout_delta(text: str) -> timedelta | None:
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


def _collect_outcomes(node: Any, found: set[str]) -> None:
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


def check_path(path: str) -> Name:
    """Parse a data path (``data.manager``, ``instance.data.order.id`` or ``manager``)."""
    if not isinstance(path, str) or not path.strip():
        raise ConditionError("expected a data path such as data.manager", 0)
    if len(path) > 255:
        raise ConditionError("a data path is at most 255 characters", 255)
    parser = _Parser(path)
    parts = []
    token = parser.take()
    if token.kind != "name":
        raise ConditionError("expected a data path such as data.manager", token.pos)
    parts.append(token)
    while parser.at("op", "."):
        parser.take()
        token = parser.take()
        if token.kind != "name":
            raise ConditionError("expected a field name after '.'", token.pos)
        parts.append(token)
    if not parser.at("end"):
        raise parser.error(f"unexpected {_describe(parser.peek())}")
    if parts[0].value not in ("data", "instance"):
        parts = [Token("name", "data", 0), *parts]  # a bare field name means data.<field>
    name = _name_from_parts(parts)
    if name.path == ("condition",):
        raise ConditionError("a data path reads run data: use data.<field>", 0)
    return name


def resolve_path(path: str, data: Mapping[str, Any] | None) -> Any:
    """The value at a data path in run data; None when missing or the path is invalid."""
    try:
        name = check_path(path)
    except ConditionError:
        return None
    return _lookup(name.path[1:], data or {})
