"""A GoFlow2 project's definitions read from its database, as ``dumpdata`` records.

The database is a second entry of ``DATABASES`` (an alias), read only: the
tables of GoFlow2's workflow app and the names of the groups and users its
activities refer to.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import connections

from engine.goflow.source import GoflowSourceError

TABLES = {
    "workflow.process": "workflow_process",
    "workflow.activity": "workflow_activity",
    "workflow.transition": "workflow_transition",
    "workflow.workflowlayout": "workflow_workflowlayout",
    "workflow.application": "workflow_application",
    "workflow.pushapplication": "workflow_pushapplication",
}
# Many-to-many fields of an activity: (table, column of the other end, names table, name column)
MANY = {
    "roles": ("workflow_activity_roles", "group_id", "auth_group", "name"),
    "allowed_groups": ("workflow_activity_allowed_groups", "group_id", "auth_group", "name"),
    "allowed_users": ("workflow_activity_allowed_users", "user_id", "auth_user", "username"),
    "sla_roles": ("workflow_activity_sla_roles", "group_id", "auth_group", "name"),
}
FOREIGN_KEYS = {
    f"{name}_id"
    for name in ("process", "begin", "end", "input", "output", "subflow", "application")
} | {"push_application_id", "published_by_id"}


def read_database(alias: str) -> list[dict[str, Any]]:
    """The workflow records of the database ``alias``, as dumpdata would write them."""
    if alias not in connections.databases:
        raise GoflowSourceError(f"there is no database {alias!r} in DATABASES.")
    connection = connections[alias]
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
        if TABLES["workflow.process"] not in present:
            raise GoflowSourceError(
                f"the database {alias!r} has no table workflow_process: is it GoFlow2's?"
            )
        records = []
        for model, table in TABLES.items():
            if table in present:
                records += _rows(cursor, connection, model, table)
        many = {name: _pairs(cursor, connection, spec, present) for name, spec in MANY.items()}
    for record in records:
        if record["model"] == "workflow.activity":
            for name, pairs in many.items():
                record["fields"][name] = [[n] for n in pairs.get(record["pk"], [])]
    return records


def _rows(cursor, connection, model: str, table: str) -> list[dict[str, Any]]:
    cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - fixed names
    columns = [c[0] for c in cursor.description]
    records = []
    for row in cursor.fetchall():
        values = dict(zip(columns, row, strict=True))
        # A foreign key column (process_id) is the field (process), as in dumpdata.
        fields = {
            (c.removesuffix("_id") if c in FOREIGN_KEYS else c): v
            for c, v in values.items()
            if c != "id"
        }
        if isinstance(fields.get("layout"), str):  # a JSON column some backends give as text
            fields["layout"] = _json(fields["layout"])
        records.append({"model": model, "pk": values.get("id"), "fields": fields})
    return records


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {}


def _pairs(cursor, connection, spec, present) -> dict[int, list[str]]:
    table, other, names, name = spec
    if table not in present or names not in present:
        return {}
    q = connection.ops.quote_name
    cursor.execute(
        f"SELECT m.activity_id, n.{q(name)} FROM {q(table)} m "  # noqa: S608 - fixed names
        f"JOIN {q(names)} n ON n.id = m.{q(other)} ORDER BY m.id"
    )
    pairs: dict[int, list[str]] = {}
    for activity_id, value in cursor.fetchall():
        pairs.setdefault(activity_id, []).append(value)
    return pairs
