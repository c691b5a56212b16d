"""The versions page and the lifecycle actions: publish, clone, rollback, delete a draft.

Each action is a GET that shows a confirmation (a full page, or the
``dialog`` fragment for HTMX) and a CSRF-protected POST that calls one
function of engine.services.definitions.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from designer.versions import changes
from designer.versions.access import (
    DESIGN,
    PUBLISH,
    editor_url,
    fragment_status,
    process_for,
    require,
    version_for,
)
from designer.versions.forms import NoteForm
from engine import permissions
from engine.core.validation import has_errors
from engine.models import FrozenVersionError, Version, VersionStatus
from engine.services import definitions
from engine.services.triggers import core_triggers

LIST_TEMPLATE = "versions/versions.html"
ACTION_TEMPLATE = "versions/action.html"


@login_required
@require_GET
def version_list(request: HttpRequest, code: str) -> HttpResponse:
    process = process_for(request, code)
    versions = list(
        process.versions.select_related("created_by", "published_by", "cloned_from").order_by(
            "-number"
        )
    )
    for version in versions:
        version.process = process
        version.editor_url = editor_url(version)
    context = {
        "nav": "processes",
        "process": process,
        "versions": versions,
        "published": next((v for v in versions if v.status == VersionStatus.PUBLISHED), None),
        "can_design": request.user.has_perm(DESIGN),
        "can_publish": request.user.has_perm(PUBLISH),
        "can_monitor": permissions.may_monitor(request.user),
    }
    if request.htmx and request.htmx.target == "version-table":
        return render(request, f"{LIST_TEMPLATE}#table", context)
    return render(request, LIST_TEMPLATE, context)


def _confirm(request, version, action, *, form=None, error="", status=200, **extra):
    context = {
        "nav": "processes",
        "process": version.process,
        "version": version,
        "action": action,
        "form": form or NoteForm(),
        "error": error,
        "editor_url": editor_url(version),
        **extra,
    }
    template = f"{ACTION_TEMPLATE}#dialog" if request.htmx else ACTION_TEMPLATE
    return render(request, template, context, status=fragment_status(request, status))


def _publish_review(version: Version) -> dict:
    """What the publish confirmation shows: the problems and the diff against the published one."""
    problems = definitions.validate_version(version)
    published = version.process.versions.filter(status=VersionStatus.PUBLISHED).first()
    # The dialog names the element a problem is about; its key is for the API.
    names = {k: n or k for k, n in version.activities.values_list("key", "name")}
    for key, name, source, target in version.transitions.values_list(
        "key", "name", "source__key", "target__key"
    ):
        names[key] = name or f"{names.get(source, source)} → {names.get(target, target)}"
    shown = [{**p.to_dict(), "name": names.get(p.key or "") or p.key} for p in problems]
    review = {
        "errors": [p for p in shown if p["severity"] == "error"],
        "warnings": [p for p in shown if p["severity"] != "error"],
        "can_go": not has_errors(problems),
        "current": published,
        # Kept-as-typed conditions never test run data: say so before they go live.
        "text_conditions": definitions.text_conditions(version),
    }
    if published is not None:
        diff = definitions.diff_versions(published, version)
        route_of = changes.routes(published.to_graph(), version.to_graph())
        both = {**core_triggers(published), **core_triggers(version)}
        review["rows"] = changes.change_rows(diff, route_of, both)
        review["summary"] = changes.summary(diff)
    return review


@login_required
@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = version_for(request, code, number)
    require(request, PUBLISH)
    if not version.is_draft:
        return _confirm(
            request,
            version,
            "publish",
            error=f"v{version.number} is {version.status}: only a draft can be published.",
            status=409,
        )
    if request.method != "POST":
        return _confirm(request, version, "publish", **_publish_review(version))
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            definitions.publish(version, user=request.user, note=form.cleaned_data["note"])
        except definitions.ValidationFailed:
            error = "Publishing was refused: fix the problems below first."
        except (definitions.DefinitionError, FrozenVersionError) as exc:
            error = str(exc)
        else:
            messages.success(request, f"v{version.number} is published.")
            return redirect("versions:list", version.process.code)
    else:
        error = "Check the note."
    version.refresh_from_db()
    return _confirm(
        request, version, "publish", form=form, error=error, status=400, **_publish_review(version)
    )


@login_required
@require_http_methods(["GET", "POST"])
def clone(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = version_for(request, code, number)
    require(request, DESIGN)
    if request.method != "POST":
        return _confirm(request, version, "clone")
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _confirm(request, version, "clone", form=form, error="Check the note.", status=400)
    draft = definitions.clone(version, user=request.user, note=form.cleaned_data["note"])
    draft.process = version.process
    messages.success(request, f"v{draft.number} is a new draft cloned from v{version.number}.")
    return redirect(editor_url(draft))


@login_required
@require_http_methods(["GET", "POST"])
def rollback(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = version_for(request, code, number)
    require(request, PUBLISH)
    current = version.process.versions.filter(status=VersionStatus.PUBLISHED).first()
    if version.status != VersionStatus.RETIRED:
        return _confirm(
            request,
            version,
            "rollback",
            current=current,
            error=f"Only a retired version can be rolled back to; v{version.number} is "
            f"{version.status}.",
            status=409,
        )
    if request.method != "POST":
        return _confirm(request, version, "rollback", current=current)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _confirm(
            request,
            version,
            "rollback",
            form=form,
            current=current,
            error="Check the note.",
            status=400,
        )
    try:
        definitions.rollback(version, user=request.user, note=form.cleaned_data["note"])
    except definitions.DefinitionError as exc:
        return _confirm(
            request, version, "rollback", form=form, current=current, error=exc.message, status=409
        )
    messages.success(request, f"v{version.number} is published again.")
    return redirect("versions:list", version.process.code)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = version_for(request, code, number)
    require(request, DESIGN)
    only_one = version.process.versions.count() == 1
    if not version.is_draft:
        return _confirm(
            request,
            version,
            "delete",
            only_one=only_one,
            error=f"v{version.number} is {version.status}: only a draft can be deleted.",
            status=409,
        )
    if request.method != "POST":
        return _confirm(request, version, "delete", only_one=only_one)
    try:
        definitions.delete_draft(version, user=request.user)
    except FrozenVersionError as exc:
        return _confirm(request, version, "delete", error=str(exc), status=409)
    messages.success(request, f"Draft v{version.number} is deleted.")
    return redirect(reverse("versions:list", args=(version.process.code,)))
