"""Copy, paste and duplicate activities, within a draft and into a draft of any process.

The clipboard is kept on the server, in the person's session: copying stores
the selected activities and the transitions between them as
``waymark.process/1`` data (the same shapes as an export), and pasting reads
them back through the definition format, so a payload is checked like an
imported file before anything is written. A session clipboard needs no
browser permission, works the same in every browser, and can only hold what
this person copied from a draft they could see.

Pasted elements get new keys; transitions keep their names, conditions,
priorities and default flags. A paste is one undo step.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from designer.views.editor_actions import ROW_GAP, ensure_pinned, with_event
from designer.views.editor_page import (
    Notice,
    change,
    editable_version,
    page,
    selection,
    version_for,
)
from designer.views.editor_selection import selected_activities, several
from engine import definition_format as fmt
from engine.drawing import auto_layout_positions
from engine.models import Activity, Version
from engine.services import definitions as svc

SESSION_KEY = "waymark.clipboard"
CLIPBOARD_FORMAT = "waymark.clipboard/1"
PASTE_STEP = 40.0  # points a paste into the same draft is shifted, so the copy shows


def clip(version: Version, activities: list[Activity]) -> dict[str, Any]:
    """The activities and the transitions between them, as definition data."""
    keys = {a.key for a in activities}
    exported = svc.export_version(version)
    items = [a for a in exported["activities"] if a["key"] in keys]
    if any(a.get("x") is None or a.get("y") is None for a in items):
        # Not pinned yet: copy the places people see (dot's), without writing them.
        places = auto_layout_positions(version)
        for item in items:
            item["x"], item["y"] = places.get(item["key"], (0.0, 0.0))
    return {
        "format": CLIPBOARD_FORMAT,
        "version": version.pk,
        "activities": items,
        "transitions": [
            t for t in exported["transitions"] if t["source"] in keys and t["target"] in keys
        ],
    }


def _fields(spec: fmt.ActivitySpec) -> dict[str, Any]:
    data = spec.model_dump(exclude={"key", "kind", "retry"})
    data.update(
        retry_max_attempts=spec.retry.max_attempts,
        retry_base_delay=spec.retry.base_delay,
        retry_backoff_factor=spec.retry.backoff_factor,
        retry_max_delay=spec.retry.max_delay,
    )
    return data


def _offset(version: Version, specs: list[fmt.ActivitySpec], same: bool) -> tuple[float, float]:
    """Where the pasted group goes: shifted in its own draft, below what is there elsewhere."""
    if same:
        return PASTE_STEP, PASTE_STEP
    taken = [(a.x, a.y) for a in version.activities.all() if a.x is not None]
    placed = [(s.x or 0.0, s.y or 0.0) for s in specs]
    clash = any(abs(px - x) < 120 and abs(py - y) < 60 for px, py in taken for x, y in placed)
    if not clash:
        return 0.0, 0.0
    return 0.0, max(py for _, py in taken) + ROW_GAP - min(y for _, y in placed)


def paste_clip(version: Version, data: dict[str, Any], *, user=None) -> list[Activity]:
    """Create the clipped elements in ``version`` with new keys (callers hold a transaction)."""
    specs = [fmt.ActivitySpec.model_validate(a) for a in data.get("activities", [])]
    arrows = [fmt.TransitionSpec.model_validate(t) for t in data.get("transitions", [])]
    dx, dy = _offset(version, specs, same=data.get("version") == version.pk)
    created: dict[str, Activity] = {}
    for spec in specs:
        fields = _fields(spec)
        x, y = fields.pop("x"), fields.pop("y")
        created[spec.key] = svc.add_activity(
            version,
            str(spec.kind),
            x=None if x is None else x + dx,
            y=None if y is None else y + dy,
            user=user,
            **fields,
        )
    for arrow in arrows:
        if arrow.source in created and arrow.target in created:
            svc.add_transition(
                version,
                created[arrow.source],
                created[arrow.target],
                name=arrow.name,
                condition=arrow.condition,
                priority=arrow.priority,
                is_default=arrow.default,
                user=user,
            )
    return list(created.values())


def _pasted(request, version, label: str, data: dict[str, Any], verb: str) -> HttpResponse:
    pasted: list[Activity] = []

    def paste():
        ensure_pinned(version)
        pasted.extend(paste_clip(version, data, user=request.user))
        return ("a", pasted[0].key), f"{verb} {several(pasted)}."

    response = change(request, version, label, paste)
    return with_event(response, "waymark:select", [a.key for a in pasted])


def _nothing(request, version, text: str) -> HttpResponse:
    selected = selection(request.POST.get("sel", ""))
    return page(request, version, selected=selected, notice=Notice(text, "error"), status=400)


@login_required
@require_POST
def copy(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """Any version one may see can be copied from (a published one too)."""
    version = version_for(request, code, number)
    activities = selected_activities(request, version)
    if activities is None:
        return _nothing(request, version, "Select the activities to copy first.")
    request.session[SESSION_KEY] = clip(version, activities)
    notice = Notice(f"Copied {several(activities)}: paste with Ctrl+V here or in another draft.")
    response = page(
        request, version, selected=selection(request.POST.get("sel", "")), notice=notice
    )
    return with_event(response, "waymark:select", [a.key for a in activities])


@login_required
@require_POST
def paste(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = editable_version(request, code, number)
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("format") != CLIPBOARD_FORMAT:
        return _nothing(request, version, "Nothing to paste: copy activities first (Ctrl+C).")
    if not data.get("activities"):
        return _nothing(request, version, "Nothing to paste: the clipboard is empty.")
    try:
        return _pasted(request, version, "Paste", data, "Pasted")
    except ValidationError:
        request.session.pop(SESSION_KEY, None)
        return _nothing(request, version, "The clipboard could not be read; copy again.")


@login_required
@require_POST
def duplicate(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = editable_version(request, code, number)
    activities = selected_activities(request, version)
    if activities is None:
        return _nothing(request, version, "Select the activities to duplicate first.")
    data = clip(version, activities)
    return _pasted(request, version, f"Duplicate {several(activities)}", data, "Duplicated")
