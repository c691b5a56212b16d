"""A draft's default retry policy: the one its automatic and HTTP tasks fall back on.

It is checked exactly as the file format checks ``process.default_retry``
(``definition_format.RetrySpec``), so whatever a door stores can be exported
and imported again. Stored complete (every field), as an import stores it;
``{}`` means none (the built-in policy).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from pydantic import ValidationError as PydanticValidationError

from engine import definition_format as fmt
from engine.errors import DefinitionError
from engine.models import Version
from engine.services.drafts import lock_draft

FIELD = "default_retry"
RETRY_FIELDS = tuple(fmt.RetrySpec.model_fields)


def check_default_retry(value: Any) -> dict[str, Any]:
    """The policy as stored ({} for None or {}), or a DefinitionError naming the field."""
    if value is None or value == {}:
        return {}
    if not isinstance(value, dict):
        raise DefinitionError(
            f"{FIELD}: Give an object with {', '.join(RETRY_FIELDS)}, or null for none.",
            field=FIELD,
        )
    try:
        return fmt.RetrySpec(**value).model_dump()
    except PydanticValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in (FIELD, *problem["loc"]))
        raise DefinitionError(f"{where}: {problem['msg']}.", field=where) from exc


@transaction.atomic
def set_default_retry(version: Version, value: Any, *, user=None) -> Version:
    """Set (a mapping of RetrySpec fields) or clear (None or {}) a draft's default retry."""
    version = lock_draft(version)  # a frozen version is refused before its input is read
    stored = check_default_retry(value)
    if version.default_retry != stored:
        version.default_retry = stored
        version.save(update_fields=[FIELD])
    return version
