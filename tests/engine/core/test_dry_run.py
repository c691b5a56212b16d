"""The dry-run walk (engine.core.dry_run): pure, on in-memory graphs."""

from __future__ import annotations

import pytest

from engine.core.dry_run import DryRunInputError, dry_run
from tests.engine.core.factories import graph

AMOUNT = graph(
    "start>check, check>big, check>small, big>end, small>end",
    {"check>big": "data.amount >= 1000", "check>small": "data.amount < 1000"},
    check="exclusive",
    big={"kind": "human", "outcomes": ("APPROVED", "REJECTED")},
    small={"kind": "automatic", "handler": "t.pay"},
)


def test_two_sample_inputs_take_different_branches_and_show_every_condition():
    large = dry_run(AMOUNT, {"amount": 5000}, {"big": {"outcome": "APPROVED"}})
    little = dry_run(AMOUNT, {"amount": 10}, {"small": {"output": {"paid": True}}})
    assert large.path() == ["start", "check", "big", "end"]
    assert little.path() == ["start", "check", "small", "end"]
    assert large.state == little.state == "completed"
    (gateway,) = [s for s in large.steps if s.activity == "check"]
    values = {c.transition: (c.condition, c.value, c.taken) for c in gateway.conditions}
    assert values == {
        "check>big": ("data.amount >= 1000", True, True),
        "check>small": ("data.amount < 1000", False, False),
    }
    assert gateway.taken == ["check>big"]
    assert little.data == {"amount": 10, "paid": True}


def test_a_human_task_waits_for_an_outcome_and_refuses_one_it_does_not_have():
    waiting = dry_run(AMOUNT, {"amount": 5000})
    assert waiting.state == "waiting"
    assert waiting.path() == ["start", "check"]
    assert waiting.waiting.activity == "big"
    assert waiting.waiting.needs == "outcome"
    assert waiting.waiting.outcomes == ["APPROVED", "REJECTED"]
    with pytest.raises(DryRunInputError) as refused:
        dry_run(AMOUNT, {"amount": 5000}, {"big": {"outcome": "MAYBE"}})
    assert refused.value.errors[0]["path"] == "answers.big.outcome"


def test_the_outcome_picked_routes_the_run():
    g = graph(
        "start>review, review>yes, review>no, yes>end, no>end2",
        {"review>yes": "eq:APPROVED", "review>no": "eq:REJECTED"},
        review={"kind": "human", "outcomes": ("APPROVED", "REJECTED")},
        yes="automatic",
        no="automatic",
    )
    rejected = dry_run(g, {}, {"review": {"outcome": "REJECTED"}, "no": {"output": {}}})
    assert rejected.path() == ["start", "review", "no", "end2"]
    (review,) = [s for s in rejected.steps if s.activity == "review"]
    assert review.outcome == "REJECTED"
    assert [(c.target, c.value) for c in review.conditions] == [("no", True), ("yes", False)]


def test_the_form_is_checked_and_merged_into_the_data():
    g = graph("start>task, task>end", task={"kind": "human", "form_schema": {"type": "object"}})

    def check(schema, form):
        if "reason" not in form:
            return form, [{"path": "reason", "message": "'reason' is a required property"}]
        return {**form, "checked": True}, []

    with pytest.raises(DryRunInputError) as refused:
        dry_run(g, {}, {"task": {"form": {}}}, check_form=check)
    assert refused.value.errors == [
        {"path": "answers.task.form.reason", "message": "'reason' is a required property"}
    ]
    done = dry_run(g, {"a": 1}, {"task": {"form": {"reason": "ok"}}}, check_form=check)
    assert done.data == {"a": 1, "reason": "ok", "checked": True}


def test_handlers_are_called_only_when_asked():
    calls = []

    def call(activity, data):
        calls.append((activity.handler, data))
        return {"paid": "by handler"}, None

    waiting = dry_run(AMOUNT, {"amount": 1}, call_handler=call)
    assert waiting.state == "waiting" and waiting.waiting.needs == "output"
    sampled = dry_run(AMOUNT, {"amount": 1}, {"small": {"output": {"paid": 1}}}, call_handler=call)
    assert sampled.data["paid"] == 1
    assert calls == []
    asked = dry_run(AMOUNT, {"amount": 1}, {"small": {"call": True}}, call_handler=call)
    assert asked.data["paid"] == "by handler"
    everywhere = dry_run(AMOUNT, {"amount": 1}, call_handlers=True, call_handler=call)
    assert everywhere.state == "completed"
    assert calls == [("t.pay", {"amount": 1}), ("t.pay", {"amount": 1})]


def test_a_failing_handler_ends_the_dry_run_as_failed():
    def call(activity, data):
        raise ConnectionError("no network")

    failed = dry_run(AMOUNT, {"amount": 1}, call_handlers=True, call_handler=call)
    assert failed.state == "failed"
    assert "ConnectionError: no network" in failed.message


def test_timers_and_signals_pass_by_hand_or_by_themselves():
    g = graph(
        "start>wait, wait>sig, sig>end",
        wait={"kind": "timer", "timer_duration": "2d"},
        sig={"kind": "signal", "signal_name": "paid"},
    )
    first = dry_run(g, {})
    assert (first.state, first.waiting.activity, first.waiting.needs) == ("waiting", "wait", "pass")
    by_hand = dry_run(g, {}, {"wait": {"pass": True}, "sig": {"pass": True, "output": {"x": 1}}})
    assert by_hand.state == "completed" and by_hand.data == {"x": 1}
    assert dry_run(g, {}, pass_waits=True).path() == ["start", "wait", "sig", "end"]


def test_a_parallel_split_runs_every_branch_and_the_join_waits_for_all():
    g = graph(
        "start>split, split>a, split>b, a>join, b>join, join>end",
        split="parallel",
        join="parallel",
        a="timer",
        b="timer",
    )
    result = dry_run(g, {}, pass_waits=True)
    assert result.state == "completed"
    assert result.path().count("join") == 1
    assert set(result.path()) == {"start", "split", "a", "b", "join", "end"}
    assert result.path()[-2:] == ["join", "end"]


def test_a_loop_takes_one_answer_per_visit():
    g = graph(
        "start>review, review>review, review>end",
        {"review>review": "eq:AGAIN", "review>end": "eq:DONE"},
        review={"kind": "human", "outcomes": ("AGAIN", "DONE")},
    )
    answers = {"review": [{"outcome": "AGAIN"}, {"outcome": "DONE"}]}
    assert dry_run(g, {}, answers).path() == ["start", "review", "review", "end"]
    endless = dry_run(g, {}, {"review": {"outcome": "AGAIN"}}, max_steps=20)
    assert endless.state == "budget exceeded"


def test_no_way_out_is_stuck_with_the_routing_message():
    g = graph(
        "start>check, check>a, a>end", {"check>a": "data.go == true"}, check="exclusive", a="timer"
    )
    stuck = dry_run(g, {"go": False})
    assert stuck.state == "stuck" and "no default" in stuck.message


@pytest.mark.parametrize(
    ("data", "answers", "path"),
    [
        ([1], None, "data"),
        ({}, [], "answers"),
        ({}, {"nope": {}}, "answers.nope"),
        ({}, {"big": "APPROVED"}, "answers.big"),
        ({}, {"big": {"outcom": "APPROVED"}}, "answers.big.outcom"),
    ],
)
def test_bad_input_says_where(data, answers, path):
    with pytest.raises(DryRunInputError) as refused:
        dry_run(AMOUNT, data, answers)
    assert refused.value.errors[0]["path"] == path


def test_a_first_of_takes_the_wait_that_fires_first():
    g = graph(
        "start>race, race>late, race>paid, late>end, paid>end2",
        race="first_of",
        late={"kind": "timer", "timer_duration": "3d"},
        paid={"kind": "signal", "signal_name": "paid"},
    )
    asked = dry_run(g, {})
    assert asked.waiting.needs == "take" and asked.waiting.choices == ["late", "paid"]
    taken = dry_run(g, {}, {"race": {"take": "paid"}})
    assert taken.path() == ["start", "race", "paid", "end2"]
    assert taken.steps[2].note == "fired first"
    with pytest.raises(DryRunInputError) as refused:
        dry_run(g, {}, {"race": {"take": "end"}})
    assert refused.value.errors[0]["path"] == "answers.race.take"


def test_a_task_left_by_its_timeout():
    g = graph(
        "start>review, review>end, review>chase, chase>end2",
        {"review>chase": "timeout:2d"},
        review={"kind": "human"},
        chase="timer",
    )
    late = dry_run(g, {}, {"review": {"timeout": True}}, pass_waits=True)
    assert late.path() == ["start", "review", "chase", "end2"]
    (review,) = [s for s in late.steps if s.activity == "review"]
    assert [(c.target, c.is_timeout, c.taken) for c in review.conditions] == [
        ("chase", True, True),
        ("end", False, False),
    ]
    with pytest.raises(DryRunInputError) as refused:
        dry_run(g, {}, {"review": {"timeout": True}, "chase": {"timeout": True}})
    assert refused.value.errors[0]["path"] == "answers.chase.timeout"


def test_an_http_request_takes_sample_output_only():
    g = graph("start>call, call>end", call={"kind": "http", "http_url": "https://example.com"})
    waiting = dry_run(g, {}, call_handlers=True, call_handler=lambda a, d: ({}, None))
    assert (waiting.state, waiting.waiting.needs) == ("waiting", "output")
    done = dry_run(g, {}, {"call": {"output": {"status": 200}}})
    assert done.state == "completed" and done.data == {"status": 200}
