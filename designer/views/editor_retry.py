"""Saving the version's default retry policy from the editor's properties panel.

It goes through ``editor_page.change``, so it is one undoable step: the undo
snapshot (an export) carries ``process.default_retry`` and restoring it puts
the policy back.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from designer.views.editor_page import Notice, change, editable_version, frozen, page
from designer.views.retry_panel import DefaultRetryForm, retry_form
from engine.errors import DefinitionError
from engine.services import definitions as svc
from engine.services.retry_defaults import check_default_retry


def _place(form: DefaultRetryForm, exc: DefinitionError) -> None:
    """The service's refusal next to the field it names (default_retry.max_attempts)."""
    name = exc.field.removeprefix("default_retry").strip(".")
    if name in form.fields:
        form.add_error(name, exc.message.split(": ", 1)[-1])
    else:
        form.add_error(None, exc.message)


@login_required
@require_POST
def default_retry(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """Set (any field filled in) or clear (all empty) the draft's default retry policy."""
    version = editable_version(request, code, number)
    if not version.is_draft:
        return frozen(request, version)
    form = retry_form(version, request.POST)
    if form.is_valid():
        try:
            check_default_retry(form.policy())  # refused before an undo step is recorded
        except DefinitionError as exc:
            _place(form, exc)
    if not form.is_valid():
        notice = Notice("Not saved: fix the default retry policy.", "error")
        return page(request, version, retry_form=form, notice=notice, status=400)

    def save():
        svc.set_default_retry(version, form.policy(), user=request.user)
        cleared = "Cleared the default retry policy."
        return None, "Saved the default retry policy." if form.policy() else cleared

    return change(request, version, "Change the default retry", save)
