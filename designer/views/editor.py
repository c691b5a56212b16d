"""The draft editor's screens: the page, its fragments, and an element's properties.

The page is templates/designer/editor.html; changes are in editor_actions.py;
shared lookups and answers in editor_page.py; what each fragment shows in
editor_context.py.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from designer.forms import activity_form, transition_form
from designer.views.editor_context import canvas_only, problems_only
from designer.views.editor_page import (
    TEMPLATE,
    Notice,
    activity_for,
    change,
    editable_version,
    frozen,
    page,
    selection,
    transition_for,
    version_for,
)
from engine.core import outcome_text
from engine.core.conditions import ConditionError
from engine.services import definitions as svc

# Screens ---------------------------------------------------------------------------------


@login_required
@require_GET
def editor(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = version_for(request, code, number)
    return page(request, version, selected=selection(request.GET.get("sel", "")))


@login_required
@require_GET
def canvas(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = version_for(request, code, number)
    selected = selection(request.GET.get("sel", ""))
    if not request.htmx:
        return page(request, version, selected=selected)
    return render(request, f"{TEMPLATE}#canvas", canvas_only(request, version, selected))


@login_required
@require_GET
def problems(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = version_for(request, code, number)
    if not request.htmx:
        return page(request, version)
    return render(request, f"{TEMPLATE}#problems", problems_only(request, version))


@login_required
def activity(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    """GET: select the activity (its properties); POST: save its properties."""
    if request.method == "GET":
        version = version_for(request, code, number)
        activity_for(version, key)
        return page(request, version, selected=("a", key))
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    version = editable_version(request, code, number)
    element = activity_for(version, key)
    form = activity_form(element, request.POST)
    if not version.is_draft:
        return frozen(request, version, ("a", key))
    if not form.is_valid():
        notice = Notice("Not saved: fix the fields marked below.", "error")
        return page(request, version, selected=("a", key), form=form, notice=notice, status=400)

    def save():
        svc.update_activity(element, user=request.user, **form.changes())
        return ("a", key), f"Saved {element.label}."

    return change(request, version, f"Edit {element.label}", save, selected=("a", key))


@login_required
def transition(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    """GET: select the transition; POST: save it (the condition comes back normalized)."""
    if request.method == "GET":
        version = version_for(request, code, number)
        transition_for(version, key)
        return page(request, version, selected=("t", key))
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    version = editable_version(request, code, number)
    element = transition_for(version, key)
    activities = list(version.activities.all())
    form = transition_form(element, activities, request.POST)
    if not version.is_draft:
        return frozen(request, version, ("t", key))
    if not form.is_valid():
        error = getattr(form, "condition_error", None)
        notice = Notice(
            "Not saved: fix the fields marked below.",
            "error",
            detail=_condition_detail(form.data.get("transition-condition", ""), error),
        )
        return page(request, version, selected=("t", key), form=form, notice=notice, status=400)
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
        if warning is not None:
            message += _data_form_hint(typed, version)
        if warning is None:
            return ("t", key), message
        # Compatible mode kept the text as typed: show where it goes wrong.
        return ("t", key), Notice(message, "warning", detail=_condition_detail(typed, warning))

    return change(request, version, f"Edit transition {element}", save, selected=("t", key))


def _condition_message(typed: str, stored: str, warning: ConditionError | None) -> str:
    if warning is not None:
        return f"Saved, but the condition was kept as typed: {warning.message}."
    if typed.strip() != stored:
        return f"Saved. Condition normalized to: {stored}"
    return "Saved."


def _data_form_hint(typed: str, version) -> str:
    """A kept text never tests run data: suggest the form that does, when one fits."""
    fields = outcome_text.input_fields(version.process.input_schema)
    suggestion = outcome_text.suggest(typed, fields)
    if not suggestion:
        return " It is true only when the last outcome is exactly this text."
    return f" It is compared with the outcome as text; to test run data, write: {suggestion}"


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
