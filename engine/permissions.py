"""Who may see and do what: the one place the API, the designer's pages and the services ask.

Roles are Django permissions (superusers hold them all):

- ``engine.design_process`` / ``engine.publish_process``: edit drafts / publish;
- ``engine.manage_runs``: operators, who see every run and may cancel,
  suspend, resume, retry, compensate and edit run data;
- ``engine.manage_workitems``: see every task, claim, release or reassign any;
- ``engine.view_processinstance``: see every run without acting on it;
- ``engine.view_auditevent``: read everyone's audit events.

``user=None`` is the system (a script, a task, a scan): it may do anything.

Reads are querysets narrowed to what the person may see and to a tenant
(``engine.tenancy``); ``tenant_of`` is the request (or user) whose tenant
counts, the user by default. Doors answer 404 for anything outside them, so an
id typed by hand reveals nothing; they answer 403 (``NotAllowed``, naming the
permission) for something seen but not to be changed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from engine.conf import waymark_setting
from engine.core.states import HUMAN_OPEN_STATES
from engine.errors import NotAllowed
from engine.models import (
    ActivityKind,
    AuditEvent,
    Process,
    ProcessInstance,
    WorkItem,
    WorkItemCandidate,
    WorkItemState,
)
from engine.models.involvement import involved_rows
from engine.tenancy import resolve_tenant, scoped

DESIGN = "engine.design_process"
PUBLISH = "engine.publish_process"
MANAGE_RUNS = "engine.manage_runs"
MANAGE_WORKITEMS = "engine.manage_workitems"
VIEW_RUNS = "engine.view_processinstance"
VIEW_AUDIT = "engine.view_auditevent"

# How a refusal names the permission it needs.
WHAT = {
    DESIGN: "design processes",
    PUBLISH: "publish processes",
    MANAGE_RUNS: "manage runs",
    MANAGE_WORKITEMS: "manage workitems",
    VIEW_RUNS: "view runs",
    VIEW_AUDIT: "view audit events",
}

# What a workitem lookup brings along: every door shows the run, process and people.
_WORKITEM_RELATED = (
    "instance__process",
    "instance__version",
    "assignee",
    "completed_by",
    "delegated_by",
)


# Predicates --------------------------------------------------------------------------------


def has(user, perm: str) -> bool:
    """Whether a person holds ``perm`` (superusers hold every one; None is nobody)."""
    return bool(user and (user.is_superuser or user.has_perm(perm)))


def allowed(user, perm: str) -> bool:
    """Whether ``user`` may do what ``perm`` guards: the system (None) always may."""
    return user is None or has(user, perm)


def require(user, perm: str, action: str) -> None:
    """Raise NotAllowed (403) unless ``user`` may; the message names what is missing."""
    if not allowed(user, perm):
        raise NotAllowed(f"You may not {action}: it needs the '{WHAT[perm]}' permission.")


def can_manage(user) -> bool:
    """Operators (``manage_runs``) and the system: every run, and every action on it."""
    return allowed(user, MANAGE_RUNS)


def can_manage_workitems(user) -> bool:
    """Claim, release or reassign any task (``manage_workitems``), and the system."""
    return allowed(user, MANAGE_WORKITEMS)


def may_monitor(user) -> bool:
    """Process monitoring: operators and the people who design or publish processes."""
    return can_manage(user) or has(user, DESIGN) or has(user, PUBLISH)


def sees_all_runs(user) -> bool:
    return can_manage(user) or has(user, VIEW_RUNS)


def sees_all_workitems(user) -> bool:
    return can_manage_workitems(user) or can_manage(user)


def sees_all_events(user) -> bool:
    return allowed(user, VIEW_AUDIT)


def is_candidate(user, workitem: WorkItem) -> bool:
    """Whether ``workitem`` is offered to ``user`` (by name or through a group)."""
    if user is None:
        return False
    return (
        WorkItemCandidate.objects.filter(workitem=workitem)
        .filter(Q(user=user) | Q(group__in=user.groups.all()))
        .exists()
    )


def can_act(user, workitem: WorkItem) -> bool:
    """Whether ``user`` may claim or complete ``workitem`` now."""
    if workitem.state not in HUMAN_OPEN_STATES:
        return False
    if user is None:
        return True  # the system
    # The person's own claim first (no query), then the offer (one query), and the
    # manager's permission last: Django reads a person's permissions with two queries,
    # and most people acting on a task are its assignee or one of its candidates.
    if getattr(user, "is_authenticated", False):
        if workitem.state == WorkItemState.ASSIGNED:
            if workitem.assignee_id == user.pk:
                return True
        elif is_candidate(user, workitem):
            return True
    return can_manage_workitems(user)


def named_in(user, workitem: WorkItem) -> bool:
    """Whether the workitem's activity offers its tasks to ``user`` by name, group or role.

    Offers (candidate rows) are deleted when a task closes; a candidate who
    comes back after someone else finished it must hear "already completed
    by ..." rather than "not found".
    """
    try:
        activity = workitem.activity
    except KeyError:  # an activity missing from its frozen version: not offered
        return False
    if user.get_username() in set(activity.allowed_users or ()):
        return True
    names = set(activity.roles or ()) | set(activity.allowed_groups or ())
    return bool(names) and user.groups.filter(name__in=names).exists()


# Querysets ---------------------------------------------------------------------------------


def visible_processes(user, tenant_of: Any = None) -> QuerySet:
    """Processes (and their versions): every signed-in person of the tenant sees them."""
    return scoped(Process.objects.all(), tenant_of or user)


def visible_runs(user, tenant_of: Any = None) -> QuerySet:
    """Runs ``user`` may open: all for operators and run viewers, else those they
    started, work or worked on, or are offered work in (one indexed test per run)."""
    if user is not None and not user.is_authenticated:
        return ProcessInstance.objects.none()
    runs = ProcessInstance.objects.all()
    if not sees_all_runs(user):
        runs = runs.involving_each(user)
    return scoped(runs, tenant_of or user)


def listed_runs(user, tenant_of: Any = None) -> QuerySet:
    """The same runs as ``visible_runs``, computed to suit a list newest-first."""
    runs = ProcessInstance.objects.all()
    if not sees_all_runs(user):
        runs = runs.involving(user)
    return scoped(runs, tenant_of or user)


def involved_first(
    user, upto: int, tenant_of: Any = None, *, oldest: bool = False, state: str | None = None
) -> list | None:
    """The first ``upto`` of a person's own runs (``listed_runs`` for someone who does
    not see every run) as ``(pk, state)`` in list order, read by index
    walks that stop (engine.models.involvement): one query, whatever their history.

    None when a custom TENANT_FILTER narrows runs in a way the walks cannot
    follow: the caller evaluates ``listed_runs`` instead.
    """
    if user is None or not user.is_authenticated:
        return []
    tenant = resolve_tenant(tenant_of or user)
    if tenant is not None and waymark_setting("TENANT_FILTER"):
        return None
    tenant_id = None if tenant is None else str(tenant.get("tenant_id") or "")
    groups = list(user.groups.values_list("pk", flat=True))
    return involved_rows(
        user, upto, group_ids=groups, oldest=oldest, state=state, tenant_id=tenant_id
    )


def in_tenant(workitems: QuerySet, tenant_of: Any) -> QuerySet:
    """Workitems of the tenant: they carry no tenant column, their run does."""
    workitems = scoped(workitems, tenant_of)
    if resolve_tenant(tenant_of) is None:
        return workitems  # tenancy off: no subquery at all
    return workitems.filter(instance__in=scoped(ProcessInstance.objects.all(), tenant_of))


def visible_workitems(user, tenant_of: Any = None) -> QuerySet:
    """Human workitems ``user`` may open: assigned to, completed by or offered to them;
    every one of the tenant for workitem and run managers."""
    items = WorkItem.objects.filter(activity_kind=ActivityKind.HUMAN)
    if not sees_all_workitems(user):
        groups = list(user.groups.values_list("pk", flat=True))
        offered = WorkItemCandidate.objects.filter(Q(user=user) | Q(group_id__in=groups))
        items = items.filter(
            Q(assignee=user) | Q(completed_by=user) | Q(pk__in=offered.values("workitem_id"))
        )
    return in_tenant(items, tenant_of or user)


def find_workitem(user, pk: int, tenant_of: Any = None) -> WorkItem | None:
    """The human workitem ``pk`` if ``user`` may open it, else None (doors answer 404).

    A closed task stays visible to the people its activity named, so they learn
    who finished it.
    """
    tenant_of = tenant_of or user
    found = visible_workitems(user, tenant_of).select_related(*_WORKITEM_RELATED)
    workitem = found.filter(pk=pk).first()
    if workitem is not None:
        return workitem
    everyone = in_tenant(WorkItem.objects.filter(activity_kind=ActivityKind.HUMAN), tenant_of)
    closed = everyone.select_related(*_WORKITEM_RELATED).filter(pk=pk).first()
    if closed is not None and not closed.is_open and named_in(user, closed):
        return closed
    return None


def find_run(user, pk: int, tenant_of: Any = None) -> ProcessInstance | None:
    """The run ``pk`` if ``user`` may open it, else None (doors answer 404)."""
    related = ("process", "version", "started_by", "parent_workitem")
    return visible_runs(user, tenant_of).select_related(*related).filter(pk=pk).first()


def visible_events(user, tenant_of: Any = None) -> QuerySet:
    """Audit events: everything of the tenant with ``view_auditevent``, else one's own."""
    events = scoped(AuditEvent.objects.all(), tenant_of or user)
    if sees_all_events(user):
        return events
    return events.filter(actor=user)
