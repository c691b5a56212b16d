"""Checking a BPMN file against the OMG BPMN 2.0 XSDs vendored in ``engine/bpmn/xsd``.

Used by the tests (and by anyone who wants to check a file by hand). It
needs lxml, a test dependency (requirements-dev.txt); Waymark itself never
needs it at run time.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

XSD_DIR = Path(__file__).with_name("xsd")


@cache
def _schema():
    from lxml import etree

    # The XSDs import one another by relative file name; nothing is fetched.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(XSD_DIR / "BPMN20.xsd"), parser))


def schema_errors(text: str | bytes) -> list[str]:
    """Every way ``text`` breaks the BPMN 2.0 schema (empty when it is valid)."""
    from lxml import etree

    data = text.encode("utf-8") if isinstance(text, str) else text
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    document = etree.fromstring(data, parser)
    schema = _schema()
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]
