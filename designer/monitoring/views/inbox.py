"""The inbox: My work, Available, Done; a task's page with its form and outcome buttons.

Views are thin: reads through the QuerySets in engine.models.runtime (scoped
to the tenant), changes through engine.services.runtime. A task the person
may not see answers 404 on every page and action.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from designer.monitoring import access, graphs
from designer.monitoring.badges import workitem_badges
from designer.monitoring.forms import InboxFilterForm
from designer.monitoring.paging import (
    COUNT_CAP,
    PAGE_SIZE,
    capped_counts,
    page_number,
    paginate,
)
from designer.monitoring.rows import workitem_rows
from designer.monitoring.schema_forms import SchemaForm, outcome_buttons
from engine import permissions
from engine.models import Process, ProcessInstance, WorkItem, WorkItemState
from engine.services import runtime
from engine.tenancy import resolve_tenant, scoped

TABS = [
    ("mine", "My work"),
    ("available", "Available"),
    ("done", "Done"),
]


TAB_CAP = 99
LIST_FIELDS = [
    "name",
    "activity_key",
    "state",
    "outcome",
    "created_at",
    "completed_at",
    "due_at",
    "sla_warn_at",
    "sla_breach_at",
    "sla_warned_at",
    "sla_breached_at",
    "instance",
]


def _narrowed(filters: dict) -> bool:
    return any(filters.get(k) for k in ("process", "q", "due"))


def _walks(request: HttpRequest, tab: str, filters: dict) -> bool:
    """Whether the tab's first rows can come by the candidate index walk that
    stops (``available_first``): Available in creation order, not narrowed."""
    sort = filters.get("sort") or "newest"
    return (
        tab == "available"
        and sort in ("newest", "oldest")
        and not _narrowed(filters)
        and resolve_tenant(request) is None  # the tenant's filter comes after the walk
    )


def _tab_queryset(
    request: HttpRequest,
    tab: str,
    *,
    first: int = 0,
    filters: dict | None = None,
    groups: list[int] | None = None,
):
    """A tab's workitems. ``first`` > 0: only the first that many rows are wanted (a
    capped count, a page), so Available may walk its candidate index and stop.
    ``groups``: the person's group ids, when already read."""
    user = request.user
    filters = filters or {}
    if first and _walks(request, tab, filters):
        items = WorkItem.objects.available_first(
            user, first, oldest=filters.get("sort") == "oldest", groups=groups
        )
    elif tab == "available":
        items = WorkItem.objects.available(user, groups=groups)
    elif tab == "done":
        items = WorkItem.objects.done(user)
    else:
        items = WorkItem.objects.inbox(user)
    return permissions.in_tenant(items, request)


def _filtered(items, filters: dict, tab: str):
    if filters.get("process"):
        items = items.filter(instance__process__code=filters["process"])
    if filters.get("q"):
        text = filters["q"]
        items = items.filter(Q(name__icontains=text) | Q(instance__business_key__icontains=text))
    now = timezone.now()
    if filters.get("due") == "overdue":
        items = items.filter(sla_breach_at__lte=now)
    elif filters.get("due") == "soon":
        items = items.filter(sla_breach_at__gt=now, sla_breach_at__lte=now + timedelta(days=1))
    sort = filters.get("sort") or "newest"
    if sort == "oldest":
        items = items.order_by("created_at", "pk")
    elif sort == "due":
        items = items.order_by("sla_breach_at", "created_at", "pk")
    elif tab == "done":
        items = items.order_by("-completed_at", "-pk")
    else:
        items = items.order_by("-created_at", "-pk")
    return items


def _tab_with_work(found: dict) -> str:
    """The inbox opens on My work, or on Available when only offered work waits."""
    return "available" if not found["mine"][0] and found["available"][0] else "mine"


def _counts(request: HttpRequest, filters: dict, asked: str | None, groups: list[int]) -> dict:
    """One statement counts everything the page shows: the tab badges up to 99
    ("99+"), like a mail client, and the list's total up to COUNT_CAP (of the tab
    asked for, else of the two the inbox may open on: ``"<tab>:list"``). Each
    count reads at most its cap of index entries, whatever the size of the queues.

    A list no filter narrows (a sort does not) holds what its tab holds: its
    badge is read from the list's count, not counted again (each count is a
    query to build and compile, the larger part of the page's Python)."""
    listed = [asked] if asked else ["mine", "available"]
    same = set(listed) if not _narrowed(filters) else set()
    wanted = {
        key: _tab_queryset(request, key, first=TAB_CAP + 1, groups=groups)
        for key, _ in TABS
        if key not in same
    }
    for key in listed:
        wanted[f"{key}:list"] = _filtered(
            _tab_queryset(request, key, first=COUNT_CAP + 1, filters=filters, groups=groups),
            filters,
            key,
        )
    found = capped_counts(
        wanted, cap=TAB_CAP, caps={key: COUNT_CAP for key in wanted if key.endswith(":list")}
    )
    for key in same:
        count, capped = found[f"{key}:list"]
        found[key] = (min(count, TAB_CAP), capped or count > TAB_CAP)
    return found


def _page_runs(items: list[WorkItem]) -> dict[int, tuple[str, str]]:
    """``{run id: (business key, process title)}`` of the page's workitems.

    One query after the sort, so the database does not join every offered
    workitem to its run first; read as tuples, not models with a prefetch
    (which cost more Python than the rest of the page's rows, issue 16).
    """
    ids = {item.instance_id for item in items}
    if not ids:
        return {}
    found = ProcessInstance.objects.filter(pk__in=ids).values_list(
        "pk", "business_key", "process__title"
    )
    return {pk: (key, title) for pk, key, title in found}


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    processes = list(scoped(Process.objects.order_by("code"), request).only("code", "title"))
    form = InboxFilterForm(request.GET or None, processes=processes)
    filters = form.values() if request.GET else {}
    asked = request.GET.get("tab")
    if asked not in dict(TABS):
        asked = None
    groups = list(request.user.groups.values_list("pk", flat=True))
    found = _counts(request, filters, asked, groups)
    tab = request.GET.get("tab") or _tab_with_work(found)
    if tab not in dict(TABS):
        tab = "mine"
    # Only the columns a row shows (run data, form data and tracebacks can be
    # large); the runs of the page come by one more query (_page_runs).
    # The rows up to the end of this page (and one more, to know of a next).
    first = page_number(request) * PAGE_SIZE + 1
    items = _filtered(
        _tab_queryset(request, tab, first=first, filters=filters, groups=groups), filters, tab
    ).only(*LIST_FIELDS)
    count, capped = found[f"{tab}:list"]
    page = paginate(items, request, query={"tab": tab, **filters}, count=count, capped=capped)
    runs = _page_runs(page.rows)
    tabs = [
        {
            "key": key,
            "label": label,
            "count": f"{found[key][0]:,}+" if found[key][1] else f"{found[key][0]:,}",
        }
        for key, label in TABS
    ]
    context = {
        "nav": "inbox",
        "tab": tab,
        "tabs": tabs,
        "form": form,
        "page": page,
        "rows": workitem_rows(page.rows, runs=runs, done=tab == "done", now=timezone.now()),
        "filters": filters,
    }
    template = "monitoring/inbox.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#inbox-body"
    return render(request, template, context)


@login_required
@require_POST
def bulk_claim(request: HttpRequest) -> HttpResponse:
    # Ids are 64-bit: a longer number (or a non-ASCII digit) names no task, and is no 500.
    found = request.POST.getlist("workitem")
    ids = [int(v) for v in found if v.isascii() and v.isdigit() and len(v) <= 18]
    if not ids:
        messages.warning(request, "Select the tasks to claim first.")
        return redirect(f"{reverse('monitoring:inbox')}?tab=available")
    offered = set(
        _tab_queryset(request, "available").filter(pk__in=ids).values_list("pk", flat=True)
    )
    claimed, problems = 0, []
    for pk in ids:
        if pk not in offered:
            problems.append(f"task {pk}: it is no longer available to you")
            continue
        try:
            runtime.claim(pk, user=request.user)
            claimed += 1
        except runtime.EngineError as exc:
            problems.append(f"task {pk}: {exc.message}")
    if claimed:
        messages.success(request, f"Claimed {claimed} task{'s' if claimed != 1 else ''}.")
    if problems:
        messages.error(request, "Not claimed — " + "; ".join(problems))
    return redirect(f"{reverse('monitoring:inbox')}?tab={'mine' if claimed else 'available'}")


# One task --------------------------------------------------------------------------------


def _detail(
    request: HttpRequest, workitem: WorkItem, *, form: SchemaForm | None = None, status: int = 200
) -> HttpResponse:
    activity = workitem.activity
    can_act = runtime.can_act(request.user, workitem)
    if form is None:
        schema = activity.form_schema or {}
        initial = {
            k: v
            for k, v in (workitem.form_data or workitem.instance.data or {}).items()
            if isinstance(schema.get("properties"), dict) and k in schema["properties"]
        }
        form = SchemaForm(schema, prefix="form", initial=initial)
    run = workitem.instance
    overlay = graphs.run_overlay(run)
    classes = dict(overlay["node_classes"])
    classes[workitem.activity_key] = [*classes.get(workitem.activity_key, []), "current"]
    activities = list(run.version.activities.only("key"))
    for a in activities:
        classes.setdefault(a.key, ["state-not-reached"])
    svg = graphs.draw(
        run.version,
        node_classes=classes,
        edge_classes=overlay["edge_classes"],
        node_badges={**overlay["node_badges"], workitem.activity_key: "◉ here"},
    )
    user = request.user
    context = {
        "nav": "inbox",
        "workitem": workitem,
        "run": run,
        "activity": activity,
        "form": form,
        "can_act": can_act,
        "can_claim": workitem.state == WorkItemState.OFFERED and can_act,
        "can_release": workitem.state == WorkItemState.ASSIGNED
        and (workitem.assignee_id == user.pk or permissions.can_manage_workitems(user)),
        "outcomes": outcome_buttons(activity.outcomes, activity.form_schema),
        "badges": workitem_badges(workitem),
        "candidates": runtime.candidates(workitem) if workitem.is_open else None,
        "svg": svg,
        "run_data": json.dumps(run.data, indent=2, sort_keys=True, ensure_ascii=False),
        "can_see_run": permissions.can_manage(user)
        or permissions.visible_runs(user, request).filter(pk=run.pk).exists(),
    }
    return render(request, "monitoring/workitem_detail.html", context, status=status)


@login_required
@require_GET
def workitem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, access.get_workitem_or_404(request, pk))


def _expected_version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _after_error(request: HttpRequest, workitem_pk: int, exc: runtime.EngineError) -> HttpResponse:
    messages.error(request, exc.message)
    return redirect("monitoring:workitem_detail", pk=workitem_pk)


def _claim_or_release(request: HttpRequest, pk: int, action, done: str) -> HttpResponse:
    workitem = access.get_workitem_or_404(request, pk)
    try:
        action(workitem, user=request.user, expected_version=_expected_version(request))
    except runtime.EngineError as exc:
        return _after_error(request, pk, exc)
    messages.success(request, f"You {done} “{workitem.name or workitem.activity_key}”.")
    return redirect("monitoring:workitem_detail", pk=pk)


@login_required
@require_POST
def workitem_claim(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_or_release(request, pk, runtime.claim, "claimed")


@login_required
@require_POST
def workitem_release(request: HttpRequest, pk: int) -> HttpResponse:
    return _claim_or_release(request, pk, runtime.release, "released")


@login_required
@require_POST
def workitem_complete(request: HttpRequest, pk: int) -> HttpResponse:
    workitem = access.get_workitem_or_404(request, pk)
    activity = workitem.activity
    form = SchemaForm(activity.form_schema or {}, request.POST, prefix="form")
    if not form.is_valid():
        return _detail(request, workitem, form=form, status=400)
    outcome = request.POST.get("outcome") or None
    try:
        runtime.complete(
            workitem,
            user=request.user,
            outcome=outcome,
            data=form.data_object(),
            expected_version=_expected_version(request),
        )
    except runtime.InvalidData as exc:
        form.add_engine_errors([e for e in exc.errors if e.get("path") != "outcome"])
        if any(e.get("path") == "outcome" for e in exc.errors) or not form.errors:
            messages.error(request, exc.message)
        return _detail(request, workitem, form=form, status=400)
    except runtime.NotAllowed as exc:
        messages.error(request, exc.message)
        return _detail(request, _reload(request, pk), form=form, status=403)
    except runtime.Conflict as exc:
        messages.error(request, exc.message)
        return _detail(request, _reload(request, pk), form=form, status=409)
    label = workitem.name or workitem.activity_key
    done = f" with “{outcome}”" if outcome else ""
    messages.success(request, f"Completed “{label}”{done}.")
    return redirect(f"{reverse('monitoring:inbox')}?tab=mine")


def _reload(request: HttpRequest, pk: int) -> WorkItem:
    return access.get_workitem_or_404(request, pk)
