"""Runs: the list (filters, counts by state, bulk retry, cancel, move) and a run's page.

The run page's live part is one fragment (``run_live``) polled every two
seconds; once the run has ended the fragment answers HTTP 286 and htmx stops
polling.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from designer.monitoring import access, graphs
from designer.monitoring.badges import took
from designer.monitoring.forms import RunFilterForm, start_of
from designer.monitoring.moves import move_selected
from designer.monitoring.paging import (
    COUNT_CAP,
    PAGE_SIZE,
    Page,
    capped_counts,
    page_number,
    paginate,
)
from designer.monitoring.rows import run_rows
from designer.monitoring.trigger_history import attach_errors, fires_without_run, trigger_keys
from engine import permissions
from engine.models import (
    ActivityKind,
    AuditEvent,
    Process,
    ProcessInstance,
    RunState,
    WorkItem,
    WorkItemState,
)
from engine.services import runtime
from engine.tenancy import scoped

TIMELINE_LIMIT = 200


def _filter_runs(runs, filters: dict):
    if filters.get("process"):
        runs = runs.filter(process__code=filters["process"])
        if filters.get("version"):
            runs = runs.filter(version__number=filters["version"])
    if filters.get("started_from"):
        runs = runs.filter(started_at__gte=start_of(filters["started_from"]))
    if filters.get("started_to"):
        runs = runs.filter(started_at__lt=start_of(filters["started_to"] + timedelta(days=1)))
    if filters.get("business_key"):
        runs = runs.filter(business_key=filters["business_key"])
    if filters.get("trigger"):
        runs = runs.filter(trigger_key=filters["trigger"])
    return runs


def _state_counts(
    runs, *, sees_all: bool, involved: list | None = None, complete: bool = True
) -> dict:
    """``{state: (count, capped)}`` for the runs list.

    Over all runs, a count per state capped at COUNT_CAP (reads at most that
    many index entries per state); over the runs a person is involved in
    (``involved``: their first ``(pk, state)`` rows in list order,
    already read), counts from those rows: exact when ``complete`` (all of
    them read), else lower bounds shown as capped ("612+").
    """
    if sees_all:
        return capped_counts({value: runs.filter(state=value) for value, _ in RunState.choices})
    if involved is None:
        involved = list(runs.order_by().values_list("pk", "state"))
    found = Counter(state for _, state in involved)
    return {value: (found.get(value, 0), not complete) for value, _ in RunState.choices}


# Filters the index walks of a person's runs cannot apply (they narrow by state only).
_NOT_WALKED = ("process", "version", "started_from", "started_to", "business_key", "trigger")


def _walkable(filters: dict) -> bool:
    return not any(filters.get(name) for name in _NOT_WALKED)


def _runs_of(request: HttpRequest, filters: dict, sees_all: bool, *, oldest_first: bool) -> tuple:
    """``(runs, involved, complete)``: the runs queryset (for operators and run
    viewers, or a filter the walks cannot apply: then their union of id sets)
    and a person's own runs (started, assigned, completed, offered), read once
    up to COUNT_CAP of them for the counts by state and the page both."""
    runs = (
        _filter_runs(permissions.listed_runs(request.user, request), filters)
        if sees_all or not _walkable(filters)
        else None
    )
    if sees_all:
        return runs, None, True
    return runs, *_involved(request, runs, filters, oldest_first=oldest_first)


def _involved(
    request: HttpRequest, runs, filters: dict, *, oldest_first: bool
) -> tuple[list, bool]:
    """A person's runs as ``(rows, complete)``: the first COUNT_CAP of them in list
    order through walks that stop (one query however long their history), and
    whether that is all of them. With a filter the walks cannot apply (``runs``
    given), every one of them (exact, as the filter narrows them)."""
    if runs is None:
        rows = permissions.involved_first(request.user, COUNT_CAP + 1, request, oldest=oldest_first)
        if rows is not None:
            return rows[:COUNT_CAP], len(rows) <= COUNT_CAP
        runs = permissions.listed_runs(request.user, request)  # a custom tenant filter
    return list(_in_order(runs, oldest_first=oldest_first).values_list("pk", "state")), True


def _page_of_involved(
    involved: list,
    request: HttpRequest,
    filters: dict,
    *,
    oldest_first: bool,
    count: tuple[int, bool] | None = None,
) -> Page:
    """The page of a person's runs, picked from their rows already read: one
    query for the page's runs by id. When those rows stop before the page's
    end (more runs than COUNT_CAP: ``count`` capped), one more walk, to the
    page's end."""
    state = filters.get("state")
    rows = [r for r in involved if not state or r[1] == state]  # already in list order
    number = page_number(request)
    start = (number - 1) * PAGE_SIZE
    if count is not None and count[1] and len(rows) <= start + PAGE_SIZE:
        walked = permissions.involved_first(
            request.user, start + PAGE_SIZE + 1, request, oldest=oldest_first, state=state or None
        )
        rows = walked if walked is not None else rows
    ids = [pk for pk, _ in rows[start : start + PAGE_SIZE]]
    found = (
        {
            run.pk: run
            for run in _listed(
                ProcessInstance.objects.filter(pk__in=ids), oldest_first=oldest_first
            )
        }
        if ids
        else {}
    )
    total, capped = count if count is not None else (len(rows), False)
    return Page(
        rows=[found[pk] for pk in ids if pk in found],
        number=number,
        per_page=PAGE_SIZE,
        has_next=len(rows) > start + PAGE_SIZE,
        count=total,
        capped=capped,
        query={k: v for k, v in filters.items() if v not in (None, "", [])},
    )


@login_required
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    processes = list(scoped(Process.objects.order_by("code"), request).only("code", "title"))
    form = RunFilterForm(request.GET or None, processes=processes, triggers=trigger_keys(processes))
    filters = form.values() if request.GET else {}
    sees_all = permissions.sees_all_runs(request.user)
    oldest_first = filters.get("sort") == "oldest"
    runs, involved, complete = _runs_of(request, filters, sees_all, oldest_first=oldest_first)
    # Counts by state, the state filter left out so every state's count stays
    # visible as a way to switch to it. One query either way.
    found = _state_counts(runs, sees_all=sees_all, involved=involved, complete=complete)
    others = {k: v for k, v in filters.items() if k != "state"}
    counts = _state_links(found, others)
    total = sum(n for n, _ in found.values())
    total_capped = any(capped for _, capped in found.values())
    # The counts by state already give the total: no second count.
    if filters.get("state"):
        total, total_capped = found[filters["state"]]
        runs = runs.filter(state=filters["state"]) if runs is not None else None
    if involved is not None:
        count = (total, total_capped)
        page = _page_of_involved(involved, request, filters, oldest_first=oldest_first, count=count)
    else:
        page = paginate(
            _listed(runs, oldest_first=oldest_first),
            request,
            query=filters,
            count=total,
            capped=total_capped,
        )
    if filters.get("trigger"):  # a trigger's execution history shows each run's error
        attach_errors(page.rows)
    context = {
        "nav": "runs",
        "form": form,
        "filters": filters,
        "counts": counts,
        "total": f"{total:,}+" if total_capped else f"{total:,}",
        "all_url": "?" + urlencode(others),
        "page": page,
        "rows": run_rows(page.rows),  # the text each row shows, read once
        "operator": permissions.can_manage(request.user),
        "monitor_allowed": permissions.may_monitor(request.user),
        "here": request.get_full_path(),
        "trigger_fires": fires_without_run(request, filters["trigger"], filters.get("process", ""))
        if filters.get("trigger")
        else [],
    }
    template = "monitoring/run_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#runs-body"  # a filter, a tab or a page: just the list
    return render(request, template, context)


def _state_links(found: dict, others: dict) -> list[dict]:
    """One link per run state with its count (``found``: state -> (count, capped))."""
    return [
        {
            "state": value,
            "label": label,
            "count": f"{found[value][0]:,}+" if found[value][1] else f"{found[value][0]:,}",
            "url": "?" + urlencode({**others, "state": value}),
        }
        for value, label in RunState.choices
    ]


def _in_order(runs, *, oldest_first: bool):
    if oldest_first:
        return runs.order_by("started_at", "pk")
    return runs.order_by("-started_at", "-pk")


def _listed(runs, *, oldest_first: bool):
    """The runs in list order, with only the columns the list shows."""
    runs = _in_order(runs, oldest_first=oldest_first)
    # Process titles and version numbers come by queries for the page's few
    # rows (rows.run_rows): joining them made SQLite sort the whole table
    # instead of walking the start-time index. The run data is never shown.
    return runs.select_related("started_by").only(
        "state",
        "business_key",
        "trigger_key",
        "started_at",
        "ended_at",
        "process",
        "version",
        "started_by__username",
    )


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
@require_POST
def run_bulk(request: HttpRequest) -> HttpResponse:
    """Retry, cancel or move (to another version) the selected runs (operators only)."""
    if not permissions.can_manage(request.user):
        raise PermissionDenied("Retrying and cancelling runs needs the 'manage runs' permission.")
    back = _back(request, reverse("monitoring:run_list"))
    action = request.POST.get("action")
    # Ids are 64-bit: a longer number (or a non-ASCII digit) names no run, and is no 500.
    ids = [
        int(v) for v in request.POST.getlist("run") if v.isascii() and v.isdigit() and len(v) <= 18
    ]
    if action not in ("retry", "cancel", "move"):
        messages.error(request, "Choose Retry, Cancel or Move.")
        return redirect(back)
    if not ids:
        messages.warning(request, "Select the runs first.")
        return redirect(back)
    listed = permissions.listed_runs(request.user, request)
    visible = set(listed.filter(pk__in=ids).values_list("pk", flat=True))
    if action == "move":
        if set(ids) - visible:
            messages.error(request, "Not moved — some selected runs were not found.")
        else:
            move_selected(request, ids)
        return redirect(back)
    done, problems = 0, []
    for pk in ids:
        if pk not in visible:
            problems.append(f"run {pk}: not found")
            continue
        try:
            if action == "retry":
                runtime.retry_run(pk, user=request.user)
            else:
                runtime.cancel_run(pk, user=request.user, reason="bulk cancel from the runs list")
            done += 1
        except runtime.EngineError as exc:
            problems.append(f"run {pk}: {exc.message}")
    verb = "Retried" if action == "retry" else "Cancelled"
    if done:
        messages.success(request, f"{verb} {done} run{'s' if done != 1 else ''}.")
    if problems:
        messages.error(request, "Not changed — " + "; ".join(problems))
    return redirect(back)


# One run ---------------------------------------------------------------------------------


def _run_context(request: HttpRequest, run) -> dict:
    activities = list(run.version.activities.only("key", "name", "kind", "compensation_handler"))
    overlay = graphs.run_overlay(run)
    events = list(
        AuditEvent.objects.filter(instance=run).order_by("-created_at", "-pk")[: TIMELINE_LIMIT + 1]
    )
    names = {a.key: a.label for a in activities}
    for event in events:  # people read names, never keys
        event.activity_name = names.get(event.activity_key, event.activity_key)
    incidents = list(run.incidents.select_related("workitem", "resolved_by")[:50])
    compensable = {a.key for a in activities if a.compensation_handler}
    for incident in incidents:
        item = incident.workitem
        incident.can_retry = bool(incident.is_open and item and item.state == WorkItemState.FALLOUT)
        incident.can_compensate = bool(
            incident.can_retry and item.activity_key in compensable and not item.compensated_at
        )
    tasks = list(
        WorkItem.objects.filter(instance=run, activity_kind=ActivityKind.HUMAN)
        .select_related("assignee", "completed_by")
        .order_by("seq")[:100]
    )
    table = []
    for activity in activities:
        row = overlay["rows"].get(activity.key)
        state, symbol, words = (
            (row["state"], row["symbol"], row["words"]) if row else graphs.NOT_REACHED
        )
        table.append(
            {
                "activity": activity,
                "state": state,
                "symbol": symbol,
                "words": words,
                "visits": row["visits"] if row else 0,
            }
        )
    return {
        "run": run,
        "svg": graphs.run_graph(run, overlay, activities),
        "activity_table": table,
        "legend": graphs.LEGEND,
        "timeline": list(reversed(events[:TIMELINE_LIMIT])),
        "timeline_truncated": len(events) > TIMELINE_LIMIT,
        "incidents": incidents,
        "tasks": tasks,
        "took": took(run.ended_at - run.started_at) if run.ended_at and run.started_at else "",
        "run_data": json.dumps(run.data, indent=2, sort_keys=True, ensure_ascii=False),
        "operator": permissions.can_manage(request.user),
        "can_retry_run": run.state == RunState.FAILED,
        "polling": not run.is_finished,
    }


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = access.get_run_or_404(request, pk)
    context = {"nav": "runs", **_run_context(request, run)}
    return render(request, "monitoring/run_detail.html", context)


@login_required
@require_GET
def run_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the run page; HTTP 286 (stop polling) once the run has ended."""
    run = access.get_run_or_404(request, pk)
    context = _run_context(request, run)
    if not request.htmx:
        return redirect("monitoring:run_detail", pk=pk)
    response = render(request, "monitoring/run_detail.html#run-live", context)
    if run.is_finished:
        return HttpResponseStopPolling(response.content)
    return response


def _run_action(request: HttpRequest, pk: int, action, success: str) -> HttpResponse:
    run = access.get_run_or_404(request, pk)
    try:
        action(run)
    except runtime.NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except runtime.EngineError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("monitoring:run_detail", pk=run.pk)


@login_required
@require_POST
def run_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    reason = (request.POST.get("reason") or "").strip()[:500]
    return _run_action(
        request,
        pk,
        lambda run: runtime.cancel_run(run, user=request.user, reason=reason),
        "The run was cancelled.",
    )


@login_required
@require_POST
def run_retry(request: HttpRequest, pk: int) -> HttpResponse:
    return _run_action(
        request,
        pk,
        lambda run: runtime.retry_run(run, user=request.user),
        "Every failed step of the run was retried.",
    )


def _workitem_of(run, workitem_pk: int) -> WorkItem:
    from django.http import Http404

    workitem = WorkItem.objects.filter(instance=run, pk=workitem_pk).first()
    if workitem is None:
        raise Http404("No such step in this run.")
    return workitem


@login_required
@require_POST
def workitem_retry(request: HttpRequest, pk: int, workitem_pk: int) -> HttpResponse:
    def act(run):
        runtime.retry_workitem(_workitem_of(run, workitem_pk), user=request.user)

    return _run_action(request, pk, act, "The step was retried.")


@login_required
@require_POST
def workitem_compensate(request: HttpRequest, pk: int, workitem_pk: int) -> HttpResponse:
    def act(run):
        runtime.compensate(_workitem_of(run, workitem_pk), user=request.user)

    return _run_action(request, pk, act, "Compensation was queued; a worker runs it in a moment.")
