"""A worker killed in the middle of reading a task leaves the cluster's queue whole.

What the chaos test caught (tests/engine/test_chaos.py, SQLite, a loaded
machine: 10-12 runs never completed). ``multiprocessing.Queue`` reads a
message as a 4-byte length header and then its body, two system calls. An idle
worker SIGKILLed between the two left the body in the pipe; the next worker
read the body's first bytes as a header (a negative length: it got nothing and
died with "EOFError: Ran out of input"), and the readers after it waited for
ever on a message that never ends. The cluster took no more tasks; every run
still waiting for a step stayed ``running`` although the reconciler re-sent
its step every 20 s (into the same dead queue).

The cluster's queues now carry each message as one packet of a
``SOCK_SEQPACKET`` socket pair (engine/runtime/workers.py): a reader gets a
whole message or none.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from queue import Empty

import pytest

from engine.runtime.workers import DeathSafeQueue

fork = multiprocessing.get_context("fork")


def die_after_a_partial_read(queue) -> None:
    """What a worker killed between the header and the body does to the queue."""
    with queue._rlock:
        os.read(queue._reader.fileno(), 4)  # the header (the pipe) or a cut packet
        os.kill(os.getpid(), signal.SIGKILL)


def kill_a_reader_midway(queue) -> None:
    reader = fork.Process(target=die_after_a_partial_read, args=(queue,), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert reader.exitcode == -signal.SIGKILL


def test_a_pipe_is_misaligned_by_a_reader_killed_midway():
    """The failure itself: the death-safe locks, messages in a pipe as before."""
    queue = DeathSafeQueue()
    queue._reader, queue._writer = fork.Pipe(duplex=False)
    queue._reset()
    queue.put({"task": 1})
    queue.put({"task": 2})
    time.sleep(0.2)  # the feeder thread has written both
    kill_a_reader_midway(queue)
    with pytest.raises(EOFError):  # (a worker dies of this; the one after it hangs)
        queue.get(timeout=5)


def test_a_reader_killed_midway_loses_its_own_task_only():
    queue = DeathSafeQueue()
    queue.put({"task": 1})
    queue.put({"task": 2})
    time.sleep(0.2)
    kill_a_reader_midway(queue)
    # Task 1 went with the killed worker (the reconciler sends such a step again);
    # task 2 is whole, and so is the queue after it.
    assert queue.get(timeout=5) == {"task": 2}
    queue.put({"task": 3})
    assert queue.get(timeout=5) == {"task": 3}


def read_for_ever(queue) -> None:
    while True:
        queue.get()


def test_readers_killed_at_random_moments_never_break_the_queue():
    """SIGKILL busy readers at random moments; every message left is read whole.

    (A smoke test of the packets under real kills: the window between two reads
    is too narrow to hit here on an idle machine; the test above is the one that
    fails with a pipe.)"""
    queue = DeathSafeQueue()
    rng = random.Random(16)
    sent = 0
    for _ in range(15):
        for _ in range(200):
            queue.put({"task": sent, "pad": "x" * rng.randrange(2000)})
            sent += 1
        reader = fork.Process(target=read_for_ever, args=(queue,), daemon=True)
        reader.start()
        time.sleep(rng.uniform(0.001, 0.03))
        os.kill(reader.pid, signal.SIGKILL)
        reader.join(timeout=10)
    left = []
    while True:
        try:
            left.append(queue.get(timeout=1)["task"])
        except Empty:
            break
    assert left == sorted(left) and all(0 <= task < sent for task in left)
    assert len(left) == len(set(left))
