"""The audit log page: every state change, filtered and paged.

Three queries per page whatever its size (the count, the page joined to
process and version, and the names of its activities), so a page of 200
costs what a page of 20 does.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from designer.audit.access import events_for, sees_all_events
from designer.audit.forms import KNOWN_ACTIONS, AuditFilterForm
from designer.audit.trigger_facts import describe
from engine.models import Activity

TEMPLATE = "audit/log.html"
PAGE_SIZES = (25, 50, 100, 200)


def _run_url(run_id: int) -> str | None:
    try:
        return reverse("monitoring:run_detail", args=(run_id,))
    except NoReverseMatch:  # the run pages are not installed
        return None


def _activity_names(events) -> dict[tuple[int, str], str]:
    """(version id, activity key) -> the activity's name, for the events of a page (one query)."""
    wanted = {(e.version_id, e.activity_key) for e in events if e.version_id and e.activity_key}
    if not wanted:
        return {}
    rows = Activity.objects.filter(
        version_id__in={v for v, _ in wanted}, key__in={k for _, k in wanted}
    ).values_list("version_id", "key", "name")
    return {(version, key): name or key for version, key, name in rows}


@login_required
@require_GET
def log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = form.apply(events_for(request)) if form.is_bound else events_for(request)
    events = events.select_related("process", "version").order_by("-created_at", "-pk")
    try:
        size = int(request.GET.get("size", 50))
    except ValueError:
        size = 50
    size = size if size in PAGE_SIZES else 50
    page = Paginator(events, size).get_page(request.GET.get("page"))
    names = _activity_names(page)
    for event in page:
        event.activity_name = names.get((event.version_id, event.activity_key), event.activity_key)
        event.run_url = _run_url(event.instance_id) if event.instance_id else None
        event.metadata_json = (
            json.dumps(event.metadata, ensure_ascii=False, sort_keys=True) if event.metadata else ""
        )
        event.summary = describe(event.action, event.metadata, event.instance_id)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "nav": "audit",
        "form": form,
        "page": page,
        "size": size,
        "sizes": PAGE_SIZES,
        "query": query.urlencode(),
        "known_actions": KNOWN_ACTIONS,
        "sees_all": sees_all_events(request.user),
    }
    if request.htmx and request.htmx.target == "audit-results":
        return render(request, f"{TEMPLATE}#results", context)
    return render(request, TEMPLATE, context)
