"""Direct manipulation on the canvas: drop a kind, add the next step, rename, change kind.

Each is one user action, so one undo step (``editor_page.change``), and each
calls only ``engine.services.definitions``.

A kind dropped on an arrow is inserted into it: the arrow A → B becomes
A → new → B. The old arrow keeps its key, name, condition, priority and
"default" flag and now ends at the new activity (the decision is still taken
where it was, at A); the second part, new → B, is unconditional.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from designer.views.editor_actions import NEW_NODE_GAP, ensure_pinned, free_spot
from designer.views.editor_kinds import NO_WAY_IN, NO_WAY_OUT, a_kind, kind_choices, kind_label
from designer.views.editor_page import (
    Notice,
    activity_for,
    change,
    editable_version,
    page,
    selection,
    transition_for,
)
from engine.models import ActivityKind
from engine.services import definitions as svc

LIMIT = 100_000.0


class DropForm(forms.Form):
    kind = forms.ChoiceField(choices=ActivityKind.choices)
    x = forms.FloatField(min_value=-LIMIT, max_value=LIMIT)
    y = forms.FloatField(min_value=-LIMIT, max_value=LIMIT)
    into = forms.CharField(max_length=64, required=False)  # a transition key
    # The drop point from the nearest activity's centre: right even when the draft is
    # not pinned yet (drawn by dot, whose coordinates are not the stored ones).
    anchor = forms.CharField(max_length=64, required=False)
    dx = forms.FloatField(min_value=-LIMIT, max_value=LIMIT, required=False)
    dy = forms.FloatField(min_value=-LIMIT, max_value=LIMIT, required=False)


class KindForm(forms.Form):
    kind = forms.ChoiceField(choices=ActivityKind.choices)


class RenameForm(forms.Form):
    name = forms.CharField(max_length=200, required=True, strip=True)


def _refused(request, version, selected, form: forms.Form) -> HttpResponse:
    message = " ".join(str(m) for errors in form.errors.values() for m in errors)
    return page(request, version, selected=selected, notice=Notice(message, "error"), status=400)


def _drop_point(version, data: dict) -> tuple[float, float]:
    anchor = version.activities.filter(key=data["anchor"]).first() if data["anchor"] else None
    if anchor is None or anchor.x is None or data["dx"] is None or data["dy"] is None:
        return round(data["x"], 1), round(data["y"], 1)
    return round(anchor.x + data["dx"], 1), round(anchor.y + data["dy"], 1)


@login_required
@require_POST
def activity_drop(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """A kind dropped from the palette: placed at the point, or inserted into an arrow."""
    version = editable_version(request, code, number)
    form = DropForm(request.POST)
    if not form.is_valid():
        return _refused(request, version, selection(request.POST.get("sel", "")), form)
    data = form.cleaned_data
    kind, label = data["kind"], kind_label(data["kind"])
    arrow = transition_for(version, data["into"]) if data["into"] else None
    if arrow is not None and kind in NO_WAY_OUT + NO_WAY_IN:
        notice = Notice(f"{a_kind(kind).capitalize()} cannot be inserted into an arrow.", "error")
        return page(request, version, selected=("t", arrow.key), notice=notice, status=400)

    def drop():
        ensure_pinned(version)
        x, y = _drop_point(version, data)
        created = svc.add_activity(version, kind, name=label, x=x, y=y, user=request.user)
        if arrow is None:
            return ("a", created.key), f"Added {label.lower()} {label!r}."
        target = arrow.target
        svc.update_transition(arrow, user=request.user, target=created)
        svc.add_transition(version, created, target, user=request.user)
        where = f"between {arrow.source.label} and {target.label}"
        return ("a", created.key), f"Inserted {label.lower()} {where}."

    return change(request, version, f"Add {label}", drop)


@login_required
@require_POST
def activity_next(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    """The context pad's "add next": a new activity right of this one, connected to it."""
    version = editable_version(request, code, number)
    source = activity_for(version, key)
    form = KindForm(request.POST)
    if not form.is_valid():
        return _refused(request, version, ("a", key), form)
    kind, label = form.cleaned_data["kind"], kind_label(form.cleaned_data["kind"])
    if source.kind in NO_WAY_OUT or kind in NO_WAY_IN:
        notice = Notice(f"{a_kind(kind).capitalize()} cannot follow {source.label}.", "error")
        return page(request, version, selected=("a", key), notice=notice, status=400)

    def add_next():
        ensure_pinned(version)
        source.refresh_from_db()
        x, y = free_spot(version, source, gap=NEW_NODE_GAP)
        created = svc.add_activity(version, kind, name=label, x=x, y=y, user=request.user)
        svc.add_transition(version, source, created, user=request.user)
        return ("a", created.key), f"Added {label.lower()} after {source.label}."

    return change(request, version, f"Add {label} after {source.label}", add_next)


@login_required
@require_POST
def activity_rename(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    """Rename in place: only the name changes."""
    version = editable_version(request, code, number)
    element = activity_for(version, key)
    form = RenameForm(request.POST)
    if not form.is_valid():
        if "name" in form.errors and not request.POST.get("name", "").strip():
            notice = Notice("Not renamed: a name is required.", "error")
            return page(request, version, selected=("a", key), notice=notice, status=400)
        return _refused(request, version, ("a", key), form)
    old, new = element.label, form.cleaned_data["name"]

    def rename():
        svc.update_activity(element, user=request.user, name=new)
        return ("a", key), f"Renamed {old} to {new}."

    return change(request, version, f"Rename {old}", rename, selected=("a", key))


@login_required
@require_POST
def activity_kind(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    """Change kind within a family (task, wait, gateway): the connections stay."""
    version = editable_version(request, code, number)
    element = activity_for(version, key)
    form = KindForm(request.POST)
    if not form.is_valid():
        return _refused(request, version, ("a", key), form)
    kind = form.cleaned_data["kind"]
    if kind not in dict(kind_choices(element.kind)):
        notice = Notice(
            f"{a_kind(element.kind).capitalize()} cannot become {a_kind(kind)}.", "error"
        )
        return page(request, version, selected=("a", key), notice=notice, status=400)

    def change_kind():
        svc.update_activity(element, user=request.user, kind=kind)
        return ("a", key), f"{element.label} is now {a_kind(kind)}."

    return change(request, version, f"Change kind of {element.label}", change_kind)
