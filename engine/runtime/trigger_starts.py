"""Starting a run for a trigger: the one path every trigger kind takes.

``start_for_trigger(trigger, data, facts)`` is called inside the caller's
transaction (the schedule's compare-and-set, the model event's outbox row,
the signal's delivery) and:

- does nothing but audit ``trigger.skipped`` when the trigger's version is
  not published or its process is paused (reason in the facts), or when the
  trigger says ``concurrency: skip`` and a run it started is still open;
- otherwise checks the data against the process's input schema and starts
  the run through ``start_or_join``: a process with a singleton key whose
  value matches an active run joins that run (``joined`` in the facts)
  instead of making a second one;
- records ``trigger.fired`` on the run (with the trigger key and ``facts``)
  and sets ``ProcessInstance.trigger_key`` on a run it created;
- records ``trigger.failed`` (with the error) when the start fails; the
  start runs in a savepoint, so a failure never undoes the caller's work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from engine import schemas
from engine.models import ProcessInstance, RunState, Trigger, VersionStatus
from engine.runtime.audit import batch, record
from engine.runtime.data import check_size
from engine.runtime.effects import Effects
from engine.runtime.starts import start_or_join

log = logging.getLogger("engine.triggers")

OPEN_RUN = (RunState.RUNNING, RunState.WAITING, RunState.SUSPENDED, RunState.FAILED)


@dataclass
class TriggerStart:
    """What a trigger's start did: ``run`` is None when skipped or failed."""

    outcome: str  # "started", "joined", "skipped", "failed"
    run: ProcessInstance | None = None


def start_for_trigger(
    trigger: Trigger, data: dict[str, Any], facts: dict[str, Any]
) -> TriggerStart:
    """Start (or join) a run of the trigger's version with ``data``; audited either way."""
    version = trigger.version
    process = version.process
    facts = {"trigger": trigger.key, **facts}
    reason = _not_armed(trigger)
    if reason:
        facts["reason"] = reason
        record("trigger.skipped", process=process, version=version, metadata=facts)
        return TriggerStart("skipped")
    running = open_run_of(trigger) if trigger.concurrency == "skip" else None
    if running is not None:
        facts["running"] = running
        record("trigger.skipped", process=process, version=version, metadata=facts)
        return TriggerStart("skipped")
    effects = Effects()
    try:
        # A savepoint: a failed start leaves the caller's work; the start's audit
        # events and trigger.fired are written in one INSERT.
        with transaction.atomic(), batch():
            checked = checked_data(trigger, data)
            run, created = start_or_join(version, checked, effects=effects, trigger_key=trigger.key)
            if not created:  # the process's singleton key matched an active run: no second run
                facts["joined"] = True
            record("trigger.fired", run, metadata=facts)
            effects.schedule()
    except Exception as exc:
        log.warning("trigger %s of %s failed to start a run: %s", trigger.key, version, exc)
        facts["error"] = str(exc)[:1000]
        record("trigger.failed", process=process, version=version, metadata=facts)
        return TriggerStart("failed")
    return TriggerStart("started" if created else "joined", run)


def _not_armed(trigger: Trigger) -> str:
    version = trigger.version
    if version.status != VersionStatus.PUBLISHED:
        return "the trigger's version is no longer published"
    if version.process.paused:
        return "the process is paused"
    return ""


def open_run_of(trigger: Trigger) -> int | None:
    """An open run this trigger started (for ``concurrency: skip``)."""
    return (
        ProcessInstance.objects.filter(
            process_id=trigger.version.process_id, trigger_key=trigger.key, state__in=OPEN_RUN
        )
        .values_list("pk", flat=True)
        .first()
    )


def checked_data(trigger: Trigger, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the input schema's defaults, refused when it does not match."""
    schema = trigger.version.process.input_schema or {}
    data = schemas.apply_defaults(schema, dict(data or {}))
    check_size(data)
    errors = schemas.validate(schema, data)
    if errors:
        listed = "; ".join(f"{e['path'] or '(top)'}: {e['message']}" for e in errors[:5])
        raise ValueError(f"the trigger's data does not match the input schema: {listed}")
    return data
