"""Import and export: a version as ``waymark.process/1`` data (engine.definition_format).

Import is all or nothing: a bad file raises DefinitionFileError listing every
problem, a definition that cannot be published raises ValidationFailed, and
either way nothing is written. Undo/redo restores a draft from an export.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from engine import definition_format as fmt
from engine.conf import condition_strategy
from engine.core.conditions import ConditionError
from engine.errors import DefinitionError, DefinitionFileError
from engine.models import Activity, Process, Transition, Trigger, Version
from engine.runtime import audit
from engine.services import drafts, versions
from engine.services import triggers as trigger_service


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
                singleton_key=process.singleton_key,
                default_retry=fmt.RetrySpec(**version.default_retry)
                if version.default_retry
                else None,
            )
        ),
        "version": fmt.compact(
            fmt.VersionSpec(number=version.number, status=version.status, note=version.note)
        ),
        "activities": activities,
        "transitions": transitions,
        **_triggers_part(version),
    }


def _triggers_part(version: Version) -> dict[str, Any]:
    """The version's triggers (left out when there are none, as other defaults are)."""
    triggers = [
        fmt.compact(
            fmt.TriggerSpec(key=t.key, **{f: getattr(t, f) for f in trigger_service.TRIGGER_FIELDS})
        )
        for t in version.triggers.all().order_by("key")
    ]
    return {"triggers": triggers} if triggers else {}


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
        timer_offset=activity.timer_offset,
        signal_name=activity.signal_name,
        correlation=activity.correlation,
        signal_timeout=activity.signal_timeout,
        subprocess_code=activity.subprocess_code,
        fail_reason=activity.fail_reason,
        http_method=activity.http_method,
        http_url=activity.http_url,
        http_body=activity.http_body,
        http_headers=activity.http_headers,
        http_result_path=activity.http_result_path,
        http_result_key=activity.http_result_key,
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
            singleton_key=spec.process.singleton_key,
            tenant_id=tenant_id or "",
            created_by=user,
        )
    else:
        process.title = spec.process.title
        process.description = spec.process.description
        process.input_schema = spec.process.input_schema
        process.singleton_key = spec.process.singleton_key
        process.save()
    version = Version.objects.create(
        process=process,
        number=versions.next_number(process),
        note=spec.version.note,
        default_retry=_default_retry(spec),
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
        versions.publish(version, user=user)
    return version


@transaction.atomic
def restore_snapshot(version: Version, data: dict[str, Any], *, user=None) -> Version:
    """Replace a draft's activities and transitions with those of an export (undo/redo).

    Row ids change but keys are kept, so diffs and selections by key still match.
    """
    version = drafts.lock_draft(version)
    spec = fmt.load(data)
    version.transitions.all().delete()
    version.activities.all().delete()
    version.triggers.all().delete()
    _create_elements(version, spec, verbatim=True)
    if version.default_retry != _default_retry(spec):
        version.default_retry = _default_retry(spec)
        version.save(update_fields=["default_retry"])
    return version


def _default_retry(spec: fmt.DefinitionFile) -> dict[str, Any]:
    """The process section's default_retry as stored on a version ({}: none)."""
    default = spec.process.default_retry
    return default.model_dump() if default is not None else {}


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
    for i, spec_trigger in enumerate(spec.triggers):
        trigger = Trigger(
            version=version,
            key=spec_trigger.key,
            **{f: getattr(spec_trigger, f) for f in trigger_service.TRIGGER_FIELDS},
        )
        try:  # the model and fields it names must exist in this project
            trigger_service.check_trigger(trigger)
        except DefinitionError as exc:
            where = f"triggers[{i}].{exc.field}" if exc.field else f"triggers[{i}]"
            raise DefinitionFileError([{"loc": where, "message": exc.message}]) from exc
        trigger.save()
    if verbatim:
        drafts.insert_verbatim(transitions)
        return
    for transition in transitions:
        transition.save()


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
