"""BPMN 2.0 import: Camunda Modeler files come in, what cannot is listed, bad files are refused."""

from __future__ import annotations

import pytest

from engine.bpmn import import_bpmn, read
from engine.bpmn.schema import schema_errors
from engine.errors import DefinitionFileError
from engine.models import Process, Version
from tests.engine.bpmn_camunda import ORDER_BPMN

pytestmark = pytest.mark.django_db

WRAP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="x">
{body}
</bpmn:definitions>"""


def minimal(*nodes: str, flows: str = "") -> str:
    body = "\n".join(nodes) + flows
    return WRAP.format(body=f'<bpmn:process id="P" isExecutable="true">{body}</bpmn:process>')


def test_the_camunda_file_is_what_that_tool_saves():
    assert schema_errors(ORDER_BPMN) == []


def test_a_camunda_modeler_file_imports_as_a_draft():
    version, _ = import_bpmn(ORDER_BPMN)
    assert (version.process.code, version.process.title) == ("process_order", "Order fulfilment")
    assert version.process.description == "From order to parcel."
    assert version.status == "draft"
    rows = {a.key: a for a in version.activities.all()}
    assert {key: a.kind for key, a in rows.items()} == {
        "StartEvent_1": "start",
        "Activity_Check": "human",
        "Gateway_Ok": "exclusive",
        "Gateway_Split": "parallel",
        "Activity_Reserve": "automatic",
        "Event_Wait": "timer",
        "Event_Paid": "signal",
        "Gateway_Join": "parallel",
        "Activity_Ship": "subprocess",
        "Event_Done": "end",
    }
    check = rows["Activity_Check"]
    assert (check.name, check.roles, check.assignee) == (
        "Check the order",
        ["sales", "managers"],
        "data.owner",
    )
    assert rows["Activity_Reserve"].handler == "shop.reserve"
    assert rows["Event_Wait"].timer_duration == "2h"
    assert rows["Event_Paid"].signal_name == "payment.received"
    assert rows["Activity_Ship"].subprocess_code == "process_shipping"
    # Positions are the centres of the diagram's shapes.
    assert (check.x, check.y) == (320, 220)
    assert (rows["StartEvent_1"].x, rows["StartEvent_1"].y) == (200, 220)


def test_conditions_are_normalized_and_the_default_flow_kept():
    version, _ = import_bpmn(ORDER_BPMN)
    flows = {t.key: t for t in version.transitions.all()}
    assert flows["Flow_Vip"].condition == (
        "instance.data.vip == true and instance.data.amount >= 10"
    )
    assert flows["Flow_Small"].is_default and flows["Flow_Small"].name == "small"
    assert not flows["Flow_Vip"].is_default
    # The flows into the script task go with it.
    assert "Flow_Big" not in flows and "Flow_Script_End" not in flows
    assert len(flows) == 12


def test_every_element_left_behind_is_listed_with_its_reason():
    _, skipped = import_bpmn(ORDER_BPMN)
    listed = {(s.element_id, s.element_type) for s in skipped}
    assert listed == {
        ("Lane_Sales", "lane"),
        ("Activity_Check", "formData"),
        ("Activity_Script", "scriptTask"),
        ("Event_Late", "boundaryEvent"),
        ("TextAnnotation_0q1", "textAnnotation"),
        ("Association_0r1", "association"),
        ("Flow_Big", "sequenceFlow"),
        ("Flow_Script_End", "sequenceFlow"),
    }
    reasons = {(s.element_id, s.element_type): s.reason for s in skipped}
    assert "'Activity_Script', which is not carried over" in reasons[("Flow_Big", "sequenceFlow")]
    assert reasons[("Activity_Script", "scriptTask")] == "Waymark has no such activity"


def test_a_condition_that_does_not_parse_is_kept_as_text_and_listed():
    version, skipped = import_bpmn(
        ORDER_BPMN.replace('targetRef="Activity_Script"', 'targetRef="Event_Done"')
    )
    assert version.transitions.get(key="Flow_Big").condition == "amount > 1000"
    reasons = {(s.element_id, s.element_type): s.reason for s in skipped}
    assert reasons[("Flow_Big", "conditionExpression")].startswith(
        "condition '${amount > 1000}' is not a Waymark condition ("
    )


def test_a_bare_name_in_an_expression_is_read_as_an_outcome_and_said_so():
    xml = minimal(
        '<bpmn:startEvent id="s"/><bpmn:userTask id="u"/><bpmn:endEvent id="e"/>',
        flows=(
            '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="u"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="u" targetRef="e">'
            "<bpmn:conditionExpression>${approved}</bpmn:conditionExpression></bpmn:sequenceFlow>"
        ),
    )
    bpmn = read(xml)
    assert bpmn.definition["transitions"][1]["condition"] == "eq:approved"
    # A bare name in ${} is a variable in Camunda but an outcome in Waymark: said so.
    assert [(s.element_id, s.element_type) for s in bpmn.skipped] == [("f2", "conditionExpression")]
    assert "outcome test 'eq:approved'" in bpmn.skipped[0].reason


def test_in_strict_mode_a_condition_that_does_not_parse_refuses_the_file(settings):
    settings.WAYMARK_CONDITION_STRATEGY = "strict"
    with pytest.raises(DefinitionFileError) as caught:
        import_bpmn(ORDER_BPMN.replace('targetRef="Activity_Script"', 'targetRef="Event_Done"'))
    assert caught.value.problems[0]["loc"] == "Flow_Big.condition"
    assert not Process.objects.exists()


def test_catch_events_and_start_events_with_definitions_waymark_lacks():
    xml = minimal(
        '<bpmn:startEvent id="s"><bpmn:timerEventDefinition>'
        "<bpmn:timeCycle>R3/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>",
        '<bpmn:intermediateCatchEvent id="c"><bpmn:conditionalEventDefinition>'
        "<bpmn:condition>${x}</bpmn:condition></bpmn:conditionalEventDefinition>"
        "</bpmn:intermediateCatchEvent>",
        '<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>P1M</bpmn:timeDuration></bpmn:timerEventDefinition>"
        "</bpmn:intermediateCatchEvent>",
        '<bpmn:receiveTask id="r" messageRef="m"/><bpmn:endEvent id="e"/>',
    ).replace("<bpmn:process", '<bpmn:message id="m" name="ping"/><bpmn:process')
    bpmn = read(xml)
    kinds = {a["key"]: a["kind"] for a in bpmn.definition["activities"]}
    assert kinds == {"s": "start", "t": "timer", "r": "signal", "e": "end"}
    assert bpmn.definition["activities"][2]["signal_name"] == "ping"
    reasons = {(s.element_id, s.element_type): s.reason for s in bpmn.skipped}
    assert set(reasons) == {
        ("s", "timerEventDefinition"),
        ("c", "intermediateCatchEvent"),
        ("t", "timeDuration"),
    }
    assert "'P1M' is not an ISO 8601 duration in weeks, days" in reasons[("t", "timeDuration")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not xml at all", "not well-formed XML"),
        ("<bpmn:definitions", "not well-formed XML"),
        (
            '<svg xmlns="http://www.w3.org/2000/svg"/>',
            "not a BPMN 2.0 file: the root element is 'svg'",
        ),
        (WRAP.format(body=""), "the file holds no process"),
        (
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
            "the file uses a DTD or entities, which are refused",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
            "<d>&b;</d>",
            "the file uses a DTD or entities, which are refused",
        ),
        (minimal('<bpmn:startEvent id="1bad\u00e9"/>'), "cannot be a Waymark key"),
    ],
)
def test_a_bad_file_is_refused_with_the_reason_and_nothing_is_written(text, message):
    with pytest.raises(DefinitionFileError) as caught:
        import_bpmn(text)
    assert message in str(caught.value)
    assert not Process.objects.exists() and not Version.objects.exists()


def test_a_problem_found_by_the_definition_checks_names_the_bpmn_element():
    xml = minimal(
        '<bpmn:startEvent id="s"/><bpmn:callActivity id="call" calledElement="x"/>',
        '<bpmn:serviceTask id="svc"><bpmn:extensionElements>'
        '<waymark:field xmlns:waymark="urn:waymark:bpmn:1" name="retry">{"max_attempts": 0}'
        "</waymark:field></bpmn:extensionElements></bpmn:serviceTask>",
    )
    with pytest.raises(DefinitionFileError) as caught:
        import_bpmn(xml)
    assert caught.value.problems[0]["loc"] == "svc.retry.max_attempts"
    assert not Process.objects.exists()


def test_only_one_process_is_imported_and_the_others_are_listed():
    two = WRAP.format(
        body='<bpmn:process id="A" isExecutable="false"><bpmn:startEvent id="a"/></bpmn:process>'
        '<bpmn:process id="B" isExecutable="true"><bpmn:startEvent id="b"/></bpmn:process>'
    )
    version, skipped = import_bpmn(two)
    assert version.process.code == "b"
    assert [(s.element_id, s.element_type) for s in skipped] == [("A", "process")]


def test_a_camunda_8_job_type_becomes_the_handler():
    xml = minimal(
        '<bpmn:serviceTask id="charge"><bpmn:extensionElements>'
        '<zeebe:taskDefinition xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
        'type="payments.charge" retries="3"/>'
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )
    bpmn = read(xml)
    assert bpmn.definition["activities"][0]["handler"] == "payments.charge"
    assert bpmn.skipped == []


def test_shapes_placed_out_of_this_world_leave_the_activity_unplaced():
    xml = minimal('<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>').replace(
        "</bpmn:definitions>",
        '<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"><bpmndi:BPMNPlane bpmnElement="P">'
        '<bpmndi:BPMNShape bpmnElement="s"><dc:Bounds x="NaN" y="1" width="1" height="1"/>'
        "</bpmndi:BPMNShape>"
        '<bpmndi:BPMNShape bpmnElement="e"><dc:Bounds x="1e308" y="1e308" width="1e308" '
        'height="1"/></bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>'
        "</bpmn:definitions>",
    )
    version, _ = import_bpmn(xml)
    assert list(version.activities.values_list("x", "y")) == [(None, None), (None, None)]


def test_a_waymark_field_nested_too_deeply_is_listed_not_a_crash():
    deep = "[" * 100_000 + "]" * 100_000
    xml = minimal(
        '<bpmn:userTask id="u"><bpmn:extensionElements>'
        f'<waymark:field xmlns:waymark="urn:waymark:bpmn:1" name="roles">{deep}</waymark:field>'
        "</bpmn:extensionElements></bpmn:userTask>"
    )
    bpmn = read(xml)
    assert [(s.element_id, s.reason) for s in bpmn.skipped] == [("u", "not JSON")]


@pytest.mark.parametrize(
    ("text", "filename", "expected"),
    [
        (ORDER_BPMN, "", True),
        (ORDER_BPMN.encode(), "order.txt", True),
        ("<x/>", "order.bpmn", True),
        ("<x/>", "order.XML", True),
        ("description: see http://www.omg.org/spec/BPMN/20100524/MODEL", "", False),
        ('{"format": "waymark.process/1"}', "p.json", False),
        ('<svg xmlns="http://www.w3.org/2000/svg"/>', "", False),
    ],
)
def test_bpmn_is_told_by_the_file_name_or_by_xml_in_the_bpmn_namespace(text, filename, expected):
    from engine.bpmn import looks_like_bpmn

    assert looks_like_bpmn(text, filename) is expected


def test_camunda_candidate_users_and_an_assignee_that_is_no_path():
    xml = minimal(
        '<bpmn:userTask xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="u" '
        'camunda:candidateUsers="ann, bob" camunda:assignee="demo"/>'
        '<bpmn:serviceTask xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="j" '
        'camunda:class="org.example.Pay"/>'
    )
    bpmn = read(xml)
    task, job = bpmn.definition["activities"]
    assert task["allowed_users"] == ["ann", "bob"] and "assignee" not in task
    assert "handler" not in job
    assert [(s.element_id, s.element_type) for s in bpmn.skipped] == [
        ("u", "camunda:assignee"),
        ("j", "camunda:class"),
    ]


@pytest.mark.parametrize(
    ("date", "field"),
    [
        ("${data.due}", "data.due"),
        ("${due}", "due"),
        ("2030-01-01T00:00:00Z", None),
        ("soon", None),
    ],
)
def test_a_timer_date_is_a_data_expression_or_listed(date, field):
    xml = minimal(
        '<bpmn:intermediateCatchEvent id="t"><bpmn:timerEventDefinition>'
        f"<bpmn:timeDate>{date}</bpmn:timeDate></bpmn:timerEventDefinition>"
        "</bpmn:intermediateCatchEvent>"
    )
    bpmn = read(xml)
    assert bpmn.definition["activities"][0].get("timer_date_field") == field
    assert [s.element_type for s in bpmn.skipped] == ([] if field else ["timeDate"])
