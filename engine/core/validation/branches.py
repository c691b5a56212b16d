"""Where a run may branch: defaults, ways out that are always taken, choices that can
stall, and parallel joins that would wait forever (WM110, WM112, WM113, WM125).
"""

from __future__ import annotations

from engine.core.conditions import is_timeout
from engine.core.graph import Activity, ActivityKind, Graph, Transition
from engine.core.validation.problems import ERROR, WARNING, Problem

# Kinds whose outgoing transitions all fire (a first_of arms them all; WM127 checks it).
CHOICE_KINDS = {ActivityKind.PARALLEL, ActivityKind.FIRST_OF}


def check_choices(graph: Graph) -> list[Problem]:
    problems = []
    for key, activity in sorted(graph.activities.items()):
        out = [t for t in graph.outgoing(key) if not is_timeout(t.condition)]
        defaults = [t for t in out if t.is_default]
        if len(defaults) > 1:
            problems.append(
                Problem(
                    "WM110",
                    key,
                    ERROR,
                    f"{activity.label!r} has {len(defaults)} defaults.",
                    "Keep one default transition.",
                )
            )
        if activity.kind in CHOICE_KINDS or not out:
            continue
        problems += _check_ambiguous(graph, activity, out)
        problems += _check_stall(activity, out, has_default=bool(defaults))
    return problems


def _check_stall(activity: Activity, out: list[Transition], *, has_default: bool) -> list[Problem]:
    unconditional = any(_always(t.condition) for t in out)
    may_branch = activity.kind == ActivityKind.EXCLUSIVE or len(out) > 1
    if not may_branch or has_default or unconditional:
        return []
    return [
        Problem(
            "WM112",
            activity.key,
            WARNING,
            f"If no condition out of {activity.label!r} is true, the run stops with an incident.",
            "Mark one transition as the default.",
        )
    ]


def _always(condition: str) -> bool:
    return condition.strip().lower() in ("", "true")


def _check_ambiguous(graph: Graph, activity: Activity, out: list[Transition]) -> list[Problem]:
    """Only one way out of a non-parallel activity is taken: the first true one. When two
    or more are always true, all but the first by priority are silently dropped."""
    always = [t for t in out if not t.is_default and _always(t.condition)]
    if len(always) < 2:
        return []
    arrows = ", ".join(_arrow(graph, t) for t in always)
    return [
        Problem(
            "WM125",
            activity.key,
            ERROR,
            f"{len(always)} ways out of {activity.label!r} are always taken: {arrows}. "
            "A run leaves it by one way only, so all but the first would never be taken.",
            "Give each a condition, or mark one as the default and give the others "
            "conditions; if all of them should run, add a parallel gateway after "
            f"{activity.label!r} and draw them from it.",
        )
    ]


def _arrow(graph: Graph, t: Transition) -> str:
    """A transition as people see it: its name, else 'Source → Target'."""
    source = graph.activities.get(t.source)
    target = graph.activities.get(t.target)
    path = f"{source.label if source else t.source} → {target.label if target else t.target}"
    return repr(f"{t.name} ({path})" if t.name else path)


def _label(graph: Graph, key: str) -> str:
    activity = graph.activities.get(key)
    return repr(activity.label) if activity else repr(key)


def _is_exclusive_split(graph: Graph, key: str) -> bool:
    activity = graph.activities[key]
    out = [t for t in graph.outgoing(key) if not is_timeout(t.condition)]
    return activity.kind != ActivityKind.PARALLEL and len(out) > 1


def check_joins(graph: Graph) -> list[Problem]:
    """A parallel join waits for a token on every incoming transition. If two of them
    can only be fed by different branches of the same exclusive split, only one of
    those branches runs and the join waits forever."""
    problems = []
    for key, activity in sorted(graph.activities.items()):
        incoming = graph.incoming(key)
        if activity.kind != ActivityKind.PARALLEL or len(incoming) < 2:
            continue
        origins = [_branch_origin(graph, t) for t in incoming]
        splits = [o for o in origins if o is not None]
        for split in sorted({s for s, _ in splits}):
            branches = {branch for s, branch in splits if s == split}
            if len(branches) > 1:
                problems.append(
                    Problem(
                        "WM113",
                        key,
                        ERROR,
                        f"The parallel join {activity.label!r} is fed by alternative branches "
                        f"of {_label(graph, split)}: only one runs, so the join would wait "
                        "forever.",
                        "Use a parallel split before the branches, or merge them with an "
                        "exclusive gateway instead of a parallel join.",
                    )
                )
    return problems


def _branch_origin(graph: Graph, transition: Transition) -> tuple[str, str] | None:
    """Walk back from a transition along single paths to the exclusive split it hangs on.

    Returns (split key, the split's outgoing transition key) or None when the walk
    reaches a parallel gateway, a merge, the start, or a loop first.
    """
    seen: set[str] = set()
    current = transition
    while True:
        source = current.source
        if source in seen or source not in graph.activities:
            return None
        seen.add(source)
        if _is_exclusive_split(graph, source):
            return source, current.key
        activity = graph.activities[source]
        incoming = graph.incoming(source)
        if activity.kind == ActivityKind.PARALLEL or len(incoming) != 1:
            return None
        current = incoming[0]
