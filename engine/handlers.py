"""Automatic-task handlers: only functions an administrator registered with Waymark run.

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
Raising retries the step per the activity's retry policy; so does calling
``sys.exit()`` or raising ``KeyboardInterrupt`` (the worker survives). A
handler runs in a Django-Q2 worker, outside any database transaction, and may
run more than once for one step (a worker killed mid-step, a lost message
re-sent): make its side effects idempotent with ``ctx.idempotency_key``. Its
result is recorded exactly once.

A compensation handler has the same signature; ``ctx.error`` says why the
step fell out.

Registering. A definition is data a designer wrote, so its ``handler`` is only
ever a *name* looked up in the registry below; Waymark never imports what a
definition names. The registry is filled by administrators, in settings:

- ``WAYMARK_HANDLER_MODULES = ["billing.handlers"]``: modules imported once
  when the app is ready, so their ``@handler`` registrations count;
- ``WAYMARK_HANDLERS = {"billing.refund": "billing.legacy.refund"}``: a name
  for a function given by dotted path (imported when first called).

Any other name is an error that blocks publishing (validation code WM114); a
published run whose handler is no longer registered falls out with an
incident saying so. A module or path of these settings that does not import
is reported by the system check ``waymark.E010`` (``manage.py check``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.utils.module_loading import import_string

from engine.conf import waymark_setting

_registry: dict[str, Callable[..., Any]] = {}

# What a handler may raise that the worker records as a failed attempt. sys.exit()
# and KeyboardInterrupt are not Exceptions; uncaught, they would end the worker
# process and the step would never count an attempt. (A Django-Q2 worker ignores
# SIGINT, so a KeyboardInterrupt there comes from the handler's own code.)
FAILURES = (Exception, SystemExit, KeyboardInterrupt)


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
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a handler's name is a non-empty string")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        _registry[name] = func
        return func

    return register


def not_registered(name: str) -> str:
    """What to say about a handler name nobody registered (validation and incidents)."""
    return (
        f"handler {name!r} is not registered. Register it with @handler({name!r}) in a "
        "module listed in WAYMARK_HANDLER_MODULES, or map the name to a function in "
        "WAYMARK_HANDLERS."
    )


def exists(name: str) -> bool:
    """Whether ``name`` is registered; never imports anything."""
    return name in _registry or name in _configured()


def resolve(name: str) -> Callable[..., Any]:
    """The function registered as ``name``; UnknownHandler for any other name.

    The name is never imported: only a path an administrator set in
    WAYMARK_HANDLERS is (settings are trusted; a definition is not).
    """
    if name in _registry:
        return _registry[name]
    path = _configured().get(name)
    if path is None:
        raise UnknownHandler(not_registered(name))
    try:
        func = import_string(path)
    except ImportError as exc:
        raise UnknownHandler(
            f"handler {name!r} is set to {path!r} in WAYMARK_HANDLERS, which cannot be "
            f"imported: {exc}"
        ) from exc
    if not callable(func):
        raise UnknownHandler(f"handler {name!r} ({path!r} in WAYMARK_HANDLERS) is not callable.")
    return func


def describe_failure(exc: BaseException) -> str:
    """The error text recorded on the workitem for what a handler raised."""
    if isinstance(exc, SystemExit):
        return f"SystemExit: the handler called sys.exit({exc.code!r})"
    return f"{type(exc).__name__}: {exc}"


def registered() -> list[str]:
    """Every name a definition may use."""
    return sorted(set(_registry) | set(_configured()))


def load_modules() -> list[tuple[str, str]]:
    """Import the modules of WAYMARK_HANDLER_MODULES (their @handler calls register).

    Called once when the app is ready, and again by the system check (a module
    already imported is not run twice). Returns ``(module, error)`` for each
    one that could not be imported, instead of raising: a broken setting is
    reported by ``manage.py check`` (waymark.E010), not by a crash at start-up.
    """
    modules = waymark_setting("HANDLER_MODULES")
    if isinstance(modules, str) or not isinstance(modules, list | tuple):
        return [(repr(modules), "WAYMARK_HANDLER_MODULES must be a list of module paths")]
    errors = []
    for module in modules:
        try:
            import_module(module)
        except Exception as exc:  # the administrator's module: report any failure
            errors.append((str(module), f"{type(exc).__name__}: {exc}"))
    return errors


def _configured() -> dict[str, str]:
    configured = waymark_setting("HANDLERS")
    return configured if isinstance(configured, dict) else {}
