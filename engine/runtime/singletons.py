"""Singleton runs: at most one active run of a process per value of its ``singleton_key``.

A process's ``singleton_key`` is a data path into a run's start data
(``data.group_id``). Every run made by ``walk.create_run`` stores the start
data's value there in ``singleton_value``; a partial unique constraint over
active runs (running, waiting, failed, suspended; migration 0007) keeps one
active run per process and value, even when starts race on PostgreSQL.
``engine.runtime.starts.start_or_join`` is the start that returns the active
run instead of failing on that constraint.
"""

from __future__ import annotations

import json
from typing import Any

from engine.core.conditions import ConditionError, check_path
from engine.errors import InvalidData
from engine.models import Process, ProcessInstance
from engine.runtime.audit import record

MAX_VALUE = 200  # ProcessInstance.singleton_value's length


def singleton_value(process: Process, data: dict) -> str:
    """The start data's value at the process's singleton key as text ("" when it has no key).

    Strings are kept as written; numbers and booleans are written as JSON, so
    ``5`` and ``"5"`` are the same key. A missing, null, empty, list or object
    value is refused with InvalidData: such a start could never be deduplicated.
    """
    key = process.singleton_key
    if not key:
        return ""
    fields = _fields(key)
    key = "data." + ".".join(fields)
    path = ".".join(fields)  # where in the data, as schema errors say it
    value = _lookup(fields, data)
    if value is None or value == "":
        raise InvalidData(
            f"This process keeps one active run per {key}, so the start data needs a "
            f"value at {key} (it is missing, null or empty).",
            [{"path": path, "message": f"required: one active run per {key}"}],
        )
    if isinstance(value, dict | list):
        raise InvalidData(
            f"The value at {key} identifies the run, so it must be a string, a number or "
            f"a boolean, not {'an object' if isinstance(value, dict) else 'a list'}.",
            [{"path": path, "message": "must be a string, a number or a boolean"}],
        )
    text = value if isinstance(value, str) else _scalar_text(value)
    if len(text) > MAX_VALUE:
        raise InvalidData(
            f"The value at {key} is at most {MAX_VALUE} characters.",
            [{"path": path, "message": f"at most {MAX_VALUE} characters"}],
        )
    return text


def _fields(key: str) -> tuple[str, ...]:
    # Parsed again here: a key written by any door (or an old file) reads the same field.
    try:
        return check_path(key).path[1:]
    except ConditionError as exc:  # only a key saved around the services (a shell)
        raise InvalidData(
            f"The process's singleton_key {key!r} is not a data path ({exc}): fix it in "
            "the process's settings."
        ) from exc


def _lookup(fields: tuple[str, ...], data: dict) -> Any:
    current: Any = data
    for field in fields:
        if not isinstance(current, dict):
            return None
        current = current.get(field)
    return current


def _scalar_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 5.0 and 5 are one key
    return json.dumps(value)


def active_run(process: Process, value: str) -> ProcessInstance | None:
    """The active run of ``process`` holding ``value``, if any (at most one exists)."""
    if not value:
        return None
    return ProcessInstance.objects.active().filter(process=process, singleton_value=value).first()


def record_joined(run: ProcessInstance, process: Process, *, user: Any, business_key: str) -> None:
    """Audit a start that returned ``run`` instead of making a second one."""
    metadata: dict[str, Any] = {
        "singleton_key": process.singleton_key,
        "value": run.singleton_value,
    }
    if business_key:
        metadata["business_key"] = business_key
    record("run.start_deduplicated", run, actor=user, metadata=metadata)
