"""Waiting for a run to end: what ``?wait=`` on the runs API does.

Reads only: one small indexed query per poll, each in its own autocommit
statement (no transaction is held open between polls, so a worker that ends
the run is never blocked and each poll sees what was committed). Polls start
short, for runs that end in a moment, and grow to at most half a second.
"""

from __future__ import annotations

import time

from engine.conf import waymark_setting
from engine.core.states import TERMINAL_RUN_STATES
from engine.models import ProcessInstance, RunState

FIRST_POLL = 0.05
LONGEST_POLL = 0.5
# A failed run waits for a person (retry, resolve): as final as it gets for a waiting caller.
SETTLED = frozenset({*TERMINAL_RUN_STATES, RunState.FAILED})


def longest_wait() -> float:
    """The most seconds one request may wait (WAYMARK_API_MAX_WAIT_SECONDS)."""
    return max(0.0, float(waymark_setting("API_MAX_WAIT_SECONDS")))


def wait_until_settled(run_id: int, seconds: float) -> str:
    """Poll until run ``run_id`` completed, was cancelled or failed, or ``seconds`` passed
    (cut to ``longest_wait()``); returns the state it last had."""
    deadline = time.monotonic() + min(max(seconds, 0.0), longest_wait())
    pause = FIRST_POLL
    while True:
        state = ProcessInstance.objects.filter(pk=run_id).values_list("state", flat=True).first()
        if state is None or state in SETTLED:
            return state or ""
        left = deadline - time.monotonic()
        if left <= 0:
            return state
        time.sleep(min(pause, left))
        pause = min(pause * 2, LONGEST_POLL)
