"""A version's life: validate, publish, roll back, clone, delete a draft, compare two.

Publishing validates the draft first (engine.core.validation) and refuses it
with every error problem (``ValidationFailed``); the previous published
version is retired in the same transaction. Each change is an audit event.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from engine import schemas
from engine.conf import condition_strategy
from engine.core import outcome_text, validation
from engine.core.diff import VersionDiff, diff
from engine.core.graph import Graph
from engine.errors import DefinitionError, ValidationFailed
from engine.models import Activity, Process, Version, VersionStatus
from engine.runtime import audit
from engine.services import drafts, processes, triggers

# A form or input schema that engine.schemas refuses (see engine.core.validation's list).
SCHEMA_CODE = "WM126"


def validate_version(version: Version) -> list[validation.Problem]:
    """Every problem of the version, errors first."""
    from engine import handlers

    graph = version.graph()
    called = {a.subprocess_code for a in graph.activities.values() if a.subprocess_code}
    tenant = version.process.tenant_id
    problems = validation.validate(
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
    problems += _schema_problems(version, graph)
    return sorted(problems, key=lambda p: (p.severity != validation.ERROR, p.key or "", p.code))


def _schema_problems(version: Version, graph: Graph) -> list[validation.Problem]:
    """WM126: a form or input schema saved before schemas were checked at every door.

    Publishing must not freeze a schema that engine.schemas refuses: a run would
    then fail on it at start or at a person's form.
    """
    found = []
    refused = schemas.check_schema(version.process.input_schema)
    if refused:
        message = f"The process's input schema is not usable: {' '.join(refused)}"
        hint = "Fix the input schema in the process settings."
        found.append(validation.Problem(SCHEMA_CODE, None, validation.ERROR, message, hint))
    for activity in graph.activities.values():
        refused = schemas.check_schema(activity.form_schema)
        if refused:
            message = f"{activity.label!r}: the form schema is not usable: {' '.join(refused)}"
            hint = "Fix the form schema in the activity's properties."
            found.append(
                validation.Problem(SCHEMA_CODE, activity.key, validation.ERROR, message, hint)
            )
    return found


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
    version = drafts.lock_draft(version)
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
    triggers.arm(version)
    # (the saves above forgot the cached published version; a start in another thread
    # may have cached the old one since, before this commit: forget it again then)
    transaction.on_commit(processes.forget_startable)
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
        triggers.disarm(previous)
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
    triggers.arm(version)
    # (the saves above forgot the cached published version; a start in another thread
    # may have cached the old one since, before this commit: forget it again then)
    transaction.on_commit(processes.forget_startable)
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


def next_number(process: Process) -> int:
    current = process.versions.aggregate(m=Max("number"))["m"] or 0
    return current + 1


@transaction.atomic
def clone(version: Version, *, user=None, note: str = "") -> Version:
    """A new draft numbered max+1 with every element copied, keys kept."""
    process = Process.objects.select_for_update().get(pk=version.process_id)
    draft = Version.objects.create(
        process=process,
        number=next_number(process),
        note=note or f"Cloned from v{version.number}",
        default_retry=version.default_retry,
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
    drafts.insert_verbatim(copied)
    triggers.copy_triggers(version, draft)
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
    version = drafts.lock_draft(version)
    process = version.process
    number = version.number
    version.delete()
    audit.record("version.deleted", actor=user, process=process, metadata={"number": number})


def diff_versions(old: Version, new: Version) -> VersionDiff:
    return diff(
        old.to_graph(),
        new.to_graph(),
        old_triggers=triggers.core_triggers(old),
        new_triggers=triggers.core_triggers(new),
    )
