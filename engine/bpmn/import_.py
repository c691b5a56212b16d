"""A BPMN 2.0 file (as Camunda Modeler, bpmn.io or Waymark write it) read into Waymark data.

The XML is parsed with defusedxml: no DTD, no entities, nothing fetched.
The result is ``waymark.process/1`` data, imported through the same service
as a YAML file, plus the list of every element that was not carried over
(element id, type, reason). A file that is not BPMN, or holds no process,
raises DefinitionFileError and nothing is written.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from engine.bpmn.mapping import BPMN, BPMNDI, DC, code_from_id, local, q, quoted
from engine.bpmn.nodes import (
    Names,
    Skipped,
    kind_of,
    read_activity,
    read_transition,
    waymark_fields,
)
from engine.definition_format import FORMAT, KEY_PATTERN, MAX_FILE_BYTES
from engine.errors import DefinitionFileError

PROCESS_EXTENSION_FIELDS = {"code", "input_schema", "singleton_key", "version", "triggers"}
# Elements inside a process that carry nothing to lose (or are read elsewhere).
QUIET_PROCESS_CHILDREN = {"documentation", "extensionElements", "sequenceFlow"}
# Root elements read for what flow nodes refer to, or that hold no behaviour.
QUIET_ROOT_CHILDREN = {"process", "collaboration", "message", "signal", "BPMNDiagram"}
_KEY = re.compile(KEY_PATTERN)
# Farther than this from the origin a shape is a broken file, not a diagram: it is left unplaced.
MAX_COORDINATE = 1e7


@dataclass
class BpmnFile:
    """What a BPMN file gives Waymark: the definition and what was left behind."""

    definition: dict[str, Any]
    skipped: list[Skipped] = field(default_factory=list)
    # Whether the file names its Waymark process code (a Waymark export does);
    # otherwise the code is made from the BPMN process id and a door may set it.
    names_code: bool = False

    def locate(self, problems: list[dict[str, str]]) -> list[dict[str, str]]:
        """Problems found in the definition, located by BPMN element id instead of index."""
        located = []
        for problem in problems:
            loc = problem.get("loc", "")
            match = re.match(r"^(activities|transitions)\[(\d+)\](.*)$", loc)
            items = self.definition.get(match.group(1), []) if match else []
            if match and int(match.group(2)) < len(items):
                item = items[int(match.group(2))]
                loc = f"{item.get('_id', item['key'])}{match.group(3)}"
            located.append({**problem, "loc": loc})
        return located


def read(text: str | bytes) -> BpmnFile:
    """Read a BPMN 2.0 file; raise DefinitionFileError when it cannot be one."""
    root = _parse(text)
    if root.tag != q(BPMN, "definitions"):
        namespace, name = local(root.tag)
        where = namespace or "no"
        message = f"not a BPMN 2.0 file: the root element is {quoted(name)} ({where} namespace)"
        raise DefinitionFileError([{"loc": "", "message": message}])
    skipped: list[Skipped] = []
    names = Names(
        messages={m.get("id", ""): m.get("name", "") for m in root.findall(q(BPMN, "message"))},
        signals={s.get("id", ""): s.get("name", "") for s in root.findall(q(BPMN, "signal"))},
    )
    process = _chosen_process(root, skipped)
    for child in root:
        namespace, name = local(child.tag)
        if name not in QUIET_ROOT_CHILDREN:
            skipped.append(Skipped(child.get("id", ""), name, "not used by Waymark"))
    _collaborations(root, skipped)
    activities = _activities(process, names, skipped)
    transitions = _transitions(process, {a["key"] for a in activities}, skipped)
    _place(root, activities)
    _check_keys(activities, transitions)
    definition = {
        "format": FORMAT,
        "process": _process_spec(root, process, skipped),
        "activities": activities,
        "transitions": transitions,
    }
    extra = waymark_fields(process, [], PROCESS_EXTENSION_FIELDS)
    for part in ("version", "triggers"):
        if part in extra:
            definition[part] = extra[part]
    return BpmnFile(definition, skipped, names_code="code" in extra)


def _parse(text: str | bytes) -> ET.Element:
    if len(text) > MAX_FILE_BYTES:
        message = f"the file is larger than {MAX_FILE_BYTES // 1024} KiB"
        raise DefinitionFileError([{"loc": "", "message": message}])
    try:
        return SafeET.fromstring(text, forbid_dtd=True)
    except DefusedXmlException as exc:
        message = f"the file uses a DTD or entities, which are refused ({type(exc).__name__})"
        raise DefinitionFileError([{"loc": "", "message": message}]) from exc
    except ET.ParseError as exc:
        line, column = exc.position
        loc = f"line {line}, column {column + 1}"
        message = f"not well-formed XML ({str(exc).split(':')[0]})"
        raise DefinitionFileError([{"loc": loc, "message": message}]) from exc


def _chosen_process(root: ET.Element, skipped: list[Skipped]) -> ET.Element:
    """The process to import: the first executable one with flow nodes, else the first one."""
    processes = [p for p in root.findall(q(BPMN, "process")) if len(p)]
    if not processes:
        message = "the file holds no process with elements to import"
        raise DefinitionFileError([{"loc": "", "message": message}])
    executable = [p for p in processes if p.get("isExecutable", "false").strip() == "true"]
    chosen = (executable or processes)[0]
    for other in processes:
        if other is not chosen:
            reason = f"one process is imported per file: {quoted(chosen.get('id', ''))} was"
            skipped.append(Skipped(other.get("id", ""), "process", reason))
    return chosen


def _collaborations(root: ET.Element, skipped: list[Skipped]) -> None:
    """Pools (participants) are only the process's frame; anything else is listed."""
    for collaboration in root.findall(q(BPMN, "collaboration")):
        for child in collaboration:
            name = local(child.tag)[1]
            if name not in ("participant", "documentation", "extensionElements"):
                skipped.append(Skipped(child.get("id", ""), name, "not used by Waymark"))


def _activities(process: ET.Element, names: Names, skipped: list[Skipped]) -> list[dict]:
    activities = []
    for child in process:
        name = local(child.tag)[1]
        if name in QUIET_PROCESS_CHILDREN:
            continue
        if name == "laneSet":
            for lane in child.iter(q(BPMN, "lane")):
                reason = "lanes are not carried over (the tasks in them are)"
                skipped.append(Skipped(lane.get("id", ""), "lane", reason))
            continue
        kind = kind_of(child)
        if kind is None:
            skipped.append(Skipped(child.get("id", ""), name, _unsupported_reason(name)))
            continue
        activities.append(read_activity(child, kind, names, skipped))
    return activities


ARTIFACTS = {"textAnnotation", "association", "group"}
DATA = {"dataObject", "dataObjectReference", "dataStoreReference", "property"}


def _unsupported_reason(name: str) -> str:
    if name == "intermediateCatchEvent":
        return "only timer and message (or signal) catch events are supported"
    if name in ARTIFACTS:
        return "annotations are not carried over"
    if name in DATA:
        return "data objects and stores are not carried over (run data has no schema here)"
    return "Waymark has no such activity"


def _transitions(process: ET.Element, carried: set[str], skipped: list[Skipped]) -> list[dict]:
    defaults = {node.get("default", "") for node in process if node.get("default")}
    transitions = []
    for flow in process.findall(q(BPMN, "sequenceFlow")):
        missing = [
            flow.get(end, "") for end in ("sourceRef", "targetRef") if flow.get(end) not in carried
        ]
        if missing:
            reason = f"it joins {quoted(missing[0])}, which is not carried over"
            skipped.append(Skipped(flow.get("id", ""), "sequenceFlow", reason))
            continue
        transition = read_transition(flow, defaults, skipped)
        transition["_id"] = flow.get("id", "")
        transitions.append(transition)
    return transitions


def _place(root: ET.Element, activities: list[dict]) -> None:
    """Positions from the diagram: the centre of each activity's shape."""
    bounds: dict[str, ET.Element] = {}
    for shape in root.iter(q(BPMNDI, "BPMNShape")):
        box = shape.find(q(DC, "Bounds"))
        if box is not None:
            bounds.setdefault(shape.get("bpmnElement", ""), box)
    for activity in activities:
        box = bounds.get(activity["key"])
        if box is None:
            continue
        try:
            x, y, width, height = (float(box.get(a, "")) for a in ("x", "y", "width", "height"))
        except ValueError:
            continue
        centre = (x + width / 2, y + height / 2)
        if all(math.isfinite(c) and abs(c) <= MAX_COORDINATE for c in centre):
            activity["x"], activity["y"] = (round(c, 3) for c in centre)


def _check_keys(activities: list[dict], transitions: list[dict]) -> None:
    """Element ids become keys: one that cannot be a key refuses the file, naming it."""
    problems = []
    for item in [*activities, *transitions]:
        key = item["key"]
        if not isinstance(key, str) or not _KEY.match(key):
            message = (
                f"the id {quoted(str(key))} cannot be a Waymark key (letters, digits, _ . -, "
                "at most 64 characters, not starting with a digit)"
            )
            problems.append({"loc": item.get("_id", str(key)), "message": message})
    if problems:
        raise DefinitionFileError(problems)


def _process_spec(root: ET.Element, process: ET.Element, skipped: list[Skipped]) -> dict:
    process_id = process.get("id", "")
    fields = waymark_fields(process, skipped, PROCESS_EXTENSION_FIELDS)
    title = (process.get("name") or _pool_name(root, process_id) or process_id).strip()
    spec: dict[str, Any] = {"code": fields.get("code") or code_from_id(process_id), "title": title}
    description = "\n".join(
        (d.text or "").strip() for d in process.findall(q(BPMN, "documentation"))
    )
    if description:
        spec["description"] = description
    for name in ("input_schema", "singleton_key"):
        if name in fields:
            spec[name] = fields[name]
    return spec


def _pool_name(root: ET.Element, process_id: str) -> str:
    for participant in root.iter(q(BPMN, "participant")):
        if participant.get("processRef") == process_id:
            return participant.get("name", "")
    return ""


def definition_data(bpmn: BpmnFile) -> dict[str, Any]:
    """The definition without the BPMN ids kept for locating problems."""
    data = dict(bpmn.definition)
    data["transitions"] = [
        {k: v for k, v in t.items() if k != "_id"} for t in bpmn.definition["transitions"]
    ]
    return data
