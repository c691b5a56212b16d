"""Draft editing: activities and transitions of a draft version, added, changed, moved, deleted.

Every function locks the draft first and refuses a frozen version
(``FrozenVersionError``); what people type is checked here, from any door,
with the words the designer and the API show.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from pydantic import ValidationError as PydanticValidationError

from engine import definition_format as fmt
from engine import schemas
from engine.core.conditions import ConditionError
from engine.core.graph import ActivityKind as CoreKind
from engine.core.kinds import EDITABLE_FIELDS
from engine.errors import DefinitionError
from engine.models import Activity, Transition, Version
from engine.models.definitions import new_key

# Fields of an activity that people may set (everything but identity and version).
ACTIVITY_FIELDS = EDITABLE_FIELDS
TRANSITION_FIELDS = ("name", "condition", "priority", "is_default", "source", "target")


def lock_draft(version: Version) -> Version:
    """The draft locked for this transaction (FrozenVersionError if it is not a draft)."""
    locked = Version.objects.select_for_update().select_related("process").get(pk=version.pk)
    locked.ensure_draft()
    return locked


def full_clean(obj, exclude=None) -> None:
    """Django's field checks, answered as a DefinitionError naming the field."""
    try:
        obj.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DefinitionError(
            f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages),
            field="" if field == "__all__" else field,
        ) from exc


def check_schema(schema: Any, field: str) -> None:
    """A JSON Schema is refused from every door with the same words (engine.schemas)."""
    problems = schemas.check_schema(schema)
    if problems:
        raise DefinitionError(f"{field}: {' '.join(problems)}", field=field)


def _check_retry(activity: Activity) -> None:
    """A retry policy within the limits of the file format, so every draft can be exported."""
    try:
        fmt.RetrySpec(
            max_attempts=activity.retry_max_attempts,
            base_delay=activity.retry_base_delay,
            backoff_factor=activity.retry_backoff_factor,
            max_delay=activity.retry_max_delay,
        )
    except PydanticValidationError as exc:
        problem = exc.errors()[0]
        field = f"retry_{problem['loc'][0]}"
        raise DefinitionError(f"{field}: {problem['msg']}.", field=field) from exc


def new_activity(version: Version, kind: str, *, key: str | None = None, **fields) -> Activity:
    """An activity saved in ``version`` after every check (callers hold the draft's lock)."""
    if "form_schema" in fields:
        check_schema(fields["form_schema"], "form_schema")
    activity = Activity(version=version, kind=str(kind), key=key or new_key("a"), **fields)
    full_clean(activity, exclude=["version"])
    _check_retry(activity)
    activity.save()
    return activity


@transaction.atomic
def add_activity(
    version: Version,
    kind: str,
    *,
    name: str = "",
    key: str | None = None,
    x: float | None = None,
    y: float | None = None,
    user=None,
    **fields: Any,
) -> Activity:
    version = lock_draft(version)
    _check_fields(fields, ACTIVITY_FIELDS)
    if kind not in CoreKind.__members__.values():
        raise DefinitionError(f"Unknown activity kind {kind!r}.", field="kind")
    if key and version.activities.filter(key=key).exists():
        raise DefinitionError(f"This version already has an activity {key!r}.", field="key")
    if name:
        check_name(name)
    return new_activity(version, kind, key=key, name=name, x=x, y=y, **fields)


def check_name(name: Any) -> None:
    """An activity's name, when set, is text of 1 to 200 characters: never cut, never blank.

    Every door (designer, API, file import through ``add_activity``) gets these words.
    """
    limit = Activity._meta.get_field("name").max_length
    if not isinstance(name, str) or not name.strip():
        raise DefinitionError("name: An activity needs a name.", field="name")
    if len(name) > limit:
        raise DefinitionError(
            f"name: A name has at most {limit} characters; this one has {len(name)}.",
            field="name",
        )


@transaction.atomic
def update_activity(activity: Activity, *, user=None, **fields: Any) -> Activity:
    lock_draft(activity.version)
    _check_fields(fields, ACTIVITY_FIELDS)
    if "name" in fields:
        check_name(fields["name"])
    if "form_schema" in fields:
        check_schema(fields["form_schema"], "form_schema")
    for name, value in fields.items():
        setattr(activity, name, value)
    full_clean(activity, exclude=["version"])
    _check_retry(activity)
    activity.save()
    return activity


@transaction.atomic
def move_activity(activity: Activity, x: float, y: float, *, user=None) -> Activity:
    lock_draft(activity.version)
    activity.x, activity.y = float(x), float(y)
    activity.save(update_fields=["x", "y"])
    return activity


@transaction.atomic
def delete_activity(activity: Activity, *, user=None) -> None:
    lock_draft(activity.version)
    Transition.objects.filter(version=activity.version_id).filter(
        Q(source=activity) | Q(target=activity)
    ).delete()
    activity.delete()


@transaction.atomic
def add_transition(
    version: Version,
    source: Activity,
    target: Activity,
    *,
    condition: str = "",
    name: str = "",
    priority: int = 0,
    is_default: bool = False,
    key: str | None = None,
    user=None,
) -> Transition:
    version = lock_draft(version)
    if source.version_id != version.pk or target.version_id != version.pk:
        raise DefinitionError("A transition connects two activities of its own version.")
    if key and version.transitions.filter(key=key).exists():
        raise DefinitionError(f"This version already has a transition {key!r}.", field="key")
    transition = Transition(
        version=version,
        key=key or new_key("t"),
        source=source,
        target=target,
        name=name,
        condition=condition,
        priority=priority,
        is_default=is_default,
    )
    _save_transition(transition)
    return transition


@transaction.atomic
def update_transition(transition: Transition, *, user=None, **fields: Any) -> Transition:
    version = lock_draft(transition.version)
    _check_fields(fields, TRANSITION_FIELDS)
    for name, value in fields.items():
        setattr(transition, name, value)
    if transition.source.version_id != version.pk or transition.target.version_id != version.pk:
        raise DefinitionError("A transition connects two activities of its own version.")
    _save_transition(transition)
    return transition


def _save_transition(transition: Transition) -> None:
    try:
        transition.normalize_condition()
    except ConditionError as exc:
        raise DefinitionError(f"Condition: {exc}", field="condition") from exc
    full_clean(transition, exclude=["version", "source", "target", "condition"])
    transition.save()


@transaction.atomic
def delete_transition(transition: Transition, *, user=None) -> None:
    lock_draft(transition.version)
    transition.delete()


def _check_fields(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DefinitionError(f"Unknown field(s): {', '.join(sorted(unknown))}.")


def insert_verbatim(transitions: list[Transition]) -> None:
    """Copies of stored transitions (clone, undo/redo) keep their condition text as is.

    It was checked when first saved. A text kept as typed under the compatible
    strategy must survive a later switch to strict: the copy is made and
    validation reports the condition (WM109) on the draft, instead of the copy
    failing. bulk_create skips Transition.save, which would refuse it.
    """
    Transition.objects.bulk_create(transitions)
