"""A version as BPMN 2.0 XML, laid out, from its ``waymark.process/1`` data.

Element ids are the activities' keys (every Waymark key is a valid XML id);
a transition whose key is already taken by an activity gets another id and
keeps its key in ``waymark:field name="key"``. What BPMN has no place for
travels in ``extensionElements`` (see ``engine.bpmn.mapping``), so an
export imported again gives back the same version.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from engine.bpmn import layout
from engine.bpmn.mapping import (
    BPMN,
    BPMNDI,
    DC,
    DEFAULT_HOLDERS,
    DI,
    FALLBACK_ELEMENT,
    KEPT_KINDS,
    KIND_ELEMENTS,
    PREFIXES,
    STANDARD_ACTIVITY_FIELDS,
    WAYMARK,
    XSI,
    is_ncname,
    iso_duration,
    q,
)

EXPORTER = "Waymark"
EXPORTER_VERSION = "1"

for _prefix, _namespace in PREFIXES.items():
    ET.register_namespace(_prefix, _namespace)


class _Ids:
    """Unique XML ids: a wanted id when it is free, else the wanted id numbered."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, wanted: str) -> str:
        candidate, n = wanted, 1
        while candidate in self.used:
            n += 1
            candidate = f"{wanted}_{n}"
        self.used.add(candidate)
        return candidate


def to_xml(data: dict[str, Any]) -> str:
    """BPMN 2.0 XML of a version given as ``waymark.process/1`` data (an export)."""
    activities = data.get("activities", [])
    transitions = data.get("transitions", [])
    ids = _Ids()
    for activity in activities:
        ids.take(activity["key"])
    process_id = ids.take(f"Process_{data['process']['code']}")
    root = ET.Element(
        q(BPMN, "definitions"),
        {
            "id": ids.take("Definitions_1"),
            "targetNamespace": WAYMARK,
            "exporter": EXPORTER,
            "exporterVersion": EXPORTER_VERSION,
        },
    )
    messages = _messages(root, activities, ids)
    process = ET.SubElement(root, q(BPMN, "process"), {"id": process_id, "isExecutable": "true"})
    _process_head(process, data)
    for activity in activities:
        _flow_node(process, activity, messages)
    flow_ids = _sequence_flows(process, activities, transitions, ids)
    _diagram(root, process_id, activities, transitions, flow_ids, ids)
    _xml_safe(root)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# Characters XML 1.0 cannot hold at all (JSON in waymark:field escapes its own).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(root: ET.Element) -> None:
    """Drop from names and texts the few characters no XML file may contain."""
    for element in root.iter():
        if element.text:
            element.text = _NOT_XML.sub("", element.text)
        for name, value in element.attrib.items():
            element.set(name, _NOT_XML.sub("", value))


def _fields(parent: ET.Element, fields: dict[str, Any]) -> None:
    """Waymark-only fields as ``<waymark:field name="...">JSON</waymark:field>``."""
    if not fields:
        return
    extensions = ET.SubElement(parent, q(BPMN, "extensionElements"))
    for name, value in fields.items():
        field = ET.SubElement(extensions, q(WAYMARK, "field"), {"name": name})
        field.text = json.dumps(value, ensure_ascii=False, sort_keys=True)


def _documentation(parent: ET.Element, text: str) -> None:
    if text:
        ET.SubElement(parent, q(BPMN, "documentation")).text = text


def _process_head(process: ET.Element, data: dict[str, Any]) -> None:
    spec = data["process"]
    process.set("name", spec.get("title", ""))
    _documentation(process, spec.get("description", ""))
    fields = {name: value for name, value in spec.items() if name not in ("title", "description")}
    for part in ("version", "triggers"):
        if data.get(part):
            fields[part] = data[part]
    _fields(process, fields)


def _messages(root: ET.Element, activities: list[dict], ids: _Ids) -> dict[str, str]:
    """One ``bpmn:message`` per signal name the version waits for: name -> id."""
    messages: dict[str, str] = {}
    for activity in activities:
        name = activity.get("signal_name", "")
        if activity["kind"] == "signal" and name and name not in messages:
            messages[name] = ids.take(f"Message_{len(messages) + 1}")
            ET.SubElement(root, q(BPMN, "message"), {"id": messages[name], "name": name})
    return messages


def _flow_node(process: ET.Element, activity: dict[str, Any], messages: dict[str, str]) -> None:
    tag, definition = KIND_ELEMENTS.get(activity["kind"], (FALLBACK_ELEMENT, ""))
    node = ET.SubElement(process, q(BPMN, tag), {"id": activity["key"]})
    if activity.get("name"):
        node.set("name", activity["name"])
    _documentation(node, activity.get("description", ""))
    fields = {k: v for k, v in activity.items() if k not in STANDARD_ACTIVITY_FIELDS}
    if activity["kind"] not in KIND_ELEMENTS or activity["kind"] in KEPT_KINDS:
        fields["kind"] = activity["kind"]
    code = activity.get("subprocess_code", "")
    if activity["kind"] == "subprocess" and code and is_ncname(code):
        node.set("calledElement", code)
        fields.pop("subprocess_code")
    _fields(node, fields)
    if definition == "timerEventDefinition":
        _timer(ET.SubElement(node, q(BPMN, definition)), activity)
    elif definition == "messageEventDefinition":
        attrs = {}
        if activity.get("signal_name"):
            attrs["messageRef"] = messages[activity["signal_name"]]
        ET.SubElement(node, q(BPMN, definition), attrs)


def _expression(parent: ET.Element, tag: str, text: str) -> None:
    element = ET.SubElement(parent, q(BPMN, tag), {q(XSI, "type"): "bpmn:tFormalExpression"})
    element.text = text


def _timer(definition: ET.Element, activity: dict[str, Any]) -> None:
    if activity.get("timer_duration"):
        _expression(definition, "timeDuration", iso_duration(activity["timer_duration"]))
    elif activity.get("timer_date_field"):
        _expression(definition, "timeDate", "${" + activity["timer_date_field"] + "}")


def _sequence_flows(
    process: ET.Element, activities: list[dict], transitions: list[dict], ids: _Ids
) -> dict[str, str]:
    """Write the transitions as sequence flows; their XML ids by transition key."""
    kinds = {a["key"]: a["kind"] for a in activities}
    nodes = {node.get("id"): node for node in process}
    flow_ids: dict[str, str] = {}
    for transition in transitions:
        flow_id = ids.take(transition["key"])
        flow_ids[transition["key"]] = flow_id
        flow = ET.SubElement(
            process,
            q(BPMN, "sequenceFlow"),
            {"id": flow_id, "sourceRef": transition["source"], "targetRef": transition["target"]},
        )
        if transition.get("name"):
            flow.set("name", transition["name"])
        fields: dict[str, Any] = {}
        if flow_id != transition["key"]:
            fields["key"] = transition["key"]
        if transition.get("priority"):
            fields["priority"] = transition["priority"]
        source = nodes[transition["source"]]
        if transition.get("default"):
            if kinds[transition["source"]] in DEFAULT_HOLDERS and not source.get("default"):
                source.set("default", flow_id)
            else:
                fields["default"] = True
        _fields(flow, fields)
        if transition.get("condition"):
            _expression(flow, "conditionExpression", transition["condition"])
    return flow_ids


def _diagram(
    root: ET.Element,
    process_id: str,
    activities: list[dict],
    transitions: list[dict],
    flow_ids: dict[str, str],
    ids: _Ids,
) -> None:
    diagram = ET.SubElement(root, q(BPMNDI, "BPMNDiagram"), {"id": ids.take("BPMNDiagram_1")})
    plane = ET.SubElement(
        diagram,
        q(BPMNDI, "BPMNPlane"),
        {"id": ids.take("BPMNPlane_1"), "bpmnElement": process_id},
    )
    centres = layout.centres(activities, transitions)
    boxes = {a["key"]: layout.bounds_of(a["kind"], centres[a["key"]]) for a in activities}
    for activity in activities:
        key = activity["key"]
        shape = ET.SubElement(
            plane, q(BPMNDI, "BPMNShape"), {"id": ids.take(f"{key}_di"), "bpmnElement": key}
        )
        box = boxes[key]
        ET.SubElement(
            shape,
            q(DC, "Bounds"),
            {
                "x": layout.number(box.x),
                "y": layout.number(box.y),
                "width": layout.number(box.width),
                "height": layout.number(box.height),
            },
        )
    for transition in transitions:
        flow_id = flow_ids[transition["key"]]
        edge = ET.SubElement(
            plane, q(BPMNDI, "BPMNEdge"), {"id": ids.take(f"{flow_id}_di"), "bpmnElement": flow_id}
        )
        for x, y in layout.waypoints(boxes[transition["source"]], boxes[transition["target"]]):
            ET.SubElement(edge, q(DI, "waypoint"), {"x": layout.number(x), "y": layout.number(y)})
