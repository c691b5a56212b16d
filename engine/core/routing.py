"""Routing decisions: which transitions a run takes when it leaves an activity.

- A parallel gateway takes every transition whose condition is true (the
  defaults when none is).
- Every other activity takes the first true transition in evaluation order
  (priority, then key), else its default; when neither exists the run cannot
  move and ``RoutingError`` says why (the engine turns it into an incident).
- Timeout transitions (``timeout:3d``) are never taken here: only the timeout
  scan takes them.
- A parallel join waits for one token from each incoming transition (tokens,
  not arrival counts, so a loop delivering twice on one branch does not
  release it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from engine.core.conditions import evaluate, is_timeout, timeout_delta
from engine.core.graph import ActivityKind, Graph, Transition

__all__ = [
    "RoutingError",
    "SimulationResult",
    "is_join",
    "join_ready",
    "next_transitions",
    "simulate",
    "timeout_transitions",
]


class RoutingError(Exception):
    """No transition can be taken out of an activity."""


def next_transitions(
    graph: Graph,
    activity_key: str,
    *,
    condition: str | None = None,
    data: Mapping[str, Any] | None = None,
    strategy: str | None = None,
) -> list[Transition]:
    activity = graph.activity(activity_key)
    if activity.kind == ActivityKind.END:
        return []
    candidates = [t for t in graph.outgoing(activity_key) if not is_timeout(t.condition)]
    regular = [t for t in candidates if not t.is_default]
    defaults = [t for t in candidates if t.is_default]

    def true(t: Transition) -> bool:
        return evaluate(t.condition, condition=condition, data=data, strategy=strategy)

    if activity.kind == ActivityKind.PARALLEL:
        chosen = [t for t in regular if true(t)] or defaults
    else:
        first = next((t for t in regular if true(t)), None)
        chosen = [first] if first is not None else defaults[:1]
    if not chosen:
        raise RoutingError(_stuck_message(activity.label, candidates, condition))
    return chosen


def _stuck_message(label: str, candidates: list[Transition], condition: str | None) -> str:
    if not candidates:
        return f"No transition leaves {label!r}."
    outcome = f" with outcome {condition!r}" if condition is not None else ""
    return (
        f"No transition out of {label!r} matched{outcome}, and there is no default. "
        f"Conditions tried: {', '.join(repr(t.condition or 'always') for t in candidates)}."
    )


def timeout_transitions(graph: Graph, activity_key: str) -> list[tuple[Transition, timedelta]]:
    found = []
    for t in graph.outgoing(activity_key):
        delta = timeout_delta(t.condition)
        if delta is not None:
            found.append((t, delta))
    return sorted(found, key=lambda pair: (pair[1], pair[0].priority, pair[0].key))


def is_join(graph: Graph, key: str) -> bool:
    activity = graph.activities.get(key)
    return (
        activity is not None
        and activity.kind == ActivityKind.PARALLEL
        and len(graph.incoming(key)) > 1
    )


def join_ready(graph: Graph, key: str, arrived: Collection[str | None]) -> bool:
    """Whether a token has arrived on every incoming transition of a join."""
    return all(t.key in arrived for t in graph.incoming(key))


@dataclass
class SimulationResult:
    state: str  # completed, stuck, budget exceeded
    visited: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def steps(self) -> int:
        return len(self.visited)


def simulate(
    graph: Graph,
    *,
    data: Mapping[str, Any] | None = None,
    outcomes: Mapping[str, str] | None = None,
    max_steps: int = 10_000,
) -> SimulationResult:
    """Walk a run through the graph in memory, with tokens, as the engine would.

    Human tasks complete at once with the outcome given for their key (or their
    first outcome); automatic tasks, timers, signals and subprocesses pass
    through. Used by tests and by the routing benchmark.
    """
    outcomes = outcomes or {}
    data = dict(data or {})
    result = SimulationResult("completed")
    tokens: list[tuple[str, str | None]] = [(graph.start().key, None)]
    arrived: dict[str, set[str | None]] = {}  # the start token comes via None
    condition: str | None = None
    while tokens:
        key, via = tokens.pop()
        if is_join(graph, key):
            waiting = arrived.setdefault(key, set())
            waiting.add(via)
            if not join_ready(graph, key, waiting):
                continue
            arrived[key] = set()
        result.visited.append(key)
        if len(result.visited) > max_steps:
            result.state = "budget exceeded"
            result.message = f"more than {max_steps} steps"
            return result
        activity = graph.activity(key)
        if activity.kind == ActivityKind.HUMAN:
            condition = outcomes.get(key, activity.outcomes[0] if activity.outcomes else None)
        try:
            chosen = next_transitions(graph, key, condition=condition, data=data)
        except RoutingError as exc:
            result.state = "stuck"
            result.message = str(exc)
            return result
        tokens.extend((t.target, t.key) for t in reversed(chosen))
    return result
