"""The form designer's endpoints: the process's input form and the preview of a form."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from designer.forms_designer.forms import process_input_form
from designer.monitoring.schema_forms import SchemaForm, outcome_buttons
from designer.views.editor_context import can_edit
from designer.views.editor_page import editable_version, version_for
from engine.errors import DefinitionError
from engine.models import Version
from engine.schemas import check_schema
from engine.services import processes

PANEL = "designer/_process_input.html"


def panel_context(request: HttpRequest, version: Version, form=None, notice=None) -> dict:
    """What the process's input panel shows (a fresh form unless one is given)."""
    editable = can_edit(request, version)
    form = form or process_input_form(version.process)
    if not editable:
        form.fields["input_schema"].disabled = True
    args = (version.process.code, version.number)
    return {
        "input_form": form,
        "input_editable": editable,
        "input_notice": notice,
        "input_url": reverse("designer:process_input", args=args),
        "preview_url": reverse("designer:form_preview", args=args),
    }


@login_required
def process_input(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """GET: the panel; POST: save the process's input schema (through the service)."""
    if request.method == "GET":
        version = version_for(request, code, number)
        return render(request, PANEL, panel_context(request, version))
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    version = editable_version(request, code, number)
    form = process_input_form(version.process, request.POST)
    status, notice = 400, None
    if not version.is_draft:
        notice = ("error", "Change the input form from a draft of this process.")
        status = 409
    elif not form.is_valid():
        notice = ("error", "Not saved: fix the input form.")
    else:
        try:
            processes.update_process(
                version.process, user=request.user, input_schema=form.cleaned_data["input_schema"]
            )
        except DefinitionError as exc:
            form.add_error("input_schema", exc.message)
            notice = ("error", exc.message)
        else:
            status, notice = 200, ("success", "Saved the input form.")
            form = None
    if not request.htmx:
        level = messages.SUCCESS if status == 200 else messages.ERROR
        messages.add_message(request, level, notice[1])
        return redirect(reverse("designer:editor", args=(code, number)))
    context = panel_context(request, version, form=form, notice=notice)
    # HTMX swaps only 2xx answers: a refusal is explained in the panel instead.
    return render(request, PANEL, context)


@login_required
@require_POST
def form_preview(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """The form the start or task page would draw from the posted schema, inert."""
    version_for(request, code, number)
    problems: list[str] = []
    try:
        schema = json.loads(request.POST.get("schema") or "{}")
    except json.JSONDecodeError as exc:
        schema, problems = {}, [f"Not valid JSON: {exc.msg}."]
    if not problems:
        problems = check_schema(schema)
    outcomes = [o.strip() for o in request.POST.get("outcomes", "").split(",") if o.strip()]
    form = None
    if not problems:
        # Drawn as the pages draw it; the template's disabled, inert fieldset makes it inert.
        form = SchemaForm(schema, prefix="preview")
    context = {
        "form": form,
        "problems": problems,
        "outcomes": outcome_buttons(outcomes, schema) if form else [],
        "start": request.POST.get("target") == "input",
    }
    return render(request, "designer/_form_preview.html", context)
