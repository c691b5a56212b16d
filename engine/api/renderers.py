"""Renderers for definition files: ``waymark.process/1`` as JSON or YAML (engine.definition_format).

Error bodies on these endpoints are rendered the same way; both are plain data.
"""

from __future__ import annotations

from rest_framework.renderers import BaseRenderer

from engine import definition_format as fmt


def _plain(data):
    # Error details are str subclasses; YAML wants plain types.
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, str):
        return str(data)
    return data


class DefinitionJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return fmt.dump(_plain(data), "json").encode("utf-8")


class DefinitionYAMLRenderer(BaseRenderer):
    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return fmt.dump(_plain(data), "yaml").encode("utf-8")


class BpmnXMLRenderer(BaseRenderer):
    """BPMN 2.0 XML (engine.bpmn), for ``?format=bpmn``: the view hands it the finished text."""

    media_type = "application/xml"
    format = "bpmn"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return str(data).encode("utf-8")
