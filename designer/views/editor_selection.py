"""Several activities at once: move them together, delete them together.

The selection comes as ``keys`` (comma-separated activity keys). Each action
is one undo step, however many activities it touches.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from designer.forms import MoveForm
from designer.views.editor_actions import ensure_pinned, with_event
from designer.views.editor_page import Notice, change, editable_version, page, selection
from engine.models import Activity, Version
from engine.services import definitions as svc

MAX_KEYS = 1000


def selected_activities(request: HttpRequest, version: Version) -> list[Activity] | None:
    """The activities named in ``keys``, in the draft's order; None when one does not exist."""
    keys = [k for k in request.POST.get("keys", "").split(",") if k][:MAX_KEYS]
    found = list(version.activities.filter(key__in=keys).order_by("pk"))
    if not keys or len(found) != len(set(keys)):
        return None
    return found


def _none_selected(request: HttpRequest, version: Version) -> HttpResponse:
    notice = Notice("Select one or more activities first (they may have been deleted).", "error")
    return page(
        request, version, selected=selection(request.POST.get("sel", "")), notice=notice, status=400
    )


def several(activities: list[Activity]) -> str:
    if len(activities) == 1:
        return activities[0].label
    return f"{len(activities)} activities"


@login_required
@require_POST
def selection_move(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = editable_version(request, code, number)
    activities = selected_activities(request, version)
    form = MoveForm({"dx": request.POST.get("dx"), "dy": request.POST.get("dy")})
    if activities is None:
        return _none_selected(request, version)
    if not form.is_valid():
        message = " ".join(str(m) for errors in form.errors.values() for m in errors)
        return page(request, version, notice=Notice(message, "error"), status=400)
    selected = selection(request.POST.get("sel", ""))

    def move():
        ensure_pinned(version)
        for activity in activities:
            activity.refresh_from_db()
            svc.move_activity(activity, *form.position(activity.x, activity.y), user=request.user)
        return selected, f"Moved {several(activities)}."

    response = change(request, version, f"Move {several(activities)}", move, selected=selected)
    return with_event(response, "waymark:select", [a.key for a in activities])


@login_required
@require_POST
def selection_delete(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = editable_version(request, code, number)
    activities = selected_activities(request, version)
    if activities is None:
        return _none_selected(request, version)

    def delete():
        for activity in activities:
            svc.delete_activity(activity, user=request.user)
        return None, f"Deleted {several(activities)} and their transitions."

    return change(request, version, f"Delete {several(activities)}", delete)
