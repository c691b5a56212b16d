"""A trigger's audit events in words: what fired, why it was skipped, why it failed.

The facts are the event's metadata as the runtime records them
(``engine.runtime.trigger_starts``): the trigger key, then what the kind
knows (``scheduled_for``, ``missed``, ``record``, ``due_at``...), and for a
skip its ``reason`` or the ``running`` run, for a failure its ``error``.
"""

from __future__ import annotations

from typing import Any

# Facts shown after the sentence, in this order, with these names.
_FACT_NAMES = (
    ("scheduled_for", "scheduled for"),  # schedule
    ("due_at", "due at"),  # date_event
    ("record", "record"),
    ("event", "on"),  # model_event: create, update, delete
    ("model", "model"),
    ("pk", "record"),
    ("signal", "signal"),  # signal starts
    ("correlation", "correlation"),
    ("attempts", "attempts"),
    ("next_due", "next due"),
)


def describe(action: str, metadata: dict[str, Any] | None, run_id: int | None = None) -> str:
    """One sentence for a ``trigger.*`` event ('' for any other action)."""
    if not action.startswith("trigger.") or not isinstance(metadata, dict):
        return ""
    key = metadata.get("trigger") or "?"
    outcome = action.removeprefix("trigger.")
    if outcome == "fired":
        text = f"Trigger {key} fired: " + (
            f"joined the active run {run_id} (singleton key)"
            if metadata.get("joined")
            else f"started run {run_id}"
            if run_id
            else "started a run"
        )
    elif outcome == "skipped":
        text = f"Trigger {key} skipped: {_skip_reason(metadata)}"
    elif outcome == "failed":
        text = f"Trigger {key} failed: {metadata.get('error') or 'no reason recorded'}"
    else:
        text = f"Trigger {key} {outcome}"
    details = [f"{name} {metadata[fact]}" for fact, name in _FACT_NAMES if fact in metadata]
    if metadata.get("missed"):
        details.append("a missed fire, caught up once")
    if metadata.get("late"):
        details.append("late")
    return text + (f" ({'; '.join(details)})" if details else "") + "."


def _skip_reason(metadata: dict[str, Any]) -> str:
    if metadata.get("running"):
        return f"run {metadata['running']} of this trigger is still active (concurrency: skip)"
    reason = metadata.get("reason") or "no reason recorded"
    if reason == "condition":
        return f"the condition {metadata.get('condition', '')!r} is false for the record"
    return str(reason)
