"""Data of record triggers: ``record.<field>`` values read from the saved record.

A record trigger's ``data`` is the started run's data. A value that is a
string of exactly the form ``record.<field>`` (``{group_id: record.pk}``) is
replaced by that field's value in the record; every other value is literal,
including strings that merely contain ``record.`` (``"see record.pk"``).
Nested objects and lists are walked, so ``{guest: {id: record.pk}}`` works.
A field missing from the record gives null. Schedule and signal triggers'
data stay literal: they have no record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_REFERENCE = re.compile(r"^record\.([A-Za-z][A-Za-z0-9_]*)$")


def record_reference(value: Any) -> str | None:
    """The field a data value reads (``"record.pk"`` -> ``"pk"``); None for a literal."""
    if not isinstance(value, str):
        return None
    match = _REFERENCE.match(value.strip())
    return match.group(1) if match else None


def data_fields(data: Any) -> set[str]:
    """Every record field the data reads, at any depth."""
    found: set[str] = set()
    _walk_fields(data, found)
    return found


def _walk_fields(value: Any, found: set[str]) -> None:
    field = record_reference(value)
    if field is not None:
        found.add(field)
    elif isinstance(value, Mapping):
        for item in value.values():
            _walk_fields(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _walk_fields(item, found)


def resolve_data(data: Any, record: Mapping[str, Any]) -> Any:
    """``data`` with every ``record.<field>`` value replaced by the record's value."""
    field = record_reference(data)
    if field is not None:
        return record.get(field)
    if isinstance(data, Mapping):
        return {key: resolve_data(value, record) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [resolve_data(item, record) for item in data]
    return data
