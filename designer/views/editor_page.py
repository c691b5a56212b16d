"""The editor screen's shared parts: lookups and the answers to changes.

Every change is a POST that works as a plain form (redirect back to the
editor) and as an HTMX request (the ``#editor`` fragment comes back: canvas,
properties, problems and table in one swap, so they never disagree). Each
change first records the draft for undo (``designer.models.record``) in the
same transaction, so a refused change leaves neither a change nor a history
step behind. What each fragment shows is built in ``editor_context``.

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
from django.urls import reverse
from django_htmx.http import replace_url

from designer import models as history
from designer.views.editor_context import DESIGN, Selection, editor_context
from engine.models import Activity, FrozenVersionError, Process, Transition, Version
from engine.services import definitions as svc
from engine.tenancy import scoped

TEMPLATE = "designer/editor.html"


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


def selection(value: str) -> Selection | None:
    kind, _, key = (value or "").partition(":")
    if kind in ("a", "t") and key:
        return kind, key
    return None


# Answers -----------------------------------------------------------------------------


def page(request: HttpRequest, version: Version, *, status: int = 200, **kwargs) -> HttpResponse:
    """The editor: the whole page, or the ``#editor`` fragment for HTMX."""
    context = editor_context(request, version, **kwargs)
    if not request.htmx:
        return render(request, TEMPLATE, context, status=status)
    # HTMX swaps only 2xx answers: an explained refusal comes back as 200.
    response = render(request, f"{TEMPLATE}#editor", context)
    # The address bar follows the selection, so reloading or sharing keeps it.
    return replace_url(response, _address(version, context["selected"]))


def _address(version: Version, selected: str) -> str:
    url = reverse("designer:editor", args=(version.process.code, version.number))
    return url + "?" + urlencode({"sel": selected}) if selected else url


def done(
    request: HttpRequest, version: Version, selected: Selection | None, notice: Notice
) -> HttpResponse:
    """After a change: the fragment for HTMX, a redirect back for a plain form."""
    if request.htmx:
        return page(request, version, selected=selected, notice=notice)
    level = {"success": messages.SUCCESS, "warning": messages.WARNING}.get(notice.level)
    messages.add_message(request, level or messages.ERROR, notice.text)
    return redirect(_address(version, f"{selected[0]}:{selected[1]}" if selected else ""))


def change(
    request: HttpRequest,
    version: Version,
    label: str,
    action: Callable[[], tuple[Selection | None, str | Notice]],
    *,
    selected: Selection | None = None,
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
