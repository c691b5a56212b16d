"""What a caller may see, always narrowed to their tenant; anything else is a 404.

Every list and every lookup of the API goes through these functions, so the
rules live in one place: processes and versions are visible to every signed-in
user of the tenant; runs as ``ProcessInstance.objects.visible_to``; workitems
of the runs one may see (all of them for workitem managers); audit events of
the runs one may see (all of them for run managers).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from engine.api import permissions
from engine.models import AuditEvent, Process, ProcessInstance, Version, WorkItem
from engine.tenancy import resolve_tenant, scoped


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
    items = in_tenant(WorkItem.objects.all(), request)
    if permissions.has(request.user, permissions.MANAGE_WORKITEMS):
        return items
    return items.filter(instance__in=runs(request))


def in_tenant(items: QuerySet, request) -> QuerySet:
    """Workitems of the tenant's runs (workitems carry no tenant column of their own)."""
    if resolve_tenant(request) is None:
        return items
    return items.filter(instance__in=scoped(ProcessInstance.objects.all(), request))


def workitem(request, workitem_id: int) -> WorkItem:
    found = (
        workitems(request)
        .filter(pk=workitem_id)
        .select_related("instance", "instance__process", "assignee", "completed_by")
        .first()
    )
    if found is None:
        raise Http404(f"There is no workitem {workitem_id}.")
    return found


def audit_events(request) -> QuerySet:
    events = scoped(AuditEvent.objects.all(), request)
    if permissions.has(request.user, permissions.MANAGE_RUNS):
        return events
    return events.filter(instance__in=runs(request))
