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
    WM126 error    form or input schema that engine.schemas refuses (checked on
                   publish by engine.services.versions: it needs engine.schemas)
    WM127 error    "wait for the first" with fewer than two ways out, a way out with a
                   condition or default, or one not to a timer or signal wait of its own

Modules: ``structure`` (starts, ends, transitions, conditions, reachability),
``branches`` (defaults, choices, joins), ``activities`` (fields by kind,
subprocess cycles), ``problems`` (the Problem record).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from engine.core.graph import Graph
from engine.core.validation.activities import check_activity, check_subprocess_cycles
from engine.core.validation.branches import check_choices, check_joins
from engine.core.validation.first_of import check_first_of
from engine.core.validation.problems import ERROR, WARNING, Problem, has_errors
from engine.core.validation.structure import (
    check_reachability,
    check_starts_and_ends,
    check_transitions,
)

__all__ = ["ERROR", "WARNING", "Problem", "has_errors", "validate"]


def validate(
    graph: Graph,
    *,
    strategy: str = "compatible",
    handler_exists: Callable[[str], bool] | None = None,
    process_exists: Callable[[str], bool] | None = None,
    subprocess_calls: Mapping[str, Iterable[str]] | None = None,
    process_code: str | None = None,
) -> list[Problem]:
    """Every problem of ``graph``, errors first, then by element key and code.

    ``handler_exists`` and ``process_exists`` look names up (nothing is
    imported); ``subprocess_calls`` maps each process code to the codes it
    calls, to find calls that lead back to ``process_code``.
    """
    problems: list[Problem] = []
    problems += check_starts_and_ends(graph)
    problems += check_transitions(graph, strategy)
    problems += check_reachability(graph)
    problems += check_choices(graph)
    problems += check_joins(graph)
    problems += check_first_of(graph)
    for activity in graph.activities.values():
        problems += check_activity(activity, handler_exists, process_exists)
    problems += check_subprocess_cycles(graph, subprocess_calls or {}, process_code)
    return sorted(problems, key=lambda p: (p.severity != ERROR, p.key or "", p.code))
