"""Request body parsers: JSON with a size cap and a check for text the database refuses."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, get_encoding

from engine.api.errors import RequestTooLarge


def _limit() -> int:
    return int(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", None) or 2_621_440)


def read_body(stream, parser_context: dict | None) -> bytes:
    """The raw body, refused with 413 when it is over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    limit = _limit()
    request = (parser_context or {}).get("request")
    declared = 0
    if request is not None:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
    if declared > limit:
        raise RequestTooLarge(
            f"The request body is {declared:,} bytes; the limit is {limit:,} bytes."
        )
    raw = stream.read(limit + 1) if stream is not None else b""
    if len(raw) > limit:
        raise RequestTooLarge(f"The request body is over the limit of {limit:,} bytes.")
    return raw


BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
# Deeper JSON is refused: run data this deep is a mistake, and the engine (which
# copies, encodes and compares data recursively) must never meet it.
MAX_DEPTH = 64


def find_bad_text(value: Any) -> str | None:
    """What is wrong with parsed JSON that the database or the engine cannot take, or None.

    Text with a NUL or a lone surrogate (no database stores them), a number
    that overflows to infinity (``1e400``), or nesting deeper than MAX_DEPTH.
    Walks with a stack, so any depth is safe to check.
    """
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"nested deeper than {MAX_DEPTH} levels (at {path or 'the body'})"
        if isinstance(item, float) and not math.isfinite(item):
            return f"a number too large for JSON (at {path or 'the body'})"
        if isinstance(item, str):
            if BAD_TEXT.search(item):
                return f"text with a NUL character or a lone surrogate (at {path or 'the body'})"
        elif isinstance(item, dict):
            for key, child in item.items():
                where = f"{path}.{key}" if path else str(key)
                if BAD_TEXT.search(str(key)):
                    return f"a key with a NUL character or a lone surrogate (at {where})"
                stack.append((child, where, depth + 1))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                stack.append((child, f"{path}.{index}" if path else str(index), depth + 1))
    return None


def _no_constants(name: str):
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(BaseParser):
    """Strict JSON (no NaN/Infinity), at most DATA_UPLOAD_MAX_MEMORY_SIZE, no NUL characters."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = read_body(stream, parser_context)
        encoding = get_encoding(parser_context or {})
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_no_constants)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"Malformed JSON: {exc}") from exc
        except RecursionError as exc:
            raise ParseError("Malformed JSON: nested too deeply.") from exc
        problem = find_bad_text(data)
        if problem is not None:
            raise ParseError(f"The body cannot be stored: {problem}.")
        return data


@dataclass(frozen=True)
class RawBody:
    """A body kept as sent, for the service that knows how to read it."""

    text: bytes
    media_type: str


class DefinitionTextParser(BaseParser):
    """A definition file sent as the raw body (YAML or JSON text): parsed later, by the service."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return RawBody(read_body(stream, parser_context), media_type or "")
