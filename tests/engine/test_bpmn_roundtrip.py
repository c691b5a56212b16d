"""BPMN 2.0 export: valid against the OMG schema, laid out, and lossless when imported back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from engine.bpmn import export_bpmn, import_bpmn, read
from engine.bpmn.mapping import BPMN, BPMNDI, DC, DI, iso_duration, q, waymark_duration
from engine.bpmn.schema import schema_errors
from engine.core.durations import DurationError
from engine.services import definitions as svc

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "engine" / "fixtures" / "demo_expense.yaml"


def graph(version) -> dict:
    """Everything a version holds except its number and status."""
    data = svc.export_version(version)
    data.pop("version")
    return data


def references_resolve(xml: str) -> None:
    """Every reference in the file names an element that exists (XSD leaves IDREFs loose)."""
    root = ET.fromstring(xml)
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    for element in root.iter():
        for attribute in ("sourceRef", "targetRef", "bpmnElement", "default", "messageRef"):
            if element.get(attribute):
                assert element.get(attribute) in ids, (element.tag, attribute)


def thirty_activities() -> dict:
    """A process with every kind of activity, 30 in all, and the trickier transition fields."""
    activities = [{"key": "start", "kind": "start", "name": "Start", "x": 40, "y": 300}]
    transitions = []
    previous = "start"
    for i in range(1, 6):
        activities += [
            {"key": f"review{i}", "kind": "human", "name": f"Review {i}", "outcomes": ["OK", "NO"]},
            {"key": f"choice{i}", "kind": "exclusive", "name": f"Choice {i}"},
            {"key": f"fix{i}", "kind": "automatic", "handler": "demo.pay"},
        ]
        transitions += [
            {"key": f"to_review{i}", "source": previous, "target": f"review{i}"},
            {"key": f"to_choice{i}", "source": f"review{i}", "target": f"choice{i}"},
            {
                "key": f"fix_it{i}",
                "source": f"choice{i}",
                "target": f"fix{i}",
                "condition": "eq:NO",
                "name": "needs a fix",
                "priority": 2,
            },
        ]
        previous = f"choice{i}"
        transitions.append({"key": f"fixed{i}", "source": f"fix{i}", "target": f"review{i}"})
    activities += [
        {"key": "split", "kind": "parallel"},
        {"key": "wait", "kind": "timer", "name": "Cool down", "timer_duration": "36h"},
        {"key": "until", "kind": "timer", "timer_date_field": "data.due"},
        {
            "key": "signal",
            "kind": "signal",
            "name": "Paid?",
            "signal_name": "payment.received",
            "correlation": "data.order_id",
            "signal_timeout": "7d",
        },
        {"key": "child", "kind": "subprocess", "subprocess_code": "child-process"},
        {"key": "digits", "kind": "subprocess", "subprocess_code": "2fa-check"},
        {"key": "join", "kind": "parallel"},
        {
            "key": "pay",
            "kind": "automatic",
            "handler": "demo.pay",
            "description": "Pays.\nTwice if asked.",
            "retry": {"max_attempts": 7, "base_delay": 1.5, "backoff_factor": 3, "max_delay": 60},
            "compensation_handler": "demo.refund",
        },
        {
            "key": "approve",
            "kind": "human",
            "roles": ["approvers"],
            "allowed_users": ["ann"],
            "allowed_groups": ["finance"],
            "assignee": "data.manager",
            "form_schema": {"type": "object", "properties": {"note": {"type": "string"}}},
            "sla_warn": "1d",
            "sla_duration": "2d",
        },
        {"key": "late", "kind": "automatic", "handler": "demo.notify"},
        {"key": "audit", "kind": "automatic", "handler": "demo.audit"},
        {"key": "t_done", "kind": "end", "name": "Done"},
        {"key": "rejected", "kind": "end", "name": "Rejected"},
        {"key": "timed_out", "kind": "end"},
    ]
    for i, activity in enumerate(activities[1:], start=1):
        activity.update(x=40 + 130 * (i % 10), y=100 + 150 * (i // 10) + 0.5)
    branches = ["wait", "until", "signal", "child", "digits"]
    transitions += [
        {"key": "go", "source": "choice5", "target": "split", "condition": "eq:OK"},
        {"key": "stop", "source": "choice1", "target": "rejected", "default": True},
        *({"key": f"s_{b}", "source": "split", "target": b} for b in branches),
        *({"key": f"j_{b}", "source": b, "target": "join"} for b in branches),
        {"key": "j_pay", "source": "join", "target": "pay"},
        {"key": "p_approve", "source": "pay", "target": "approve"},
        # The same key as an activity: the flow gets another XML id, keeps its key.
        {
            "key": "t_done",
            "source": "approve",
            "target": "t_done",
            "condition": "instance.data.amount >= 100 and not instance.data.vip",
        },
        {"key": "otherwise", "source": "approve", "target": "rejected", "default": True},
        {"key": "too_slow", "source": "approve", "target": "late", "condition": "timeout:3d"},
        {"key": "late_audit", "source": "late", "target": "audit"},
        {"key": "late_end", "source": "audit", "target": "timed_out"},
        {"key": "sig_late", "source": "signal", "target": "timed_out", "condition": "timeout:7d"},
        {"key": "wait_default", "source": "wait", "target": "timed_out", "default": True},
    ]
    assert len(activities) == 30
    return {
        "format": "waymark.process/1",
        "process": {
            "code": "thirty",
            "title": "Thirty steps",
            "description": "Every kind.",
            "input_schema": {"type": "object", "properties": {"amount": {"type": "number"}}},
            "singleton_key": "data.order_id",
        },
        "version": {"note": "the big one"},
        "activities": activities,
        "transitions": transitions,
        "triggers": [{"key": "nightly", "kind": "schedule", "cron": "30 7 * * *"}],
    }


def test_the_demo_exports_as_valid_bpmn_and_comes_back_the_same():
    original = svc.import_definition(yaml.safe_load(DEMO.read_text()))
    xml = export_bpmn(original)
    assert schema_errors(xml) == []
    references_resolve(xml)
    again, skipped = import_bpmn(xml)
    assert skipped == []
    assert again.process == original.process and again.number == 2
    assert graph(again) == graph(original)


def test_thirty_activities_of_every_kind_come_back_the_same():
    original = svc.import_definition(thirty_activities())
    xml = export_bpmn(original)
    assert schema_errors(xml) == []
    references_resolve(xml)
    again, skipped = import_bpmn(xml)
    assert skipped == []
    assert graph(again) == graph(original)
    assert again.activities.count() == 30
    assert again.note == "the big one"


def test_the_export_uses_standard_bpmn_where_bpmn_has_a_place():
    root = ET.fromstring(export_bpmn(svc.import_definition(thirty_activities())))
    process = root.find(q(BPMN, "process"))
    by_id = {element.get("id"): element for element in process}
    assert by_id["review1"].tag == q(BPMN, "userTask")
    assert by_id["pay"].tag == q(BPMN, "serviceTask")
    assert by_id["split"].tag == q(BPMN, "parallelGateway")
    assert by_id["choice1"].get("default") == "stop"
    assert by_id["approve"].get("default") == "otherwise"
    duration = by_id["wait"].find(f"{q(BPMN, 'timerEventDefinition')}/{q(BPMN, 'timeDuration')}")
    assert duration.text == "PT36H"
    message_ref = by_id["signal"].find(q(BPMN, "messageEventDefinition")).get("messageRef")
    assert root.find(f"{q(BPMN, 'message')}[@id='{message_ref}']").get("name") == (
        "payment.received"
    )
    assert by_id["child"].get("calledElement") == "child-process"
    # A code that is not an XML name stays in the extension, not in calledElement.
    assert by_id["digits"].get("calledElement") is None
    ends = ("approve", "t_done")
    flow = next(e for e in process if (e.get("sourceRef"), e.get("targetRef")) == ends)
    assert flow.get("id") != "t_done"
    assert flow.find(q(BPMN, "conditionExpression")).text == (
        "instance.data.amount >= 100 and not instance.data.vip"
    )


def test_diagram_positions_are_the_stored_centres():
    version = svc.import_definition(yaml.safe_load(DEMO.read_text()))
    root = ET.fromstring(export_bpmn(version))
    shape = next(s for s in root.iter(q(BPMNDI, "BPMNShape")) if s.get("bpmnElement") == "review")
    bounds = shape.find(q(DC, "Bounds"))
    assert (bounds.get("x"), bounds.get("y"), bounds.get("width"), bounds.get("height")) == (
        "320",
        "120",
        "100",
        "80",
    )
    edges = list(root.iter(q(BPMNDI, "BPMNEdge")))
    assert len(edges) == version.transitions.count()
    assert all(len(edge.findall(q(DI, "waypoint"))) >= 2 for edge in edges)


def test_a_version_without_positions_is_laid_out_by_graphviz():
    data = yaml.safe_load(DEMO.read_text())
    for activity in data["activities"]:
        activity.pop("x"), activity.pop("y")
    version = svc.import_definition(data)
    xml = export_bpmn(version)
    assert schema_errors(xml) == []
    centres = {a["key"]: (a["x"], a["y"]) for a in read(xml).definition["activities"]}
    assert len(centres) == 6 and len(set(centres.values())) == 6
    # Left to right, as the designer draws it.
    assert centres["start"][0] < centres["check"][0] < centres["review"][0] < centres["pay"][0]


@pytest.mark.parametrize(
    ("waymark", "iso"), [("2h", "PT2H"), ("3d", "P3D"), ("1w", "P1W"), ("45s", "PT45S")]
)
def test_durations_translate_both_ways(waymark, iso):
    assert iso_duration(waymark) == iso
    assert waymark_duration(iso) == waymark


@pytest.mark.parametrize("iso", ["P1M", "P1Y", "PT1.5H", "PT0S", "P", "3 days"])
def test_durations_without_a_fixed_length_are_refused(iso):
    with pytest.raises(DurationError):
        waymark_duration(iso)


def test_first_of_is_an_event_based_gateway_and_comes_back():
    data = {
        "format": "waymark.process/1",
        "process": {"code": "race", "title": "Race"},
        "activities": [
            {"key": "s", "kind": "start", "x": 40, "y": 100},
            {"key": "race", "kind": "first_of", "x": 140, "y": 100},
            {"key": "tick", "kind": "timer", "timer_duration": "1d", "x": 240, "y": 40},
            {"key": "paid", "kind": "signal", "signal_name": "paid", "x": 240, "y": 160},
            {"key": "e", "kind": "end", "x": 340, "y": 100},
        ],
        "transitions": [
            {"key": "t0", "source": "s", "target": "race"},
            {"key": "t1", "source": "race", "target": "tick"},
            {"key": "t2", "source": "race", "target": "paid"},
            {"key": "t3", "source": "tick", "target": "e"},
            {"key": "t4", "source": "paid", "target": "e"},
        ],
    }
    original = svc.import_definition(data)
    xml = export_bpmn(original)
    assert schema_errors(xml) == []
    race = next(e for e in ET.fromstring(xml).iter() if e.get("id") == "race")
    assert race.tag == q(BPMN, "eventBasedGateway")
    again, skipped = import_bpmn(xml)
    assert skipped == []
    assert graph(again) == graph(original)


def test_a_kind_bpmn_has_no_element_for_travels_as_a_task_with_its_kind(monkeypatch):
    from engine.bpmn import mapping

    original = svc.import_definition(yaml.safe_load(DEMO.read_text()))
    monkeypatch.delitem(mapping.KIND_ELEMENTS, "human")
    xml = export_bpmn(original)
    review = next(e for e in ET.fromstring(xml).iter() if e.get("id") == "review")
    assert review.tag == q(BPMN, "task")
    assert schema_errors(xml) == []
    again, skipped = import_bpmn(xml)
    assert skipped == []
    assert graph(again) == graph(original)


def test_names_with_markup_and_control_characters_make_valid_xml():
    data = yaml.safe_load(DEMO.read_text())
    data["activities"][2]["name"] = 'Approve <b>&amp;</b> "pay" 💶\x07'
    data["activities"][2]["description"] = "line one\nline\ttwo\x1b"
    data["transitions"][2]["condition"] = "instance.data.note == '<&>'"
    original = svc.import_definition(data)
    xml = export_bpmn(original)
    assert schema_errors(xml) == []
    again, _ = import_bpmn(xml)
    review = again.activities.get(key="review")
    assert review.name == 'Approve <b>&amp;</b> "pay" 💶'
    assert review.description == "line one\nline\ttwo"
    assert again.transitions.get(key="t_approved").condition == "instance.data.note == '<&>'"
