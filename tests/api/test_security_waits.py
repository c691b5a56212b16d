"""``?wait=`` holds a server thread: only WAYMARK_API_MAX_WAITING requests wait at once."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from engine.services import runtime, waits

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_sleep(monkeypatch):
    """A request that waits would sleep between polls: here that is an error."""

    def sleep(seconds):
        raise AssertionError(f"the request waited ({seconds} s)")

    # Only the waits module's clock: patching time.sleep itself would also stop
    # other threads of this process (the lease heartbeat sleeps between beats).
    monkeypatch.setattr(waits, "time", SimpleNamespace(monotonic=time.monotonic, sleep=sleep))


def test_a_wait_beyond_the_cap_answers_at_once(api, review_process, settings, no_sleep):
    settings.WAYMARK_API_MAX_WAITING = 2
    run = runtime.start_run(review_process.process.code, {"customer": "c"})
    client = api("ops", "manage")
    with waits._slots.slot(), waits._slots.slot():  # two requests already wait
        answer = client.get(f"/api/v1/runs/{run.pk}/?wait=30")
    assert answer.status_code == 200
    assert answer.json()["state"] == "ACTIVE"  # answered as it is, as after a wait
    assert waits._slots.taken == 0


def test_a_wait_within_the_cap_does_wait(api, review_process, settings, no_sleep):
    settings.WAYMARK_API_MAX_WAITING = 2
    run = runtime.start_run(review_process.process.code, {"customer": "c"})
    client = api("ops", "manage")
    with pytest.raises(AssertionError, match="the request waited"):
        client.get(f"/api/v1/runs/{run.pk}/?wait=30")
    assert waits._slots.taken == 0  # the slot is given back whatever happened
