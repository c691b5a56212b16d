"""A dry run of a stored version: its graph walked in memory (engine.core.dry_run).

Reads the version and nothing else: no run, workitem, timer or audit row is
written, no webhook is sent and no queue message is scheduled. The sample data
is checked against the process's input schema, and each form against its
task's schema, as a real start and a real completion would. A handler is
called only when asked for, with ``ctx.dry_run`` True; what it does outside
Waymark is its own business (see engine/handlers.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine import handlers, schemas
from engine.conf import condition_strategy
from engine.core.dry_run import DryRunInputError, DryRunResult, dry_run
from engine.core.graph import Activity
from engine.errors import InvalidData
from engine.models import Version

__all__ = ["DryRunResult", "check_sample_data", "dry_run_version"]


def dry_run_version(
    version: Version,
    data: Any,
    answers: Any = None,
    *,
    pass_waits: bool = False,
    call_handlers: bool = False,
    may_call: bool = True,
) -> DryRunResult:
    """Walk ``version`` with ``data`` and ``answers``; InvalidData (400) for bad input.

    ``may_call`` False (a caller who may not design): no handler is called, whatever
    the answers ask; an answer that asks for a call stops the walk with a reason.
    """
    try:
        return dry_run(
            version.graph(),
            start_data(version, data),
            answers,
            pass_waits=pass_waits,
            call_handlers=call_handlers and may_call,
            call_handler=call_handler if may_call else None,
            check_form=check_form,
            strategy=condition_strategy(),
        )
    except DryRunInputError as exc:
        raise InvalidData(str(exc), exc.errors) from exc


def start_data(version: Version, data: Any) -> dict[str, Any]:
    """The sample data with the input schema's defaults; DryRunInputError if it does not fit."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise DryRunInputError(
            "The sample data must be a JSON object.", [{"path": "data", "message": "not an object"}]
        )
    schema = version.process.input_schema or {}
    data = schemas.apply_defaults(schema, dict(data))
    errors = schemas.validate(schema, data)
    if errors:
        listed = "; ".join(f"{e['path'] or '(data)'}: {e['message']}" for e in errors[:5])
        raise DryRunInputError(
            f"The sample data does not fit the process's input schema: {listed}",
            [{"path": f"data.{e['path']}".rstrip("."), "message": e["message"]} for e in errors],
        )
    return data


def check_sample_data(version: Version, data: Any) -> None:
    """InvalidData (paths ``data.<field>``) when ``data`` does not fit the input schema."""
    try:
        start_data(version, data)
    except DryRunInputError as exc:
        raise InvalidData(str(exc), exc.errors) from exc


def check_form(schema: dict[str, Any], form: dict[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    """A task's form with its defaults, and its problems (as a completion checks it)."""
    form = schemas.apply_defaults(schema, form)
    return form, schemas.validate(schema, form)


def call_handler(activity: Activity, data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Call the registered handler of ``activity`` in dry-run mode."""
    func = handlers.resolve(activity.handler)  # UnknownHandler says how to register it
    ctx = handlers.HandlerContext(
        data=data,
        instance_id=0,
        workitem_id=0,
        activity_key=activity.key,
        idempotency_key=f"dry-run:{activity.key}",
        dry_run=True,
    )
    try:
        result = handlers.as_result(func(ctx))
    except (SystemExit, KeyboardInterrupt) as exc:
        # Not Exceptions: the dry run reports them as it reports any failure.
        raise RuntimeError(handlers.describe_failure(exc)) from exc
    return result.data, result.outcome
