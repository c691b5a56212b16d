"""The worker cluster's task queue survives a reader killed while it waits.

The cluster is engine/runtime/workers.py.

Fast and in-process: forked readers of a queue, as Django-Q2's workers are.
The whole cluster under SIGKILL, with real runs, is tests/engine/test_chaos.py.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from queue import Empty

import pytest
from django_q.queues import Queue as DjangoQQueue

from engine.runtime.workers import DeathSafeLock, DeathSafeQueue, report_worker_death

fork = multiprocessing.get_context("fork")


def read_one(queue, results) -> None:
    results.put((queue.get(), os.getpid()))


def held_by_another_process(lock) -> bool:
    if lock.acquire(block=False):
        lock.release()
        return False
    return True


def kill_waiting_reader(queue):
    """Start a reader, let it block in get() (holding the read lock), SIGKILL it."""
    results = fork.Queue()
    reader = fork.Process(target=read_one, args=(queue, results), daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    while not held_by_another_process(queue._rlock) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert held_by_another_process(queue._rlock), "the reader never waited for a task"
    os.kill(reader.pid, signal.SIGKILL)
    reader.join(timeout=10)
    return results


def test_a_reader_killed_while_waiting_leaves_the_next_task_to_the_others():
    queue = DeathSafeQueue()
    results = kill_waiting_reader(queue)
    second = fork.Process(target=read_one, args=(queue, results), daemon=True)
    second.start()
    queue.put({"task": 1})
    assert results.get(timeout=20) == ({"task": 1}, second.pid)
    second.join(timeout=10)
    assert queue.qsize() == 0  # the size counter (on a death-safe lock too) still adds up


def test_django_q2s_own_queue_stays_locked_after_the_same_kill():
    """Why engine/runtime/workers.py exists: Django-Q2's queue leaves the next reader waiting."""
    queue = DjangoQQueue()
    results = kill_waiting_reader(queue)
    second = fork.Process(target=read_one, args=(queue, results), daemon=True)
    second.start()
    queue.put({"task": 1})
    with pytest.raises(Empty):  # nobody could take the task
        results.get(timeout=2)
    second.kill()
    second.join(timeout=10)


def test_a_lock_held_by_a_process_that_died_is_free_again():
    lock = DeathSafeLock()

    def hold_for_ever() -> None:
        lock.acquire()
        time.sleep(60)

    holder = fork.Process(target=hold_for_ever, daemon=True)
    holder.start()
    deadline = time.monotonic() + 10
    while not held_by_another_process(lock) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not lock.acquire(timeout=0.1)  # really held by the other process
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(timeout=10)
    assert lock.acquire(timeout=10)
    with lock:  # reentrant in its holder, as the shared counters need
        pass
    lock.release()


def test_a_dead_worker_is_reported_loudly_with_what_it_was_doing(caplog):
    worker = fork.Process(target=time.sleep, args=(60,), daemon=True)
    worker.timer = multiprocessing.Value("f", -1, lock=DeathSafeLock())  # -1: waiting for a task
    worker.start()
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(timeout=10)
    with caplog.at_level("CRITICAL", logger="engine.workers"):
        report_worker_death(worker)
        worker.timer.value = 12.5  # seconds left of a task's timeout: it was busy
        report_worker_death(worker)
    assert f"worker pid {worker.pid} died while waiting for a task (exit code -9)" in caplog.text
    assert f"worker pid {worker.pid} died during a task (exit code -9)" in caplog.text
    assert "a new worker takes its place" in caplog.text
