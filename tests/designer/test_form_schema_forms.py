"""Forms drawn from JSON Schema: the fields a designed schema gives, and their checks."""

from __future__ import annotations

from designer.monitoring.schema_forms import SchemaForm, ordered_names, outcome_buttons

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "Your name", "minLength": 2, "maxLength": 40},
        "notes": {"type": "string", "title": "Notes", "x-waymark-widget": "textarea"},
        "amount": {"type": "number", "title": "Amount", "minimum": 1, "maximum": 500},
        "days": {"type": "integer", "title": "Days", "default": 3},
        "start": {"type": "string", "format": "date", "title": "First day"},
        "call": {"type": "string", "format": "date-time", "title": "Call at"},
        "kind": {"type": "string", "enum": ["holiday", "sick"], "default": "sick"},
        "urgent": {"type": "boolean", "title": "Urgent", "description": "tick if so"},
    },
    "required": ["name", "start"],
}


def post(data: dict) -> SchemaForm:
    return SchemaForm(SCHEMA, {f"data-{k}": v for k, v in data.items()}, prefix="data")


def test_each_designed_type_gets_its_own_input():
    html = SchemaForm(SCHEMA, prefix="data").as_div()
    assert 'type="date"' in html
    assert 'type="datetime-local"' in html
    assert "<textarea" in html and 'name="data-notes"' in html
    assert 'type="checkbox"' in html and "tick if so" in html
    assert 'max="500"' in html and 'min="1"' in html
    assert 'maxlength="40"' in html
    # Defaults are the starting values.
    assert 'value="3"' in html
    assert '<option value="&quot;sick&quot;" selected>' in html


def test_bad_date_and_missing_required_are_refused_next_to_their_field():
    form = post({"name": "", "start": "2026-13-45", "amount": "12.5"})
    assert not form.is_valid()
    assert form.errors["name"] == ["This field is required."]
    assert form.errors["start"] == ["Enter a valid date."]
    assert "amount" not in form.errors


def test_limits_are_left_to_the_engine_and_its_errors_go_next_to_the_field():
    form = post({"name": "A", "start": "2026-05-01", "amount": "900"})
    assert form.is_valid()
    form.add_engine_errors([{"path": "amount", "message": "900 is greater than 500"}])
    assert form.errors["amount"] == ["900 is greater than 500"]


def test_values_become_the_json_the_engine_gets():
    form = post(
        {
            "name": "Ada",
            "start": "2026-05-01",
            "call": "2026-05-01T09:30",
            "amount": "12.5",
            "days": "4",
            "kind": '"holiday"',
            "urgent": "on",
        }
    )
    assert form.is_valid(), form.errors
    assert form.data_object() == {
        "name": "Ada",
        "start": "2026-05-01",
        "call": "2026-05-01T09:30:00+00:00",
        "amount": 12.5,
        "days": 4,
        "kind": "holiday",
        "urgent": True,
    }


def test_a_stored_date_time_is_shown_in_the_browser_format():
    form = SchemaForm(SCHEMA, prefix="data", initial={"call": "2026-05-01T09:30:00+00:00"})
    assert 'value="2026-05-01T09:30"' in form.as_div()


def test_outcome_buttons_carry_labels_beside_codes():
    schema = {"x-waymark-outcome-labels": {"APPROVED": "Approve", "REJECTED": " "}}
    assert outcome_buttons(["APPROVED", "REJECTED"], schema) == [
        {"code": "APPROVED", "label": "Approve"},
        {"code": "REJECTED", "label": ""},
    ]
    assert outcome_buttons(["OK"], {}) == [{"code": "OK", "label": ""}]


def test_fields_follow_the_designed_order_whatever_order_the_keys_come_back_in():
    schema = {
        "type": "object",
        "properties": {"b": {"type": "string"}, "a": {"type": "string"}, "c": {}},
        "x-waymark-order": ["a", "b", "gone", "a"],
    }
    assert ordered_names(schema) == ["a", "b", "c"]
    assert list(SchemaForm(schema).fields) == ["a", "b", "c"]
