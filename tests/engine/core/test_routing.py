from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.graph import Activity, ActivityKind, Graph, Transition
from engine.core.routing import (
    RoutingError,
    is_join,
    join_ready,
    next_transitions,
    simulate,
    timeout_transitions,
)
from tests.engine.core.factories import graph


def keys(transitions):
    return [t.key for t in transitions]


def test_exclusive_takes_the_first_true_by_priority():
    g = Graph(
        [
            Activity("g", ActivityKind.EXCLUSIVE),
            Activity("a", ActivityKind.END),
            Activity("b", ActivityKind.END),
        ],
        [
            Transition("t2", "g", "b", condition="data.n > 1", priority=2),
            Transition("t1", "g", "a", condition="data.n > 0", priority=1),
        ],
    )
    assert keys(next_transitions(g, "g", data={"n": 5})) == ["t1"]


def test_default_is_taken_when_nothing_matches():
    g = graph("start>r, r>ok, r>other", {"r>ok": "eq:APPROVED"}, defaults=("r>other",))
    assert keys(next_transitions(g, "r", condition="APPROVED")) == ["r>ok"]
    assert keys(next_transitions(g, "r", condition="REJECTED")) == ["r>other"]


def test_no_match_and_no_default_is_a_routing_error_that_says_why():
    g = graph("start>r, r>ok", {"r>ok": "eq:APPROVED"})
    with pytest.raises(RoutingError, match="REJECTED"):
        next_transitions(g, "r", condition="REJECTED")


def test_parallel_split_takes_every_true_transition():
    g = graph("start>f, f>a, f>b, f>c, a>end, b>end, c>end", {"f>c": "data.extra"}, f="parallel")
    assert sorted(keys(next_transitions(g, "f", data={}))) == ["f>a", "f>b"]
    assert len(next_transitions(g, "f", data={"extra": True})) == 3


def test_timeout_transitions_are_only_for_the_scan():
    g = graph("start>r, r>ok, r>late", {"r>late": "timeout:2h"})
    assert keys(next_transitions(g, "r")) == ["r>ok"]
    assert [(t.key, d) for t, d in timeout_transitions(g, "r")] == [("r>late", timedelta(hours=2))]


def test_end_has_no_next_transition():
    assert next_transitions(graph("start>end"), "end") == []


def test_join_waits_for_a_token_from_every_branch():
    g = graph("start>f, f>a, f>b, a>j, b>j, j>end", f="parallel", j="parallel")
    assert is_join(g, "j") and not is_join(g, "f")
    assert not join_ready(g, "j", {"a>j"})
    assert not join_ready(g, "j", {"a>j"})
    assert join_ready(g, "j", {"a>j", "b>j"})


def test_simulation_runs_split_and_join_once():
    g = graph("start>f, f>a, f>b, a>j, b>j, j>end", f="parallel", j="parallel")
    result = simulate(g)
    assert result.state == "completed"
    assert result.visited.count("j") == 1 and result.visited[-1] == "end"


def test_simulation_follows_outcomes_and_reports_stuck_runs():
    g = graph(
        "start>r, r>ok, r>no",
        {"r>ok": "eq:YES", "r>no": "eq:NO"},
        r={"kind": "human", "outcomes": ("YES", "NO")},
        ok="end",
        no="end",
    )
    assert simulate(g, outcomes={"r": "NO"}).visited == ["start", "r", "no"]
    assert simulate(g, outcomes={"r": "MAYBE"}).state == "stuck"


def test_loops_without_exit_hit_the_step_budget():
    g = graph("start>a, a>b, b>a, a>end", {"a>end": "data.done"})
    result = simulate(g, max_steps=50)
    assert result.state == "budget exceeded"


@st.composite
def layered_graphs(draw):
    """Random DAGs without conditions: every node reaches an end."""
    n = draw(st.integers(1, 8))
    keys_ = [f"n{i}" for i in range(n)]
    activities = [Activity("start", ActivityKind.START), Activity("end", ActivityKind.END)]
    activities += [
        Activity(
            k,
            draw(
                st.sampled_from(
                    [ActivityKind.HUMAN, ActivityKind.AUTOMATIC, ActivityKind.EXCLUSIVE]
                )
            ),
        )
        for k in keys_
    ]
    transitions = [Transition("s", "start", keys_[0])]
    for i, k in enumerate(keys_):
        later = keys_[i + 1 :] + ["end"]
        targets = draw(st.lists(st.sampled_from(later), min_size=1, max_size=2, unique=True))
        transitions += [Transition(f"{k}>{t}", k, t) for t in targets]
    return Graph(activities, transitions)


@settings(max_examples=200, deadline=None)
@given(layered_graphs())
def test_every_acyclic_unconditional_graph_completes(g):
    assert simulate(g).state == "completed"
