"""The shape around a "wait for the first" gateway (WM127).

A first_of activity arms every wait it leads to and takes the first that
fires, so each of its ways out must lead to something that waits (a timer or
a signal wait; model events arrive as signals), reached from the gateway
only, and nothing but the firing chooses the way: no conditions, no default.
"""

from __future__ import annotations

from engine.core.graph import Activity, ActivityKind, Graph, Transition
from engine.core.validation.problems import ERROR, Problem

WAIT_KINDS = (ActivityKind.TIMER, ActivityKind.SIGNAL)
WAIT_HINT = "Draw a timer or a wait for signal after it for each thing to wait for."


def check_first_of(graph: Graph) -> list[Problem]:
    problems: list[Problem] = []
    for key, activity in sorted(graph.activities.items()):
        if activity.kind != ActivityKind.FIRST_OF:
            continue
        out = graph.outgoing(key)
        if len(out) < 2:
            problems.append(
                _problem(
                    activity,
                    f"it waits for the first of several things, and {len(out)} way(s) "
                    "lead out of it.",
                    WAIT_HINT + " It needs at least two.",
                )
            )
        for transition in out:
            problems += _check_way_out(graph, activity, transition)
    return problems


def _check_way_out(graph: Graph, gateway: Activity, t: Transition) -> list[Problem]:
    problems = []
    target = graph.activities.get(t.target)
    if t.condition or t.is_default:
        what = f"the condition {t.condition!r}" if t.condition else "a default mark"
        problems.append(
            _problem(
                gateway,
                f"the way to {_name(graph, t.target)} has {what}; the first wait to fire "
                "decides the way, so no condition or default applies here.",
                "Remove it; put conditions on the ways out of the waits instead.",
            )
        )
    if target is None:
        return problems  # (WM108 reports it)
    if target.kind not in WAIT_KINDS:
        problems.append(
            _problem(
                gateway,
                f"{target.label!r} is {_an(target.kind.label.lower())}; only a timer or a wait "
                "for signal can follow it.",
                WAIT_HINT,
            )
        )
    elif len(graph.incoming(target.key)) > 1:
        problems.append(
            _problem(
                gateway,
                f"{target.label!r} is reached from elsewhere too; a wait armed by it must "
                "be reached from it alone.",
                "Draw a separate wait for the other way in.",
            )
        )
    return problems


def _name(graph: Graph, key: str) -> str:
    activity = graph.activities.get(key)
    return repr(activity.label if activity else key)


def _problem(gateway: Activity, message: str, hint: str) -> Problem:
    return Problem("WM127", gateway.key, ERROR, f"{gateway.label!r}: {message}", hint)


def _an(words: str) -> str:
    """'a human task', 'an automatic task'."""
    return ("an " if words[:1] in "aeiou" else "a ") + words
