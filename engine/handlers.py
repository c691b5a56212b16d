"""Automatic-task handlers: registered by name with @handler, or given as dotted paths.

    from engine.handlers import handler

    @handler("billing.charge")
    def charge(ctx):
        ...
        return {"charged": True}

``WAYMARK_HANDLERS = {"name": "package.module.function"}`` registers more by
setting. An activity's ``handler`` is a registered name or a dotted path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string

from engine.conf import waymark_setting

_registry: dict[str, Callable[..., Any]] = {}


class UnknownHandler(LookupError):
    pass


def handler(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function as the handler called ``name``."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        _registry[name] = func
        return func

    return register


def resolve(name: str) -> Callable[..., Any]:
    if name in _registry:
        return _registry[name]
    configured = waymark_setting("HANDLERS").get(name)
    path = configured or name
    if "." not in path:
        raise UnknownHandler(f"No handler is registered as {name!r}.")
    try:
        func = import_string(path)
    except ImportError as exc:
        raise UnknownHandler(f"The handler {name!r} cannot be imported: {exc}") from exc
    if not callable(func):
        raise UnknownHandler(f"The handler {name!r} is not callable.")
    return func


def exists(name: str) -> bool:
    try:
        resolve(name)
    except UnknownHandler:
        return False
    return True


def registered() -> list[str]:
    return sorted(set(_registry) | set(waymark_setting("HANDLERS")))
