"""Singleton keys as the definition doors take them (the runs side: engine.runtime.singletons)."""

from __future__ import annotations

from typing import Any

from engine.core.conditions import ConditionError, check_path
from engine.errors import DefinitionError


def check_singleton_key(text: Any) -> str:
    """The key in its one written form (``data.<field>...``), "" for none, or DefinitionError.

    The path rules are the conditions' (engine.core.conditions.check_path):
    ``group_id``, ``data.group_id`` and ``instance.data.group_id`` are one key.
    """
    if text is None:
        return ""
    if not isinstance(text, str):
        raise DefinitionError(
            "singleton_key: expected a data path such as data.group_id, "
            f"not {type(text).__name__}.",
            field="singleton_key",
        )
    if not text.strip():
        return ""
    try:
        name = check_path(text.strip())
    except ConditionError as exc:
        raise DefinitionError(f"singleton_key: {exc}", field="singleton_key") from exc
    return "data." + ".".join(name.path[1:])
