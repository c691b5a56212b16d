"""Incidents: why a run cannot move by itself. Retry them, or resolve them by hand.

- ``retry_incident``: try the fallen-out step again (engine.services.runs'
  retry: a handler runs again with the same idempotency key, a routing
  problem is routed again); an incident without a step retries its run.
- ``resolve_incident``: the problem was dealt with outside Waymark. A
  fallen-out step counts as done and the run routes on from it (fix the
  run's data first if the next steps need it); an incident without a step
  is closed and the run's state worked out again. Audited ``incident.resolved``.

Both need ``manage_runs`` (like cancel) and an active run; an incident that is
already resolved is a 409.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from engine import permissions
from engine.errors import Conflict, RunNotActive
from engine.models import Incident, WorkItem, WorkItemState
from engine.runtime.audit import record
from engine.runtime.effects import Effects
from engine.runtime.locks import ACTIVE_RUN, lock_run
from engine.runtime.walk import Walk
from engine.services.runs import retry_run, retry_workitem


def _open(incident: Incident) -> None:
    if incident.resolved_at is not None:
        raise Conflict(f"Incident {incident.pk} was already resolved.")


def retry_incident(incident: Incident, *, user=None) -> Incident:
    """Retry what the incident stopped; returns it, resolved."""
    permissions.require(user, permissions.MANAGE_RUNS, "retry incidents")
    _open(incident)
    if incident.workitem_id is not None:
        retry_workitem(incident.workitem_id, user=user)
    else:
        retry_run(incident.instance_id, user=user)
    incident.refresh_from_db()
    if incident.resolved_at is None:
        # A run-level retry takes only fallen-out steps; this one had none.
        raise Conflict(f"Incident {incident.pk} has nothing to retry: resolve it instead.")
    return incident


def resolve_incident(incident: Incident, *, user=None, note: str = "") -> Incident:
    """Close the incident as handled by hand (see the module's doc); returns it."""
    permissions.require(user, permissions.MANAGE_RUNS, "resolve incidents")
    effects = Effects()
    with transaction.atomic():
        run = lock_run(incident.instance_id)
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        _open(incident)
        if run.state not in ACTIVE_RUN:
            raise RunNotActive(f"This run is {run.state}; resume it before resolving.")
        now = timezone.now()
        by = user if getattr(user, "is_authenticated", False) else None
        incident.resolved_at, incident.resolved_by = now, by
        incident.save(update_fields=["resolved_at", "resolved_by"])
        walk = Walk(run, effects, actor=user)
        workitem = _fallen_step(incident)
        if workitem is not None:
            walk.leave(workitem, WorkItemState.COMPLETED, error="", traceback="")
        record(
            "incident.resolved",
            run,
            workitem,
            actor=user,
            metadata={"incident": incident.pk, "kind": incident.kind, "note": note},
        )
        walk.settle()
        effects.schedule()
    return incident


def _fallen_step(incident: Incident) -> WorkItem | None:
    if incident.workitem_id is None:
        return None
    workitem = WorkItem.objects.select_for_update().get(pk=incident.workitem_id)
    if workitem.state != WorkItemState.FALLOUT:
        return None
    # Its other open incidents go with it: the step is done.
    Incident.objects.filter(workitem=workitem, resolved_at=None).update(
        resolved_at=incident.resolved_at, resolved_by=incident.resolved_by
    )
    return workitem
