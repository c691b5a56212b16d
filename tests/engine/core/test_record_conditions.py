"""Trigger conditions over a saved record (record.<field>) and record.<field> data values."""

import pytest

from engine.core.conditions import ConditionError, parse
from engine.core.conditions.records import (
    parse_record_condition,
    record_condition_fields,
    record_condition_holds,
)
from engine.core.record_values import data_fields, record_reference, resolve_data

GROUP = {"pk": 7, "name": "vip", "is_active": True, "total": 120.5, "tags": ["a", "b"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("record.name == 'vip'", True),
        ("record.name == 'gold'", False),
        ("record.is_active == true", True),
        ("record.is_active == 1", False),  # true is not 1, as in transitions
        ("record.total >= 100 and record.name in ['vip', 'gold']", True),
        ("not record.is_active", False),
        ("record.missing == null", True),
        ("record.name > 3", False),  # mixed types compare false, never raise
        ("'a' in record.tags", True),
    ],
)
def test_a_condition_is_evaluated_over_the_record(text, expected):
    assert record_condition_holds(text, GROUP) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("instance.condition == 'A'", "record.<field>"),
        ("data.amount > 3", "record.<field>"),
        ("record == 3", "record.<field>"),
        ("record._meta == 3", "may not start with '_'"),
        ("record.name ==", "expected a value"),
    ],
)
def test_a_trigger_condition_names_only_the_record(text, message):
    with pytest.raises(ConditionError) as caught:
        parse_record_condition(text)
    assert message in caught.value.message


def test_the_error_says_where():
    with pytest.raises(ConditionError) as caught:
        parse_record_condition("record.name == 'x' and data.y")
    assert caught.value.position == 23


def test_transition_conditions_do_not_accept_record():
    with pytest.raises(ConditionError):
        parse("record.name == 'vip' and instance.data.x == 1")


def test_the_fields_a_condition_reads():
    text = "record.name == 'vip' and (record.total > 3 or not record.owner.active)"
    assert record_condition_fields(text) == {"name", "total", "owner"}
    assert record_condition_fields("") == set()


def test_record_values_in_data_are_read_from_the_record_and_the_rest_is_literal():
    data = {
        "group_id": "record.pk",
        "name": "record.name",
        "note": "see record.pk",
        "nested": {"ids": ["record.pk", 3]},
        "mode": "nightly",
        "gone": "record.nothing",
    }
    assert resolve_data(data, GROUP) == {
        "group_id": 7,
        "name": "vip",
        "note": "see record.pk",
        "nested": {"ids": [7, 3]},
        "mode": "nightly",
        "gone": None,
    }
    assert data_fields(data) == {"pk", "name", "nothing"}


def test_record_reference():
    assert record_reference("record.pk") == "pk"
    assert record_reference("record.a.b") is None
    assert record_reference("record._x") is None
    assert record_reference(3) is None
