"""An AuditEvent as the JSON body of a webhook."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from engine.models import Activity, AuditEvent, Transition


def _row_id(model, event: AuditEvent, key: str) -> int | None:
    """The id of the event version's activity or transition with ``key`` (GoFlow2's field)."""
    if not key or event.version_id is None:
        return None
    return (
        model.objects.filter(version_id=event.version_id, key=key)
        .values_list("pk", flat=True)
        .first()
    )


def event_body(event: AuditEvent) -> dict[str, Any]:
    process = event.process
    version = event.version
    return {
        "id": event.pk,
        "action": event.action,
        "created_at": event.created_at.isoformat(),
        "actor": event.actor_name or None,
        "actor_id": event.actor_id,
        "process": process.code if process else None,
        "process_id": event.process_id,
        "version": version.number if version else None,
        "instance_id": event.instance_id,
        "workitem_id": event.workitem_id,
        "activity": event.activity_key or None,
        "transition": event.transition_key or None,
        # GoFlow2's payload names them by id: kept so its receivers work unchanged.
        "activity_id": _row_id(Activity, event, event.activity_key),
        "transition_id": _row_id(Transition, event, event.transition_key),
        "status_from": event.status_from or None,
        "status_to": event.status_to or None,
        "metadata": event.metadata or {},
        "tenant_id": event.tenant_id or None,
    }


def event_json(event: AuditEvent) -> str:
    """The exact text that is signed and sent (compact, keys in a fixed order)."""
    return json.dumps(event_body(event), cls=DjangoJSONEncoder, separators=(",", ":"))
