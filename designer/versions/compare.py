"""The compare page: two versions of a process, their graphs marked and a change table."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from designer.versions import changes
from designer.versions.access import fragment_status, process_for
from engine.models import Version, VersionStatus
from engine.services import definitions
from engine.services.triggers import core_triggers

TEMPLATE = "versions/compare.html"


def default_pair(versions: list[Version]) -> tuple[Version | None, Version | None]:
    """The published version vs the newest draft, else the two newest versions."""
    if not versions:
        return None, None
    newest_first = sorted(versions, key=lambda v: -v.number)
    published = next((v for v in newest_first if v.status == VersionStatus.PUBLISHED), None)
    draft = next((v for v in newest_first if v.status == VersionStatus.DRAFT), None)
    if published and draft:
        return published, draft
    if len(newest_first) == 1:
        return newest_first[0], newest_first[0]
    return newest_first[1], newest_first[0]


def _pick(value: str | None, by_number: dict[int, Version], side: str, errors: list[str]):
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        errors.append(f"{side}: {value!r} is not a version number.")
        return None
    if number not in by_number:
        errors.append(f"{side}: this process has no version {number}.")
        return None
    return by_number[number]


def _drawings(old: Version, new: Version, diff) -> tuple[str, str]:
    from engine.drawing import version_svg

    old_marks, new_marks = changes.graph_marks(diff)
    return (
        version_svg(old, **old_marks.as_kwargs()),
        version_svg(new, **new_marks.as_kwargs()),
    )


@login_required
@require_GET
def compare(request: HttpRequest, code: str) -> HttpResponse:
    process = process_for(request, code)
    versions = list(process.versions.order_by("-number"))
    for version in versions:
        version.process = process
    by_number = {v.number: v for v in versions}
    errors: list[str] = []
    old = _pick(request.GET.get("a"), by_number, "Before", errors)
    new = _pick(request.GET.get("b"), by_number, "After", errors)
    default_old, default_new = default_pair(versions)
    old, new = old or default_old, new or default_new
    hide_layout = request.GET.get("layout") == "hide"
    context = {
        "nav": "processes",
        "process": process,
        "versions": versions,
        "old": old,
        "new": new,
        "hide_layout": hide_layout,
        "errors": errors,
        "symbols": changes.SYMBOLS,
    }
    if old is not None and new is not None and not errors:
        full = definitions.diff_versions(old, new)
        shown = full.without_layout() if hide_layout else full
        route_of = changes.routes(old.to_graph(), new.to_graph())
        context.update(
            rows=changes.change_rows(shown, route_of, {**core_triggers(old), **core_triggers(new)}),
            summary=changes.summary(shown),
            hidden_moves=full.summary["moved"] if hide_layout else 0,
            same=old.pk == new.pk,
        )
        context["old_svg"], context["new_svg"] = _drawings(old, new, shown)
        context["old_width"] = changes.natural_width(context["old_svg"])
        context["new_width"] = changes.natural_width(context["new_svg"])
    status = 400 if errors else 200
    if request.htmx and request.htmx.target == "compare-result":
        return render(
            request, f"{TEMPLATE}#result", context, status=fragment_status(request, status)
        )
    return render(request, TEMPLATE, context, status=status)
