"""Dry runs of stored versions (engine.runtime.dry_run): real routing, nothing written."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from engine.errors import InvalidData
from engine.handlers import handler
from engine.runtime.dry_run import dry_run_version
from engine.services import definitions
from tests.engine.conftest import transition_specs

pytestmark = pytest.mark.django_db

CALLED = []


@handler("test.dry.pay", reads=["amount"], writes=["paid"])
def pay(ctx):
    """Pays, unless it is a dry run."""
    CALLED.append((ctx.dry_run, dict(ctx.data), ctx.activity_key))
    return {"paid": not ctx.dry_run, "dry": ctx.dry_run}


@pytest.fixture(autouse=True)
def no_calls():
    CALLED.clear()


def expense_draft(code="expense"):
    """start -> route (exclusive on amount) -> review (human) | pay (automatic) -> end."""
    data = {
        "format": "waymark.process/1",
        "process": {
            "code": code,
            "title": "Expense",
            "input_schema": {
                "type": "object",
                "properties": {"amount": {"type": "number"}},
                "required": ["amount"],
            },
        },
        "activities": [
            {"key": "start", "kind": "start", "name": "Start"},
            {"key": "route", "kind": "exclusive", "name": "Route"},
            {
                "key": "review",
                "kind": "human",
                "name": "Review",
                "outcomes": ["APPROVED", "REJECTED"],
                "form_schema": {
                    "type": "object",
                    "properties": {"note": {"type": "string", "minLength": 3}},
                    "required": ["note"],
                },
            },
            {"key": "pay", "kind": "automatic", "name": "Pay", "handler": "test.dry.pay"},
            {"key": "end", "kind": "end", "name": "End"},
        ],
        "transitions": transition_specs(
            [
                {"source": "start", "target": "route", "key": "t_start"},
                {
                    "source": "route",
                    "target": "review",
                    "key": "t_big",
                    "condition": "data.amount >= 1000",
                },
                {"source": "route", "target": "pay", "key": "t_small", "default": True},
                {"source": "review", "target": "pay", "key": "t_ok", "condition": "eq:APPROVED"},
                {"source": "review", "target": "end", "key": "t_no", "condition": "eq:REJECTED"},
                {"source": "pay", "target": "end", "key": "t_paid"},
            ]
        ),
    }
    return definitions.import_definition(data, publish_it=False)


def row_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in apps.get_app_config("engine").get_models()}


def test_a_draft_runs_dry_with_real_routing_and_writes_nothing():
    draft = expense_draft()
    before = row_counts()
    big = dry_run_version(
        draft,
        {"amount": 5000},
        {"review": {"outcome": "APPROVED", "form": {"note": "fine"}}, "pay": {"call": True}},
    )
    small = dry_run_version(draft, {"amount": 20}, {"pay": {"output": {"paid": "sample"}}})
    assert row_counts() == before
    assert big.path() == ["start", "route", "review", "pay", "end"]
    assert small.path() == ["start", "route", "pay", "end"]
    (route,) = [s for s in big.steps if s.activity == "route"]
    assert [(c.target, c.value, c.taken) for c in route.conditions] == [
        ("review", True, True),
        ("pay", None, False),  # the default: not evaluated
    ]
    assert big.data == {"amount": 5000, "note": "fine", "paid": False, "dry": True}
    assert small.data == {"amount": 20, "paid": "sample"}
    assert CALLED == [(True, {"amount": 5000, "note": "fine"}, "pay")]  # once, when asked


def test_the_handler_is_not_called_unless_asked():
    draft = expense_draft()
    waiting = dry_run_version(draft, {"amount": 20})
    assert waiting.state == "waiting"
    assert (waiting.waiting.activity, waiting.waiting.needs) == ("pay", "output")
    assert waiting.waiting.handler == "test.dry.pay"
    assert CALLED == []
    called = dry_run_version(draft, {"amount": 20}, call_handlers=True)
    assert called.state == "completed" and called.data["dry"] is True


def test_sample_data_is_checked_against_the_input_schema():
    draft = expense_draft()
    with pytest.raises(InvalidData) as refused:
        dry_run_version(draft, {"amount": "lots"})
    assert refused.value.errors[0]["path"] == "data.amount"
    with pytest.raises(InvalidData):
        dry_run_version(draft, [1, 2])


def test_the_form_is_checked_against_the_task_schema():
    draft = expense_draft()
    with pytest.raises(InvalidData) as refused:
        dry_run_version(draft, {"amount": 5000}, {"review": {"outcome": "APPROVED", "form": {}}})
    assert refused.value.errors == [
        {"path": "answers.review.form.note", "message": "'note' is a required property"}
    ]


def test_an_unregistered_handler_fails_the_dry_run_with_the_registry_message():
    draft = expense_draft()
    definitions.update_activity(draft.activities.get(key="pay"), handler="nobody.registered")
    failed = dry_run_version(draft, {"amount": 1}, call_handlers=True)
    assert failed.state == "failed"
    assert "'nobody.registered' is not registered" in failed.message


def test_the_command_prints_the_path_and_the_condition_values(tmp_path, capsys):
    expense_draft()
    answers = tmp_path / "answers.json"
    answers.write_text(
        json.dumps({"review": {"outcome": "REJECTED", "form": {"note": "too much"}}})
    )
    before = row_counts()
    call_command("dry_run", "expense", "1", "--data", '{"amount": 5000}', "--answers", str(answers))
    out = capsys.readouterr().out
    assert row_counts() == before
    assert "2. Route [exclusive]" in out
    assert "to review: instance.data.amount >= 1000 = true  <- taken" in out
    assert "to pay: always = default" in out
    assert "4. End [end]: the run ends" in out
    assert "State: completed" in out


def test_the_command_says_what_a_wait_needs_and_refuses_bad_input(capsys):
    expense_draft()
    call_command("dry_run", "expense", "1", "--data", '{"amount": 1}')
    assert "Waiting at 'Pay' for its output" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--data is not valid JSON"):
        call_command("dry_run", "expense", "1", "--data", "{amount")
    with pytest.raises(CommandError, match="data.amount"):
        call_command("dry_run", "expense", "1", "--data", "{}")
    with pytest.raises(CommandError, match="has no version 7"):
        call_command("dry_run", "expense", "7")
