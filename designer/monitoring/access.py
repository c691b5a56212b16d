"""The monitoring pages' lookups: a run or task the person may not open is a 404.

The rules (who sees which runs and workitems, tenant included) are
engine.permissions, shared with the REST API and the services; this module
only gives the pages their "No such ..." answers, so an id typed by hand
reveals nothing.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest

from engine import permissions
from engine.models import ProcessInstance, WorkItem


def get_run_or_404(request: HttpRequest, pk: int) -> ProcessInstance:
    run = permissions.find_run(request.user, pk, request)
    if run is None:
        raise Http404("No such run.")
    return run


def get_workitem_or_404(request: HttpRequest, pk: int) -> WorkItem:
    workitem = permissions.find_workitem(request.user, pk, request)
    if workitem is None:
        raise Http404("No such task.")
    return workitem
