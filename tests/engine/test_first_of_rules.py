"""The "wait for the first" kind in the table, the validator (WM127), the router and the drawing."""

import pytest

from engine.core.graph import ActivityKind
from engine.core.kinds import Wake, kind_spec
from engine.core.routing import simulate
from engine.core.validation import validate
from engine.drawing import version_dot
from engine.errors import ValidationFailed
from tests.engine.conftest import deploy
from tests.engine.core.factories import graph

TIMER = {"kind": "timer", "timer_duration": "1d"}
SIGNAL = {"kind": "signal", "signal_name": "go"}


def problems(g, code="WM127"):
    return [p for p in validate(g) if p.code == code]


def test_the_kind_waits_for_the_first_and_has_no_fields_of_its_own():
    spec = kind_spec("first_of")
    assert spec.label == "Wait for the first"
    assert spec.wakes == Wake.FIRST and not spec.passes_through
    assert spec.fields == () and not spec.can_time_out


def test_a_gateway_to_a_timer_and_a_signal_wait_is_valid():
    g = graph(
        "start>f, f>t, f>s, t>end, s>end",
        f="first_of",
        t=TIMER,
        s=SIGNAL,
    )
    assert validate(g) == []  # (no WM125 for its two unconditional ways out either)


def test_a_gateway_needs_two_ways_out():
    g = graph("start>f, f>t, t>end", f="first_of", t=TIMER)
    [problem] = problems(g)
    assert problem.key == "f" and "1 way(s) lead out" in problem.message
    assert "at least two" in problem.hint


@pytest.mark.parametrize(
    ("conditions", "defaults", "said"),
    [
        ({"f>s": "data.vip == true"}, (), "the condition 'data.vip == true'"),
        ({}, ("f>s",), "a default mark"),
    ],
)
def test_no_condition_or_default_on_its_ways_out(conditions, defaults, said):
    g = graph(
        "start>f, f>t, f>s, t>end, s>end",
        conditions,
        defaults,
        f="first_of",
        t=TIMER,
        s=SIGNAL,
    )
    [problem] = problems(g)
    assert said in problem.message and "the first wait to fire decides" in problem.message


def test_only_timers_and_signal_waits_follow_it():
    g = graph("start>f, f>t, f>h, t>end, h>end", f="first_of", t=TIMER, h="human")
    [problem] = problems(g)
    assert "'h' is a human task; only a timer or a wait for signal" in problem.message


def test_its_waits_are_reached_from_it_alone():
    g = graph(
        "start>x, x>f, x>s, f>t, f>s, t>end, s>end",
        {"x>s": "data.skip == true"},
        ("x>f",),
        x="exclusive",
        f="first_of",
        t=TIMER,
        s=SIGNAL,
    )
    [problem] = problems(g)
    assert "'s' is reached from elsewhere too" in problem.message


def test_a_timeout_out_of_it_is_refused():
    g = graph(
        "start>f, f>t, f>s, t>end, s>end", {"f>s": "timeout:1d"}, f="first_of", t=TIMER, s=SIGNAL
    )
    assert {p.code for p in validate(g)} >= {"WM120", "WM127"}


def test_a_simulated_run_takes_the_first_way_out_in_evaluation_order():
    g = graph("start>f, f>t, f>s, t>end, s>end", f="first_of", t=TIMER, s=SIGNAL)
    result = simulate(g)  # (priority, then key: 'f>s' before 'f>t')
    assert result.state == "completed" and result.visited == ["start", "f", "s", "end"]


def test_publishing_refuses_a_bad_gateway(wm):
    with pytest.raises(ValidationFailed) as caught:
        deploy(
            [
                {"key": "f", "kind": "first_of"},
                {"key": "t", "kind": "timer", "timer_duration": "1h"},
            ],
            ["start>f", "f>t", "t>end"],
        )
    assert "WM127" in {p.code for p in caught.value.problems}


def test_it_is_drawn_as_a_double_bordered_diamond(wm):
    version = deploy(
        [
            {"key": "f", "kind": "first_of", "name": "First of"},
            {"key": "t", "kind": "timer", "timer_duration": "1h"},
            {"key": "s", "kind": "signal", "signal_name": "go"},
        ],
        ["start>f", "f>t", "f>s", "t>end", "s>end"],
    )
    dot = version_dot(version)
    line = next(line for line in dot.splitlines() if '"First of"' in line)
    assert "shape=diamond" in line and "peripheries=2" in line
    assert ActivityKind.FIRST_OF.label == "Wait for the first"
