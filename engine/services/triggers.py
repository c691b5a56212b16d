"""Triggers: a draft's triggers edited, a published version's schedules armed, pausing.

Triggers are part of a version: they are edited on drafts only (the rows
refuse a frozen version), copied on clone, compared by key, exported, and
frozen on publish. Publishing arms one ``ScheduleFire`` per schedule trigger
(its next fire time, computed in the trigger's zone, stored in UTC); retiring
or rolling back disarms them. A paused process keeps its rows, but the timer
loop fires none of them; resuming moves each to its next time from now, so a
pause never releases a burst of fires.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from engine.core import triggers as core
from engine.errors import DefinitionError, InvalidData
from engine.models import Process, ScheduleFire, Trigger, Version
from engine.models.definitions import KEY_PATTERN
from engine.runtime import audit, date_events
from engine.runtime.data import check_size, jsonable
from engine.services import drafts
from engine.services import trigger_records as records

TRIGGER_FIELDS = (
    "kind",
    "cron",
    "timezone",
    "concurrency",
    "data",
    "model",
    "on",
    "condition",
    "watch",
    "date_field",
    "offset",
    "signal",
)
_KIND_FIELDS = TRIGGER_FIELDS[1:]


# Editing a draft's triggers -----------------------------------------------------------


def check_trigger(trigger: Trigger) -> None:
    """Refuse what the file format refuses, with the same words, from every door."""
    problem = core.kind_problem(trigger.kind)
    if problem:
        raise DefinitionError(problem, field="kind")
    given = {name: getattr(trigger, name) for name in _KIND_FIELDS if name != "kind"}
    given = {k: v for k, v in given.items() if v != _default(k)}
    for name, message in core.field_problems(trigger.kind, given):
        raise DefinitionError(message, field=name)
    if trigger.kind == "schedule":
        _check_schedule(trigger)
    if trigger.concurrency not in core.CONCURRENCY:
        message = f"concurrency must be 'allow' or 'skip', not {trigger.concurrency!r}"
        raise DefinitionError(message, field="concurrency")
    if trigger.kind in ("model_event", "date_event"):
        records.check_record_trigger(trigger)
    problem = core.offset_problem(trigger.offset or "")
    if problem:
        raise DefinitionError(problem, field="offset")
    trigger.offset = core.normalize_offset(trigger.offset or "")
    if not isinstance(trigger.data, dict):
        raise DefinitionError("data must be a JSON object", field="data")
    try:
        trigger.data = jsonable(trigger.data)
        check_size(trigger.data)
    except (TypeError, ValueError, InvalidData) as exc:
        raise DefinitionError(f"data: {exc}", field="data") from exc


def _default(name: str) -> Any:
    field = Trigger._meta.get_field(name)
    return field.get_default()


def _check_schedule(trigger: Trigger) -> None:
    problem = core.cron_problem(trigger.cron or "")
    if problem:
        raise DefinitionError(problem, field="cron")
    problem = core.zone_problem(trigger.timezone or "")
    if problem:
        raise DefinitionError(problem, field="timezone")


def _check_key(key: Any) -> str:
    if not isinstance(key, str) or not re.match(KEY_PATTERN, key):
        raise DefinitionError(
            "key: a key starts with a letter or _ and holds up to 64 letters, digits, "
            "'_', '.' or '-'.",
            field="key",
        )
    return key


@transaction.atomic
def add_trigger(version: Version, key: Any, *, user=None, **fields: Any) -> Trigger:
    """A new trigger on a draft (DefinitionError on bad input or a taken key)."""
    version = drafts.lock_draft(version)
    _check_fields(fields)
    trigger = Trigger(version=version, key=_check_key(key), **fields)
    check_trigger(trigger)
    if version.triggers.filter(key=trigger.key).exists():
        raise DefinitionError(f"key: this draft already has a trigger {key!r}.", field="key")
    try:
        with transaction.atomic():
            trigger.save()
    except IntegrityError as exc:  # a concurrent add of the same key
        raise DefinitionError(f"key: this draft already has a trigger {key!r}.") from exc
    return trigger


@transaction.atomic
def update_trigger(trigger: Trigger, *, user=None, **fields: Any) -> Trigger:
    drafts.lock_draft(trigger.version)
    _check_fields(fields)
    for name, value in fields.items():
        setattr(trigger, name, value)
    check_trigger(trigger)
    trigger.save()
    return trigger


@transaction.atomic
def delete_trigger(trigger: Trigger, *, user=None) -> None:
    drafts.lock_draft(trigger.version)
    trigger.delete()


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(TRIGGER_FIELDS)
    if unknown:
        raise DefinitionError(f"Unknown trigger field(s): {', '.join(sorted(unknown))}.")


def copy_triggers(source: Version, draft: Version) -> None:
    """Clone: the draft gets the same triggers, keys kept."""
    for trigger in source.triggers.all():
        trigger.pk = None
        trigger.version = draft
        trigger.save()


def as_core(t: Trigger) -> core.Trigger:
    """The plain-data trigger (engine.core) of a trigger row."""
    return core.Trigger(
        key=t.key,
        kind=t.kind,
        cron=t.cron,
        timezone=t.timezone,
        concurrency=t.concurrency,
        data=dict(t.data),
        model=t.model,
        on=tuple(t.on or ()),
        condition=t.condition,
        watch=tuple(t.watch or ()),
        date_field=t.date_field,
        offset=t.offset,
        signal=t.signal,
    )


def core_triggers(version: Version) -> dict[str, core.Trigger]:
    return {t.key: as_core(t) for t in version.triggers.all()}


# Arming -----------------------------------------------------------------------------


def arm(version: Version, now: datetime | None = None) -> int:
    """Arm the published version's schedule and date triggers; returns how many were armed."""
    now = now or timezone.now()
    armed = date_events.arm_version(version)  # (many records: armed by a worker task)
    for trigger in version.triggers.filter(kind="schedule"):
        due = core.next_fire(trigger.cron, trigger.timezone, now)
        ScheduleFire.objects.update_or_create(
            trigger=trigger, defaults={"process_id": version.process_id, "due_at": due}
        )
        armed += 1
    return armed


def disarm(version: Version) -> int:
    """Disarm a version's schedules (it was retired, or another was rolled back to)."""
    deleted, _ = ScheduleFire.objects.filter(trigger__version=version).delete()
    return deleted + date_events.disarm_version(version)


# Pausing ----------------------------------------------------------------------------


@transaction.atomic
def set_paused(process: Process, paused: bool, *, user=None) -> Process:
    """Pause (triggers stop firing) or resume (each fires next at its next time from now)."""
    process = Process.objects.select_for_update().get(pk=process.pk)
    if process.paused == paused:
        return process
    process.paused = paused
    process.save(update_fields=["paused"])
    metadata = {}
    if not paused:
        now = timezone.now()
        dropped = date_events.drop_missed(process, now)  # fell due while paused: no burst
        if dropped:
            metadata["date_events_dropped"] = dropped
        for fire in ScheduleFire.objects.filter(process=process).select_related("trigger"):
            fire.due_at = core.next_fire(fire.trigger.cron, fire.trigger.timezone, now)
            fire.save(update_fields=["due_at"])
    action = "process.paused" if paused else "process.resumed"
    audit.record(action, actor=user, process=process, metadata=metadata)
    return process
