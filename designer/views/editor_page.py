"""The editor screen's shared parts: lookups, the context of the page and the answers to changes.

Every change is a POST that works as a plain form (redirect back to the
editor) and as an HTMX request (the ``#editor`` fragment comes back: canvas,
properties, problems and table in one swap, so they never disagree). Each
change first records the draft for undo (``designer.models.record``) in the
same transaction, so a refused change leaves neither a change nor a history
step behind.

Anyone signed in may view; editing needs ``engine.design_process`` and a
draft. Without the permission a change is a 404, as if the version did not
exist; on a published or retired version it is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from designer import models as history
from designer.forms import KIND_FIELDS, ActivityForm, TransitionForm
from engine.conf import condition_strategy
from engine.drawing import DrawingError, version_svg
from engine.models import Activity, FrozenVersionError, Process, Transition, Version
from engine.services import definitions as svc
from engine.tenancy import scoped

TEMPLATE = "designer/editor.html"
DESIGN = "engine.design_process"


class Notice:
    """A one-line outcome shown above the properties panel (and announced)."""

    def __init__(self, text: str, level: str = "success", detail: dict | None = None):
        self.text = text
        self.level = level
        self.detail = detail or {}


# Lookups -------------------------------------------------------------------------


def version_for(request: HttpRequest, code: str, number: int) -> Version:
    process = scoped(Process.objects.all(), request).filter(code=code).first()
    if process is None:
        raise Http404("No such process.")
    version = process.versions.filter(number=number).first()
    if version is None:
        raise Http404("No such version.")
    version.process = process
    return version


def can_edit(request: HttpRequest, version: Version) -> bool:
    return version.is_draft and request.user.has_perm(DESIGN)


def editable_version(request: HttpRequest, code: str, number: int) -> Version:
    """The version a change is for; 404 for a person who may not design."""
    version = version_for(request, code, number)
    if not request.user.has_perm(DESIGN):
        raise Http404("No such version.")
    return version


def activity_for(version: Version, key: str) -> Activity:
    activity = version.activities.filter(key=key).first()
    if activity is None:
        raise Http404("No such activity.")
    return activity


def transition_for(version: Version, key: str) -> Transition:
    transition = version.transitions.select_related("source", "target").filter(key=key).first()
    if transition is None:
        raise Http404("No such transition.")
    return transition


def selection(value: str) -> tuple[str, str] | None:
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


def context_for(
    request: HttpRequest,
    version: Version,
    *,
    selected: tuple[str, str] | None = None,
    form=None,
    notice: Notice | None = None,
) -> dict:
    editable = can_edit(request, version)
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
            form = activity_form(selected_activity)
    elif selected:
        selected_transition = next(t for t in transitions if t.key == selected[1])
        if form is None:
            form = transition_form(selected_transition, activities)
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
        "table_open": "table" in (request.GET.get("view"), request.POST.get("view")),
    }


def activity_form(activity: Activity, data=None) -> ActivityForm:
    fields = ("name", "description", "x", "y", *KIND_FIELDS.get(activity.kind, ()))
    initial = {name: getattr(activity, name) for name in fields}
    return ActivityForm(data, kind=activity.kind, initial=initial, prefix="activity")


def transition_form(transition: Transition, activities, data=None) -> TransitionForm:
    initial = {
        "name": transition.name,
        "condition": transition.condition,
        "priority": transition.priority,
        "is_default": transition.is_default,
        "source": transition.source.key,
        "target": transition.target.key,
    }
    return TransitionForm(data, activities=activities, initial=initial, prefix="transition")


def page(request: HttpRequest, version: Version, *, status: int = 200, **kwargs) -> HttpResponse:
    context = context_for(request, version, **kwargs)
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


def done(
    request: HttpRequest, version: Version, selected: tuple[str, str] | None, notice: Notice
) -> HttpResponse:
    """After a change: the fragment for HTMX, a redirect back for a plain form."""
    if request.htmx:
        response = page(request, version, selected=selected, notice=notice)
        response["HX-Trigger"] = "graph-changed"
        return response
    level = {"success": messages.SUCCESS, "warning": messages.WARNING}.get(notice.level)
    messages.add_message(request, level or messages.ERROR, notice.text)
    url = reverse("designer:editor", args=(version.process.code, version.number))
    if selected:
        url += "?" + urlencode({"sel": f"{selected[0]}:{selected[1]}"})
    return redirect(url)


def change(
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
        return frozen(request, version, selected)
    except svc.DefinitionError as exc:
        return page(
            request, version, selected=selected, notice=Notice(exc.message, "error"), status=400
        )
    notice = message if isinstance(message, Notice) else Notice(message)
    return done(request, version, new_selection, notice)


def frozen(request, version, selected=None) -> HttpResponse:
    notice = Notice(
        f"Version {version.number} is {version.status} and cannot change. "
        "Clone it to a new draft to make changes.",
        "error",
    )
    return page(request, version, selected=selected, notice=notice, status=409)
