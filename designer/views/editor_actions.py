"""The draft editor's changes: add, move, delete, connect, auto-layout, undo and redo.

Each is a thin adapter over ``engine.services.definitions`` run through
``editor_page.change`` (undo history, refusals explained, HTMX or redirect).
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from designer import models as history
from designer.forms import AddActivityForm, ConnectForm, MoveForm
from designer.views.editor_page import (
    Notice,
    activity_for,
    change,
    done,
    editable_version,
    frozen,
    page,
    selection,
    transition_for,
)
from engine.drawing import auto_layout_positions
from engine.models import Activity, FrozenVersionError, Version
from engine.services import definitions as svc

NEW_NODE_GAP = 170.0  # points between a node and one appended after it
ROW_GAP = 90.0


def ensure_pinned(version: Version) -> None:
    """Store dot's positions when some activity has none, so moves start from what people see."""
    if not version.activities.filter(Q(x__isnull=True) | Q(y__isnull=True)).exists():
        return
    activities = list(version.activities.all())
    positions = auto_layout_positions(version)
    for activity in activities:
        if activity.key in positions:
            svc.move_activity(activity, *positions[activity.key])


def free_spot(
    version: Version, near: Activity | None, *, gap: float = NEW_NODE_GAP
) -> tuple[float, float]:
    """Right of ``near`` (else below everything), moved down until no activity is there."""
    taken = [(a.x, a.y) for a in version.activities.all() if a.x is not None]
    if near is not None and near.x is not None:
        x, y = near.x + gap, near.y
    elif taken:
        x, y = min(p[0] for p in taken), max(p[1] for p in taken) + ROW_GAP
    else:
        x, y = 60.0, 120.0
    while any(abs(px - x) < 100 and abs(py - y) < 50 for px, py in taken):
        y += ROW_GAP
    return x, y


def with_event(response: HttpResponse, name: str, detail: object = True) -> HttpResponse:
    """Tell editor.js something after the swap settles (fit the view, select several)."""
    events = json.loads(response.headers.get("HX-Trigger-After-Settle", "{}"))
    events[name] = detail
    response.headers["HX-Trigger-After-Settle"] = json.dumps(events)
    return response


# Changes -------------------------------------------------------------------------------------


@login_required
@require_POST
def activity_add(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = editable_version(request, code, number)
    form = AddActivityForm(request.POST)
    if not form.is_valid():
        notice = Notice("Choose a kind of activity to add.", "error")
        return page(request, version, notice=notice, status=400)
    kind = form.cleaned_data["kind"]
    label = dict(Activity._meta.get_field("kind").choices)[kind]
    name = form.cleaned_data["name"].strip() or label
    near = selection(request.POST.get("sel", ""))

    def add():
        ensure_pinned(version)
        anchor = None
        if near and near[0] == "a":
            anchor = version.activities.filter(key=near[1]).first()
        x, y = free_spot(version, anchor)
        created = svc.add_activity(version, kind, name=name, x=x, y=y, user=request.user)
        return ("a", created.key), f"Added {label.lower()} {name!r}."

    return change(request, version, f"Add {name}", add)


@login_required
@require_POST
def activity_move(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    version = editable_version(request, code, number)
    element = activity_for(version, key)
    form = MoveForm(request.POST)
    if not form.is_valid():
        message = " ".join(str(m) for errors in form.errors.values() for m in errors)
        return page(
            request, version, selected=("a", key), notice=Notice(message, "error"), status=400
        )

    def move():
        ensure_pinned(version)
        element.refresh_from_db()
        x, y = form.position(element.x, element.y)
        svc.move_activity(element, x, y, user=request.user)
        return ("a", key), f"Moved {element.label}."

    return change(request, version, f"Move {element.label}", move, selected=("a", key))


@login_required
@require_POST
def activity_delete(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    version = editable_version(request, code, number)
    element = activity_for(version, key)

    def delete():
        svc.delete_activity(element, user=request.user)
        return None, f"Deleted {element.label} and its transitions."

    return change(request, version, f"Delete {element.label}", delete, selected=("a", key))


@login_required
@require_POST
def transition_add(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = editable_version(request, code, number)
    form = ConnectForm(request.POST)
    if not form.is_valid():
        notice = Notice("Choose the activity to connect to.", "error")
        selected = selection(request.POST.get("sel", ""))
        return page(request, version, selected=selected, notice=notice, status=400)
    source = activity_for(version, form.cleaned_data["source"])
    target = activity_for(version, form.cleaned_data["target"])

    def connect():
        created = svc.add_transition(
            version, source, target, condition=form.cleaned_data["condition"], user=request.user
        )
        return ("t", created.key), f"Connected {source.label} to {target.label}."

    return change(
        request,
        version,
        f"Connect {source.label} to {target.label}",
        connect,
        selected=("a", source.key),
    )


@login_required
@require_POST
def transition_delete(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    version = editable_version(request, code, number)
    element = transition_for(version, key)

    def delete():
        svc.delete_transition(element, user=request.user)
        return None, f"Deleted the transition {element}."

    return change(request, version, f"Delete transition {element}", delete, selected=("t", key))


@login_required
@require_POST
def layout(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = editable_version(request, code, number)

    def tidy():
        positions = auto_layout_positions(version)
        for element in version.activities.all():
            if element.key in positions:
                svc.move_activity(element, *positions[element.key], user=request.user)
        return selection(request.POST.get("sel", "")), "Laid out automatically."

    # The whole graph comes into view once it is laid out.
    return with_event(change(request, version, "Auto-layout", tidy), "waymark:fit")


@login_required
@require_POST
def undo(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _history(request, code, number, history.undo, "Undid", "Nothing to undo.")


@login_required
@require_POST
def redo(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _history(request, code, number, history.redo, "Redid", "Nothing to redo.")


def _history(request, code, number, step_back, verb: str, nothing: str) -> HttpResponse:
    version = editable_version(request, code, number)
    selected = selection(request.POST.get("sel", ""))
    try:
        step = step_back(version, user=request.user)
    except FrozenVersionError:
        return frozen(request, version, selected)
    if step is None:
        return page(
            request, version, selected=selected, notice=Notice(nothing, "warning"), status=409
        )
    return done(request, version, selected, Notice(f"{verb}: {step.label}."))
