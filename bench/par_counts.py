"""What a par10 run (a parallel split of width 10 and its join) costs through the queue.

    .venv/bin/python bench/par_counts.py             # a temporary SQLite database, ORM broker
    .venv/bin/python bench/par_counts.py --runs 20

Counted in-process, exactly, so the figures are the same on a loaded machine:
the runs are started with the ``django_q`` backend and Django-Q2's ORM broker
(as the SQLite configuration of ``bench/engine_bench.py``), then one worker is
played in this process: take a message from the broker, run its task, save its
result and acknowledge it, as Django-Q2's worker and monitor do. Printed per
run: transactions committed (a statement outside ``atomic`` is its own),
statements (BEGIN/COMMIT left out) and writes, queue messages sent, and those
messages that found their step already taken or done (no-ops), plus the CPU
seconds of this process per step (Django-Q2's result table holding ``--results``
rows first, as a cluster that ran a while does).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


class Counter:
    """Statements, writes and commits on the default connection (an execute wrapper)."""

    def __init__(self) -> None:
        self.statements = self.writes = self.autocommits = self.commits = 0

    def __call__(self, execute, sql, params, many, context):
        head = sql.lstrip()[:20].upper()
        if not head.startswith(CONTROL):
            self.statements += 1
            if head.startswith(("INSERT", "UPDATE", "DELETE")):
                self.writes += 1
                if not context["connection"].in_atomic_block:
                    self.autocommits += 1  # its own transaction
        return execute(sql, params, many, context)


def drain(broker, save_task, signing) -> tuple[int, int]:
    """Play one Django-Q2 worker and its monitor until the queue is empty: (messages, no-ops)."""
    from django.utils import timezone
    from django.utils.module_loading import import_string

    messages = noops = 0
    while True:
        taken = broker.dequeue()
        if not taken:
            return messages, noops
        for ack_id, payload in taken:
            task = signing.SignedPackage.loads(payload)
            result = import_string(task["func"])(*task["args"], **task["kwargs"])
            messages += 1
            noops += task["func"] == "engine.tasks.run_workitem" and not result
            task.update(result=result, success=True, stopped=timezone.now())
            save_task(task, broker)  # as django_q.monitor does, then the acknowledgement
            broker.acknowledge(ack_id)


def stored_results(count: int) -> None:
    """Fill Django-Q2's result table as a cluster that ran a while has it (``save_limit``)."""
    from django.utils import timezone
    from django_q.models import Success

    now = timezone.now()
    Success.objects.bulk_create(
        Success(id=f"{i:032x}", name=f"old-{i}", func="engine.tasks.run_workitem", args=(i, 1),
                kwargs={}, result=1, started=now, stopped=now, success=True)
        for i in range(count)
    )  # fmt: skip


def measure(runs: int) -> dict:
    from django.db import connections
    from django_q import signing
    from django_q.brokers import get_broker
    from django_q.conf import Conf
    from django_q.monitor import save_task

    from engine.models import ProcessInstance, RunState, WorkItem
    from engine.services import runtime

    Conf.POLL = 0  # an empty queue: no sleep before saying so
    broker = get_broker()
    runtime.start_run("bench_parallel")  # warm: the graph cache, the endpoint cache
    drain(broker, save_task, signing)
    counter = Counter()
    commits = 0
    connection = connections["default"]
    real_commit = type(connection).commit

    def commit(self):
        nonlocal commits
        commits += 1
        return real_commit(self)

    type(connection).commit = commit
    began = time.process_time()
    try:
        with connection.execute_wrapper(counter):
            ids = [runtime.start_run("bench_parallel").pk for _ in range(runs)]
            messages, noops = drain(broker, save_task, signing)
    finally:
        type(connection).commit = real_commit
    cpu = time.process_time() - began
    done = ProcessInstance.objects.filter(pk__in=ids, state=RunState.COMPLETED).count()
    steps = WorkItem.objects.filter(
        instance_id__in=ids, activity_kind="automatic", state="completed"
    ).count()
    assert done == runs, f"{runs - done} runs did not complete"
    return {
        "runs": runs,
        "steps": steps,
        "transactions": (commits + counter.autocommits) / runs,
        "statements": counter.statements / runs,
        "writes": counter.writes / runs,
        "messages": messages / runs,
        "noop_messages": noops / runs,
        "cpu_ms_per_step": 1000 * cpu / steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--results", type=int, default=1000,
        help="task results stored before (a cluster that ran a while holds save_limit of them)",
    )  # fmt: skip
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="waymark-par-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/par.sqlite3"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
    os.environ["WAYMARK_SCHEDULER_BACKEND"] = "django_q"
    import django

    django.setup()
    from django.core.management import call_command

    from bench.engine_bench import parallel_definition
    from engine.services import definitions

    call_command("migrate", verbosity=0)
    definitions.import_definition(parallel_definition(), publish_it=True)
    stored_results(args.results)
    figures = measure(args.runs)
    print(
        "par10 through the ORM broker, one worker, per run: "
        f"{figures['transactions']:g} transactions, {figures['statements']:g} statements "
        f"({figures['writes']:g} writes), {figures['messages']:g} queue messages "
        f"({figures['noop_messages']:g} no-ops); {figures['cpu_ms_per_step']:.2f} ms CPU per step"
    )


if __name__ == "__main__":
    main()
