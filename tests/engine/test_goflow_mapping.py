"""The GoFlow2 mapping on hand-written dumps: ids instead of names, joins, odd conditions."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from engine.goflow.mapping import process_code, to_definition
from engine.goflow.source import GoflowSourceError, read_dump


def record(model, pk, **fields):
    return {"model": f"workflow.{model}" if "." not in model else model, "pk": pk, "fields": fields}


def activity(pk, title, **fields):
    return record("activity", pk, title=title, process=1, **fields)


def link(pk, source, target, condition=""):
    return record("transition", pk, process=1, input=source, output=target, condition=condition)


DUMP = [
    record("auth.group", 7, name="clerks"),
    record("auth.user", 3, username="bob"),
    record("process", 1, title="Leave Request", code=None, begin=2, end=9, status="draft"),
    activity(2, "Ask", roles=[7, 8], allowed_users=[3]),
    activity(4, "Check A", roles=[7]),
    activity(5, "Check B", roles=[7]),
    activity(
        6,
        "Decide",
        roles=[7],
        join_mode="and",
        split_mode="xor",
        sla_duration="2 weeks",
        sla_warn="soon",
    ),
    activity(9, "End", kind="dummy", autostart=True),
    link(1, 2, 4),
    link(2, 2, 5),
    link(3, 4, 6),
    link(4, 5, 6),
    link(5, 6, 9, "instance.condition == 'OK'"),
    link(6, 6, 2, "amount > 5"),
]


def mapped():
    (process,) = read_dump(DUMP)
    return to_definition(process, {process.pk: process_code(process)})


def test_ids_are_named_from_the_dump_and_unknown_ones_are_reported():
    data, notes = mapped()
    ask = next(a for a in data["activities"] if a["name"] == "Ask")
    assert ask["roles"] == ["clerks"] and ask["allowed_users"] == ["bob"]
    assert any("group #8 not named in the dump" in str(n) and n.lost for n in notes)
    assert data["process"]["code"] == "leave-request"


def test_a_task_joining_with_and_gets_a_parallel_gateway_before_it():
    data, _ = mapped()
    kinds = {a["key"]: a["kind"] for a in data["activities"]}
    assert kinds["decide_join"] == "parallel" and kinds["ask_split"] == "parallel"
    pairs = {(t["source"], t["target"]) for t in data["transitions"]}
    assert {
        ("check_a", "decide_join"),
        ("check_b", "decide_join"),
        ("decide_join", "decide"),
    } <= pairs
    assert {("ask", "ask_split"), ("ask_split", "check_a"), ("ask_split", "check_b")} <= pairs


def test_conditions_and_durations_are_normalized_or_reported():
    data, notes = mapped()
    conditions = {(t["source"], t["target"]): t.get("condition", "") for t in data["transitions"]}
    assert conditions[("decide", "end")] == "eq:OK"
    assert conditions[("decide", "ask")] == "amount > 5"  # kept as written, and said
    said = " ".join(str(n) for n in notes)
    assert "condition 'amount > 5' kept as written" in said
    assert "sla_warn 'soon' was left out" in said
    decide = next(a for a in data["activities"] if a["key"] == "decide")
    assert decide["sla_duration"] == "2w" and "sla_warn" not in decide


@pytest.mark.parametrize(
    ("dump", "message"),
    [
        ({"not": "a list"}, "JSON list of records"),
        ([record("auth.group", 1, name="x")], "no workflow.process"),
    ],
)
def test_what_is_not_a_goflow_dump_is_refused(dump, message):
    with pytest.raises(GoflowSourceError, match=message):
        read_dump(dump)


def test_the_command_imports_a_hand_written_dump_and_refuses_bad_input(db, tmp_path, capsys):
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps(DUMP))
    call_command("import_goflow", str(path))
    assert "Imported leave-request v1 (draft)" in capsys.readouterr().out
    path.write_text("{")
    with pytest.raises(CommandError, match="not a JSON dump"):
        call_command("import_goflow", str(path))
    with pytest.raises(CommandError, match="one of them"):
        call_command("import_goflow")
