"""Automatic-task handlers: registered by name with @handler, or given as dotted paths.

    from engine.handlers import handler, HandlerResult

    @handler("billing.charge")
    def charge(ctx):
        # ctx.data: the run data (a copy); ctx.idempotency_key: the same for
        # every attempt of this step, pass it on to the payment provider.
        ...
        return {"charged": True}                  # data to merge into the run
        # or: return HandlerResult({"charged": True}, outcome="CHARGED")

A handler returns ``None``, a dict (merged into the run data) or a
``HandlerResult`` (data and an outcome, which becomes ``instance.condition``).
Raising retries the step per the activity's retry policy. A handler runs in a
Django-Q2 worker, outside any database transaction, and may run more than
once for one step (a worker killed mid-step, a lost message re-sent): make
its side effects idempotent with ``ctx.idempotency_key``. Its result is
recorded exactly once.

A compensation handler has the same signature; ``ctx.error`` says why the
step fell out.

``WAYMARK_HANDLERS = {"name": "package.module.function"}`` registers more by
setting. An activity's ``handler`` is a registered name or a dotted path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.module_loading import import_string

from engine.conf import waymark_setting

_registry: dict[str, Callable[..., Any]] = {}


class UnknownHandler(LookupError):
    pass


@dataclass
class HandlerContext:
    """What a handler gets: the run data and the identity of the step."""

    data: dict[str, Any]
    instance_id: int
    workitem_id: int
    activity_key: str
    idempotency_key: str
    attempt: int = 1  # 1 for the first try
    business_key: str = ""
    error: str = ""  # for compensation handlers: why the step fell out

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def workitem(self):
        from engine.models import WorkItem

        return WorkItem.objects.select_related("instance").get(pk=self.workitem_id)


@dataclass
class HandlerResult:
    """Data to merge into the run, and optionally an outcome for the transitions."""

    data: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None


def as_result(value: Any) -> HandlerResult:
    """A handler's return value as a HandlerResult (TypeError for anything else)."""
    if value is None:
        return HandlerResult()
    if isinstance(value, HandlerResult):
        if not isinstance(value.data or {}, Mapping):
            raise TypeError("HandlerResult.data must be a dict")
        return HandlerResult(dict(value.data or {}), value.outcome)
    if isinstance(value, Mapping):
        return HandlerResult(dict(value))
    raise TypeError(
        f"a handler returns None, a dict or a HandlerResult, not {type(value).__name__}"
    )


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
