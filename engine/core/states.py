"""Run and workitem states, and the moves allowed between them: one table each.

Pure Python. The models use these values as their choices and every service
calls ``check_move`` before it changes a state, so an illegal move (completing
a cancelled workitem, resuming a completed run) raises one exception,
``IllegalMove``, wherever it is attempted.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

__all__ = [
    "ACTIVE_RUN_STATES",
    "CLOSED_WORKITEM_STATES",
    "HUMAN_OPEN_STATES",
    "OPEN_WORKITEM_STATES",
    "RUN_MOVES",
    "TERMINAL_RUN_STATES",
    "WORKITEM_MOVES",
    "IllegalMove",
    "PublicStatus",
    "RunState",
    "WorkItemState",
    "can_move",
    "check_move",
    "public_status",
]


class RunState(StrEnum):
    RUNNING = "running"  # automatic work is ready to run
    WAITING = "waiting"  # only people, timers, signals or subprocesses can move it
    SUSPENDED = "suspended"  # an operator paused it; nothing moves until resumed
    FAILED = "failed"  # a workitem fell out (an incident is open); retry or cancel
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    # Reached an end that fails the run with a reason (fail_reason): terminal, no
    # incident to retry (engine.runtime.failing_end).
    FAILED_AT_END = "failed_at_end"


class WorkItemState(StrEnum):
    OFFERED = "offered"  # a human task offered to its candidates, claimed by nobody
    ASSIGNED = "assigned"  # a human task assigned to (or claimed by) one person
    READY = "ready"  # an automatic task due to run in a worker
    RETRY = "retry"  # an automatic task that failed, waiting for its next attempt
    WAITING = "waiting"  # a timer, a wait for a signal or a subprocess
    COMPLETED = "completed"
    TIMED_OUT = "timed_out"  # closed by a timeout; the run took the timeout transition
    FALLOUT = "fallout"  # attempts used up, or the run could not move on: incident open
    CANCELLED = "cancelled"


class PublicStatus(StrEnum):
    """The coarse status shown by the REST API."""

    ACTIVE = "ACTIVE"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


R, W, S, F, C, X, FE = (
    RunState.RUNNING,
    RunState.WAITING,
    RunState.SUSPENDED,
    RunState.FAILED,
    RunState.COMPLETED,
    RunState.CANCELLED,
    RunState.FAILED_AT_END,
)

RUN_MOVES: dict[RunState, frozenset[RunState]] = {
    R: frozenset({W, S, F, C, X, FE}),
    W: frozenset({R, S, F, C, X, FE}),
    S: frozenset({R, W, F, X}),  # resume goes back to what the run's workitems say
    F: frozenset({R, W, S, C, X, FE}),  # retry, or another branch moves on
    C: frozenset(),
    X: frozenset(),
    FE: frozenset(),
}

OF, A, RD, RT, WT, DONE, TO, FO, CX = (
    WorkItemState.OFFERED,
    WorkItemState.ASSIGNED,
    WorkItemState.READY,
    WorkItemState.RETRY,
    WorkItemState.WAITING,
    WorkItemState.COMPLETED,
    WorkItemState.TIMED_OUT,
    WorkItemState.FALLOUT,
    WorkItemState.CANCELLED,
)

WORKITEM_MOVES: dict[WorkItemState, frozenset[WorkItemState]] = {
    # A workitem whose run cannot route on after it (no transition matches, the
    # step budget is spent) falls out instead of completing: FO from every open state.
    OF: frozenset({A, DONE, TO, FO, CX}),  # claim / assign, complete, time out, cancel
    A: frozenset({OF, A, DONE, TO, FO, CX}),  # release, reassign / delegate, complete, ...
    RD: frozenset({DONE, RT, FO, CX}),  # handler returned, raised, gave up; cancel
    RT: frozenset({RD, FO, CX}),  # backoff over (or retried now), given up, cancel
    WT: frozenset({DONE, TO, FO, CX}),  # timer fired / signal came / child ended; timeout
    DONE: frozenset(),
    TO: frozenset(),
    FO: frozenset({RD, DONE, CX}),  # retry (again, or route again), cancel
    CX: frozenset(),
}

ACTIVE_RUN_STATES = frozenset({R, W, F})  # states in which work may move
TERMINAL_RUN_STATES = frozenset({C, X, FE})
OPEN_WORKITEM_STATES = frozenset({OF, A, RD, RT, WT, FO})
CLOSED_WORKITEM_STATES = frozenset({DONE, TO, CX})
HUMAN_OPEN_STATES = frozenset({OF, A})

_PUBLIC = {
    R: PublicStatus.ACTIVE,
    W: PublicStatus.ACTIVE,
    S: PublicStatus.ACTIVE,
    F: PublicStatus.FAILED,
    C: PublicStatus.SUCCEEDED,
    X: PublicStatus.CANCELLED,
    FE: PublicStatus.FAILED,
}

# Each table: the enum that checks a state's name, and the moves it allows.
_TABLES: dict[str, tuple[type[StrEnum], Mapping[Any, frozenset[Any]]]] = {
    "run": (RunState, RUN_MOVES),
    "workitem": (WorkItemState, WORKITEM_MOVES),
}


class IllegalMove(Exception):
    """A state change that the tables above do not allow."""

    def __init__(self, kind: str, current: str, target: str, message: str = ""):
        self.kind = kind
        self.current = current
        self.target = target
        super().__init__(message or f"A {kind} that is {current} cannot become {target}.")


def can_move(kind: str, current: str, target: str) -> bool:
    """Whether ``kind`` ("run" or "workitem") may move from ``current`` to ``target``."""
    try:
        states, moves = _TABLES[kind]
    except KeyError:
        raise ValueError(f"unknown state table {kind!r}: use 'run' or 'workitem'") from None
    try:
        return states(target) in moves[states(current)]
    except ValueError:
        return False


def check_move(kind: str, current: str, target: str) -> None:
    """Raise ``IllegalMove`` unless the move is allowed."""
    if not can_move(kind, current, target):
        raise IllegalMove(kind, current, target)


def public_status(state: str) -> PublicStatus:
    return _PUBLIC[RunState(state)]
