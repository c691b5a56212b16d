"""The run and workitem state tables: every state has a row, illegal moves raise."""

import pytest

from engine.core.states import (
    CLOSED_WORKITEM_STATES,
    OPEN_WORKITEM_STATES,
    RUN_MOVES,
    WORKITEM_MOVES,
    IllegalMove,
    PublicStatus,
    RunState,
    WorkItemState,
    can_move,
    check_move,
    public_status,
)


def test_every_state_has_a_row_in_its_table():
    assert set(RUN_MOVES) == set(RunState)
    assert set(WORKITEM_MOVES) == set(WorkItemState)


def test_open_and_closed_workitem_states_partition_the_states():
    assert set(WorkItemState) == OPEN_WORKITEM_STATES | CLOSED_WORKITEM_STATES
    assert not OPEN_WORKITEM_STATES & CLOSED_WORKITEM_STATES


def test_closed_states_and_finished_runs_are_final():
    for state in CLOSED_WORKITEM_STATES:
        assert WORKITEM_MOVES[state] == frozenset()
    assert RUN_MOVES[RunState.COMPLETED] == RUN_MOVES[RunState.CANCELLED] == frozenset()


@pytest.mark.parametrize(
    ("kind", "current", "target", "allowed"),
    [
        ("workitem", "offered", "assigned", True),  # claim
        ("workitem", "assigned", "offered", True),  # release
        ("workitem", "assigned", "assigned", True),  # reassign / delegate
        ("workitem", "assigned", "completed", True),
        ("workitem", "offered", "timed_out", True),
        ("workitem", "ready", "retry", True),
        ("workitem", "retry", "ready", True),
        ("workitem", "ready", "fallout", True),
        ("workitem", "fallout", "ready", True),  # retry
        ("workitem", "waiting", "completed", True),
        ("workitem", "completed", "completed", False),  # completing twice
        ("workitem", "completed", "assigned", False),
        ("workitem", "cancelled", "completed", False),
        ("workitem", "timed_out", "completed", False),
        ("workitem", "retry", "completed", False),
        ("workitem", "waiting", "assigned", False),
        ("run", "running", "waiting", True),
        ("run", "waiting", "suspended", True),
        ("run", "suspended", "running", True),
        ("run", "failed", "running", True),  # retried
        ("run", "completed", "running", False),
        ("run", "cancelled", "suspended", False),
        ("run", "suspended", "completed", False),
        ("run", "running", "nonsense", False),
        ("run", "nonsense", "running", False),
    ],
)
def test_moves(kind, current, target, allowed):
    assert can_move(kind, current, target) is allowed
    if allowed:
        check_move(kind, current, target)
    else:
        with pytest.raises(IllegalMove) as info:
            check_move(kind, current, target)
        assert current in str(info.value) and target in str(info.value)


def test_unknown_table_is_a_programming_error():
    with pytest.raises(ValueError):
        can_move("process", "running", "waiting")


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("running", PublicStatus.ACTIVE),
        ("waiting", PublicStatus.ACTIVE),
        ("suspended", PublicStatus.ACTIVE),
        ("failed", PublicStatus.FAILED),
        ("completed", PublicStatus.SUCCEEDED),
        ("cancelled", PublicStatus.CANCELLED),
    ],
)
def test_public_status(state, status):
    assert public_status(state) is status
