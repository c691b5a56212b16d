"""Checking a change of a run's data against its process's input schema.

The input schema describes the start data; a running run's data also holds
what its steps added. So a merge is checked field by field: each changed
field the schema declares must match its declaration, other fields are free.
A replacement is the whole start data again, so it is checked like a start.
"""

from __future__ import annotations

from typing import Any

from engine import schemas
from engine.errors import InvalidData

# Keywords a field's declaration may refer to ($ref into them).
_SHARED = ("$schema", "$defs", "definitions", "$id")


def check_change(schema: dict | None, changes: dict, *, replace: bool) -> None:
    """InvalidData listing each problem when ``changes`` break ``schema`` (see above)."""
    if not schema:
        return
    if replace:
        wanted: Any = schema
    else:
        declared = schema.get("properties") if isinstance(schema, dict) else None
        fields = {k: v for k, v in (declared or {}).items() if k in changes}
        if not fields:
            return
        wanted = {k: schema[k] for k in _SHARED if k in schema}
        wanted.update(type="object", properties=fields)
    errors = schemas.validate(wanted, changes)
    if errors:
        listed = "; ".join(f"{e['path'] or '(top)'}: {e['message']}" for e in errors[:5])
        raise InvalidData(f"The data change does not match the input schema: {listed}", errors)
