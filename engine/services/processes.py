"""Processes: create one (with draft v1 holding start -> end) and edit its fields.

A process's code is its stable name across versions and tenants; left empty, it is
the slug of the title ("Expense claim" -> "expense-claim").
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db import transaction

from engine.core.graph import ActivityKind as CoreKind
from engine.definition_format import code_from_title
from engine.errors import DefinitionError
from engine.models import Process, Transition, Version, VersionStatus
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


# The published version of each process, for starts ------------------------------------
#
# Every start needs the process (its input schema, singleton key, tenant) and its
# published version: two SELECTs per start before this cache. Kept per process
# (web, worker) by code for STARTABLE_CACHE_SECONDS, and forgotten at once in
# the process that changes a process or a version (post_save/post_delete,
# connected in engine.apps; publish and rollback forget it again when they
# commit). Another process sees a publish or rollback within about two seconds,
# as with the webhook endpoints and the armed triggers; a start meanwhile runs
# the version that was published a moment before, a frozen graph like any other.

STARTABLE_CACHE_SECONDS = 2.0
_startable: dict[str, tuple[float, Process, Version]] = {}
_startable_lock = threading.Lock()
_generation = 0  # bumped by every forget: a read begun before it is not kept


def published(code: str) -> tuple[Process | None, Version | None]:
    """The process with ``code`` and its published version (None for what is missing)."""
    now = time.monotonic()
    hit = _startable.get(code)
    if hit is not None and now - hit[0] <= STARTABLE_CACHE_SECONDS:
        return hit[1], hit[2]
    generation = _generation
    rows = Version.objects.select_related("process").filter(
        process__code=code, status=VersionStatus.PUBLISHED
    )
    row = next(iter(rows.order_by()[:1]), None)  # one at most (no ORDER BY to compile)
    if row is None:
        return Process.objects.filter(code=code).first(), None
    with _startable_lock:
        if generation == _generation:
            _startable[code] = (now, row.process, row)
    return row.process, row


def forget_startable(**kwargs: Any) -> None:
    """Receiver for Process and Version saves and deletes: read them afresh next time."""
    global _generation
    with _startable_lock:
        _generation += 1
        _startable.clear()
