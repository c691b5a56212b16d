"""Who may see which runs and workitems: every list and lookup of this area goes through here.

Lookups answer 404 for anything the person may not see, so an id typed by
hand reveals nothing. Reads are always narrowed to the request's tenant
(``engine.tenancy.scoped``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from engine import executor
from engine.models import ActivityKind, ProcessInstance, WorkItem, WorkItemCandidate
from engine.tenancy import resolve_tenant, scoped


def is_operator(user) -> bool:
    """Operators see every run and may retry, cancel and compensate."""
    return bool(user.is_superuser or user.has_perm("engine.manage_runs"))


def is_workitem_manager(user) -> bool:
    return bool(user.is_superuser or user.has_perm("engine.manage_workitems"))


def may_monitor(user) -> bool:
    """Process monitoring: operators and the people who design or publish processes."""
    return is_operator(user) or any(
        user.has_perm(p) for p in ("engine.design_process", "engine.publish_process")
    )


def sees_all_runs(user) -> bool:
    return is_operator(user) or user.has_perm("engine.view_processinstance")


def runs_for_list(request: HttpRequest) -> QuerySet:
    """The runs a person's lists show: all for operators, else the runs they are involved in."""
    runs = ProcessInstance.objects.all()
    if not sees_all_runs(request.user):
        runs = runs.involving(request.user)
    return scoped(runs, request)


def get_run_or_404(request: HttpRequest, pk: int) -> ProcessInstance:
    run = (
        scoped(ProcessInstance.objects.visible_to(request.user), request)
        .select_related("process", "version", "started_by", "parent_workitem")
        .filter(pk=pk)
        .first()
    )
    if run is None:
        raise Http404("No such run.")
    return run


def scoped_workitems(queryset: QuerySet, request: HttpRequest) -> QuerySet:
    """Workitems of the request's tenant: they carry no tenant column, their run does."""
    queryset = scoped(queryset, request)
    if resolve_tenant(request) is None:
        return queryset  # tenancy off: no subquery at all
    runs = scoped(ProcessInstance.objects.all(), request).values("pk")
    return queryset.filter(instance__in=runs)


def _group_ids(user) -> list[int]:
    return list(user.groups.values_list("pk", flat=True))


def workitems_for(request: HttpRequest) -> QuerySet:
    """Human workitems a person may open: assigned to, completed by or offered to them."""
    user = request.user
    items = WorkItem.objects.filter(activity_kind=ActivityKind.HUMAN)
    if not (is_workitem_manager(user) or is_operator(user)):
        offered = WorkItemCandidate.objects.filter(
            Q(user=user) | Q(group_id__in=_group_ids(user))
        ).values("workitem_id")
        items = items.filter(Q(assignee=user) | Q(completed_by=user) | Q(pk__in=offered))
    return scoped_workitems(items, request)


def _named_in_activity(user, workitem: WorkItem) -> bool:
    """Whether the activity's definition offers its tasks to ``user``.

    Offers (candidate rows) are deleted when a workitem closes; a candidate
    who still has the page open must learn that someone else finished the
    task rather than get "not found".
    """
    try:
        activity = executor.graph_for(workitem.instance.version_id).activity(workitem.activity_key)
    except Exception:  # an activity missing from its frozen version: treat as not offered
        return False
    if user.get_username() in set(activity.allowed_users or ()):
        return True
    names = set(activity.roles or ()) | set(activity.allowed_groups or ())
    return bool(names) and user.groups.filter(name__in=names).exists()


def get_workitem_or_404(request: HttpRequest, pk: int) -> WorkItem:
    base = scoped_workitems(
        WorkItem.objects.filter(activity_kind=ActivityKind.HUMAN), request
    ).select_related(
        "instance__process", "instance__version", "assignee", "completed_by", "delegated_by"
    )
    workitem = workitems_for(request).filter(pk=pk).first()
    if workitem is not None:
        return base.get(pk=workitem.pk)
    workitem = base.filter(pk=pk).first()
    if workitem is None or workitem.is_open or not _named_in_activity(request.user, workitem):
        raise Http404("No such task.")
    return workitem
