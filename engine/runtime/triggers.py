"""Schedule triggers fired by the timer loop.

Each armed schedule is one ``ScheduleFire`` row holding its next fire time in
UTC. Firing moves the row to its next time with a compare-and-set on
``due_at`` in the same transaction as the start, so with several timer loops
a fire is recorded once: the loop that loses the compare-and-set does nothing.

Missed fires (everything was down past one or more fire times): the trigger
fires once, for the latest missed time, and is then armed for its next time
after now. A day of downtime starts one nightly run, not a burst.

``concurrency: skip`` records ``trigger.skipped`` instead of starting while a
run started by this trigger is still open; a start that fails (its data no
longer matches the process's input schema, say) records ``trigger.failed``.
Either way the schedule moves on.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from engine import schemas
from engine.core import triggers as core
from engine.models import (
    ProcessInstance,
    RunState,
    ScheduleFire,
    Trigger,
    VersionStatus,
)
from engine.runtime.audit import record
from engine.runtime.data import check_size
from engine.runtime.effects import Effects
from engine.runtime.starts import start_or_join

log = logging.getLogger("engine.triggers")

BATCH = 200
OPEN_RUN = (RunState.RUNNING, RunState.WAITING, RunState.SUSPENDED, RunState.FAILED)


def _due(now: datetime, limit: int) -> list[tuple[int, datetime]]:
    rows = (
        ScheduleFire.objects.filter(due_at__lte=now, process__paused=False)
        .order_by("due_at", "pk")
        .values_list("pk", "due_at")[:limit]
    )
    return list(rows)


def fire_due_schedules(now: datetime | None = None, limit: int = BATCH) -> int:
    """Fire every schedule due at ``now``; returns how many fired (started, skipped or failed)."""
    now = now or timezone.now()
    fired = 0
    for pk, due_at in _due(now, limit):
        try:
            if fire_schedule(pk, due_at, now):
                fired += 1
        except Exception:  # one bad schedule must not stop the others
            log.exception("schedule %s could not fire", pk)
    return fired


def next_schedule_in(now: datetime | None = None) -> float | None:
    """Seconds until the next armed schedule of an unpaused process (None: none is armed)."""
    now = now or timezone.now()
    due = (
        ScheduleFire.objects.filter(process__paused=False)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    return None if due is None else max((due - now).total_seconds(), 0.0)


@transaction.atomic
def fire_schedule(pk: int, due_at: datetime, now: datetime) -> bool:
    """Fire one schedule that was due at ``due_at``; False when another loop fired it."""
    trigger = Trigger.objects.select_related("version__process").filter(fire__pk=pk).first()
    if trigger is None:  # disarmed since the poll read it
        return False
    version = trigger.version
    if version.status != VersionStatus.PUBLISHED or version.process.paused:
        return False
    scheduled_for = core.latest_fire(trigger.cron, trigger.timezone, now)
    next_due = core.next_fire(trigger.cron, trigger.timezone, now)
    moved = ScheduleFire.objects.filter(pk=pk, due_at=due_at).update(
        due_at=next_due, last_fired_at=scheduled_for, fires=F("fires") + 1
    )
    if not moved:  # another timer loop fired it first
        return False
    facts = {
        "trigger": trigger.key,
        "scheduled_for": scheduled_for.isoformat(),
        "missed": scheduled_for > due_at,  # fired once for the latest of several missed times
        "next_due": next_due.isoformat(),
    }
    running = _open_run_of(trigger) if trigger.concurrency == "skip" else None
    if running is not None:
        facts["running"] = running
        record("trigger.skipped", process=version.process, version=version, metadata=facts)
        return True
    _start(trigger, facts)
    return True


def _open_run_of(trigger: Trigger) -> int | None:
    return (
        ProcessInstance.objects.filter(
            process_id=trigger.version.process_id, trigger_key=trigger.key, state__in=OPEN_RUN
        )
        .values_list("pk", flat=True)
        .first()
    )


def _start(trigger: Trigger, facts: dict[str, Any]) -> None:
    """Start a run with the trigger's data; a failure is audited, never lost silently."""
    version = trigger.version
    effects = Effects()
    try:
        with transaction.atomic():  # a savepoint: a failed start leaves the fire recorded
            data = _start_data(trigger)
            run, created = start_or_join(version, data, effects=effects)
            if created:
                ProcessInstance.objects.filter(pk=run.pk).update(trigger_key=trigger.key)
                run.trigger_key = trigger.key
            else:  # the process's singleton key matched an active run: no second run
                facts["joined"] = True
            record("trigger.fired", run, metadata=facts)
            effects.schedule()
    except Exception as exc:
        log.warning("schedule %s of %s failed to start a run: %s", trigger.key, version, exc)
        facts["error"] = str(exc)[:1000]
        record("trigger.failed", process=version.process, version=version, metadata=facts)


def _start_data(trigger: Trigger) -> dict[str, Any]:
    schema = trigger.version.process.input_schema or {}
    data = schemas.apply_defaults(schema, dict(trigger.data or {}))
    check_size(data)
    errors = schemas.validate(schema, data)
    if errors:
        listed = "; ".join(f"{e['path'] or '(top)'}: {e['message']}" for e in errors[:5])
        raise ValueError(f"the trigger's data does not match the input schema: {listed}")
    return data
