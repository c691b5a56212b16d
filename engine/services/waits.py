"""Waiting for a run to end: what ``?wait=`` on the runs API does.

Reads only: one small indexed query per poll, each in its own autocommit
statement (no transaction is held open between polls, so a worker that ends
the run is never blocked and each poll sees what was committed). Polls start
short, for runs that end in a moment, and grow to at most half a second.

A waiting request holds a web server thread, so a process lets at most
``WAYMARK_API_MAX_WAITING`` requests wait at once; one more is answered at
once with the run as it is (as if its wait had passed), never queued.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from engine.conf import waymark_setting
from engine.core.states import TERMINAL_RUN_STATES
from engine.models import ProcessInstance, RunState

log = logging.getLogger("engine.api")

FIRST_POLL = 0.05
LONGEST_POLL = 0.5
# A failed run waits for a person (retry, resolve): as final as it gets for a waiting caller.
SETTLED = frozenset({*TERMINAL_RUN_STATES, RunState.FAILED})


def longest_wait() -> float:
    """The most seconds one request may wait (WAYMARK_API_MAX_WAIT_SECONDS)."""
    return max(0.0, float(waymark_setting("API_MAX_WAIT_SECONDS")))


class _Slots:
    """How many requests of this process are waiting now."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.taken = 0

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """True when this request may wait (a slot was free)."""
        with self.lock:
            free = self.taken < int(waymark_setting("API_MAX_WAITING"))
            self.taken += free
        try:
            yield free
        finally:
            if free:
                with self.lock:
                    self.taken -= 1


_slots = _Slots()


def wait_until_settled(run_id: int, seconds: float) -> str:
    """Poll until run ``run_id`` completed, was cancelled or failed, or ``seconds`` passed
    (cut to ``longest_wait()``, and to none when ``API_MAX_WAITING`` requests already
    wait); returns the state it last had."""
    with _slots.slot() as free:
        if not free and seconds > 0:
            log.warning("run %s: not waiting, %s requests already wait", run_id, _slots.taken)
        return _poll(run_id, seconds if free else 0.0)


def _poll(run_id: int, seconds: float) -> str:
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
