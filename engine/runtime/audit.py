"""The audit trail: one public function, ``record``, for every state change.

Services, the walk and the worker all call ``record`` inside the transaction
that made the change, so an event exists exactly when its change committed.
Webhook deliveries are written from the saved event (``engine.webhooks``,
connected in ``engine.apps``), in that same transaction.

A transaction on the hot path (a step, a start, a completion) records several
events; inside ``batch()`` they are written in one multi-row INSERT when the
block ends, still inside the transaction, and ``post_save`` is then sent for
each (so webhook deliveries are made exactly as for a single save).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from django.db import router, transaction
from django.db.models.signals import post_save

from engine.conf import step_setting
from engine.models import AuditEvent, ProcessInstance, WorkItem
from engine.runtime.statements import insert_rows, new_instance


class _Pending(threading.local):
    """The events of the open batch (one per thread: Django's connections are per thread)."""

    events: list[AuditEvent] | None = None
    depth = 0  # the atomic block the batch belongs to


_pending = _Pending()


def _atomic_depth(alias: str) -> int:
    connection = transaction.get_connection(alias)
    return len(connection.atomic_blocks) if connection.in_atomic_block else 0


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Collect the events recorded in this block and write them in one INSERT at its end.

    Use inside the transaction that makes the changes (the events commit with
    them, or not at all). An event recorded inside a nested ``atomic`` block
    (a savepoint that may roll back alone) is written at once instead, with
    that savepoint (rare on the hot path; it then precedes the batch's events
    in id order). Nested batches are written by the outer one; outside a
    transaction there is nothing to batch.
    """
    alias = router.db_for_write(AuditEvent)
    depth = _atomic_depth(alias)
    if _pending.events is not None or depth == 0:
        yield
        return
    _pending.events, _pending.depth = [], depth
    try:
        yield
        events = _pending.events
    finally:
        _pending.events = None
    _write(events, alias)


def _write(events: list[AuditEvent], alias: str) -> None:
    if not events:
        return
    insert_rows(events)  # one INSERT, compiled once (engine.runtime.statements)
    for event in events:  # as one save() each would (webhook deliveries)
        post_save.send(
            sender=AuditEvent,
            instance=event,
            created=True,
            update_fields=None,
            raw=False,
            using=alias,
        )


def record(
    action: str,
    run: ProcessInstance | None = None,
    workitem: WorkItem | None = None,
    *,
    actor: Any = None,
    **fields: Any,
) -> AuditEvent | None:
    """Write one audit event (inside the caller's transaction), unless audit is off.

    With ``run`` (and ``workitem``), the event carries their process,
    version, tenant and activity unless ``fields`` say otherwise. ``fields``
    are AuditEvent columns: process, version, activity_key, transition_key,
    status_from, status_to, metadata, tenant_id. ``actor`` None (or an
    anonymous user) is the system. Inside ``batch()`` the event is saved
    when the batch ends.
    """
    if not step_setting("AUDIT_ENABLED"):
        return None
    if run is not None:
        fields.setdefault("process_id", run.process_id)
        fields.setdefault("version_id", run.version_id)
        fields.setdefault("tenant_id", run.tenant_id)
        fields["instance"] = run
    if workitem is not None:
        fields.setdefault("activity_key", workitem.activity_key)
        fields["workitem"] = workitem
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if "tenant_id" not in fields:
        # Definition events carry their process; tenant filters must see them too.
        owner = fields.get("instance") or fields.get("process")
        fields["tenant_id"] = getattr(owner, "tenant_id", "") or ""
    fields["actor"] = actor
    event = new_instance(  # (the keyword-built model instance cost a step more than its INSERT)
        AuditEvent,
        action=action,
        actor_name=actor.get_username() if actor is not None else "system",
        **fields,
    )
    pending = _pending.events
    if pending is not None and _atomic_depth(router.db_for_write(AuditEvent)) == _pending.depth:
        pending.append(event)
    else:
        # No batch, or inside a savepoint of the batch's transaction: written now, so
        # that it rolls back with the savepoint (and the batch's events do not).
        event.save(force_insert=True)
    return event
