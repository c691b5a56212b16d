"""A saved record as record triggers see it: a JSON object of its concrete fields.

Each concrete field appears under its name with its stored value (a foreign
key as the related row's id, under the field's name, not ``<name>_id``),
plus ``pk``. Values are made JSON-safe so conditions can compare them and
the snapshot can be kept in the outbox:

- dates, date-times and times: ISO 8601 text (date-times as stored, in UTC
  when time zones are on), so ``record.day >= '2026-01-01'`` compares text;
- Decimals: numbers (floats), so ``record.total >= 100`` works; a value that
  needs more than a float's precision is rounded;
- UUIDs as text, durations as seconds, binary fields as null (never copied);
- anything else that JSON cannot hold: its text.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db import models

from engine.runtime.record_access import readable_fields


def json_value(value: Any) -> Any:
    """One field value made JSON-safe (see the module docstring)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return None
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return str(value)


def record_of(instance: models.Model) -> dict[str, Any]:
    """The record of a model instance: ``{field name: value, ..., "pk": pk}``.

    Only the fields triggers may read (engine.runtime.record_access): a secret
    or unlisted field is never copied into a snapshot, whatever a trigger names.
    """
    readable = readable_fields(type(instance))
    record: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name in readable:
            record[field.name] = json_value(getattr(instance, field.attname, None))
    record["pk"] = json_value(instance.pk)
    return record


def attname_of(model: type[models.Model], name: str) -> str:
    """The column attribute of field ``name`` (``owner`` -> ``owner_id``)."""
    return str(getattr(model._meta.get_field(name), "attname", name))


def loaded_values(instance: models.Model, names: tuple[str, ...]) -> dict[str, Any] | None:
    """The current values of fields ``names`` without loading anything (None: one is deferred)."""
    values: dict[str, Any] = {}
    for name in names:
        attname = attname_of(type(instance), name)
        if attname not in instance.__dict__:
            return None
        values[name] = json_value(instance.__dict__[attname])
    return values
