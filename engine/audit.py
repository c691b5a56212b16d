"""Recording the audit trail. Every service that changes state calls ``record``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from engine.conf import waymark_setting
from engine.models import AuditEvent

_listeners: list = []


def on_audit_event(listener) -> None:
    """Call ``listener(event_id)`` after the transaction that recorded an event commits.

    Webhook delivery subscribes here; listeners get ids only, never live rows.
    """
    _listeners.append(listener)


def record(action: str, *, actor=None, **fields: Any) -> AuditEvent | None:
    """Write one audit event (inside the caller's transaction), unless audit is off.

    ``fields`` are AuditEvent columns: process, version, instance, workitem,
    activity_key, transition_key, status_from, status_to, metadata, tenant_id.
    """
    if not waymark_setting("AUDIT_ENABLED"):
        return None
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if "tenant_id" not in fields:
        # Definition events carry their process; tenant filters must see them too.
        owner = fields.get("instance") or fields.get("process")
        fields["tenant_id"] = getattr(owner, "tenant_id", "") or ""
    event = AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "system",
        **fields,
    )
    for listener in _listeners:
        transaction.on_commit(lambda listener=listener: listener(event.pk))
    return event
