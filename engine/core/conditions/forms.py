"""Whole-condition forms: empty, true/false, compact prefixes, the legacy timeout,
a bare value, and otherwise an expression; plus data paths.
"""

from __future__ import annotations

import functools
import re

from engine.core.conditions.lexer import Token, describe
from engine.core.conditions.parser import Parser, name_from_parts
from engine.core.conditions.syntax import (
    MAX_LENGTH,
    MAX_LIST,
    Always,
    Compact,
    Condition,
    ConditionError,
    Expression,
    Name,
    Timeout,
)
from engine.core.durations import DurationError, normalize_duration, unit_letter

_PREFIX = re.compile(r"^\s*(eq|ne|in|notin|not[\s_]*in|timeout)\s*:", re.IGNORECASE)
_LEGACY_TIMEOUT = re.compile(r"^\s*workitem\s*\.\s*time_?out\s*\((.*)\)\s*$", re.IGNORECASE | re.S)
_LEGACY_ARGS = re.compile(
    r"""^\s*(?P<amount>[^,]*?)\s*(?:,\s*(?:unit\s*=\s*)?(?P<q>['"])(?P<unit>[^'"]*)(?P=q)\s*)?$""",
    re.S,
)
_BARE = re.compile(r"""^[^\s'"()\[\],:=<>!]+$""")


def strip_quotes(value: str) -> str:
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
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"a condition is at most {MAX_LENGTH} characters", MAX_LENGTH)
    stripped = text.strip()
    if not stripped:
        return Always(True, written=False)
    if stripped.lower() in ("true", "false"):
        return Always(stripped.lower() == "true")
    prefix = _PREFIX.match(text)
    if prefix:
        return _parse_prefixed(text, prefix)
    legacy = _LEGACY_TIMEOUT.match(text)
    if legacy:
        return _parse_legacy_timeout(legacy)
    quoted = _parse_quoted(stripped, lead=len(text) - len(text.lstrip()))
    if quoted is not None:
        return quoted
    try:
        return Expression(Parser(text).parse())
    except ConditionError:
        if _BARE.match(stripped) and not _looks_like_name(stripped):
            return Compact("eq", (stripped,))
        raise


def _parse_quoted(stripped: str, lead: int) -> Compact | None:
    """A whole condition in quotes (``'APPROVED'``) is the outcome it names."""
    if len(stripped) < 2 or stripped[0] not in "'\"" or stripped[-1] != stripped[0]:
        return None
    inner = strip_quotes(stripped)
    if stripped[0] in inner:
        return None  # 'a' == 'b': an expression, not one quoted value
    if not inner.strip():
        raise ConditionError("an empty value", lead)
    return Compact("eq", (inner.strip(),))


def _looks_like_name(text: str) -> bool:
    head = text.split(".", 1)[0]
    return head in ("instance", "data", "workitem") and "." in text


def _parse_prefixed(text: str, prefix: re.Match[str]) -> Condition:
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
        value = strip_quotes(body.strip()).strip()
        if not value:
            raise ConditionError(f"{raw_op}: needs a value", body_at)
        return Compact(raw_op, (value,))
    return Compact(raw_op, _list_items(raw_op, body, body_at))


def _list_items(op: str, body: str, body_at: int) -> tuple[str, ...]:
    items = []
    position = body_at
    for raw in body.split(","):
        item = strip_quotes(raw.strip()).strip()
        if not item:
            raise ConditionError(f"{op}: has an empty item", position)
        items.append(item)
        position += len(raw) + 1
    if len(items) > MAX_LIST:
        raise ConditionError(f"a list holds at most {MAX_LIST} items", body_at)
    return tuple(items)


def _parse_legacy_timeout(match: re.Match[str]) -> Timeout:
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


def check_path(path: str) -> Name:
    """Parse a data path (``data.manager``, ``instance.data.order.id`` or ``manager``)."""
    if not isinstance(path, str) or not path.strip():
        raise ConditionError("expected a data path such as data.manager", 0)
    if len(path) > 255:
        raise ConditionError("a data path is at most 255 characters", 255)
    parser = Parser(path)
    parts = [_path_word(parser.take(), "expected a data path such as data.manager")]
    while parser.at("op", "."):
        parser.take()
        parts.append(_path_word(parser.take(), "expected a field name after '.'"))
    if not parser.at("end"):
        raise parser.error(f"unexpected {describe(parser.peek())}")
    if parts[0].value not in ("data", "instance"):
        parts = [Token("name", "data", 0), *parts]  # a bare field name means data.<field>
    name = name_from_parts(parts)
    if name.path == ("condition",):
        raise ConditionError("a data path reads run data: use data.<field>", 0)
    return name


def _path_word(token: Token, message: str) -> Token:
    if token.kind != "name":
        raise ConditionError(message, token.pos)
    return token
