"""JSON Schemas never fetch, resolve only inside themselves, match patterns in linear time.

The sentinel (tests/schema_sentinel.py) is a real HTTP server on 127.0.0.1 and
a real file holding a secret schema: whatever a door does with a schema that
names them, the server gets no request and the secret appears in no answer.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from engine.definition_format import DefinitionFileError
from engine.errors import InvalidData
from engine.models import Activity, Process, ProcessInstance, WorkItemState
from engine.models.definitions import clear_graph_cache
from engine.schemas import apply_defaults, check_schema, validate
from engine.services import definitions as svc
from tests.engine.conftest import deploy
from tests.schema_sentinel import OUTSIDE, SECRET

# The checks themselves ----------------------------------------------------------------


def test_outside_references_are_refused_with_a_clear_message(outside_refs):
    for ref in outside_refs:
        problems = check_schema({"$ref": ref})
        assert problems == [f"$ref {ref!r} {OUTSIDE}."]
        nested = check_schema({"properties": {"boss": {"$ref": ref}}})
        assert nested == [f"properties.boss: $ref {ref!r} {OUTSIDE}."]


def test_a_reference_hidden_behind_an_inner_one_is_found(sentinel):
    schema = {"$ref": "#/x", "x": {"$ref": sentinel.url}}
    assert OUTSIDE in check_schema(schema)[0]
    assert sentinel.requests == []


def test_references_inside_the_schema_work():
    schema = {
        "$defs": {"money": {"type": "number", "minimum": 0}},
        "properties": {"amount": {"$ref": "#/$defs/money"}},
    }
    assert check_schema(schema) == []
    assert validate(schema, {"amount": 3}) == []
    assert validate(schema, {"amount": -1}) == [
        {"path": "amount", "message": "-1 is less than the minimum of 0"}
    ]


def test_an_unresolvable_reference_is_refused():
    problems = check_schema({"properties": {"a": {"$ref": "#/definitions/nope"}}})
    assert problems == [
        "properties.a: $ref '#/definitions/nope' does not point at anything in this schema: "
        "add what it names (e.g. under $defs) or correct the reference."
    ]


def test_a_reference_loop_that_never_reaches_the_data_is_refused():
    # Validating against these would recurse forever; a tree of references is fine.
    for schema in (
        {"$ref": "#"},
        {
            "$defs": {"a": {"allOf": [{"$ref": "#/$defs/a"}]}},
            "properties": {"x": {"$ref": "#/$defs/a"}},
        },
    ):
        assert "back to where it started without going into the data" in check_schema(schema)[0]
    tree = {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}}
    assert check_schema(tree) == []
    assert validate(tree, {"children": [{"children": [{"children": 3}]}]}) == [
        {"path": "children.0.children.0.children", "message": "3 is not of type 'array'"}
    ]


def test_the_meta_schema_of_the_declared_draft_is_checked():
    assert check_schema({"properties": {"a": {"type": "nope"}}}) == [
        "properties.a.type: 'nope' is not one of "
        "['array', 'boolean', 'integer', 'null', 'number', 'object', 'string']"
    ]
    draft4 = {"$schema": "http://json-schema.org/draft-04/schema#", "exclusiveMinimum": 3}
    assert "exclusiveMinimum: 3 is not of type 'boolean'" in check_schema(draft4)
    unknown = check_schema({"$schema": "https://example.com/my-draft"})
    assert "is not a JSON Schema draft Waymark knows" in unknown[0]
    assert check_schema([1]) == ["A JSON Schema must be a JSON object ({...})."]


def test_patterns_re2_cannot_run_in_linear_time_are_refused():
    problems = check_schema({"properties": {"code": {"type": "string", "pattern": "(?=x)a"}}})
    assert problems[0].startswith("properties.code.pattern: pattern '(?=x)a' cannot be used")
    assert "linear time (RE2)" in problems[0]
    assert "patternProperties" in check_schema({"patternProperties": {"(a)\\1": {}}})[0]


def test_a_catastrophic_pattern_answers_correctly():
    # With Python's re this call would take hours; RE2 answers at once.
    schema = {"properties": {"name": {"type": "string", "pattern": "^(a+)+$"}}}
    assert check_schema(schema) == []
    assert validate(schema, {"name": "a" * 40}) == []
    assert validate(schema, {"name": "a" * 40 + "!"}) == [
        {"path": "name", "message": f"'{'a' * 40}!' does not match '^(a+)+$'"}
    ]
    keys = {"patternProperties": {"^(a+)+$": {"type": "integer"}}}
    assert validate(keys, {"a" * 40: "text", "a" * 40 + "!": "ok"}) == [
        {"path": "a" * 40, "message": "'text' is not of type 'integer'"}
    ]


def test_formats_are_checked():
    schema = {
        "properties": {
            "day": {"type": "string", "format": "date"},
            "at": {"type": "string", "format": "date-time"},
            "mail": {"type": "string", "format": "email"},
        }
    }
    good = {"day": "2026-02-28", "at": "2026-02-28T09:30:00+01:00", "mail": "ana@example.com"}
    assert validate(schema, good) == []
    bad = {"day": "2026-02-30", "at": "tomorrow at nine", "mail": "ana at example"}
    assert validate(schema, bad) == [
        {"path": "at", "message": "'tomorrow at nine' is not a 'date-time'"},
        {"path": "day", "message": "'2026-02-30' is not a 'date'"},
        {"path": "mail", "message": "'ana at example' is not a 'email'"},
    ]


def test_defaults_fill_missing_properties_only():
    schema = {
        "properties": {
            "priority": {"type": "string", "default": "normal"},
            "tags": {"type": "array", "default": []},
            "address": {"type": "object", "properties": {"country": {"default": "BE"}}},
        }
    }
    assert apply_defaults(schema, {"priority": "high", "address": {}}) == {
        "priority": "high",
        "tags": [],
        "address": {"country": "BE"},
    }
    filled = apply_defaults(schema, {})
    filled["tags"].append("x")
    assert apply_defaults(schema, {})["tags"] == []  # each run gets its own copy


# Doors where a schema is saved ----------------------------------------------------------


def test_the_service_refuses_outside_references(db, outside_refs):
    for ref in outside_refs:
        with pytest.raises(svc.DefinitionError, match="points outside this schema") as info:
            svc.create_process("orders", "Orders", input_schema={"$ref": ref})
        assert info.value.field == "input_schema"
    assert not Process.objects.exists()
    process = svc.create_process("orders", "Orders")
    draft = process.versions.get()
    with pytest.raises(svc.DefinitionError, match="points outside this schema"):
        svc.update_process(process, input_schema={"$ref": outside_refs[1]})
    with pytest.raises(svc.DefinitionError, match="points outside this schema"):
        svc.add_activity(draft, "human", key="check", form_schema={"$ref": outside_refs[0]})
    check = svc.add_activity(draft, "human", key="check")
    with pytest.raises(svc.DefinitionError, match="does not point at anything"):
        svc.update_activity(check, form_schema={"$ref": "#/definitions/nope"})
    process.refresh_from_db()
    check.refresh_from_db()
    assert (process.input_schema, check.form_schema) == ({}, {})


def test_an_import_with_outside_references_writes_nothing(db, outside_refs):
    data = {
        "format": "waymark.process/1",
        "process": {"code": "orders", "title": "Orders", "input_schema": {"$ref": outside_refs[0]}},
        "activities": [
            {"key": "start", "kind": "start"},
            {"key": "check", "kind": "human", "form_schema": {"$ref": outside_refs[1]}},
            {"key": "end", "kind": "end"},
        ],
        "transitions": [
            {"key": "t1", "source": "start", "target": "check"},
            {"key": "t2", "source": "check", "target": "end"},
        ],
    }
    with pytest.raises(DefinitionFileError) as info:
        svc.import_definition(data)
    where = {p["loc"]: p["message"] for p in info.value.problems}
    assert OUTSIDE in where["process.input_schema"]
    assert OUTSIDE in where["activities[1].form_schema"]
    assert SECRET not in str(info.value)
    assert not Process.objects.exists()


def test_the_admin_refuses_outside_references(admin_user_client, outside_refs):
    response = admin_user_client.post(
        reverse("admin:engine_process_add"),
        {
            "code": "orders",
            "title": "Orders",
            "input_schema": json.dumps({"$ref": outside_refs[0]}),
        },
    )
    assert response.status_code == 200
    assert "points outside this schema" in response.content.decode()
    assert not Process.objects.exists()

    draft = svc.create_process("orders", "Orders").versions.get()
    check = svc.add_activity(draft, "human", key="check", name="Check")
    form = {
        "version": draft.pk,
        "key": "check",
        "kind": "human",
        "name": "Check",
        "retry_max_attempts": 3,
        "retry_base_delay": 2,
        "retry_backoff_factor": 2,
        "retry_max_delay": 300,
        "roles": "[]",
        "allowed_users": "[]",
        "allowed_groups": "[]",
        "outcomes": "[]",
        "form_schema": json.dumps({"$ref": outside_refs[1]}),
    }
    url = reverse("admin:engine_activity_change", args=[check.pk])
    response = admin_user_client.post(url, form)
    assert response.status_code == 200
    assert "points outside this schema" in response.content.decode()
    check.refresh_from_db()
    assert check.form_schema == {}


# Run time: a schema stored before these checks ----------------------------------------


def _store_input_schema(code: str, schema: dict) -> None:
    """Write a schema as an older release left it: an UPDATE, no save (so no signal).

    Starts read a process through a per-process cache that saves clear; a bare
    UPDATE does not, so it is forgotten here as a save would.
    """
    from engine.services.processes import forget_startable

    Process.objects.filter(code=code).update(input_schema=schema)
    forget_startable()


def test_a_stored_outside_reference_is_a_clear_error_at_start(wm, outside_refs):
    deploy([], ["start>end"], code="legacy")
    for ref in outside_refs:
        _store_input_schema("legacy", {"$ref": ref})
        with pytest.raises(InvalidData, match="the schema itself is invalid") as info:
            wm.start_run("legacy", {"amount": 1})
        assert OUTSIDE in str(info.value)
        assert SECRET not in str(info.value) and SECRET not in json.dumps(info.value.errors)
    _store_input_schema("legacy", {"$ref": "#/definitions/nope"})
    with pytest.raises(InvalidData, match="does not point at anything"):
        wm.start_run("legacy", {})
    assert not ProcessInstance.objects.exists()


def test_a_stored_outside_reference_in_a_form_is_a_clear_error_on_complete(
    wm, outside_refs, approvers, bob
):
    approvers.user_set.add(bob)
    deploy(
        [{"key": "check", "kind": "human", "roles": ["approvers"]}], ["start>check", "check>end"]
    )
    Activity.objects.filter(key="check").update(form_schema={"$ref": outside_refs[1]})
    clear_graph_cache()
    run = wm.start_run(Process.objects.get().code)
    task = run.workitems.get(activity_key="check")
    with pytest.raises(InvalidData, match="points outside this schema") as info:
        wm.complete(task, user=bob, data={"ok": True})
    assert SECRET not in str(info.value)
    task.refresh_from_db()
    assert task.state == WorkItemState.OFFERED


def test_defaults_are_applied_to_a_started_run_and_a_completed_form(wm, approvers, bob):
    approvers.user_set.add(bob)
    deploy(
        [
            {
                "key": "check",
                "kind": "human",
                "roles": ["approvers"],
                "form_schema": {"properties": {"verdict": {"type": "string", "default": "ok"}}},
            }
        ],
        ["start>check", "check>end"],
        code="defaults",
        input_schema={
            "type": "object",
            "required": ["priority"],
            "properties": {
                "priority": {"enum": ["low", "normal", "high"], "default": "normal"},
                "amount": {"type": "number"},
            },
        },
    )
    run = wm.start_run("defaults", {"amount": 5})
    run.refresh_from_db()
    assert run.data == {"amount": 5, "priority": "normal"}
    task = run.workitems.get(activity_key="check")
    wm.complete(task, user=bob, data={})
    run.refresh_from_db()
    task.refresh_from_db()
    assert task.form_data == {"verdict": "ok"}
    assert run.data["verdict"] == "ok"
