"""What each Waymark element becomes in BPMN 2.0, and back: one table both ways read.

Pure Python. Export and import both read these tables, so a kind mapped
one way is mapped the same way back.

Fields BPMN has a place for travel in standard elements (names,
documentation, timer and message definitions, called elements, conditions,
default flows, diagram positions); every other Waymark field travels in
``<waymark:field name="...">JSON</waymark:field>`` inside
``extensionElements``, which other modelers keep untouched.
"""

from __future__ import annotations

import re

from engine.core.durations import UNITS, DurationError, normalize_duration
from engine.core.graph import ActivityKind

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"  # Camunda 7
ZEEBE = "http://camunda.org/schema/zeebe/1.0"  # Camunda 8
WAYMARK = "urn:waymark:bpmn:1"

PREFIXES = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI, "waymark": WAYMARK}


def q(namespace: str, name: str) -> str:
    """A qualified name in ElementTree's ``{namespace}name`` spelling."""
    return f"{{{namespace}}}{name}"


def local(tag: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


# Activity kind -> (BPMN element, event definition or "").
KIND_ELEMENTS: dict[str, tuple[str, str]] = {
    "start": ("startEvent", ""),
    "end": ("endEvent", ""),
    "human": ("userTask", ""),
    "automatic": ("serviceTask", ""),
    "exclusive": ("exclusiveGateway", ""),
    "parallel": ("parallelGateway", ""),
    "timer": ("intermediateCatchEvent", "timerEventDefinition"),
    "signal": ("intermediateCatchEvent", "messageEventDefinition"),
    "subprocess": ("callActivity", ""),
    # Waits for whichever of the events after it happens first, as Waymark's first_of does.
    "first_of": ("eventBasedGateway", ""),
    # An HTTP request is a service task; its kind is kept in waymark:field name="kind".
    "http": ("serviceTask", ""),
}
# Kinds that share their element with another kind: told apart by the kept kind.
KEPT_KINDS = {"http"}
# A kind this table does not know yet is written as a plain task, its kind kept in
# waymark:field name="kind", and read back from there.
FALLBACK_ELEMENT = "task"
KNOWN_KINDS = {kind.value for kind in ActivityKind}

# BPMN element -> kind, for elements whose kind needs no event definition.
ELEMENT_KINDS: dict[str, str] = {
    element: kind
    for kind, (element, definition) in KIND_ELEMENTS.items()
    if not definition and kind in KNOWN_KINDS and kind not in KEPT_KINDS
}
ELEMENT_KINDS["receiveTask"] = "signal"  # waits for a message, as a signal wait does
# An intermediate catch event's kind comes from its event definition.
CATCH_KINDS = {
    "timerEventDefinition": "timer",
    "messageEventDefinition": "signal",
    "signalEventDefinition": "signal",
}

# Sources whose BPMN element may name a default flow (the ``default`` attribute).
DEFAULT_HOLDERS = {"human", "automatic", "subprocess", "exclusive"}

# Waymark fields carried by standard BPMN, never by waymark:field.
STANDARD_ACTIVITY_FIELDS = {
    "key",
    "kind",
    "name",
    "description",
    "x",
    "y",
    "timer_duration",
    "timer_date_field",
    "signal_name",
}
STANDARD_TRANSITION_FIELDS = {"key", "source", "target", "name", "condition"}

# Diagram sizes by kind (bpmn.io's defaults), width x height.
SIZES: dict[str, tuple[float, float]] = {
    "start": (36, 36),
    "end": (36, 36),
    "timer": (36, 36),
    "signal": (36, 36),
    "exclusive": (50, 50),
    "parallel": (50, 50),
}
TASK_SIZE = (100.0, 80.0)


def size_of(kind: str) -> tuple[float, float]:
    width, height = SIZES.get(kind, TASK_SIZE)
    return float(width), float(height)


# Durations --------------------------------------------------------------------------

_ISO_UNITS = {
    "w": ("P", "W"),
    "d": ("P", "D"),
    "h": ("PT", "H"),
    "m": ("PT", "M"),
    "s": ("PT", "S"),
}
_ISO_DURATION = re.compile(
    r"^P(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)


def iso_duration(text: str) -> str:
    """A Waymark duration (``2h``) as ISO 8601 (``PT2H``)."""
    canonical = normalize_duration(text)
    amount, letter = canonical[:-1], canonical[-1]
    prefix, suffix = _ISO_UNITS[letter]
    return f"{prefix}{amount}{suffix}"


def waymark_duration(text: str) -> str:
    """An ISO 8601 duration (``P1DT12H``) as a Waymark duration (``36h``).

    Years and months have no fixed length and fractions have no Waymark
    spelling: both raise DurationError.
    """
    match = _ISO_DURATION.match(text.strip().upper())
    if match is None or text.strip().upper() in {"P", "PT"} or text.strip().upper().endswith("T"):
        raise DurationError(
            f"{quoted(text)} is not an ISO 8601 duration in weeks, days, hours, minutes "
            "or seconds (e.g. PT2H, P3D)"
        )
    seconds = sum(int(value) * UNITS[unit] for unit, value in match.groupdict().items() if value)
    for letter in ("w", "d", "h", "m", "s"):
        if seconds and seconds % UNITS[letter] == 0:
            return normalize_duration(f"{seconds // UNITS[letter]}{letter}")
    raise DurationError(f"{quoted(text)} is a zero duration")


# Conditions and expressions --------------------------------------------------------

_EXPRESSION = re.compile(r"^\s*[$#]\{(?P<inner>.*)\}\s*$", re.DOTALL)
_BARE_NAME = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*$")


def unwrap_expression(text: str) -> tuple[str, bool]:
    """``${x}`` or ``#{x}`` (as Camunda writes expressions) -> (``x``, True); else (text, False)."""
    match = _EXPRESSION.match(text)
    if match is None:
        return text.strip(), False
    return match.group("inner").strip(), True


def is_bare_name(text: str) -> bool:
    return bool(_BARE_NAME.match(text))


def quoted(text: str, limit: int = 80) -> str:
    """Text from a file, quoted for a message and cut short (files may hold anything)."""
    text = text.strip()
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def code_from_id(process_id: str) -> str:
    """A process code from a BPMN process id (``Process_Order-1`` -> ``process_order-1``)."""
    code = re.sub(r"[^a-z0-9_\-]+", "-", process_id.lower()).strip("-_")
    return code[:64] or "imported-process"


_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def is_ncname(text: str) -> bool:
    """Whether ``text`` may stand as an XML id (and a QName without a prefix)."""
    return bool(_NCNAME.match(text))
