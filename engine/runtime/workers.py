"""Waymark's Django-Q2 cluster: the same cluster, with locks that die with their holder.

Why this exists. Django-Q2's sentinel hands tasks to its workers through a
``multiprocessing.Queue``. A worker waiting for a task sits in ``get()``
*holding the queue's read lock* (a POSIX semaphore) until a task arrives. If
that worker is SIGKILLed (the OOM killer, an operator, a container runtime),
nobody ever releases the semaphore: every other worker, and the one the
sentinel spawns to replace the dead one, waits for it forever. The main
process stays alive, so a supervisor sees nothing, and the reconciler's
re-sends land in the same stuck queue (django-q2 issue #23; seen here 16 of 16
times). The same holds, in narrower windows, for the queue's write lock (held
while a process's feeder thread writes), the queue's size counter and each
worker's timer (locked by both the worker and the sentinel's guard loop).

The remedy: :class:`DeathSafeLock`, a lock the *kernel* releases when its
holder dies, because it is a POSIX record lock (``fcntl.lockf``) on an
anonymous file, owned by the process that took it. :class:`WaymarkSentinel`
builds its task and result queues and its workers' timers with it, and
otherwise is Django-Q2's sentinel unchanged: it reincarnates the dead worker,
which simply takes the lock the dead one had. No task in the queue is lost,
no busy worker is disturbed, nothing is polled. A worker that dies is logged
loudly, with what it was doing.

A message is never split either. A ``multiprocessing.Queue`` frames each
message in its pipe as a length header and a body, read by two system calls:
a worker killed between the two (a window of microseconds, wide open when the
machine is loaded and the worker is descheduled there; the chaos test caught
it) left the body in the pipe, the next reader took its first bytes for a
header, and every worker then failed or waited for ever on a message that
would never end: the cluster took no more tasks, and every run waited. So the
task and result queues carry their messages over a ``SOCK_SEQPACKET`` socket
pair instead (:class:`PacketConnection`): the kernel hands a reader one whole
message or none, and a writer sends one whole or none. A worker killed right
after it read a task loses that one task, as one killed while running it does
(the engine's reconciler sends the step again).

What it cannot cover (named so nobody is surprised): a worker killed between
reading a task and releasing the queue's capacity semaphore shrinks the queue
by one slot, which needs a kill to land between two adjacent system calls; a
message larger than the socket's buffer (about 2 MB here; Waymark's messages
are ids) cannot be sent and is logged. The chaos test (tests/engine/
test_chaos.py) kills idle and busy workers under load to show the common case
is handled.

Run it with ``manage.py waymark_worker`` (what ``make run`` starts). Plain
``manage.py qcluster`` still works but keeps Django-Q2's wedge.
"""

from __future__ import annotations

import contextlib
import io
import logging
import multiprocessing
import os
import socket
import tempfile
import threading
import time
import weakref
from multiprocessing import connection as mp_connection

from django_q import cluster as q_cluster
from django_q.queues import Queue
from django_q.worker import worker

try:  # POSIX only; on Windows the plain sentinel is used (see start_cluster).
    import fcntl
except ImportError:  # pragma: no cover - not on the platforms Waymark is tested on
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("engine.workers")

# What a worker's timer value means (Django-Q2's convention, django_q/worker.py).
TIMER_IDLE, TIMER_RECYCLED, TIMER_TIMED_OUT = -1, -2, 0


class DeathSafeLock:
    """A reentrant lock shared by forked processes, released by the kernel when its holder dies.

    Across processes it is an exclusive ``lockf`` lock on an anonymous file
    (POSIX record locks belong to a process and vanish with it); within a
    process a ``threading.RLock`` keeps threads apart (record locks don't) and
    counts re-entries. It works with processes started by ``fork``, as
    Django-Q2 starts them; it is not picklable.
    """

    def __init__(self) -> None:
        # Unlinked at once, nothing is left behind; open for the lock's lifetime.
        self._file = tempfile.TemporaryFile()  # noqa: SIM115
        weakref.finalize(self, self._file.close)
        self._fresh_process_state()

    def _fresh_process_state(self) -> None:
        # A forked child starts with the parent's copies of these; none of the
        # parent's holds are the child's, so they are renewed on first use.
        self._pid = os.getpid()
        self._threads = threading.RLock()
        self._depth = 0

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        if self._pid != os.getpid():
            self._fresh_process_state()
        deadline = None if (timeout is None or timeout < 0) else time.monotonic() + timeout
        if not block:
            got = self._threads.acquire(False)
        else:
            wait = -1.0 if deadline is None or timeout is None else max(timeout, 0.0)
            got = self._threads.acquire(True, wait)
        if not got:
            return False
        if self._depth == 0 and not self._lock_file(block, deadline):
            self._threads.release()
            return False
        self._depth += 1
        return True

    def release(self) -> None:
        if self._depth <= 0 or self._pid != os.getpid():
            raise RuntimeError("release of a DeathSafeLock this process does not hold")
        self._depth -= 1
        if self._depth == 0:
            fcntl.lockf(self._file.fileno(), fcntl.LOCK_UN)
        self._threads.release()

    def _lock_file(self, block: bool, deadline: float | None) -> bool:
        if block and deadline is None:
            fcntl.lockf(self._file.fileno(), fcntl.LOCK_EX)
            return True
        while True:  # lockf has no timeout: try, then wait a little
            try:
                fcntl.lockf(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except OSError:  # EACCES / EAGAIN: another process holds it
                if not block or deadline is None or time.monotonic() >= deadline:
                    return False
                time.sleep(0.005)

    __enter__ = acquire

    def __exit__(self, *exc_info) -> None:
        self.release()


PACKET_BUFFER = 1 << 20  # bytes asked for each socket's send buffer (the kernel may cap it)


class PacketConnection(mp_connection.Connection):
    """One end of a ``SOCK_SEQPACKET`` socket pair: one message is one packet.

    ``multiprocessing``'s pipe connection reads a length header and then the
    body with two system calls, so a reader killed between them leaves the
    stream misaligned for every later reader. Here a message is received by a
    single ``recv`` (after a peek for its length, which consumes nothing) and
    sent by a single ``send``: a process that dies took or sent a whole
    message or nothing.
    """

    def __init__(self, sock: socket.socket, *, readable: bool, writable: bool) -> None:
        self._sock = sock
        super().__init__(sock.fileno(), readable=readable, writable=writable)

    def _close(self, _close=None) -> None:
        self._sock.close()

    def _send_bytes(self, buf) -> None:
        self._sock.send(buf)  # a packet: all or nothing (EMSGSIZE when too large)

    def _recv_bytes(self, maxsize: int | None = None) -> io.BytesIO:
        flags = socket.MSG_PEEK | socket.MSG_TRUNC  # the next packet's length; it stays queued
        size = self._sock.recv_into(bytearray(1), 1, flags)
        if size == 0:
            raise EOFError  # the writing end was closed
        if maxsize is not None and size > maxsize:
            raise OSError("message too long")
        return io.BytesIO(self._sock.recv(size))


def packet_pipe() -> tuple[PacketConnection, PacketConnection]:
    """A one-way (reader, writer) pair, like ``multiprocessing.Pipe(duplex=False)``."""
    reader, writer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    reader.shutdown(socket.SHUT_WR)
    writer.shutdown(socket.SHUT_RD)
    for sock in (reader, writer):
        # Capped or refused: the default (about 200 KB) still fits Waymark's ids.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, PACKET_BUFFER)
    return (
        PacketConnection(reader, readable=True, writable=False),
        PacketConnection(writer, readable=False, writable=True),
    )


class DeathSafeQueue(Queue):  # type: ignore[misc]
    """Django-Q2's queue with its read lock, write lock and size counter on DeathSafeLocks,
    and its messages carried as whole packets (:class:`PacketConnection`)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # multiprocessing's pipe, replaced before any process uses it
        self._reader.close()  # type: ignore[has-type]
        self._writer.close()  # type: ignore[has-type]
        self._reader, self._writer = packet_pipe()
        self._reset()  # (re-binds the queue's send, receive and poll to the new ends)
        self._rlock = DeathSafeLock()
        self._wlock = DeathSafeLock()
        lock = DeathSafeLock()
        self.size.count = multiprocessing.Value("i", 0, lock=lock)  # type: ignore[call-overload]


class WaymarkSentinel(q_cluster.Sentinel):  # type: ignore[misc]
    """Django-Q2's sentinel with death-safe queues and timers, and loud reports of deaths."""

    def __init__(self, stop_event, start_event, cluster_id, broker=None, timeout=None, start=True):
        super().__init__(stop_event, start_event, cluster_id, broker, timeout, start=False)
        limit = q_cluster.Conf.QUEUE_LIMIT
        self.task_queue = DeathSafeQueue(maxsize=limit) if limit else DeathSafeQueue()
        self.result_queue = DeathSafeQueue()
        if start:
            self.start()

    def spawn_worker(self) -> None:
        lock = DeathSafeLock()
        timer = multiprocessing.Value("f", TIMER_IDLE, lock=lock)  # type: ignore[call-overload]
        self.spawn_process(worker, self.task_queue, self.result_queue, timer, self.timeout)

    def reincarnate(self, process) -> None:
        if process in self.pool:
            report_worker_death(process)
        else:  # the guard loop replaces the pusher or the monitor only when it died
            logger.critical(
                "Waymark worker: Django-Q2 %s (pid %s) died (exit code %s); restarting it.",
                "pusher" if process is self.pusher else "monitor",
                process.pid,
                process.exitcode,
            )
        super().reincarnate(process)


def report_worker_death(process) -> None:
    """Log, loudly, why a worker is being replaced (a recycle is routine and stays quiet)."""
    timer = process.timer.get_obj().value  # no lock: only read for the message
    if timer == TIMER_RECYCLED:
        return
    if timer == TIMER_TIMED_OUT:
        what = "ran past Django-Q2's task timeout and is stopped"
    elif process.exitcode == 0:
        return  # it was told to stop
    elif timer == TIMER_IDLE:
        what = f"died while waiting for a task (exit code {process.exitcode})"
    else:
        what = f"died during a task (exit code {process.exitcode})"
    logger.critical(
        "Waymark worker: worker pid %s %s. The queue locks it held were released with it "
        "(in Django-Q2's own cluster every other worker could now wait for ever); a new "
        "worker takes its place. A step it was running moves again through its lease and "
        "the reconciler.",
        process.pid,
        what,
    )


def start_cluster() -> q_cluster.Cluster:
    """Start a Django-Q2 cluster whose sentinel is :class:`WaymarkSentinel`; returns it.

    ``Cluster.start`` spawns ``django_q.cluster.Sentinel`` by its module-level
    name, so this process points that name at Waymark's subclass first (the
    management command is a process of its own; nothing else is affected).
    """
    if fcntl is None:  # pragma: no cover
        logger.warning("Waymark worker: no fcntl here, running Django-Q2's plain sentinel")
    else:
        q_cluster.Sentinel = WaymarkSentinel
    cluster = q_cluster.Cluster()
    cluster.start()
    return cluster
