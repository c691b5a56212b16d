"""One BPMN flow node or sequence flow read into a Waymark activity or transition.

Each reader returns the Waymark fields it could carry over and lists what it
could not (``Skipped``) rather than dropping it silently.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from engine.bpmn.mapping import (
    BPMN,
    CAMUNDA,
    CATCH_KINDS,
    ELEMENT_KINDS,
    FALLBACK_ELEMENT,
    KEPT_KINDS,
    KIND_ELEMENTS,
    KNOWN_KINDS,
    STANDARD_ACTIVITY_FIELDS,
    STANDARD_TRANSITION_FIELDS,
    WAYMARK,
    ZEEBE,
    code_from_id,
    is_bare_name,
    local,
    q,
    quoted,
    unwrap_expression,
    waymark_duration,
)
from engine.core.conditions import ConditionError, check_path, normalize
from engine.core.durations import DurationError
from engine.definition_format import ActivitySpec

# Every other field of the file format travels in waymark:field (new fields too).
ACTIVITY_EXTENSION_FIELDS = set(ActivitySpec.model_fields) - STANDARD_ACTIVITY_FIELDS
TRANSITION_EXTENSION_FIELDS = {"key", "priority", "default"}
# Other tools' extensions that are read into Waymark fields (so not listed as left out).
READ_EXTENSIONS = {(ZEEBE, "taskDefinition")}
EVENT_DEFINITIONS = {
    "timerEventDefinition",
    "messageEventDefinition",
    "signalEventDefinition",
    "errorEventDefinition",
    "escalationEventDefinition",
    "terminateEventDefinition",
    "conditionalEventDefinition",
    "linkEventDefinition",
    "compensateEventDefinition",
    "cancelEventDefinition",
}


@dataclass(frozen=True)
class Skipped:
    """An element (or a part of one) that Waymark does not carry over, and why."""

    element_id: str
    element_type: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.element_id, "type": self.element_type, "reason": self.reason}


@dataclass
class Names:
    """What flow nodes refer to by id: message and signal names."""

    messages: dict[str, str]
    signals: dict[str, str]


def waymark_fields(element: ET.Element, skipped: list[Skipped], allowed: set[str]) -> dict:
    """The ``waymark:field`` values of an element; other extensions are listed as skipped."""
    fields: dict[str, Any] = {}
    element_id = element.get("id", "")
    for extensions in element.findall(q(BPMN, "extensionElements")):
        for child in extensions:
            namespace, name = local(child.tag)
            if (namespace, name) in READ_EXTENSIONS:
                continue
            if namespace != WAYMARK or name != "field":
                skipped.append(Skipped(element_id, name, "extension not used by Waymark"))
                continue
            field = child.get("name", "")
            try:
                value = json.loads(child.text or "")
            except (ValueError, RecursionError):
                skipped.append(Skipped(element_id, f"waymark:field {field}", "not JSON"))
                continue
            if field not in allowed:
                skipped.append(Skipped(element_id, f"waymark:field {field}", "unknown field"))
                continue
            fields[field] = value
    return fields


def _documentation(element: ET.Element) -> str:
    return "\n".join((d.text or "").strip() for d in element.findall(q(BPMN, "documentation")))


def _definitions(element: ET.Element) -> list[ET.Element]:
    return [child for child in element if local(child.tag)[1] in EVENT_DEFINITIONS]


def kind_of(element: ET.Element) -> str | None:
    """The Waymark kind of a flow node, or None when Waymark has no such activity."""
    name = local(element.tag)[1]
    kept = waymark_fields(element, [], {"kind"}).get("kind")
    if name == FALLBACK_ELEMENT:
        return kept if kept in KNOWN_KINDS else None
    if kept in KEPT_KINDS and KIND_ELEMENTS[kept][0] == name:
        return kept  # e.g. a service task that is an HTTP request
    if name == "intermediateCatchEvent":
        definitions = _definitions(element)
        if len(definitions) != 1:
            return None
        return CATCH_KINDS.get(local(definitions[0].tag)[1])
    return ELEMENT_KINDS.get(name)


def read_activity(element: ET.Element, kind: str, names: Names, skipped: list[Skipped]) -> dict:
    """A flow node of a known kind as ``waymark.process/1`` activity data."""
    element_id = element.get("id", "")
    activity: dict[str, Any] = {"key": element_id, "kind": kind}
    if element.get("name"):
        activity["name"] = element.get("name", "").strip()
    if description := _documentation(element):
        activity["description"] = description
    readers = {
        "human": _user_task,
        "automatic": _service_task,
        "timer": _timer,
        "signal": _message_wait,
        "subprocess": _call_activity,
    }
    if kind in readers:
        activity.update(readers[kind](element, names, skipped))
    elif kind in ("start", "end"):
        for definition in _definitions(element):
            reason = f"a Waymark {kind} event has no event definition; imported as a plain {kind}"
            skipped.append(Skipped(element_id, local(definition.tag)[1], reason))
    activity.update(waymark_fields(element, skipped, ACTIVITY_EXTENSION_FIELDS | {"kind"}))
    return activity


def _names(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _user_task(element: ET.Element, names: Names, skipped: list[Skipped]) -> dict:
    fields: dict[str, Any] = {}
    if groups := _names(element.get(q(CAMUNDA, "candidateGroups"))):
        fields["roles"] = groups
    if users := _names(element.get(q(CAMUNDA, "candidateUsers"))):
        fields["allowed_users"] = users
    assignee = element.get(q(CAMUNDA, "assignee"))
    if assignee:
        path = data_path(assignee)
        if path:
            fields["assignee"] = path
        else:
            reason = (
                f"assignee {quoted(assignee)} is not an expression of run data (e.g. "
                "${data.manager}); a fixed user can be one of the allowed users"
            )
            skipped.append(Skipped(element.get("id", ""), "camunda:assignee", reason))
    return fields


def data_path(text: str) -> str:
    """The data path in ``${data.x}`` (as written there), or "" when it is not one.

    Only an expression counts: a bare word is a literal for Camunda (a user
    name, a date), never a field of run data.
    """
    path, wrapped = unwrap_expression(text)
    if not wrapped:
        return ""
    try:
        check_path(path)
    except ConditionError:
        return ""
    return path


def _service_task(element: ET.Element, names: Names, skipped: list[Skipped]) -> dict:
    topic = element.get(q(CAMUNDA, "topic"))
    if topic:
        return {"handler": topic.strip()}
    job = element.find(f"{q(BPMN, 'extensionElements')}/{q(ZEEBE, 'taskDefinition')}")
    if job is not None and job.get("type", "").strip():
        return {"handler": job.get("type", "").strip()}  # a Camunda 8 job worker's type
    for attribute in ("class", "delegateExpression", "expression"):
        if element.get(q(CAMUNDA, attribute)):
            reason = "Java and expression delegates do not run in Waymark: set a handler"
            skipped.append(Skipped(element.get("id", ""), f"camunda:{attribute}", reason))
    return {}


def _timer(element: ET.Element, names: Names, skipped: list[Skipped]) -> dict:
    element_id = element.get("id", "")
    definition = element.find(q(BPMN, "timerEventDefinition"))
    duration = definition.find(q(BPMN, "timeDuration")) if definition is not None else None
    date = definition.find(q(BPMN, "timeDate")) if definition is not None else None
    if duration is not None:
        try:
            return {"timer_duration": waymark_duration(duration.text or "")}
        except DurationError as exc:
            skipped.append(Skipped(element_id, "timeDuration", str(exc)))
            return {}
    if date is not None:
        path = data_path(date.text or "")
        if path:
            return {"timer_date_field": path}
        reason = "a Waymark timer waits until a date held in run data (e.g. ${data.due})"
        skipped.append(Skipped(element_id, "timeDate", reason))
        return {}
    skipped.append(Skipped(element_id, "timeCycle", "repeating timers are not supported"))
    return {}


def _message_wait(element: ET.Element, names: Names, skipped: list[Skipped]) -> dict:
    for tag, ref, known in (
        ("messageEventDefinition", "messageRef", names.messages),
        ("signalEventDefinition", "signalRef", names.signals),
    ):
        definition = element.find(q(BPMN, tag))
        if definition is not None and definition.get(ref) in known:
            return {"signal_name": known[definition.get(ref, "")]}
    if element.get("messageRef") in names.messages:  # a receive task
        return {"signal_name": names.messages[element.get("messageRef", "")]}
    return {}


def _call_activity(element: ET.Element, names: Names, skipped: list[Skipped]) -> dict:
    called = (element.get("calledElement") or "").strip()
    return {"subprocess_code": code_from_id(called)} if called else {}


def read_transition(flow: ET.Element, defaults: set[str], skipped: list[Skipped]) -> dict:
    """A sequence flow as ``waymark.process/1`` transition data."""
    flow_id = flow.get("id", "")
    transition: dict[str, Any] = {
        "key": flow_id,
        "source": flow.get("sourceRef", ""),
        "target": flow.get("targetRef", ""),
    }
    if flow.get("name"):
        transition["name"] = flow.get("name", "").strip()
    expression = flow.find(q(BPMN, "conditionExpression"))
    if expression is not None and (expression.text or "").strip():
        transition["condition"] = _condition(flow_id, expression.text or "", skipped)
    if flow_id in defaults:
        transition["default"] = True
    fields = waymark_fields(flow, skipped, TRANSITION_EXTENSION_FIELDS)
    transition.update({k: v for k, v in fields.items() if k not in STANDARD_TRANSITION_FIELDS})
    if "key" in fields:
        transition["key"] = fields["key"]
    return transition


def _condition(flow_id: str, text: str, skipped: list[Skipped]) -> str:
    """A condition in Waymark's language (normalized); what does not parse is listed."""
    inner, wrapped = unwrap_expression(text)
    try:
        normalized = normalize(inner)
    except ConditionError as exc:
        reason = (
            f"condition {quoted(text)} is not a Waymark condition ({exc}); kept as text, "
            "which is compared with the outcome (docs/conditions.md)"
        )
        skipped.append(Skipped(flow_id, "conditionExpression", reason))
        return inner
    if wrapped and is_bare_name(inner):
        reason = (
            f"{quoted(text)} tests a variable in Camunda; Waymark reads it as the "
            f"outcome test {normalized!r}"
        )
        skipped.append(Skipped(flow_id, "conditionExpression", reason))
    return normalized
