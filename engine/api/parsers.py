"""Request body parsers: JSON with a size cap and a check for text the database refuses."""

from __future__ import annotations

import json
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


def find_bad_text(value: Any, path: str = "") -> str | None:
    """The path of the first text with a NUL or a lone surrogate (no database stores them)."""
    if isinstance(value, str):
        return path if BAD_TEXT.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if BAD_TEXT.search(str(key)):
                return where
            found = find_bad_text(item, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = find_bad_text(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
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
        where = find_bad_text(data)
        if where is not None:
            raise ParseError(
                "Text may not contain NUL characters or lone surrogates "
                f"(at {where or 'the body'})."
            )
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
