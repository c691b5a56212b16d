"""Processes: create one (with draft v1 holding start -> end) and edit its fields.

A process's code is its stable name across versions and tenants; left empty, it is
the slug of the title ("Expense claim" -> "expense-claim").
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from engine.core.graph import ActivityKind as CoreKind
from engine.definition_format import code_from_title
from engine.errors import DefinitionError
from engine.models import Process, Transition, Version
from engine.models.definitions import new_key
from engine.runtime import audit
from engine.services import drafts
from engine.services.singletons import check_singleton_key

# Codes are unique across tenants. A taken code gets this one answer from every door,
# whoever holds it, so it never tells whether (or whose) another tenant's process it is.
CODE_UNAVAILABLE = "This code is not available: choose another."


@transaction.atomic
def create_process(
    code: str,
    title: str,
    *,
    description: str = "",
    input_schema=None,
    singleton_key: str = "",
    user=None,
    tenant_id="",
) -> Process:
    """A new process with draft v1 holding start -> end (``tenant_id``: see engine.tenancy).

    An empty ``code`` is made from the title.
    """
    code = (code or "").strip() or code_from_title(title)
    if not code:
        raise DefinitionError(
            "Enter a code: the title has no letters or digits to make one of.", field="code"
        )
    if Process.objects.filter(code=code).exists():
        raise DefinitionError(CODE_UNAVAILABLE, field="code")
    drafts.check_schema(input_schema, "input_schema")
    process = Process(
        code=code,
        title=(title or "").strip(),
        description=description,
        input_schema=input_schema or {},
        singleton_key=check_singleton_key(singleton_key),
        tenant_id=tenant_id or "",
        created_by=user,
    )
    drafts.full_clean(process)
    process.save()
    version = Version.objects.create(process=process, number=1, created_by=user)
    start = drafts.new_activity(version, CoreKind.START, name="Start", key="start", x=60.0, y=120.0)
    end = drafts.new_activity(version, CoreKind.END, name="End", key="end", x=300.0, y=120.0)
    Transition.objects.create(version=version, key=new_key("t"), source=start, target=end)
    audit.record("process.created", actor=user, process=process, version=version)
    return process


@transaction.atomic
def update_process(process: Process, *, user=None, **fields: Any) -> Process:
    allowed = {"title", "description", "input_schema", "singleton_key"}
    unknown = set(fields) - allowed
    if unknown:
        raise DefinitionError(f"Unknown process field(s): {', '.join(sorted(unknown))}.")
    if "input_schema" in fields:
        drafts.check_schema(fields["input_schema"], "input_schema")
    if "singleton_key" in fields:
        # Applies to starts from now on; runs already active keep the value they hold.
        fields["singleton_key"] = check_singleton_key(fields["singleton_key"])
    for name, value in fields.items():
        setattr(process, name, value)
    drafts.full_clean(process)
    process.save()
    return process
