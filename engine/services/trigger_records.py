"""Record triggers (model_event, date_event): the model and fields they name must exist.

A definition names a model by ``app_label.ModelName``; it is looked up in the
installed apps only (never imported by path). Field names are checked against
that model's concrete fields, so a typo is an error when the trigger is saved,
not a trigger that never fires.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from engine.core.conditions import ConditionError
from engine.core.conditions.records import record_condition_fields
from engine.core.record_values import data_fields
from engine.errors import DefinitionError
from engine.models import Trigger
from engine.runtime import record_access
from engine.runtime.model_events import UNWATCHED_APPS

DATE_TYPES = (models.DateField, models.DateTimeField)  # DateTimeField is a DateField too


def record_model(label: str) -> type[models.Model]:
    """The installed model ``app_label.ModelName`` names (DefinitionError: none)."""
    if not isinstance(label, str) or label.count(".") != 1:
        raise DefinitionError(
            f"model {label!r}: write app_label.ModelName, e.g. 'auth.Group'", field="model"
        )
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        raise DefinitionError(f"model {label!r} is not an installed model", field="model") from None


def _field_names(model: type[models.Model]) -> dict[str, models.Field]:
    return {f.name: f for f in model._meta.concrete_fields}


def check_record_trigger(trigger: Trigger) -> None:
    """The model exists; watched fields and the date field are fields of it."""
    model = record_model(trigger.model)
    fields = _field_names(model)
    label = trigger.model
    if model._meta.app_label in UNWATCHED_APPS:  # (model_event and date_event alike)
        message = f"model {label!r}: the engine's and Django's own bookkeeping are not watched"
        raise DefinitionError(message, field="model")
    if not record_access.is_open(model._meta.label):
        message = (
            f"model {label!r} is not open to triggers: an administrator lists the models "
            "(and fields) triggers may read in WAYMARK_TRIGGER_MODELS"
        )
        raise DefinitionError(message, field="model")
    if not isinstance(trigger.on, list) or any(
        e not in ("create", "update", "delete") for e in trigger.on
    ):
        raise DefinitionError("on: list of create, update, delete", field="on")
    if not isinstance(trigger.watch, list) or not all(isinstance(w, str) for w in trigger.watch):
        raise DefinitionError("watch: a list of field names", field="watch")
    for name in trigger.watch:
        if name not in fields:
            raise DefinitionError(f"watch: {label} has no field {name!r}", field="watch")
    if trigger.kind == "date_event":
        field = fields.get(trigger.date_field)
        if field is None:
            message = f"date_field: {label} has no field {trigger.date_field!r}"
            raise DefinitionError(message, field="date_field")
        if not isinstance(field, DATE_TYPES):
            message = f"date_field: {label}.{trigger.date_field} is not a date or date-time field"
            raise DefinitionError(message, field="date_field")
    check_record_reads(trigger, set(fields) | {"pk"})
    check_readable(trigger, model)


def check_record_reads(trigger: Trigger, fields: set[str]) -> None:
    """The condition parses; every ``record.<x>`` in it and in the data names a field."""
    label = trigger.model
    try:
        read = record_condition_fields(trigger.condition or "")
    except ConditionError as exc:
        message = f"condition: {exc.message} (at position {exc.position})"
        raise DefinitionError(message, field="condition") from None
    for name in sorted(read - fields):
        raise DefinitionError(f"condition: {label} has no field {name!r}", field="condition")
    for name in sorted(data_fields(trigger.data) - fields):
        message = f"data: record.{name}: {label} has no field {name!r}"
        raise DefinitionError(message, field="data")


def check_readable(trigger: Trigger, model: type[models.Model]) -> None:
    """Every field the trigger reads is open to triggers and holds no secret."""
    reads = [("watch", name, "watch: ") for name in trigger.watch]
    if trigger.kind == "date_event":
        reads.append(("date_field", trigger.date_field, "date_field: "))
    for name in sorted(record_condition_fields(trigger.condition or "")):
        reads.append(("condition", name, "condition: "))
    for name in sorted(data_fields(trigger.data)):
        reads.append(("data", name, f"data: record.{name}: "))
    for field, name, prefix in reads:
        problem = record_access.read_problem(model, name)
        if problem:
            raise DefinitionError(prefix + problem, field=field)
