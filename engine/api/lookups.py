"""What a caller may see, always narrowed to their tenant; anything else is a 404.

Every list and every lookup of the API goes through these functions, so the
rules live in one place: processes and versions are visible to every signed-in
user of the tenant; runs as ``ProcessInstance.objects.visible_to``; workitems
and audit events by the same rules as the inbox and audit log pages
(designer/monitoring/access.py, designer/audit/access.py).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from engine.api import permissions
from engine.models import (
    ActivityKind,
    AuditEvent,
    Process,
    ProcessInstance,
    Version,
    WorkItem,
    WorkItemCandidate,
)
from engine.tenancy import resolve_tenant, scoped

VIEW_AUDIT = "engine.view_auditevent"


def processes(request) -> QuerySet:
    return scoped(Process.objects.all(), request)


def process(request, code: str) -> Process:
    found = processes(request).filter(code=code).first()
    if found is None:
        raise Http404(f"There is no process {code!r}.")
    return found


def version(request, code: str, number: int) -> Version:
    found = (
        Version.objects.filter(process__in=processes(request), process__code=code, number=number)
        .select_related("process")
        .first()
    )
    if found is None:
        raise Http404(f"There is no version {number} of {code!r}.")
    return found


def runs(request) -> QuerySet:
    return scoped(ProcessInstance.objects.visible_to(request.user), request)


def run(request, run_id: int) -> ProcessInstance:
    found = runs(request).filter(pk=run_id).select_related("process", "version").first()
    if found is None:
        raise Http404(f"There is no run {run_id}.")
    return found


def workitems(request) -> QuerySet:
    """Human workitems one may open, as in the inbox pages: assigned to, completed by or
    offered to the caller; every one of the tenant for workitem and run managers."""
    user = request.user
    items = in_tenant(WorkItem.objects.filter(activity_kind=ActivityKind.HUMAN), request)
    if permissions.has(user, permissions.MANAGE_WORKITEMS) or permissions.has(
        user, permissions.MANAGE_RUNS
    ):
        return items
    groups = list(user.groups.values_list("pk", flat=True))
    offered = WorkItemCandidate.objects.filter(Q(user=user) | Q(group_id__in=groups))
    return items.filter(
        Q(assignee=user) | Q(completed_by=user) | Q(pk__in=offered.values("workitem_id"))
    )


def in_tenant(items: QuerySet, request) -> QuerySet:
    """Workitems of the tenant's runs (workitems carry no tenant column of their own)."""
    if resolve_tenant(request) is None:
        return items
    return items.filter(instance__in=scoped(ProcessInstance.objects.all(), request))


def workitem(request, workitem_id: int) -> WorkItem:
    related = ("instance", "instance__process", "assignee", "completed_by")
    found = workitems(request).filter(pk=workitem_id).select_related(*related).first()
    if found is None:
        # Offers are deleted when a task closes: a candidate who comes back after someone
        # else finished it must hear "already completed by ..." (409), not "not found".
        closed = (
            in_tenant(WorkItem.objects.filter(activity_kind=ActivityKind.HUMAN), request)
            .filter(pk=workitem_id)
            .select_related(*related)
            .first()
        )
        if closed is not None and not closed.is_open and _named_in(request.user, closed):
            return closed
        raise Http404(f"There is no workitem {workitem_id}.")
    return found


def _named_in(user, workitem: WorkItem) -> bool:
    """Whether the workitem's activity offers its tasks to ``user`` by name or group."""
    from engine import executor

    activity = executor.graph_for(workitem.instance.version_id).activities.get(
        workitem.activity_key
    )
    if activity is None:
        return False
    if user.get_username() in set(activity.allowed_users or ()):
        return True
    names = set(activity.roles or ()) | set(activity.allowed_groups or ())
    return bool(names) and user.groups.filter(name__in=names).exists()


def audit_events(request) -> QuerySet:
    """As the audit log page: everything of the tenant with ``engine.view_auditevent``
    (and for superusers), else the caller's own actions."""
    events = scoped(AuditEvent.objects.all(), request)
    if permissions.has(request.user, VIEW_AUDIT):
        return events
    return events.filter(actor=request.user)
