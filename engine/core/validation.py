"""Validation of a process graph: every problem at once, each with a code and a hint.

Codes (stable; the designer and the API show them):

    WM101 error    no start activity
    WM102 error    more than one start activity
    WM103 error    no end activity
    WM104 error    activity not reachable from the start
    WM105 error    activity cannot reach an end
    WM106 error    transition into a start activity
    WM107 error    transition out of an end activity
    WM108 error    transition whose source or target does not exist
    WM109 error    condition does not parse (a warning in compatible mode)
    WM110 error    more than one default transition out of one activity
    WM111 warning  a default transition has a condition (it is ignored)
    WM112 warning  a choice with neither a default nor an unconditional way out
    WM113 error    parallel join fed through an exclusive split (it would wait forever)
    WM114 error    automatic task without a handler / with a handler nobody registered
    WM115 error    bad duration (SLA, timer, signal timeout)
    WM116 warning  SLA warning not earlier than the SLA breach
    WM117 error    bad assignee expression / correlation path
    WM118 error    timer without a duration or a date field
    WM119 error    wait for signal without a signal name
    WM120 error    timeout condition out of an activity that cannot time out
    WM121 error    subprocess without a process / unknown process / subprocess cycle
    WM122 warning  transition tests an outcome its human task does not offer
    WM123 error    bad retry policy
    WM124 warning  two transitions with the same source and target
    WM125 error    two or more always-true ways out of a non-parallel activity
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass

from engine.core.conditions import (
    ConditionError,
    check_path,
    is_timeout,
    parse,
    referenced_outcomes,
)
from engine.core.durations import DurationError, parse_duration
from engine.core.graph import Activity, ActivityKind, Graph, Transition

__all__ = ["Problem", "has_errors", "validate"]

ERROR = "error"
WARNING = "warning"
CHOICE_KINDS = {ActivityKind.PARALLEL}  # kinds whose outgoing transitions all fire
TIMEOUT_SOURCES = {ActivityKind.HUMAN, ActivityKind.SIGNAL}
# A definition names handlers; it never imports code (handler_exists looks names up).
REGISTER_HINT = (
    "Only handlers registered with Waymark can run: an administrator registers one with "
    "@handler(name) in a module listed in WAYMARK_HANDLER_MODULES, or in WAYMARK_HANDLERS."
)


@dataclass(frozen=True)
class Problem:
    code: str
    key: str | None
    severity: str
    message: str
    hint: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == ERROR for p in problems)


def validate(
    graph: Graph,
    *,
    strategy: str = "compatible",
    handler_exists: Callable[[str], bool] | None = None,
    process_exists: Callable[[str], bool] | None = None,
    subprocess_calls: Mapping[str, Iterable[str]] | None = None,
    process_code: str | None = None,
) -> list[Problem]:
    problems: list[Problem] = []
    problems += _check_starts_and_ends(graph)
    problems += _check_transitions(graph, strategy)
    problems += _check_reachability(graph)
    problems += _check_choices(graph)
    problems += _check_joins(graph)
    for activity in graph.activities.values():
        problems += _check_activity(activity, handler_exists, process_exists)
    problems += _check_subprocess_cycles(graph, subprocess_calls or {}, process_code)
    return sorted(problems, key=lambda p: (p.severity != ERROR, p.key or "", p.code))


def _label(graph: Graph, key: str) -> str:
    activity = graph.activities.get(key)
    return repr(activity.label) if activity else repr(key)


def _check_starts_and_ends(graph: Graph) -> list[Problem]:
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


def _check_transitions(graph: Graph, strategy: str) -> list[Problem]:
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
    if is_timeout(t.condition) and source.kind not in TIMEOUT_SOURCES:
        problems.append(
            Problem(
                "WM120",
                t.key,
                ERROR,
                f"A timeout condition leaves {source.label!r}, which cannot time out.",
                "Timeouts leave human tasks and signal waits only.",
            )
        )
    outcomes = referenced_outcomes(t.condition)
    if source.kind == ActivityKind.HUMAN and source.outcomes and outcomes:
        unknown = sorted(outcomes - set(source.outcomes))
        if unknown:
            problems.append(
                Problem(
                    "WM122",
                    t.key,
                    WARNING,
                    f"The condition tests {', '.join(unknown)}, which {source.label!r} "
                    "does not offer.",
                    f"Its outcomes are {', '.join(source.outcomes)}.",
                )
            )
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


def _check_reachability(graph: Graph) -> list[Problem]:
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


def _check_choices(graph: Graph) -> list[Problem]:
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
        unconditional = any(_always(t.condition) for t in out)
        may_branch = activity.kind == ActivityKind.EXCLUSIVE or len(out) > 1
        if may_branch and not defaults and not unconditional:
            problems.append(
                Problem(
                    "WM112",
                    key,
                    WARNING,
                    f"If no condition out of {activity.label!r} is true, the run stops "
                    "with an incident.",
                    "Mark one transition as the default.",
                )
            )
    return problems


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


def _is_exclusive_split(graph: Graph, key: str) -> bool:
    activity = graph.activities[key]
    out = [t for t in graph.outgoing(key) if not is_timeout(t.condition)]
    return activity.kind != ActivityKind.PARALLEL and len(out) > 1


def _check_joins(graph: Graph) -> list[Problem]:
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


def _check_activity(
    activity: Activity,
    handler_exists: Callable[[str], bool] | None,
    process_exists: Callable[[str], bool] | None,
) -> list[Problem]:
    problems: list[Problem] = []
    key = activity.key

    def add(code, severity, message, hint=""):
        problems.append(Problem(code, key, severity, f"{activity.label!r}: {message}", hint))

    def duration(field: str, text: str) -> None:
        if not text:
            return
        try:
            parse_duration(text)
        except DurationError as exc:
            add(
                "WM115",
                ERROR,
                f"{field} {text!r} is not a duration ({exc.message}).",
                "Write it like 30m, 4h, 2d or 1w.",
            )

    if activity.kind == ActivityKind.AUTOMATIC:
        if not activity.handler:
            add("WM114", ERROR, "no handler is set.", "Name a registered handler.")
        elif handler_exists is not None and not handler_exists(activity.handler):
            add(
                "WM114",
                ERROR,
                f"the handler {activity.handler!r} is not registered.",
                REGISTER_HINT,
            )
        retry = activity.retry
        if retry.max_attempts < 1 or retry.base_delay < 0 or retry.max_delay < 0:
            add("WM123", ERROR, "the retry policy needs at least 1 attempt and delays >= 0.")
        if retry.backoff_factor < 1:
            add("WM123", ERROR, "the retry backoff factor must be at least 1.")
    compensation = activity.compensation_handler
    if compensation and handler_exists is not None and not handler_exists(compensation):
        add(
            "WM114",
            ERROR,
            f"the compensation handler {compensation!r} is not registered.",
            REGISTER_HINT,
        )
    if activity.kind == ActivityKind.HUMAN:
        duration("SLA warning", activity.sla_warn)
        duration("SLA breach", activity.sla_duration)
        _check_sla_order(activity, add)
        _check_path(activity.assignee, "assignee expression", add)
    if activity.kind == ActivityKind.TIMER:
        if not activity.timer_duration and not activity.timer_date_field:
            add("WM118", ERROR, "the timer needs a duration or a date field.")
        duration("Timer duration", activity.timer_duration)
        _check_path(activity.timer_date_field, "date field", add)
    if activity.kind == ActivityKind.SIGNAL:
        if not activity.signal_name.strip():
            add("WM119", ERROR, "no signal name is set.")
        duration("Signal timeout", activity.signal_timeout)
        _check_path(activity.correlation, "correlation", add)
    if activity.kind == ActivityKind.SUBPROCESS:
        if not activity.subprocess_code:
            add("WM121", ERROR, "no process to call is set.")
        elif process_exists is not None and not process_exists(activity.subprocess_code):
            add("WM121", ERROR, f"there is no process {activity.subprocess_code!r}.")
    return problems


def _check_sla_order(activity: Activity, add) -> None:
    try:
        warn = parse_duration(activity.sla_warn) if activity.sla_warn else None
        breach = parse_duration(activity.sla_duration) if activity.sla_duration else None
    except DurationError:
        return
    if warn and breach and warn >= breach:
        add(
            "WM116",
            WARNING,
            "the SLA warning comes no earlier than the breach.",
            "Make the warning shorter than the SLA duration.",
        )


def _check_path(path: str, what: str, add) -> None:
    if not path:
        return
    try:
        check_path(path)
    except ConditionError as exc:
        add(
            "WM117",
            ERROR,
            f"the {what} {path!r} is invalid: {exc}.",
            "Write a data path such as data.manager.",
        )


def _check_subprocess_cycles(
    graph: Graph, calls: Mapping[str, Iterable[str]], process_code: str | None
) -> list[Problem]:
    if not process_code:
        return []
    problems = []
    for key, activity in sorted(graph.activities.items()):
        if activity.kind != ActivityKind.SUBPROCESS or not activity.subprocess_code:
            continue
        path = _path_to(activity.subprocess_code, process_code, calls)
        if path is not None:
            cycle = " -> ".join([process_code, *path])
            problems.append(
                Problem(
                    "WM121",
                    key,
                    ERROR,
                    f"{activity.label!r} calls {activity.subprocess_code!r}, which leads back "
                    f"here: {cycle}.",
                    "A process may not call itself, directly or through others.",
                )
            )
    return problems


def _path_to(start: str, goal: str, calls: Mapping[str, Iterable[str]]) -> list[str] | None:
    queue: deque[list[str]] = deque([[start]])
    seen = {start}
    while queue:
        path = queue.popleft()
        if path[-1] == goal:
            return path
        for nxt in calls.get(path[-1], ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append([*path, nxt])
    return None
