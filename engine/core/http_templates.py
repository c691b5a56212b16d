"""The request of an HTTP task built from run data: ``{data.x}`` placeholders.

Pure Python. A definition is data, so an HTTP task's URL and body are
templates with one kind of placeholder and nothing else (no expressions, no
code, no Jinja):

- in the URL, ``{data.order.id}`` is replaced by that value of the run data,
  URL-encoded (``/`` too), so a value cannot change the host or add a path;
- in the body (a JSON object), a string that is only a placeholder,
  ``"{data.items}"``, becomes the value itself with its JSON type (a list
  stays a list); a placeholder inside longer text is replaced by the value
  as text.

A placeholder whose path is missing from the data is an error (the step
fails, saying which), never an empty string sent by accident. Any other
brace is plain text.

The answer is picked with a result path (``id``, ``result.items.0``; digits
index lists) and stored under a result key, or merged into the data when it
is an object and no key is set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PLACEHOLDER = re.compile(r"\{(data(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\}")
RESULT_PATH = re.compile(r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")
DATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~\-]{1,100}$")
SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$")
# Headers the task sets itself; a definition may not name them.
RESERVED_HEADERS = frozenset({"host", "content-length", "idempotency-key", "transfer-encoding"})


class TemplateError(ValueError):
    """A placeholder could not be filled, or the answer has no such path."""


_MISSING = object()


def _value_at(path: str, data: Mapping[str, Any]) -> Any:
    current: Any = data
    for part in path.split(".")[1:]:  # after "data"
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


def _filled(path: str, data: Mapping[str, Any]) -> Any:
    value = _value_at(path, data)
    if value is _MISSING:
        raise TemplateError(f"{path} is not in the run data")
    return value


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def render_url(template: str, data: Mapping[str, Any]) -> str:
    """The URL with each placeholder replaced by its URL-encoded value."""
    return PLACEHOLDER.sub(
        lambda m: quote(_as_text(_filled(m.group(1), data)), safe=""), template.strip()
    )


def render_body(body: Any, data: Mapping[str, Any]) -> Any:
    """The body with its placeholders filled (a lone placeholder keeps the value's type)."""
    if isinstance(body, str):
        whole = PLACEHOLDER.fullmatch(body.strip())
        if whole:
            return _filled(whole.group(1), data)
        return PLACEHOLDER.sub(lambda m: _as_text(_filled(m.group(1), data)), body)
    if isinstance(body, Mapping):
        return {key: render_body(value, data) for key, value in body.items()}
    if isinstance(body, list):
        return [render_body(value, data) for value in body]
    return body


def pick(answer: Any, path: str) -> Any:
    """The part of a JSON answer at ``path`` (all of it for "")."""
    current = answer
    for part in path.split(".") if path else ():
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise TemplateError(f"the answer has no {path!r} (no {part!r})")
    return current


def placeholders(template: Any) -> list[str]:
    """Every data path a URL or body template reads."""
    if isinstance(template, str):
        return PLACEHOLDER.findall(template)
    if isinstance(template, Mapping):
        return [p for value in template.values() for p in placeholders(value)]
    if isinstance(template, list):
        return [p for value in template for p in placeholders(value)]
    return []


def url_problem(template: str) -> str | None:
    """Why a URL template cannot be used, or None."""
    text = (template or "").strip()
    if not text:
        return "no URL is set"
    if not text.lower().startswith(("http://", "https://")):
        return f"the URL {text!r} must start with https:// (or http://)"
    if any(ch.isspace() for ch in text):
        return "the URL must not contain spaces"
    # Run data is untrusted: it may fill the path and the query, never choose the host.
    authority = re.split(r"[/?#]", text.split("://", 1)[1], maxsplit=1)[0]
    if "{" in authority or "}" in authority:
        return (
            f"the URL {text!r}: placeholders may fill the path and the query, "
            "not the scheme, host or port (write them out)"
        )
    return None


def header_problems(headers: Any) -> list[str]:
    """Why a header table (header name -> secret name) cannot be used."""
    if not isinstance(headers, Mapping):
        return ["the headers must be a JSON object of header name -> secret name"]
    problems = []
    for name, secret in headers.items():
        if not HEADER_NAME.match(str(name)):
            problems.append(f"{name!r} is not a header name")
        elif str(name).lower() in RESERVED_HEADERS:
            problems.append(f"the header {name!r} is set by Waymark itself")
        if not isinstance(secret, str) or not SECRET_NAME.match(secret):
            problems.append(
                f"the header {name!r} must name a secret (letters, digits, _ . -), not hold a value"
            )
    return problems
