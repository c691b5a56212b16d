"""model_event triggers: a record's create, update or delete written to the outbox.

``post_init``/``pre_save``/``post_save``/``post_delete`` receivers, connected
(``engine.apps.connect_record_triggers``) to the models ``WAYMARK_TRIGGER_MODELS``
opens, the only ones a trigger may name, look the saved model up in a
per-process cache of armed model_event triggers (published version, process
not paused), keyed by ``app_label.ModelName``. A save of an open model no
armed trigger watches costs a dictionary lookup and no query; any other
model's instances are not sent to them at all.

For each armed trigger of the model whose ``on`` lists the event:

- an update counts only when a ``watch`` field changed (no ``watch``: every
  update counts; ``save(update_fields=...)`` naming none of them does not).
  The values before the save are those the instance was loaded with (kept
  by ``post_init`` for watched models only); an instance that was not loaded
  (built with a pk, or with a watched field deferred) costs one query in
  ``pre_save``;
- the trigger's condition must hold over the saved record;
- then a ``ModelEvent`` row is written in the same transaction as the
  record's change, and its dispatch task is sent when that transaction
  commits (``engine.services.model_events`` starts the run).

The cache is rebuilt at most every ``REFRESH_SECONDS`` (one query, on the
first save of a watchable model after that) and at once in the process that
publishes, retires, rolls back, pauses or resumes. Another process sees such
a change within about two seconds; saves meanwhile follow the old triggers.

Not seen: ``QuerySet.update()``, ``bulk_create``/``bulk_update`` and raw
SQL (Django sends no signals for them), fixture loading (``raw``), and the
engine's own models, Django's sessions, content types, admin log and
Django-Q2's tables (refused as trigger models).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.apps import apps as global_apps
from django.db import models, transaction

from engine.core.conditions import ConditionError
from engine.core.conditions.records import record_condition_holds
from engine.models import ModelEvent, Trigger, VersionStatus
from engine.runtime import scheduler
from engine.runtime.record_snapshots import attname_of, json_value, loaded_values, record_of

log = logging.getLogger("engine.triggers")

REFRESH_SECONDS = 2.0
# Apps whose models are never watched: the engine's own tables (a run start would
# trigger itself) and Django's bookkeeping, saved on nearly every request.
UNWATCHED_APPS = frozenset({"engine", "sessions", "contenttypes", "admin", "django_q"})
LOADED = "_waymark_loaded"  # the watched values an instance was loaded or last saved with
BEFORE = "_waymark_before"  # the watched values just before this save


@dataclass(frozen=True)
class Armed:
    """An armed model_event trigger, as the receivers need it."""

    trigger_id: int
    key: str
    on: frozenset[str]
    watch: tuple[str, ...]
    condition: str


class _Cache:
    def __init__(self) -> None:
        self.by_label: dict[str, tuple[Armed, ...]] = {}
        self.watched: dict[str, tuple[str, ...]] = {}  # label -> fields any update trigger watches
        self.loaded_at = float("-inf")
        self.lock = threading.Lock()

    def fresh(self) -> dict[str, tuple[Armed, ...]]:
        if time.monotonic() - self.loaded_at > REFRESH_SECONDS:
            self.load()
        return self.by_label

    def load(self) -> None:
        rows = Trigger.objects.filter(
            kind="model_event",
            version__status=VersionStatus.PUBLISHED,
            version__process__paused=False,
        ).values_list("pk", "key", "model", "on", "watch", "condition")
        by_label: dict[str, list[Armed]] = {}
        for pk, key, label, on, watch, condition in rows:
            armed = Armed(pk, key, frozenset(on or ()), tuple(watch or ()), condition or "")
            by_label.setdefault(label, []).append(armed)
        with self.lock:
            self.by_label = {label: tuple(found) for label, found in by_label.items()}
            self.watched = {
                label: tuple(sorted({f for a in found if "update" in a.on for f in a.watch}))
                for label, found in by_label.items()
            }
            self.loaded_at = time.monotonic()


_cache = _Cache()


def forget_armed() -> None:
    """Rebuild the cache on the next save (triggers were armed, disarmed, paused)."""
    _cache.loaded_at = float("-inf")


def on_arming_changed(**kwargs: Any) -> None:
    """A process or version was saved: rebuild now, and again once it commits."""
    forget_armed()
    transaction.on_commit(forget_armed)


def _label(sender: type[models.Model]) -> str | None:
    """The label of a model triggers may watch; None for unwatched and historical models."""
    meta = sender._meta
    if meta.app_label in UNWATCHED_APPS or meta.apps is not global_apps:
        return None  # migrations' historical models never fire triggers
    return meta.label


def on_init(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """Keep the watched values a loaded instance has (no query, no cache refresh here)."""
    fields = _cache.watched.get(sender._meta.label)
    if fields:
        instance.__dict__[LOADED] = loaded_values(instance, fields)


def on_pre_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **kw: Any):
    label = None if raw else _label(sender)
    if label is None or instance._state.adding or instance.pk is None:
        return
    _cache.fresh()
    fields = _cache.watched.get(label)
    if not fields:
        return
    before = instance.__dict__.get(LOADED)
    if before is None or set(before) != set(fields):
        before = _stored_values(sender, instance, fields, kw.get("using"))
    instance.__dict__[BEFORE] = before


def _stored_values(
    sender: type[models.Model], instance: models.Model, fields: tuple[str, ...], using: Any
) -> dict[str, Any]:
    """The watched values in the database (an instance that was not loaded): one query."""
    attnames = {f: attname_of(sender, f) for f in fields}
    row = sender._base_manager.using(using).filter(pk=instance.pk)
    found = row.values(*attnames.values()).first() or {}
    return {f: json_value(found.get(attname)) for f, attname in attnames.items()}


def on_post_save(sender: type[models.Model], instance: models.Model, created: bool, **kw: Any):
    if kw.get("raw"):
        return
    label = _label(sender)
    armed = _cache.fresh().get(label, ()) if label else ()
    if not armed or label is None:
        return
    event = "create" if created else "update"
    before = instance.__dict__.pop(BEFORE, None)
    record = record_of(instance)
    update_fields = kw.get("update_fields")
    for trigger in armed:
        if event not in trigger.on:
            continue
        if event == "update" and not _watched_change(trigger, before, record, update_fields):
            continue
        _write(trigger, label, event, record)
    fields = _cache.watched.get(label)
    if fields:
        instance.__dict__[LOADED] = loaded_values(instance, fields)


def on_post_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    label = _label(sender)
    armed = _cache.fresh().get(label, ()) if label else ()
    if not armed:
        return
    record = record_of(instance)
    for trigger in armed:
        if "delete" in trigger.on:
            _write(trigger, label, "delete", record)


def _watched_change(
    trigger: Armed, before: dict | None, record: dict[str, Any], update_fields: Any
) -> bool:
    if not trigger.watch:
        return True
    if update_fields is not None and not set(trigger.watch) & set(update_fields):
        return False
    if before is None:  # nothing to compare with: count it rather than lose it
        return True
    return any(before.get(f) != record.get(f) for f in trigger.watch)


def _write(trigger: Armed, label: str | None, event: str, record: dict[str, Any]) -> None:
    try:
        holds = record_condition_holds(trigger.condition, record)
    except ConditionError as exc:  # checked when saved; a model changed since
        log.error("model_event %s: condition does not parse (%s): not fired", trigger.key, exc)
        return
    if not holds:
        return
    row = ModelEvent.objects.create(
        trigger_id=trigger.trigger_id,
        model=label or "",
        record_pk=str(record.get("pk")),
        event=event,
        record=record,
    )
    scheduler.dispatch("engine.tasks.dispatch_model_event", row.pk)
