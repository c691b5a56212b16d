"""date_event triggers: a run starts at a record's date plus an offset, and follows the date.

Armed state is one ``DateEventFire`` row per (published trigger, record):
``due_at`` = the record's ``date_field`` + the trigger's ``offset``, in UTC.
A date field (no time) means midnight in the project's ``TIME_ZONE``; a
naive date-time is read in that zone too.

- Publishing arms a row for each record whose due time is still ahead (a
  due time already past when the version is published does not fire). A model
  with many records is scanned by a worker task (``engine.tasks.arm_date_event``,
  by trigger id), in batches, not in the publish request; a marker row stands
  for the task until it finishes, and the timer loop sends the task again when
  the marker falls due (the message was lost or its worker died).
- Saving a record moves its rows: a new date moves ``due_at`` (earlier or
  later); a cleared date, a deleted record or a date moved into the past
  removes the row. A save that leaves the due time as it was changes nothing.
- The timer loop fires a due row by deleting it with a compare-and-set on
  ``due_at`` in the same transaction as the start, so several loops fire it
  once. The trigger's condition is evaluated over the record as it is at fire
  time: false records ``trigger.skipped`` (reason ``condition``) and starts
  nothing. Otherwise the start goes through ``start_for_trigger`` (singleton
  key, ``concurrency: skip``, ``trigger.fired``/``skipped``/``failed``) with
  the trigger's data, ``record.<field>`` values read from the record.
- Late fires (the timer loop was down when a row fell due) fire when the loop
  is back: each row is one record's event, fired once, marked ``late``.
  A paused process fires nothing; resuming drops the rows that fell due while
  it was paused (counted in ``process.resumed``), so a pause releases no burst.

Which models are watched is cached per process (``CACHE_SECONDS``): a save of
a model no armed date trigger names costs no query, and a trigger published
from another process is seen within that time (publishing from this process
is seen at once).
"""

from __future__ import annotations

import logging
import time as clock
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from engine.core.conditions.records import record_condition_holds
from engine.core.record_values import resolve_data
from engine.core.triggers import parse_offset
from engine.models import DateEventFire, Process, Trigger, VersionStatus
from engine.runtime.model_events import UNWATCHED_APPS
from engine.runtime.record_snapshots import record_of
from engine.runtime.trigger_starts import start_for_trigger

log = logging.getLogger("engine.triggers")

BATCH = 200  # rows fired per poll at most
SCAN_BATCH = 1000  # records read per query when arming
INLINE_RECORDS = 500  # more records than this are armed by a worker task
CACHE_SECONDS = 2.0  # as model_events.REFRESH_SECONDS
LATE_AFTER = timedelta(seconds=60)  # a fire later than this is marked late
# While a worker task arms a trigger, a marker row (record_pk ARMING) stands for the
# task: due ARM_RESEND from its last sign of life. Should the task's message be lost
# or its worker die, the timer loop finds the marker due and sends the task again.
ARMING = ""
ARM_RESEND = timedelta(minutes=5)


# Due times ----------------------------------------------------------------------------


def due_at(value: date | datetime | None, offset: str) -> datetime | None:
    """The UTC time a record's date value plus ``offset`` falls at (None: no date)."""
    if value is None:
        return None
    zone = ZoneInfo(settings.TIME_ZONE)
    if isinstance(value, datetime):
        moment = value if timezone.is_aware(value) else value.replace(tzinfo=zone)
    else:  # a date: midnight in the project's zone
        moment = datetime.combine(value, time.min, tzinfo=zone)
    if offset:
        moment += parse_offset(offset)
    return moment.astimezone(UTC)


# Which date triggers are armed, by model label (per-process cache) --------------------


@dataclass(frozen=True)
class Armed:
    trigger_id: int
    process_id: int
    date_field: str
    offset: str


_cache: dict[str, list[Armed]] = {}
_loaded_at: float | None = None


def forget() -> None:
    """Drop the cache (a version was published, retired or rolled back in this process)."""
    global _loaded_at
    _loaded_at = None


def armed_for(label: str) -> list[Armed]:
    """The published date_event triggers on the model ``app_label.ModelName``."""
    global _loaded_at
    if _loaded_at is None or clock.monotonic() - _loaded_at > CACHE_SECONDS:
        _cache.clear()
        _cache.update(_load())
        _loaded_at = clock.monotonic()
    return _cache.get(label.lower(), [])


def _load() -> dict[str, list[Armed]]:
    loaded: dict[str, list[Armed]] = {}
    rows = Trigger.objects.filter(
        kind="date_event", version__status=VersionStatus.PUBLISHED
    ).values_list("pk", "version__process_id", "model", "date_field", "offset")
    for pk, process_id, label, field, offset in rows:
        loaded.setdefault(label.lower(), []).append(Armed(pk, process_id, field, offset))
    return loaded


# Record saves and deletes ----------------------------------------------------------------


def _watchable(sender: type[models.Model]) -> bool:
    # The receivers are connected to the models WAYMARK_TRIGGER_MODELS opens only
    # (engine.apps); still, the engine's own tables and Django's bookkeeping are never
    # trigger models (model_events.UNWATCHED_APPS), and historical models never fire.
    meta = sender._meta
    return meta.app_label not in UNWATCHED_APPS and meta.apps is apps


def on_record_saved(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """post_save: move (or remove) the record's rows of every armed trigger on its model."""
    if kwargs.get("raw") or not _watchable(sender):  # (raw: fixtures loading)
        return
    armed = armed_for(sender._meta.label)
    if not armed:
        return
    now = timezone.now()
    for trigger in armed:
        value = getattr(instance, trigger.date_field, None)
        place(trigger, str(instance.pk), due_at(value, trigger.offset), now)


def on_record_deleted(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """post_delete: a deleted record fires nothing."""
    armed = armed_for(sender._meta.label) if _watchable(sender) else []
    if armed:
        DateEventFire.objects.filter(
            trigger_id__in=[t.trigger_id for t in armed], record_pk=str(instance.pk)
        ).delete()


def place(trigger: Armed, record_pk: str, due: datetime | None, now: datetime) -> None:
    """Arm, move or remove one record's row for ``due``."""
    rows = DateEventFire.objects.filter(trigger_id=trigger.trigger_id, record_pk=record_pk)
    if due is None:
        rows.delete()
    elif due <= now:
        # Moved into the past: removed. The same (overdue, not yet fired) time is kept.
        rows.exclude(due_at=due).delete()
    elif not rows.update(due_at=due) and _still_armed(trigger):
        _write([_row(trigger, record_pk, due)])


def _still_armed(trigger: Armed) -> bool:
    # The cache may be a few seconds old: a row for a trigger retired (or deleted) since
    # would fail the record's own transaction on its foreign key, so look first.
    published = Trigger.objects.filter(
        pk=trigger.trigger_id, version__status=VersionStatus.PUBLISHED
    )
    return published.exists()


# Arming and disarming ---------------------------------------------------------------------


def arm_version(version: Any) -> int:
    """Arm the published version's date triggers; returns how many were armed here.

    A trigger on a model with more than INLINE_RECORDS records is armed by a
    worker task when the publish commits.
    """
    from engine.runtime import scheduler

    forget()
    armed = 0
    for trigger in version.triggers.filter(kind="date_event"):
        model = apps.get_model(trigger.model)
        # "More than INLINE_RECORDS" reads at most that many keys, not a full count.
        records = model._default_manager.order_by().values("pk")
        if records[INLINE_RECORDS : INLINE_RECORDS + 1].exists():
            _mark_arming(trigger.pk, version.process_id)
            scheduler.dispatch("engine.tasks.arm_date_event", trigger.pk)
        else:
            arm_trigger(trigger.pk)
        armed += 1
    return armed


def arm_trigger(trigger_id: int, now: datetime | None = None) -> int:
    """Arm one published date trigger for every record (a task body: takes an id)."""
    trigger = Trigger.objects.select_related("version").filter(pk=trigger_id).first()
    if trigger is None or trigger.version.status != VersionStatus.PUBLISHED:
        return 0  # retired or rolled back before the task ran
    now = now or timezone.now()
    armed = Armed(trigger.pk, trigger.version.process_id, trigger.date_field, trigger.offset)
    model = apps.get_model(trigger.model)
    records = (
        model._default_manager.filter(**{f"{trigger.date_field}__isnull": False})
        .order_by("pk")
        .values_list("pk", trigger.date_field)
    )
    count = 0
    batch: list[DateEventFire] = []
    for pk, value in records.iterator(chunk_size=SCAN_BATCH):
        due = due_at(value, trigger.offset)
        if due is None or due <= now:
            continue  # already past when armed: does not fire
        batch.append(_row(armed, str(pk), due))
        if len(batch) >= SCAN_BATCH:
            count += _write(batch)
            batch = []
            _still_arming(trigger.pk)
    count += _write(batch)
    DateEventFire.objects.filter(trigger_id=trigger.pk, record_pk=ARMING).delete()
    return count


def _mark_arming(trigger_id: int, process_id: int) -> None:
    DateEventFire.objects.update_or_create(
        trigger_id=trigger_id,
        record_pk=ARMING,
        defaults={"process_id": process_id, "due_at": timezone.now() + ARM_RESEND},
    )


def _still_arming(trigger_id: int) -> None:
    marker = DateEventFire.objects.filter(trigger_id=trigger_id, record_pk=ARMING)
    marker.update(due_at=timezone.now() + ARM_RESEND)


def _arm_again(fire: DateEventFire, due: datetime) -> bool:
    """A marker fell due: the arming task was lost or its worker died; send it again."""
    from engine.runtime import scheduler

    moved = DateEventFire.objects.filter(pk=fire.pk, due_at=due).update(
        due_at=timezone.now() + ARM_RESEND
    )
    if moved:
        log.warning("date trigger %s: arming not finished, sent again", fire.trigger_id)
        transaction.on_commit(
            lambda: scheduler.dispatch("engine.tasks.arm_date_event", fire.trigger_id)
        )
    return False


def _row(trigger: Armed, record_pk: str, due: datetime) -> DateEventFire:
    return DateEventFire(
        trigger_id=trigger.trigger_id,
        process_id=trigger.process_id,
        record_pk=record_pk,
        due_at=due,
    )


def _write(batch: list[DateEventFire]) -> int:
    if batch:
        DateEventFire.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["trigger", "record_pk"],
            update_fields=["due_at"],
        )
    return len(batch)


def disarm_version(version: Any) -> int:
    """Remove a retired (or rolled-back-from) version's date rows."""
    forget()
    deleted, _ = DateEventFire.objects.filter(trigger__version=version).delete()
    return deleted


def drop_missed(process: Process, now: datetime) -> int:
    """On resume: the rows that fell due while the process was paused do not fire."""
    missed = DateEventFire.objects.filter(process=process, due_at__lte=now)
    deleted, _ = missed.exclude(record_pk=ARMING).delete()
    return deleted


# Firing -----------------------------------------------------------------------------------


def fire_due_date_events(now: datetime | None = None, limit: int = BATCH) -> int:
    """Fire every date event due at ``now``; returns how many fired (started, skipped, failed)."""
    now = now or timezone.now()
    rows = (
        DateEventFire.objects.filter(due_at__lte=now, process__paused=False)
        .order_by("due_at", "pk")
        .values_list("pk", "due_at")[:limit]
    )
    fired = 0
    for pk, due in list(rows):
        try:
            if fire_date_event(pk, due, now):
                fired += 1
        except Exception:  # one bad row must not stop the others
            log.exception("date event %s could not fire", pk)
    return fired


def next_date_event_in(now: datetime | None = None) -> float | None:
    """Seconds until the next armed date event of an unpaused process (None: none)."""
    now = now or timezone.now()
    due = (
        DateEventFire.objects.filter(process__paused=False)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    return None if due is None else max((due - now).total_seconds(), 0.0)


@transaction.atomic
def fire_date_event(pk: int, due: datetime, now: datetime) -> bool:
    """Fire one row due at ``due``; False when another loop fired it (or it moved)."""
    row = DateEventFire.objects.filter(pk=pk, due_at=due).select_related(
        "trigger__version__process"
    )
    fire = row.first()
    if fire is None or fire.trigger.version.process.paused:
        return False
    if fire.record_pk == ARMING:
        return _arm_again(fire, due)
    deleted, _ = DateEventFire.objects.filter(pk=pk, due_at=due).delete()
    if not deleted:  # another timer loop fired it first (or a save moved it)
        return False
    trigger = fire.trigger
    facts: dict[str, Any] = {"record": fire.record_pk, "due_at": due.isoformat()}
    if now - due > LATE_AFTER:
        facts["late"] = True
    record = _record(trigger, fire.record_pk)
    if record is None:
        facts["reason"] = "the record (or its model) no longer exists"
        _skipped(trigger, facts)
        return True
    if not record_condition_holds(trigger.condition or "", record):
        facts["reason"] = "condition"
        facts["condition"] = trigger.condition
        _skipped(trigger, facts)
        return True
    start_for_trigger(trigger, resolve_data(dict(trigger.data or {}), record), facts)
    return True


def _skipped(trigger: Trigger, facts: dict[str, Any]) -> None:
    from engine.runtime.audit import record

    version = trigger.version
    facts = {"trigger": trigger.key, **facts}
    record("trigger.skipped", process=version.process, version=version, metadata=facts)


def _record(trigger: Trigger, record_pk: str) -> dict[str, Any] | None:
    try:
        model = apps.get_model(trigger.model)
    except LookupError:  # the app was removed since publishing: skipped, audited
        return None
    instance = model._default_manager.filter(pk=record_pk).first()
    return None if instance is None else record_of(instance)
