"""Downloads of one version: the definition file (JSON, YAML), BPMN 2.0 or its graph (DOT, SVG)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from designer.versions.access import version_for
from engine.definition_format import dump
from engine.services import definitions

CONTENT_TYPES = {
    "json": "application/json",
    "yaml": "application/yaml",
    "dot": "text/vnd.graphviz",
    "svg": "image/svg+xml",
    "bpmn": "application/xml",
}
SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'


def _body(version, fmt: str) -> str:
    if fmt in ("json", "yaml"):
        return dump(definitions.export_version(version), fmt)
    if fmt == "bpmn":
        from engine.bpmn import export_bpmn

        return export_bpmn(version)
    from engine.drawing import version_dot, version_svg

    if fmt == "dot":
        return version_dot(version)
    svg = version_svg(version)
    if SVG_NS not in svg.split(">", 1)[0]:
        # An inline <svg> needs its namespace to open on its own as a file.
        svg = svg.replace("<svg", f"<svg {SVG_NS}", 1)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg


@login_required
@require_GET
def export(request: HttpRequest, code: str, number: int, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404("Unknown export format.")
    version = version_for(request, code, number)
    response = HttpResponse(
        _body(version, fmt), content_type=f"{CONTENT_TYPES[fmt]}; charset=utf-8"
    )
    filename = f"{version.process.code}-v{version.number}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
