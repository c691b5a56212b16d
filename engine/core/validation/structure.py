"""The shape of a graph: one start, an end, transitions that connect, conditions that
parse, and every activity on a path from the start to an end (WM101-WM109, WM111,
WM120, WM122, WM124).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from engine.core.conditions import ConditionError, is_timeout, parse, referenced_outcomes
from engine.core.graph import Activity, ActivityKind, Graph, Transition
from engine.core.kinds import KINDS
from engine.core.validation.problems import ERROR, WARNING, Problem


def check_starts_and_ends(graph: Graph) -> list[Problem]:
    problems = []
    starts = sorted(graph.starts(), key=lambda a: a.key)
    if not starts:
        problems.append(
            Problem("WM101", None, ERROR, "The process has no start.", "Add a start activity.")
        )
    for extra in starts[1:]:
        problems.append(
            Problem(
                "WM102",
                extra.key,
                ERROR,
                f"{extra.label!r} is a second start; a process has exactly one.",
                "Delete it or turn it into another kind.",
            )
        )
    if not graph.ends():
        problems.append(
            Problem("WM103", None, ERROR, "The process has no end.", "Add an end activity.")
        )
    return problems


def check_transitions(graph: Graph, strategy: str) -> list[Problem]:
    problems = []
    seen_pairs: set[tuple[str, str]] = set()
    for t in sorted(graph.transitions.values(), key=lambda t: t.key):
        source = graph.activities.get(t.source)
        target = graph.activities.get(t.target)
        if source is None or target is None:
            problems.append(
                Problem(
                    "WM108",
                    t.key,
                    ERROR,
                    f"Transition {t.key!r} connects a missing activity.",
                    "Delete the transition.",
                )
            )
            continue
        problems += _check_ends_of(t, source, target)
        if (t.source, t.target) in seen_pairs:
            problems.append(
                Problem(
                    "WM124",
                    t.key,
                    WARNING,
                    f"Two transitions lead from {source.label!r} to {target.label!r}.",
                    "Merge their conditions with 'or' or delete one.",
                )
            )
        seen_pairs.add((t.source, t.target))
        problems += _check_condition(t, source, strategy)
    return problems


def _check_ends_of(t: Transition, source: Activity, target: Activity) -> list[Problem]:
    problems = []
    if target.kind == ActivityKind.START:
        problems.append(
            Problem(
                "WM106",
                t.key,
                ERROR,
                f"A transition leads into the start {target.label!r}.",
                "Nothing may lead back to the start.",
            )
        )
    if source.kind == ActivityKind.END:
        problems.append(
            Problem(
                "WM107",
                t.key,
                ERROR,
                f"A transition leaves the end {source.label!r}.",
                "An end finishes the run; delete the transition.",
            )
        )
    return problems


def _check_condition(t: Transition, source: Activity, strategy: str) -> list[Problem]:
    try:
        parse(t.condition)
    except ConditionError as exc:
        severity = ERROR if strategy == "strict" else WARNING
        return [
            Problem(
                "WM109",
                t.key,
                severity,
                f"The condition {t.condition!r} does not parse: {exc}.",
                "At run time it is compared as text with the outcome (compatible mode)."
                if severity == WARNING
                else "Fix the condition.",
            )
        ]
    problems = []
    if is_timeout(t.condition) and not _can_time_out(source.kind):
        problems.append(
            Problem(
                "WM120",
                t.key,
                ERROR,
                f"A timeout condition leaves {source.label!r}, which cannot time out.",
                "Timeouts leave human tasks and signal waits only.",
            )
        )
    problems += _check_outcomes(t, source)
    if t.is_default and t.condition.strip():
        problems.append(
            Problem(
                "WM111",
                t.key,
                WARNING,
                "A default transition has a condition; it is ignored.",
                "Clear the condition or untick 'default'.",
            )
        )
    return problems


def _can_time_out(kind: ActivityKind) -> bool:
    spec = KINDS.get(kind)
    return spec is not None and spec.can_time_out


def _check_outcomes(t: Transition, source: Activity) -> list[Problem]:
    outcomes = referenced_outcomes(t.condition)
    if source.kind != ActivityKind.HUMAN or not source.outcomes or not outcomes:
        return []
    unknown = sorted(outcomes - set(source.outcomes))
    if not unknown:
        return []
    return [
        Problem(
            "WM122",
            t.key,
            WARNING,
            f"The condition tests {', '.join(unknown)}, which {source.label!r} does not offer.",
            f"Its outcomes are {', '.join(source.outcomes)}.",
        )
    ]


def check_reachability(graph: Graph) -> list[Problem]:
    starts = graph.starts()
    if len(starts) != 1:
        return []
    forward = _reach(graph, [starts[0].key], lambda k: [t.target for t in graph.outgoing(k)])
    backward = _reach(
        graph, [a.key for a in graph.ends()], lambda k: [t.source for t in graph.incoming(k)]
    )
    problems = []
    for key, activity in sorted(graph.activities.items()):
        if key not in forward:
            problems.append(
                Problem(
                    "WM104",
                    key,
                    ERROR,
                    f"{activity.label!r} cannot be reached from the start.",
                    "Connect it, or delete it.",
                )
            )
        elif key not in backward:
            problems.append(
                Problem(
                    "WM105",
                    key,
                    ERROR,
                    f"{activity.label!r} cannot reach an end.",
                    "Add a transition towards an end.",
                )
            )
    return problems


def _reach(graph: Graph, roots: list[str], step: Callable[[str], list[str]]) -> set[str]:
    seen = set(roots)
    queue = deque(roots)
    while queue:
        for nxt in step(queue.popleft()):
            if nxt in graph.activities and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen
