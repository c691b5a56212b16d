import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.graph import Activity, ActivityKind, Graph, RetryPolicy, Transition
from engine.core.validation import has_errors, validate
from tests.engine.core.factories import graph


def codes(g, **kwargs):
    return {(p.code, p.key) for p in validate(g, **kwargs)}


def test_a_simple_valid_graph_has_no_problems():
    g = graph("start>a, a>end")
    assert validate(g) == []


CASES = [
    # (graph, expected (code, key) pairs that must be among the problems)
    (graph("a>end", a="human"), {("WM101", None)}),
    (graph("start>a, start2>a, a>end", start2="start"), {("WM102", "start2")}),
    (graph("start>a", a="human"), {("WM103", None)}),
    (graph("start>end, lonely>end"), {("WM104", "lonely")}),
    (graph("start>a, a>b, b>a, start>end"), {("WM105", "a"), ("WM105", "b")}),
    (graph("start>a, a>start, a>end", defaults=("a>end",)), {("WM106", "a>start")}),
    (graph("start>end, end>x, x>end2"), {("WM107", "end>x")}),
    (
        graph("start>a, a>end, a>end2", defaults=("a>end", "a>end2")),
        {("WM110", "a")},
    ),
    (
        graph("start>g, g>end, g>end2", {"g>end": "eq:A", "g>end2": "eq:B"}, g="exclusive"),
        {("WM112", "g")},
    ),
    (graph("start>a, a>end", a="automatic"), set()),
    (graph("start>a, a>end", a={"kind": "automatic", "handler": ""}), {("WM114", "a")}),
    (graph("start>a, a>end", a={"kind": "human", "sla_warn": "2 parsecs"}), {("WM115", "a")}),
    (
        graph("start>a, a>end", a={"kind": "human", "sla_warn": "3d", "sla_duration": "2d"}),
        {("WM116", "a")},
    ),
    (graph("start>a, a>end", a={"kind": "human", "assignee": "data.__class__"}), {("WM117", "a")}),
    (graph("start>t, t>end", t="timer"), {("WM118", "t")}),
    (graph("start>s, s>end", s="signal"), {("WM119", "s")}),
    (graph("start>a, a>end", {"a>end": "timeout:3d"}, a="automatic"), {("WM120", "a>end")}),
    (graph("start>p, p>end", p="subprocess"), {("WM121", "p")}),
    (
        graph(
            "start>a, a>end, a>end2",
            {"a>end": "eq:APPROVED", "a>end2": "eq:MAYBE"},
            a={"kind": "human", "outcomes": ("APPROVED", "REJECTED")},
        ),
        {("WM122", "a>end2")},
    ),
    (
        graph("start>a, a>end", a={"kind": "automatic", "retry": RetryPolicy(max_attempts=0)}),
        {("WM123", "a")},
    ),
    (graph("start>a, a>end, a>end", defaults=()), set()),
]


@pytest.mark.parametrize("g, expected", CASES)
def test_rules(g, expected):
    assert expected <= codes(g)


def test_unparsable_condition_is_an_error_only_in_strict_mode():
    g = graph("start>a, a>end, a>end2", {"a>end": "data.x >"}, defaults=("a>end2",))
    [compatible] = [p for p in validate(g) if p.code == "WM109"]
    [strict] = [p for p in validate(g, strategy="strict") if p.code == "WM109"]
    assert (compatible.severity, strict.severity) == ("warning", "error")
    assert "position" in strict.message


def test_unknown_handler_and_process_are_reported():
    g = graph(
        "start>a, a>p, p>end", a="automatic", p={"kind": "subprocess", "subprocess_code": "ghost"}
    )
    found = codes(g, handler_exists=lambda name: False, process_exists=lambda code: False)
    assert {("WM114", "a"), ("WM121", "p")} <= found


def test_subprocess_cycle_names_the_path():
    g = graph("start>p, p>end", p={"kind": "subprocess", "subprocess_code": "billing"})
    problems = validate(g, process_code="orders", subprocess_calls={"billing": {"orders"}})
    [cycle] = [p for p in problems if p.code == "WM121"]
    assert "orders -> billing -> orders" in cycle.message


def test_parallel_join_fed_by_an_exclusive_split_is_an_error():
    g = graph(
        "start>x, x>a, x>b, a>join, b>join, join>end",
        {"x>a": "eq:A"},
        defaults=("x>b",),
        x="exclusive",
        join="parallel",
    )
    assert ("WM113", "join") in codes(g)


def test_parallel_join_fed_by_a_parallel_split_is_fine():
    g = graph(
        "start>fork, fork>a, fork>b, a>join, b>join, join>end", fork="parallel", join="parallel"
    )
    assert not has_errors(validate(g))


def test_exclusive_split_merged_by_an_exclusive_gateway_is_fine():
    g = graph(
        "start>x, x>a, x>b, a>merge, b>merge, merge>end",
        {"x>a": "eq:A"},
        defaults=("x>b",),
        x="exclusive",
        merge="exclusive",
    )
    assert not has_errors(validate(g))


def test_problems_are_sorted_errors_first():
    g = graph(
        "start>g, g>end, g>end2, lonely>end", {"g>end": "eq:A", "g>end2": "eq:B"}, g="exclusive"
    )
    severities = [p.severity for p in validate(g)]
    assert severities == sorted(severities, key=lambda s: s != "error")


kinds = st.sampled_from(list(ActivityKind))


@st.composite
def random_graphs(draw):
    keys = [f"n{i}" for i in range(draw(st.integers(0, 8)))]
    activities = [Activity(key=k, kind=draw(kinds)) for k in keys]
    pool = keys + ["ghost"]
    transitions = (
        [
            Transition(
                key=f"t{i}",
                source=draw(st.sampled_from(pool)),
                target=draw(st.sampled_from(pool)),
                condition=draw(
                    st.sampled_from(["", "eq:A", "timeout:3d", "broken (", "data.x > 1"])
                ),
                is_default=draw(st.booleans()),
            )
            for i in range(draw(st.integers(0, 12)))
        ]
        if keys
        else []
    )
    return Graph(activities, transitions)


@settings(max_examples=300, deadline=None)
@given(random_graphs())
def test_the_validator_never_crashes(g):
    for problem in validate(g, process_code="p", subprocess_calls={"p": {"p"}}):
        assert problem.severity in ("error", "warning")
        assert problem.message


# Ambiguous ways out (WM125) ---------------------------------------------------------


def ambiguity(g):
    return [p for p in validate(g) if p.code == "WM125"]


def test_two_unconditional_ways_out_of_the_start_are_an_error_naming_both_arrows():
    g = graph("start>end, start>review, review>end")
    g.activities["review"] = Activity(key="review", kind=ActivityKind.HUMAN, name="Review")
    [problem] = ambiguity(g)
    assert problem.severity == "error"
    assert problem.key == "start"
    assert "'start → end'" in problem.message
    assert "'start → Review'" in problem.message
    assert "condition" in problem.hint and "default" in problem.hint
    assert "parallel gateway" in problem.hint
    assert has_errors(validate(g))


def test_an_exclusive_gateway_with_two_unconditional_arrows_is_an_error():
    g = graph("start>g, g>end, g>end2", {"g>end2": "true"}, g="exclusive")
    [problem] = ambiguity(g)
    assert problem.key == "g"
    assert "2 ways out of 'g'" in problem.message


def test_named_arrows_are_named_by_their_label():
    g = Graph(
        [
            Activity(key="start", kind=ActivityKind.START, name="Start"),
            Activity(key="end", kind=ActivityKind.END, name="End"),
            Activity(key="end2", kind=ActivityKind.END, name="Archive"),
        ],
        [
            Transition(key="t1", source="start", target="end", name="Finish"),
            Transition(key="t2", source="start", target="end2"),
        ],
    )
    [problem] = ambiguity(g)
    assert "'Finish (Start → End)'" in problem.message
    assert "'Start → Archive'" in problem.message


@pytest.mark.parametrize(
    "g",
    [
        # one unconditional way and a default: the default is simply never needed
        graph("start>g, g>end, g>end2", defaults=("g>end2",), g="exclusive"),
        # conditions on all but one
        graph("start>g, g>end, g>end2", {"g>end": "eq:A"}, g="exclusive"),
        # a parallel gateway takes every way out
        graph("start>p, p>a, p>b, a>j, b>j, j>end", p="parallel", j="parallel"),
        # a timeout is taken only by the timeout scan
        graph("start>a, a>end, a>end2", {"a>end2": "timeout:3d"}),
        # a false condition is never taken
        graph("start>g, g>end, g>end2", {"g>end2": "false"}, g="exclusive"),
    ],
)
def test_unambiguous_ways_out_are_not_reported(g):
    assert ambiguity(g) == []
