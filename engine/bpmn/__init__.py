"""BPMN 2.0: export a version for other modelers, import what they save.

The doors (designer, REST API, management commands) call the two functions
here. Both go through the definition services (``engine.services.definitions``),
so a BPMN import is checked and written exactly as a YAML import is:

- ``export_bpmn(version)``: BPMN 2.0 XML with diagram positions;
- ``import_bpmn(text, ...)``: a new draft (and the process if new), plus the
  list of elements that were not carried over.

The mapping is described in docs/bpmn.md; ``engine.bpmn.mapping`` holds it.
"""

from __future__ import annotations

from engine.bpmn.export import to_xml
from engine.bpmn.import_ import BpmnFile, definition_data, read
from engine.bpmn.mapping import BPMN
from engine.bpmn.nodes import Skipped
from engine.errors import DefinitionFileError
from engine.services import definitions

__all__ = [
    "BpmnFile",
    "Skipped",
    "export_bpmn",
    "import_bpmn",
    "looks_like_bpmn",
    "read",
    "to_xml",
]


def export_bpmn(version) -> str:
    """The version as BPMN 2.0 XML."""
    return to_xml(definitions.export_version(version))


def looks_like_bpmn(text: str | bytes, filename: str = "") -> bool:
    """Whether an uploaded file is meant as BPMN: by its name, else XML in the BPMN namespace."""
    if filename.lower().endswith((".bpmn", ".bpmn2", ".xml")):
        return True
    head = text[:4096]
    if isinstance(head, bytes):
        head = head.decode("utf-8", errors="replace")
    return head.lstrip("\ufeff \t\r\n").startswith("<") and BPMN in head


def import_bpmn(
    source: str | bytes | BpmnFile, *, user=None, publish_it: bool = False, tenant_id: str = ""
) -> tuple[object, list[Skipped]]:
    """Import a BPMN file as a new draft: (the version, what was not carried over).

    All or nothing, like every import: a problem raises DefinitionFileError
    (located by BPMN element id) or ValidationFailed, and nothing is written.
    """
    bpmn = source if isinstance(source, BpmnFile) else read(source)
    try:
        version = definitions.import_definition(
            definition_data(bpmn), user=user, publish_it=publish_it, tenant_id=tenant_id
        )
    except DefinitionFileError as exc:
        raise DefinitionFileError(bpmn.locate(exc.problems)) from exc
    return version, bpmn.skipped
