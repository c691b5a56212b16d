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

The catalogue. ``@handler("billing.charge", description="Charge the card",
reads=["amount"], writes=["charged"])`` also says what the handler does and
which data keys it reads and writes (the description defaults to the first
line of the docstring). ``catalogue()`` lists every registered handler with
these; the designer's Handlers page, the editor's picker and
``GET /api/v1/handlers/`` show it.

Dry runs. A dry run of a draft (engine.runtime.dry_run) calls a handler only
when the person asks; then ``ctx.dry_run`` is True, and the ids are 0: a
handler with side effects should skip them then.

Any other name is an error that blocks publishing (validation code WM114); a
published run whose handler is no longer registered falls out with an
incident saying so. A module or path of these settings that does not import
is reported by the system check ``waymark.E010`` (``manage.py check``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.utils.module_loading import import_string

from engine.conf import waymark_setting

_registry: dict[str, Callable[..., Any]] = {}
_described: dict[str, HandlerInfo] = {}

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
    dry_run: bool = False  # True in a dry run of a draft: skip side effects

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @property
    def workitem(self):
        if self.dry_run:
            raise LookupError("a dry run has no workitem (ctx.dry_run is True)")
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


@dataclass(frozen=True)
class HandlerInfo:
    """One entry of the catalogue: what a handler does and the data keys it uses."""

    name: str
    description: str = ""
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    module: str = ""
    problem: str = ""  # a WAYMARK_HANDLERS path that does not import

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "reads": list(self.reads),
            "writes": list(self.writes),
            "module": self.module,
            "problem": self.problem,
        }


def handler(
    name: str,
    *,
    description: str | None = None,
    reads: Iterable[str] = (),
    writes: Iterable[str] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function as the handler called ``name``.

    ``description`` (else the docstring's first line), ``reads`` and ``writes``
    (data keys) are for the catalogue people pick handlers from.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a handler's name is a non-empty string")
    reads, writes = _keys(reads, "reads"), _keys(writes, "writes")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        _registry[name] = func
        _described[name] = _info(name, func, description, reads, writes)
        return func

    return register


def _keys(keys: Iterable[str], what: str) -> tuple[str, ...]:
    if isinstance(keys, str) or not all(isinstance(k, str) for k in keys):
        raise ValueError(f"a handler's {what} is a list of data keys (strings)")
    return tuple(keys)


def _first_line(func: Any) -> str:
    lines = (getattr(func, "__doc__", None) or "").strip().splitlines()
    return lines[0].strip() if lines else ""


def _info(name: str, func: Any, description: str | None, reads=(), writes=()) -> HandlerInfo:
    module = getattr(func, "__module__", "") or ""
    qualname = getattr(func, "__qualname__", "") or ""
    return HandlerInfo(
        name=name,
        description=description if description is not None else _first_line(func),
        reads=tuple(reads),
        writes=tuple(writes),
        module=f"{module}.{qualname}" if qualname else module,
    )


def catalogue() -> list[HandlerInfo]:
    """Every registered handler, by name, with its description and data keys.

    A name mapped in WAYMARK_HANDLERS is imported here to read its docstring
    (settings are trusted); a path that does not import is listed with the
    problem instead.
    """
    entries = {
        name: _described.get(name) or _info(name, func, None) for name, func in _registry.items()
    }
    for name, path in _configured().items():
        if name in _registry:
            continue
        try:
            entries[name] = _info(name, import_string(path), None)
        except ImportError as exc:
            entries[name] = HandlerInfo(name, module=str(path), problem=f"cannot import: {exc}")
    return [entries[name] for name in sorted(entries)]


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
