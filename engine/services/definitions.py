"""The only writers of process definitions: create, edit drafts, publish, clone, roll back.

The designer, the REST API, the admin, management commands and imports all
call these functions, so every door behaves the same way. Each function runs
in one transaction, locks the version it changes, refuses to touch a frozen
version (``FrozenVersionError``) and records an audit event for lifecycle
changes.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from engine import audit, schemas
from engine import definition_format as fmt
from engine.conf import condition_strategy
from engine.core import outcome_text, validation
from engine.core.conditions import ConditionError
from engine.core.diff import VersionDiff, diff
from engine.core.graph import ActivityKind as CoreKind
from engine.models import Activity, Process, Transition, Version, VersionStatus
from engine.models.definitions import new_key

# Fields of an activity that people may set (everything but identity and version).
ACTIVITY_FIELDS = (
    "kind",
    "name",
    "description",
    "x",
    "y",
    "handler",
    "retry_max_attempts",
    "retry_base_delay",
    "retry_backoff_factor",
    "retry_max_delay",
    "compensation_handler",
    "roles",
    "allowed_users",
    "allowed_groups",
    "assignee",
    "outcomes",
    "form_schema",
    "sla_warn",
    "sla_duration",
    "timer_duration",
    "timer_date_field",
    "signal_name",
    "correlation",
    "signal_timeout",
    "subprocess_code",
)
TRANSITION_FIELDS = ("name", "condition", "priority", "is_default", "source", "target")


class DefinitionError(Exception):
    """A request to change a definition that cannot be honoured, with a clear message."""

    def __init__(self, message: str, *, field: str = ""):
        self.message = message
        self.field = field
        super().__init__(message)


class ValidationFailed(Exception):
    """Publishing was refused because the version has error problems."""

    def __init__(self, version: Version, problems: list[validation.Problem]):
        self.version = version
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(
            f"Version {version.number} of {version.process.code!r} has {len(errors)} "
            "problem(s) to fix before it can be published: "
            + "; ".join(p.message for p in errors[:5])
        )


# Processes -------------------------------------------------------------------

# Codes are unique across tenants. A taken code gets this one answer from every door,
# whoever holds it, so it never tells whether (or whose) another tenant's process it is.
CODE_UNAVAILABLE = "This code is not available: choose another."


@transaction.atomic
def create_process(
    code: str, title: str, *, description: str = "", input_schema=None, user=None, tenant_id=""
) -> Process:
    """A new process with draft v1 holding start -> end (``tenant_id``: see engine.tenancy)."""
    code = (code or "").strip()
    if Process.objects.filter(code=code).exists():
        raise DefinitionError(CODE_UNAVAILABLE, field="code")
    _check_schema(input_schema, "input_schema")
    process = Process(
        code=code,
        title=(title or "").strip(),
        description=description,
        input_schema=input_schema or {},
        tenant_id=tenant_id or "",
        created_by=user,
    )
    _full_clean(process)
    process.save()
    version = Version.objects.create(process=process, number=1, created_by=user)
    start = _new_activity(version, CoreKind.START, name="Start", key="start", x=60.0, y=120.0)
    end = _new_activity(version, CoreKind.END, name="End", key="end", x=300.0, y=120.0)
    Transition.objects.create(version=version, key=new_key("t"), source=start, target=end)
    audit.record("process.created", actor=user, process=process, version=version)
    return process


@transaction.atomic
def update_process(process: Process, *, user=None, **fields: Any) -> Process:
    allowed = {"title", "description", "input_schema"}
    unknown = set(fields) - allowed
    if unknown:
        raise DefinitionError(f"Unknown process field(s): {', '.join(sorted(unknown))}.")
    if "input_schema" in fields:
        _check_schema(fields["input_schema"], "input_schema")
    for name, value in fields.items():
        setattr(process, name, value)
    _full_clean(process)
    process.save()
    return process


# Draft editing -----------------------------------------------------------------


def _lock_draft(version: Version) -> Version:
    locked = Version.objects.select_for_update().select_related("process").get(pk=version.pk)
    locked.ensure_draft()
    return locked


def _full_clean(obj, exclude=None) -> None:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DefinitionError(
            f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages),
            field="" if field == "__all__" else field,
        ) from exc


def _check_schema(schema: Any, field: str) -> None:
    """A JSON Schema is refused from every door with the same words (engine.schemas)."""
    problems = schemas.check_schema(schema)
    if problems:
        raise DefinitionError(f"{field}: {' '.join(problems)}", field=field)


def _new_activity(version: Version, kind: str, *, key: str | None = None, **fields) -> Activity:
    if "form_schema" in fields:
        _check_schema(fields["form_schema"], "form_schema")
    activity = Activity(version=version, kind=str(kind), key=key or new_key("a"), **fields)
    _full_clean(activity, exclude=["version"])
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
    version = _lock_draft(version)
    _check_fields(fields, ACTIVITY_FIELDS)
    if kind not in CoreKind.__members__.values():
        raise DefinitionError(f"Unknown activity kind {kind!r}.", field="kind")
    if key and version.activities.filter(key=key).exists():
        raise DefinitionError(f"This version already has an activity {key!r}.", field="key")
    return _new_activity(version, kind, key=key, name=name, x=x, y=y, **fields)


@transaction.atomic
def update_activity(activity: Activity, *, user=None, **fields: Any) -> Activity:
    _lock_draft(activity.version)
    _check_fields(fields, ACTIVITY_FIELDS)
    if "form_schema" in fields:
        _check_schema(fields["form_schema"], "form_schema")
    for name, value in fields.items():
        setattr(activity, name, value)
    _full_clean(activity, exclude=["version"])
    activity.save()
    return activity


@transaction.atomic
def move_activity(activity: Activity, x: float, y: float, *, user=None) -> Activity:
    _lock_draft(activity.version)
    activity.x, activity.y = float(x), float(y)
    activity.save(update_fields=["x", "y"])
    return activity


@transaction.atomic
def delete_activity(activity: Activity, *, user=None) -> None:
    _lock_draft(activity.version)
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
    version = _lock_draft(version)
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
    version = _lock_draft(transition.version)
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
    _full_clean(transition, exclude=["version", "source", "target", "condition"])
    transition.save()


@transaction.atomic
def delete_transition(transition: Transition, *, user=None) -> None:
    _lock_draft(transition.version)
    transition.delete()


def _check_fields(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DefinitionError(f"Unknown field(s): {', '.join(sorted(unknown))}.")


# Validation --------------------------------------------------------------------


def validate_version(version: Version) -> list[validation.Problem]:
    """Every problem of the version, errors first."""
    from engine import handlers

    graph = version.to_graph()
    called = {a.subprocess_code for a in graph.activities.values() if a.subprocess_code}
    tenant = version.process.tenant_id
    return validation.validate(
        graph,
        strategy=condition_strategy(),
        handler_exists=handlers.exists,
        # A subprocess may name only a process of the draft's own tenant.
        process_exists=lambda code: Process.objects.filter(code=code, tenant_id=tenant).exists(),
        subprocess_calls=_subprocess_calls(
            exclude=version.process.code, seeds=called, tenant_id=tenant
        ),
        process_code=version.process.code,
    )


def text_conditions(version: Version) -> list[outcome_text.TextCondition]:
    """Conditions run time compares with the outcome as text (publish confirmations list
    them, with the data form when the text names an input field or reads like a test)."""
    return outcome_text.text_conditions(
        version.to_graph(),
        outcome_text.input_fields(version.process.input_schema),
        strategy=condition_strategy(),
    )


def _subprocess_calls(*, exclude: str, seeds: set[str], tenant_id: str) -> dict[str, set[str]]:
    """Which processes each called process calls in turn (published version, else latest).

    Only processes of ``tenant_id`` are read: another tenant's graphs stay unseen.
    """
    calls: dict[str, set[str]] = {}
    pending = set(seeds)
    while pending:
        code = pending.pop()
        if code in calls or code == exclude:
            continue
        versions = Version.objects.filter(process__code=code, process__tenant_id=tenant_id)
        version = versions.filter(status=VersionStatus.PUBLISHED).first() or versions.first()
        codes = set()
        if version is not None:
            codes = set(
                version.activities.exclude(subprocess_code="").values_list(
                    "subprocess_code", flat=True
                )
            )
        calls[code] = codes
        pending |= codes - set(calls)
    return calls


# Lifecycle ---------------------------------------------------------------------


@transaction.atomic
def publish(version: Version, *, user=None, note: str = "") -> Version:
    """Make a draft the published version; the previous published one is retired."""
    version = _lock_draft(version)
    problems = validate_version(version)
    if validation.has_errors(problems):
        raise ValidationFailed(version, problems)
    previous = _retire_published(version.process, user=user)
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = user
    if note:
        version.note = note
    version.save()
    audit.record(
        "version.published",
        actor=user,
        process=version.process,
        version=version,
        status_from=VersionStatus.DRAFT,
        status_to=VersionStatus.PUBLISHED,
        metadata={"number": version.number, "retired": previous.number if previous else None},
    )
    return version


def _retire_published(process: Process, *, user=None) -> Version | None:
    previous = process.versions.select_for_update().filter(status=VersionStatus.PUBLISHED).first()
    if previous is not None:
        previous.status = VersionStatus.RETIRED
        previous.save(update_fields=["status"])
        audit.record(
            "version.retired",
            actor=user,
            process=process,
            version=previous,
            status_from=VersionStatus.PUBLISHED,
            status_to=VersionStatus.RETIRED,
            metadata={"number": previous.number},
        )
    return previous


@transaction.atomic
def rollback(version: Version, *, user=None, note: str = "") -> Version:
    """Publish an earlier (retired) version again; the current one is retired."""
    version = Version.objects.select_for_update().select_related("process").get(pk=version.pk)
    if version.status != VersionStatus.RETIRED:
        raise DefinitionError(
            f"Only a retired version can be rolled back to; v{version.number} is {version.status}."
        )
    previous = _retire_published(version.process, user=user)
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = user
    if note or previous:
        version.note = note or f"Rolled back from v{previous.number}"
    version.save()
    audit.record(
        "version.rolled_back",
        actor=user,
        process=version.process,
        version=version,
        status_from=VersionStatus.RETIRED,
        status_to=VersionStatus.PUBLISHED,
        metadata={"number": version.number, "from": previous.number if previous else None},
    )
    return version


def _next_number(process: Process) -> int:
    current = process.versions.aggregate(m=Max("number"))["m"] or 0
    return current + 1


@transaction.atomic
def clone(version: Version, *, user=None, note: str = "") -> Version:
    """A new draft numbered max+1 with every element copied, keys kept."""
    process = Process.objects.select_for_update().get(pk=version.process_id)
    draft = Version.objects.create(
        process=process,
        number=_next_number(process),
        note=note or f"Cloned from v{version.number}",
        created_by=user,
        cloned_from=version,
    )
    copies: dict[int, Activity] = {}
    for activity in version.activities.all():
        original_pk = activity.pk
        activity.pk = None
        activity.version = draft
        activity.save()
        copies[original_pk] = activity
    copied = []
    for transition in version.transitions.all():
        transition.pk = None
        transition.version = draft
        transition.source = copies[transition.source_id]
        transition.target = copies[transition.target_id]
        copied.append(transition)
    _insert_verbatim(copied)
    audit.record(
        "version.cloned",
        actor=user,
        process=process,
        version=draft,
        metadata={"number": draft.number, "from": version.number},
    )
    return draft


@transaction.atomic
def delete_draft(version: Version, *, user=None) -> None:
    version = _lock_draft(version)
    process = version.process
    number = version.number
    version.delete()
    audit.record("version.deleted", actor=user, process=process, metadata={"number": number})


def diff_versions(old: Version, new: Version) -> VersionDiff:
    return diff(old.to_graph(), new.to_graph())


# Import and export -------------------------------------------------------------


def export_version(version: Version) -> dict[str, Any]:
    """The version as ``waymark.process/1`` data (see engine.definition_format)."""
    process = version.process
    by_id: dict[int, str] = {}
    activities = []
    for activity in version.activities.all().order_by("pk"):
        by_id[activity.pk] = activity.key
        activities.append(fmt.compact(_activity_spec(activity)))
    transitions = [
        fmt.compact(
            fmt.TransitionSpec(
                key=t.key,
                source=by_id[t.source_id],
                target=by_id[t.target_id],
                name=t.name,
                condition=t.condition,
                priority=t.priority,
                default=t.is_default,
            )
        )
        for t in version.transitions.all().order_by("pk")
    ]
    return {
        "format": fmt.FORMAT,
        "process": fmt.compact(
            fmt.ProcessSpec(
                code=process.code,
                title=process.title,
                description=process.description,
                input_schema=process.input_schema,
            )
        ),
        "version": fmt.compact(
            fmt.VersionSpec(number=version.number, status=version.status, note=version.note)
        ),
        "activities": activities,
        "transitions": transitions,
    }


def _activity_spec(activity: Activity) -> fmt.ActivitySpec:
    return fmt.ActivitySpec(
        key=activity.key,
        kind=activity.kind,
        name=activity.name,
        description=activity.description,
        x=activity.x,
        y=activity.y,
        handler=activity.handler,
        retry=fmt.RetrySpec(
            max_attempts=activity.retry_max_attempts,
            base_delay=activity.retry_base_delay,
            backoff_factor=activity.retry_backoff_factor,
            max_delay=activity.retry_max_delay,
        ),
        compensation_handler=activity.compensation_handler,
        roles=activity.roles,
        allowed_users=activity.allowed_users,
        allowed_groups=activity.allowed_groups,
        assignee=activity.assignee,
        outcomes=activity.outcomes,
        form_schema=activity.form_schema,
        sla_warn=activity.sla_warn,
        sla_duration=activity.sla_duration,
        timer_duration=activity.timer_duration,
        timer_date_field=activity.timer_date_field,
        signal_name=activity.signal_name,
        correlation=activity.correlation,
        signal_timeout=activity.signal_timeout,
        subprocess_code=activity.subprocess_code,
    )


def _activity_fields(spec: fmt.ActivitySpec) -> dict[str, Any]:
    data = spec.model_dump(exclude={"key", "retry"})
    data["kind"] = str(spec.kind)
    data.update(
        retry_max_attempts=spec.retry.max_attempts,
        retry_base_delay=spec.retry.base_delay,
        retry_backoff_factor=spec.retry.backoff_factor,
        retry_max_delay=spec.retry.max_delay,
    )
    return data


@transaction.atomic
def import_definition(
    data: dict[str, Any] | fmt.DefinitionFile,
    *,
    user=None,
    publish_it: bool = False,
    tenant_id: str = "",
) -> Version:
    """Create a draft (and the process if new) from a definition; optionally publish it.

    All or nothing: a bad file raises DefinitionFileError listing every problem;
    a definition that cannot be published raises ValidationFailed; either way
    nothing is written.
    """
    spec = data if isinstance(data, fmt.DefinitionFile) else fmt.load(data)
    _check_conditions(spec)
    process = Process.objects.select_for_update().filter(code=spec.process.code).first()
    if process is None:
        process = Process.objects.create(
            code=spec.process.code,
            title=spec.process.title,
            description=spec.process.description,
            input_schema=spec.process.input_schema,
            tenant_id=tenant_id or "",
            created_by=user,
        )
    else:
        process.title = spec.process.title
        process.description = spec.process.description
        process.input_schema = spec.process.input_schema
        process.save()
    version = Version.objects.create(
        process=process,
        number=_next_number(process),
        note=spec.version.note,
        created_by=user,
    )
    _create_elements(version, spec)
    audit.record(
        "version.imported",
        actor=user,
        process=process,
        version=version,
        metadata={"number": version.number},
    )
    if publish_it:
        publish(version, user=user)
    return version


@transaction.atomic
def restore_snapshot(version: Version, data: dict[str, Any], *, user=None) -> Version:
    """Replace a draft's activities and transitions with those of an export (undo/redo).

    Row ids change but keys are kept, so diffs and selections by key still match.
    """
    version = _lock_draft(version)
    spec = fmt.load(data)
    version.transitions.all().delete()
    version.activities.all().delete()
    _create_elements(version, spec, verbatim=True)
    return version


def _create_elements(version: Version, spec: fmt.DefinitionFile, *, verbatim: bool = False) -> None:
    by_key: dict[str, Activity] = {}
    for activity_spec in spec.activities:
        activity = Activity(
            version=version, key=activity_spec.key, **_activity_fields(activity_spec)
        )
        activity.save()
        by_key[activity.key] = activity
    transitions = [
        Transition(
            version=version,
            key=t.key,
            source=by_key[t.source],
            target=by_key[t.target],
            name=t.name,
            condition=t.condition,
            priority=t.priority,
            is_default=t.default,
        )
        for t in spec.transitions
    ]
    if verbatim:
        _insert_verbatim(transitions)
        return
    for transition in transitions:
        transition.save()


def _insert_verbatim(transitions: list[Transition]) -> None:
    """Copies of stored transitions (clone, undo/redo) keep their condition text as is.

    It was checked when first saved. A text kept as typed under the compatible
    strategy must survive a later switch to strict: the copy is made and
    validation reports the condition (WM109) on the draft, instead of the copy
    failing. bulk_create skips Transition.save, which would refuse it.
    """
    Transition.objects.bulk_create(transitions)


def _check_conditions(spec: fmt.DefinitionFile) -> None:
    """In strict mode an invalid condition rejects the file, with its location."""
    from engine.core.conditions import check

    problems = []
    for i, t in enumerate(spec.transitions):
        try:
            check(t.condition, strategy=condition_strategy())
        except ConditionError as exc:
            problems.append({"loc": f"transitions[{i}].condition", "message": str(exc)})
    if problems:
        raise fmt.DefinitionFileError(problems)


def import_text(
    text: str | bytes, *, filename: str = "", user=None, publish_it=False, tenant_id: str = ""
) -> Version:
    return import_definition(
        fmt.parse_text(text, filename=filename),
        user=user,
        publish_it=publish_it,
        tenant_id=tenant_id,
    )


__all__ = [
    "DefinitionError",
    "ValidationFailed",
    "add_activity",
    "add_transition",
    "clone",
    "create_process",
    "delete_activity",
    "delete_draft",
    "delete_transition",
    "diff_versions",
    "export_version",
    "import_definition",
    "import_text",
    "move_activity",
    "publish",
    "restore_snapshot",
    "rollback",
    "text_conditions",
    "update_activity",
    "update_process",
    "update_transition",
    "validate_version",
]
