"""A trigger's execution history in the runs list: its runs, and its fires that started none.

Runs carry the key of the trigger that started them (``trigger_key``); a fire
that was skipped or failed made no run, so it is read from the audit log
(``trigger.skipped`` / ``trigger.failed``), with the same visibility rules as
the audit log page.
"""

from __future__ import annotations

from django.http import HttpRequest

from designer.audit.trigger_facts import describe
from engine import permissions
from engine.models import Incident, Process, Trigger

RECENT_FIRES = 20


def trigger_keys(processes: list[Process]) -> list[str]:
    """The trigger keys of these processes' versions, for the filter's choices."""
    return list(
        Trigger.objects.filter(version__process__in=processes)
        .order_by("key")
        .values_list("key", flat=True)
        .distinct()
    )


def attach_errors(runs: list) -> None:
    """Each listed run's latest open incident message as ``run.error`` (one query)."""
    errors: dict[int, str] = {}
    open_incidents = Incident.objects.filter(
        instance__in=[run.pk for run in runs], resolved_at__isnull=True
    ).order_by("created_at", "pk")
    for instance_id, message in open_incidents.values_list("instance_id", "message"):
        errors[instance_id] = message
    for run in runs:
        run.error = errors.get(run.pk, "")


def fires_without_run(request: HttpRequest, key: str, process_code: str = "") -> list[dict]:
    """The latest skipped or failed fires of trigger ``key`` the person may see."""
    events = permissions.visible_events(request.user, request).filter(
        action__in=("trigger.skipped", "trigger.failed"), metadata__trigger=key
    )
    if process_code:
        events = events.filter(process__code=process_code)
    rows = events.select_related("process").order_by("-created_at", "-pk")[:RECENT_FIRES]
    return [
        {
            "event": event,
            "outcome": event.action.removeprefix("trigger."),
            "text": describe(event.action, event.metadata),
        }
        for event in rows
    ]
