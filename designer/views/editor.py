"""The draft editor: one screen (templates/designer/editor.html) and its actions.

Views are thin adapters over ``engine.services.definitions``. Every change is a
POST that works as a plain form (redirect back to the editor) and as an HTMX
request (the ``#editor`` fragment comes back: canvas, properties, problems and
table in one swap, so they never disagree). Each change first records the
draft for undo (``designer.models.record``) in the same transaction, so a
refused change leaves neither a change nor a history step behind.

Anyone signed in may view; editing needs ``engine.design_process`` and a
draft. Without the permission a change is a 404, as if the version did not
exist; on a published or retired version it is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from designer import models as history
from designer.forms import (
    KIND_FIELDS,
    ActivityForm,
    AddActivityForm,
    ConnectForm,
    MoveForm,
    TransitionForm,
)
from engine.conf import condition_strategy
from engine.core.conditions import ConditionError
from engine.drawing import DrawingError, auto_layout_positions, version_svg
from engine.models import Activity, FrozenVersionError, Process, Transition, Version
from engine.services import definitions as svc
from engine.tenancy import scoped

TEMPLATE = "designer/editor.html"
DESIGN = "engine.design_process"
NEW_NODE_GAP = 170.0  # points between a node and one appended after it
ROW_GAP = 90.0


class Notice:
    """A one-line outcome shown above the properties panel (and announced)."""

    def __init__(self, text: str, level: str = "success", detail: dict | None = None):
        self.text = text
        self.level = level
        self.detail = detail or {}


# Lookups -------------------------------------------------------------------------


def _version(request: HttpRequest, code: str, number: int) -> Version:
    process = scoped(Process.objects.all(), request).filter(code=code).first()
    if process is None:
        raise Http404("No such process.")
    version = process.versions.filter(number=number).first()
    if version is None:
        raise Http404("No such version.")
    version.process = process
    return version


def _can_edit(request: HttpRequest, version: Version) -> bool:
    return version.is_draft and request.user.has_perm(DESIGN)


def _editable(request: HttpRequest, code: str, number: int) -> Version:
    """The version a change is for; 404 for a person who may not design."""
    version = _version(request, code, number)
    if not request.user.has_perm(DESIGN):
        raise Http404("No such version.")
    return version


def _activity(version: Version, key: str) -> Activity:
    activity = version.activities.filter(key=key).first()
    if activity is None:
        raise Http404("No such activity.")
    return activity


def _transition(version: Version, key: str) -> Transition:
    transition = version.transitions.select_related("source", "target").filter(key=key).first()
    if transition is None:
        raise Http404("No such transition.")
    return transition


def _selection(value: str) -> tuple[str, str] | None:
    kind, _, key = (value or "").partition(":")
    if kind in ("a", "t") and key:
        return kind, key
    return None


# Rendering ---------------------------------------------------------------------------


def _urls(version: Version) -> dict[str, str]:
    args = (version.process.code, version.number)
    urls = {
        name: reverse(f"designer:{name}", args=args)
        for name in (
            "editor",
            "canvas",
            "problems",
            "activity_add",
            "transition_add",
            "undo",
            "redo",
            "layout",
        )
    }
    placeholder = "__KEY__"
    for name in ("activity", "activity_move", "activity_delete", "transition", "transition_delete"):
        urls[name] = reverse(f"designer:{name}", args=(*args, placeholder))
    try:
        urls["clone"] = reverse("versions:clone", args=args)
    except NoReverseMatch:
        urls["clone"] = ""
    try:
        urls["versions"] = reverse("versions:list", args=(version.process.code,))
    except NoReverseMatch:
        urls["versions"] = ""
    return urls


def _context(
    request: HttpRequest,
    version: Version,
    *,
    selected: tuple[str, str] | None = None,
    form=None,
    notice: Notice | None = None,
) -> dict:
    editable = _can_edit(request, version)
    activities = list(version.activities.all())
    transitions = list(version.transitions.all())
    urls = _urls(version)
    by_pk = {a.pk: a for a in activities}
    # URLs by substitution rather than one reverse() per row: big graphs stay fast.
    for a in activities:
        a.outgoing_list = []
        a.select_url = urls["activity"].replace("__KEY__", a.key)
    for t in transitions:
        t.select_url = urls["transition"].replace("__KEY__", t.key)
        # Reuse the loaded activities instead of one query per transition end.
        t.source, t.target = by_pk[t.source_id], by_pk[t.target_id]
        t.source.outgoing_list.append(t)
    activity_keys = {a.key for a in activities}
    transition_keys = {t.key for t in transitions}
    if selected and selected[1] not in (activity_keys if selected[0] == "a" else transition_keys):
        selected = None

    problems = []
    node_classes: dict[str, list[str]] = {}
    edge_classes: dict[str, list[str]] = {}
    for problem in svc.validate_version(version):
        element = ""
        if problem.key in activity_keys:
            element = "a"
            node_classes.setdefault(problem.key, []).append(f"has-{problem.severity}")
        elif problem.key in transition_keys:
            element = "t"
            edge_classes.setdefault(problem.key, []).append(f"has-{problem.severity}")
        url = urls["activity" if element == "a" else "transition"].replace(
            "__KEY__", problem.key or ""
        )
        problems.append({"problem": problem, "element": element, "url": url if element else ""})
    if selected:
        target = node_classes if selected[0] == "a" else edge_classes
        target.setdefault(selected[1], []).append("selected")

    try:
        svg = version_svg(
            version, node_classes=node_classes, edge_classes=edge_classes, interactive=True
        )
        drawing_error = ""
    except DrawingError as exc:
        svg, drawing_error = "", str(exc)

    selected_activity = selected_transition = None
    if selected and selected[0] == "a":
        selected_activity = next(a for a in activities if a.key == selected[1])
        if form is None:
            form = _activity_form(selected_activity)
    elif selected:
        selected_transition = next(t for t in transitions if t.key == selected[1])
        if form is None:
            form = _transition_form(selected_transition, activities)
    if form is not None and not editable:
        for field in form.fields.values():
            field.disabled = True

    undo_step = history.last_step(version, history.EditStep.UNDO) if editable else None
    redo_step = history.last_step(version, history.EditStep.REDO) if editable else None
    return {
        "version": version,
        "process": version.process,
        "editable": editable,
        "may_design": request.user.has_perm(DESIGN),
        "activities": activities,
        "transitions": transitions,
        "problems": problems,
        "error_count": sum(1 for p in problems if p["problem"].severity == "error"),
        "svg": svg,
        "drawing_error": drawing_error,
        "selected": f"{selected[0]}:{selected[1]}" if selected else "",
        "selected_activity": selected_activity,
        "selected_transition": selected_transition,
        "form": form,
        "notice": notice,
        "kinds": Activity._meta.get_field("kind").choices,
        "undo_step": undo_step,
        "redo_step": redo_step,
        "urls": urls,
        "strategy": condition_strategy(),
        "nav": "processes",
        "table_open": request.GET.get("view") == "table",
    }


def _activity_form(activity: Activity, data=None) -> ActivityForm:
    fields = ("name", "description", "x", "y", *KIND_FIELDS.get(activity.kind, ()))
    initial = {name: getattr(activity, name) for name in fields}
    return ActivityForm(data, kind=activity.kind, initial=initial, prefix="activity")


def _transition_form(transition: Transition, activities, data=None) -> TransitionForm:
    initial = {
        "name": transition.name,
        "condition": transition.condition,
        "priority": transition.priority,
        "is_default": transition.is_default,
        "source": transition.source.key,
        "target": transition.target.key,
    }
    return TransitionForm(data, activities=activities, initial=initial, prefix="transition")


def _page(request: HttpRequest, version: Version, *, status: int = 200, **kwargs) -> HttpResponse:
    context = _context(request, version, **kwargs)
    if not request.htmx:
        return render(request, TEMPLATE, context, status=status)
    # HTMX swaps only 2xx answers: an explained refusal comes back as 200.
    response = render(request, f"{TEMPLATE}#editor", context)
    # The address bar follows the selection, so reloading or sharing keeps it.
    url = context["urls"]["editor"]
    if context["selected"]:
        url += "?" + urlencode({"sel": context["selected"]})
    response["HX-Replace-Url"] = url
    return response


def _done(
    request: HttpRequest, version: Version, selected: tuple[str, str] | None, notice: Notice
) -> HttpResponse:
    """After a change: the fragment for HTMX, a redirect back for a plain form."""
    if request.htmx:
        response = _page(request, version, selected=selected, notice=notice)
        response["HX-Trigger"] = "graph-changed"
        return response
    level = {"success": messages.SUCCESS, "warning": messages.WARNING}.get(notice.level)
    messages.add_message(request, level or messages.ERROR, notice.text)
    url = reverse("designer:editor", args=(version.process.code, version.number))
    if selected:
        url += "?" + urlencode({"sel": f"{selected[0]}:{selected[1]}"})
    return redirect(url)


def _change(
    request: HttpRequest,
    version: Version,
    label: str,
    action: Callable[[], tuple[tuple[str, str] | None, str | Notice]],
    *,
    selected: tuple[str, str] | None = None,
) -> HttpResponse:
    """Record the draft for undo, apply ``action``; explain a refusal without changing anything."""
    try:
        with transaction.atomic():
            version.ensure_draft()
            history.record(version, label, user=request.user)
            new_selection, message = action()
    except FrozenVersionError:
        return _frozen(request, version, selected)
    except svc.DefinitionError as exc:
        return _page(
            request, version, selected=selected, notice=Notice(exc.message, "error"), status=400
        )
    notice = message if isinstance(message, Notice) else Notice(message)
    return _done(request, version, new_selection, notice)


def _frozen(request, version, selected=None) -> HttpResponse:
    notice = Notice(
        f"Version {version.number} is {version.status} and cannot change. "
        "Clone it to a new draft to make changes.",
        "error",
    )
    return _page(request, version, selected=selected, notice=notice, status=409)


def _ensure_pinned(version: Version) -> None:
    """Store dot's positions when some activity has none, so moves start from what people see."""
    if not version.activities.filter(Q(x__isnull=True) | Q(y__isnull=True)).exists():
        return
    activities = list(version.activities.all())
    positions = auto_layout_positions(version)
    for activity in activities:
        if activity.key in positions:
            svc.move_activity(activity, *positions[activity.key])


def _free_spot(version: Version, near: Activity | None) -> tuple[float, float]:
    taken = [(a.x, a.y) for a in version.activities.all() if a.x is not None]
    if near is not None and near.x is not None:
        x, y = near.x + NEW_NODE_GAP, near.y
    elif taken:
        x, y = min(p[0] for p in taken), max(p[1] for p in taken) + ROW_GAP
    else:
        x, y = 60.0, 120.0
    while any(abs(px - x) < 100 and abs(py - y) < 50 for px, py in taken):
        y += ROW_GAP
    return x, y


# Screens ---------------------------------------------------------------------------------


@login_required
@require_GET
def editor(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = _version(request, code, number)
    return _page(request, version, selected=_selection(request.GET.get("sel", "")))


@login_required
@require_GET
def canvas(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = _version(request, code, number)
    selected = _selection(request.GET.get("sel", ""))
    if not request.htmx:
        return _page(request, version, selected=selected)
    return render(request, f"{TEMPLATE}#canvas", _context(request, version, selected=selected))


@login_required
@require_GET
def problems(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = _version(request, code, number)
    if not request.htmx:
        return _page(request, version)
    return render(request, f"{TEMPLATE}#problems", _context(request, version))


@login_required
def activity(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    """GET: select the activity (its properties); POST: save its properties."""
    if request.method == "GET":
        version = _version(request, code, number)
        _activity(version, key)
        return _page(request, version, selected=("a", key))
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    version = _editable(request, code, number)
    element = _activity(version, key)
    form = _activity_form(element, request.POST)
    if not version.is_draft:
        return _frozen(request, version, ("a", key))
    if not form.is_valid():
        notice = Notice("Not saved: fix the fields marked below.", "error")
        return _page(request, version, selected=("a", key), form=form, notice=notice, status=400)

    def save():
        svc.update_activity(element, user=request.user, **form.changes())
        return ("a", key), f"Saved {element.label}."

    return _change(request, version, f"Edit {element.label}", save, selected=("a", key))


@login_required
def transition(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    """GET: select the transition; POST: save it (the condition comes back normalized)."""
    if request.method == "GET":
        version = _version(request, code, number)
        _transition(version, key)
        return _page(request, version, selected=("t", key))
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    version = _editable(request, code, number)
    element = _transition(version, key)
    activities = list(version.activities.all())
    form = _transition_form(element, activities, request.POST)
    if not version.is_draft:
        return _frozen(request, version, ("t", key))
    if not form.is_valid():
        error = getattr(form, "condition_error", None)
        notice = Notice(
            "Not saved: fix the fields marked below.",
            "error",
            detail=_condition_detail(form.data.get("transition-condition", ""), error),
        )
        return _page(request, version, selected=("t", key), form=form, notice=notice, status=400)
    by_key = {a.key: a for a in activities}
    data = form.cleaned_data
    typed = data["condition"]

    def save():
        svc.update_transition(
            element,
            user=request.user,
            name=data["name"].strip(),
            condition=typed,
            priority=data["priority"],
            is_default=data["is_default"],
            source=by_key[data["source"]],
            target=by_key[data["target"]],
        )
        warning = form.condition_warning
        message = _condition_message(typed, element.condition, warning)
        if warning is None:
            return ("t", key), message
        # Compatible mode kept the text as typed: show where it goes wrong.
        return ("t", key), Notice(message, "warning", detail=_condition_detail(typed, warning))

    return _change(request, version, f"Edit transition {element}", save, selected=("t", key))


def _condition_message(typed: str, stored: str, warning: ConditionError | None) -> str:
    if warning is not None:
        return f"Saved, but the condition was kept as typed: {warning.message}."
    if typed.strip() != stored:
        return f"Saved. Condition normalized to: {stored}"
    return "Saved."


def _condition_detail(text: str, error: ConditionError | None) -> dict:
    if error is None:
        return {}
    position = max(0, min(error.position, len(text)))
    return {
        "text": text,
        "position": position,
        "caret": " " * position + "^",
        "message": error.message,
    }


# Changes -------------------------------------------------------------------------------------


@login_required
@require_POST
def activity_add(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = _editable(request, code, number)
    form = AddActivityForm(request.POST)
    if not form.is_valid():
        notice = Notice("Choose a kind of activity to add.", "error")
        return _page(request, version, notice=notice, status=400)
    kind = form.cleaned_data["kind"]
    label = dict(Activity._meta.get_field("kind").choices)[kind]
    name = form.cleaned_data["name"].strip() or label
    near = _selection(request.POST.get("sel", ""))

    def add():
        _ensure_pinned(version)
        anchor = None
        if near and near[0] == "a":
            anchor = version.activities.filter(key=near[1]).first()
        x, y = _free_spot(version, anchor)
        created = svc.add_activity(version, kind, name=name, x=x, y=y, user=request.user)
        return ("a", created.key), f"Added {label.lower()} {name!r}."

    return _change(request, version, f"Add {name}", add)


@login_required
@require_POST
def activity_move(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    version = _editable(request, code, number)
    element = _activity(version, key)
    form = MoveForm(request.POST)
    if not form.is_valid():
        message = " ".join(str(m) for errors in form.errors.values() for m in errors)
        return _page(
            request, version, selected=("a", key), notice=Notice(message, "error"), status=400
        )

    def move():
        _ensure_pinned(version)
        element.refresh_from_db()
        x, y = form.position(element.x, element.y)
        svc.move_activity(element, x, y, user=request.user)
        return ("a", key), f"Moved {element.label}."

    return _change(request, version, f"Move {element.label}", move, selected=("a", key))


@login_required
@require_POST
def activity_delete(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    version = _editable(request, code, number)
    element = _activity(version, key)

    def delete():
        svc.delete_activity(element, user=request.user)
        return None, f"Deleted {element.label} and its transitions."

    return _change(request, version, f"Delete {element.label}", delete, selected=("a", key))


@login_required
@require_POST
def transition_add(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = _editable(request, code, number)
    form = ConnectForm(request.POST)
    if not form.is_valid():
        notice = Notice("Choose the activity to connect to.", "error")
        selected = _selection(request.POST.get("sel", ""))
        return _page(request, version, selected=selected, notice=notice, status=400)
    source = _activity(version, form.cleaned_data["source"])
    target = _activity(version, form.cleaned_data["target"])

    def connect():
        created = svc.add_transition(
            version, source, target, condition=form.cleaned_data["condition"], user=request.user
        )
        return ("t", created.key), f"Connected {source.label} to {target.label}."

    return _change(
        request,
        version,
        f"Connect {source.label} to {target.label}",
        connect,
        selected=("a", source.key),
    )


@login_required
@require_POST
def transition_delete(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    version = _editable(request, code, number)
    element = _transition(version, key)

    def delete():
        svc.delete_transition(element, user=request.user)
        return None, f"Deleted the transition {element}."

    return _change(request, version, f"Delete transition {element}", delete, selected=("t", key))


@login_required
@require_POST
def layout(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = _editable(request, code, number)

    def tidy():
        positions = auto_layout_positions(version)
        for element in version.activities.all():
            if element.key in positions:
                svc.move_activity(element, *positions[element.key], user=request.user)
        return _selection(request.POST.get("sel", "")), "Laid out automatically."

    return _change(request, version, "Auto-layout", tidy)


@login_required
@require_POST
def undo(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _history(request, code, number, history.undo, "Undid", "Nothing to undo.")


@login_required
@require_POST
def redo(request: HttpRequest, code: str, number: int) -> HttpResponse:
    return _history(request, code, number, history.redo, "Redid", "Nothing to redo.")


def _history(request, code, number, step_back, verb: str, nothing: str) -> HttpResponse:
    version = _editable(request, code, number)
    selected = _selection(request.POST.get("sel", ""))
    try:
        step = step_back(version, user=request.user)
    except FrozenVersionError:
        return _frozen(request, version, selected)
    if step is None:
        return _page(
            request, version, selected=selected, notice=Notice(nothing, "warning"), status=409
        )
    return _done(request, version, selected, Notice(f"{verb}: {step.label}."))
