"""What a caller may see, always narrowed to their tenant; anything else is a 404.

Every list and every lookup of the API goes through these functions; the rules
themselves are engine.permissions, the same as the pages'. This module only
adds the API's "There is no ..." answers.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from engine import permissions
from engine.models import Process, ProcessInstance, Version, WorkItem


def processes(request) -> QuerySet:
    return permissions.visible_processes(request.user, request)


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
    return permissions.visible_runs(request.user, request)


def run(request, run_id: int) -> ProcessInstance:
    found = permissions.find_run(request.user, run_id, request)
    if found is None:
        raise Http404(f"There is no run {run_id}.")
    return found


def workitems(request) -> QuerySet:
    """Human workitems one may open, as in the inbox pages."""
    return permissions.visible_workitems(request.user, request)


def in_tenant(items: QuerySet, request) -> QuerySet:
    return permissions.in_tenant(items, request)


def workitem(request, workitem_id: int) -> WorkItem:
    found = permissions.find_workitem(request.user, workitem_id, request)
    if found is None:
        raise Http404(f"There is no workitem {workitem_id}.")
    return found


def audit_events(request) -> QuerySet:
    """As the audit log page: everything of the tenant with ``engine.view_auditevent``
    (and for superusers), else the caller's own actions."""
    return permissions.visible_events(request.user, request)
