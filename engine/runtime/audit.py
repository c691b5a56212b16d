"""The audit trail: one public function, ``record``, for every state change.

Services, the walk and the worker all call ``record`` inside the transaction
that made the change, so an event exists exactly when its change committed.
Webhook deliveries are written from the saved event (``engine.webhooks``,
connected in ``engine.apps``), in that same transaction.
"""

from __future__ import annotations

from typing import Any

from engine.conf import waymark_setting
from engine.models import AuditEvent, ProcessInstance, WorkItem


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
    anonymous user) is the system.
    """
    if not waymark_setting("AUDIT_ENABLED"):
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
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "system",
        **fields,
    )
