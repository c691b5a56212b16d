"""The editor's Triggers panel: add, edit and delete a draft's triggers, and the live preview.

Thin adapters over ``engine.services.triggers`` (the same checks as the file
format and the API). A change is recorded for undo like any other edit and
answers with the whole ``#editor`` fragment, so the start markers on the
canvas follow; a refusal puts the service's message next to the field its
``DefinitionError.field`` names.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from designer import models as history
from designer.trigger_forms import PREFIX, TriggerForm
from designer.views.editor_page import (
    Notice,
    done,
    editable_version,
    frozen,
    page,
    version_for,
)
from designer.views.trigger_panel import TriggerPanel, preview_for
from engine.core.triggers import KINDS
from engine.errors import DefinitionError
from engine.models import FrozenVersionError, Trigger, Version
from engine.services import triggers as trigger_service

NOT_SAVED = "Not saved: fix the fields marked in the Triggers panel."


def _trigger_for(version: Version, key: str) -> Trigger:
    trigger = version.triggers.filter(key=key).first()
    if trigger is None:
        raise Http404("No such trigger.")
    return trigger


def _save(
    request: HttpRequest,
    version: Version,
    label: str,
    action: Callable[[], str],
    panel: TriggerPanel,
) -> HttpResponse:
    """Record the draft for undo and apply ``action``; a refusal is shown on the form."""
    try:
        with transaction.atomic():
            version.ensure_draft()
            history.record(version, label, user=request.user)
            message = action()
    except FrozenVersionError:
        return frozen(request, version)
    except DefinitionError as exc:
        if panel.form is None:
            return page(request, version, notice=Notice(exc.message, "error"), status=400)
        panel.form.put_error(exc.field, exc.message)
        notice = Notice(NOT_SAVED, "error")
        return page(request, version, triggers=panel, notice=notice, status=400)
    return done(request, version, None, Notice(message))


@login_required
def trigger_add(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """GET: choose a kind, then that kind's form (``?kind=``); POST: add the trigger."""
    if request.method == "GET":
        version = editable_version(request, code, number)
        if not version.is_draft:
            return frozen(request, version)
        kind = request.GET.get("kind", "")
        if kind not in KINDS:
            return page(request, version, triggers=TriggerPanel("choose"))
        return page(request, version, triggers=TriggerPanel("add", TriggerForm(kind)))
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    version = editable_version(request, code, number)
    kind = request.POST.get(f"{PREFIX}-kind", "")
    if kind not in KINDS:
        notice = Notice("Choose a kind of trigger to add.", "error")
        return page(request, version, triggers=TriggerPanel("choose"), notice=notice, status=400)
    form = TriggerForm(kind, request.POST)
    panel = TriggerPanel("add", form)
    if not version.is_draft:
        return frozen(request, version)
    if not form.is_valid():
        return page(request, version, triggers=panel, notice=Notice(NOT_SAVED, "error"), status=400)
    key = form.cleaned_data["key"]

    def add() -> str:
        trigger_service.add_trigger(version, key, user=request.user, kind=kind, **form.changes())
        return f"Added trigger {key}."

    return _save(request, version, f"Add trigger {key}", add, panel)


@login_required
def trigger(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    """GET: the trigger's fields (read-only unless the draft is editable); POST: save them."""
    if request.method == "GET":
        version = version_for(request, code, number)
        found = _trigger_for(version, key)
        form = TriggerForm(found.kind, trigger=found)
        return page(request, version, triggers=TriggerPanel("edit", form, key))
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    version = editable_version(request, code, number)
    found = _trigger_for(version, key)
    form = TriggerForm(found.kind, request.POST, trigger=found)
    panel = TriggerPanel("edit", form, key)
    if not version.is_draft:
        return frozen(request, version)
    if not form.is_valid():
        return page(request, version, triggers=panel, notice=Notice(NOT_SAVED, "error"), status=400)

    def save() -> str:
        trigger_service.update_trigger(found, user=request.user, **form.changes())
        return f"Saved trigger {key}."

    return _save(request, version, f"Edit trigger {key}", save, panel)


@login_required
@require_POST
def trigger_delete(request: HttpRequest, code: str, number: int, key: str) -> HttpResponse:
    version = editable_version(request, code, number)
    found = _trigger_for(version, key)

    def delete() -> str:
        trigger_service.delete_trigger(found, user=request.user)
        return f"Deleted trigger {key}."

    return _save(request, version, f"Delete trigger {key}", delete, TriggerPanel())


@login_required
@require_GET
def trigger_preview(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """The cron in words and the next five fire times, or the offset in words, as typed."""
    version_for(request, code, number)
    kind = request.GET.get(f"{PREFIX}-kind", "")
    values = {
        name: request.GET.get(f"{PREFIX}-{name}", "")
        for name in ("cron", "timezone", "offset", "date_field")
    }
    return render(request, "designer/_trigger_preview.html", preview_for(kind, values))
