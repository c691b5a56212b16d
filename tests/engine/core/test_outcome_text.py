"""Conditions compared with the outcome as text, and the data form suggested for them."""

import pytest

from engine.core.conditions import evaluate
from engine.core.graph import Activity, ActivityKind, Graph, Transition
from engine.core.outcome_text import input_fields, suggest, text_conditions


def two_way_graph(condition: str, *, outcomes=(), name="") -> Graph:
    return Graph(
        [
            Activity(key="start", kind=ActivityKind.START, name="Start"),
            Activity(key="review", kind=ActivityKind.HUMAN, name="Review", outcomes=outcomes),
            Activity(key="big", kind=ActivityKind.END, name="Big claim"),
            Activity(key="end", kind=ActivityKind.END, name="End"),
        ],
        [
            Transition(key="t_in", source="start", target="review"),
            Transition(key="t_big", source="review", target="big", condition=condition, name=name),
            Transition(key="t_else", source="review", target="end", is_default=True),
        ],
    )


def test_a_comparison_kept_as_typed_is_listed_with_the_data_form():
    [item] = text_conditions(two_way_graph("amount > 1000"), {"amount"})
    assert item.key == "t_big"
    assert item.arrow == "Review → Big claim"
    assert item.suggestion == "data.amount > 1000"
    assert "compared with the outcome as text" in item.message
    assert item.message.endswith("To test run data, write: data.amount > 1000")
    # The suggestion is what the author meant: it fires on the data.
    assert evaluate(item.suggestion, data={"amount": 2500})
    assert not evaluate("amount > 1000", data={"amount": 2500}, condition="APPROVED")


def test_a_comparison_is_recognised_without_an_input_schema():
    [item] = text_conditions(two_way_graph("amount >= 1000"))
    assert item.suggestion == "data.amount >= 1000"


def test_an_outcome_with_spaces_is_listed_without_a_suggestion():
    [item] = text_conditions(two_way_graph("Needs review", name="Escalate"), {"amount"})
    assert item.arrow == "Escalate (Review → Big claim)"
    assert item.suggestion == ""
    assert "exactly 'Needs review'" in item.message


def test_an_outcome_named_like_an_input_field_is_listed():
    [item] = text_conditions(two_way_graph("eq:urgent"), {"urgent"})
    assert item.suggestion == "data.urgent"
    assert "field of the process input" in item.message


def test_an_outcome_the_task_offers_is_not_listed():
    assert text_conditions(two_way_graph("eq:urgent", outcomes=("urgent",)), {"urgent"}) == []


@pytest.mark.parametrize(
    "condition", ["", "eq:APPROVED", "data.amount > 1000", "timeout:3d", "in:A,B"]
)
def test_parsed_conditions_are_not_listed(condition):
    assert text_conditions(two_way_graph(condition), {"amount"}) == []


def test_nothing_is_compared_as_text_under_strict():
    assert text_conditions(two_way_graph("amount > 1000"), strategy="strict") == []


@pytest.mark.parametrize(
    "text, fields, expected",
    [
        ("amount>1000", (), "data.amount>1000"),
        ("status = approved", (), "data.status == 'approved'"),
        ("amount > 1000 AND vip", ("vip",), "data.amount > 1000 and data.vip"),
        ("region in ['EU', 'US']", (), "data.region in ['EU', 'US']"),
        ("1000 < amount", (), "1000 < data.amount"),
        ("order.total >= 5", ("order",), "data.order.total >= 5"),
        ("Needs review", (), ""),
        ("amount over 1000", ("amount",), ""),
    ],
)
def test_suggest(text, fields, expected):
    assert suggest(text, fields) == expected


@pytest.mark.parametrize(
    "schema, fields",
    [
        ({"type": "object", "properties": {"amount": {}, "vip": {}}}, {"amount", "vip"}),
        ({}, set()),
        (None, set()),
        ({"properties": []}, set()),
    ],
)
def test_input_fields(schema, fields):
    assert input_fields(schema) == fields
