"""django-viewflow, django-goflow2 and DBOS Transact on the processes of bench/engine_bench.py.

Runs in its own virtualenv (the peers are never installed next to Waymark):

    python3 -m venv var/bench-peers
    var/bench-peers/bin/pip install -r bench/peers/requirements.txt
    cd bench/peers && ../../var/bench-peers/bin/python peer_bench.py

bench/engine_bench.py runs it for its side-by-side table. Both peers run
inline, in the caller's process and transaction (no queue, no worker): a
20-step run is one call. Measured on a fresh SQLite database with Waymark's
settings (WAL, synchronous=NORMAL, IMMEDIATE transactions): automatic
steps/s of the 20-step linear process and run starts/s of the process heavy
in human tasks (a start creates its first human task). Prints one
``BENCH-RESULT {json}`` line for the driver. DBOS Transact (dbos_peer.py)
runs the 20-step process only (it has no human tasks), on a SQLite file with
the same settings (or ``BENCH_DBOS_DATABASE_URL``).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
RUNS = int(os.environ.get("BENCH_RUNS", "40"))
TIME_LIMIT = 120.0  # seconds per measurement
MARK = "BENCH-RESULT "


def timed_runs(start_one, count: int) -> tuple[int, float]:
    """Call ``start_one`` up to ``count`` times (stops at the time limit): (done, seconds)."""
    began = time.perf_counter()
    done = 0
    while done < count and time.perf_counter() - began < TIME_LIMIT:
        start_one()
        done += 1
    return done, time.perf_counter() - began


def viewflow_figures() -> dict:
    from django.db import transaction
    from peerapp.flows import STEPS, HumanFlow, LinearFlow
    from viewflow.workflow.models import Process, Task

    def linear():
        # As called from code. The start's execute() opens one transaction.atomic()
        # and every Function node runs inside it in a savepoint: one COMMIT per
        # 20-step run, not one per step (bench/io_trace.py counts them).
        LinearFlow.start.run()

    def linear_one_transaction():
        with transaction.atomic():
            LinearFlow.start.run()

    linear()  # warm-up
    done, seconds = timed_runs(linear, RUNS)
    done_once, seconds_once = timed_runs(linear_one_transaction, RUNS)
    functions = Task.objects.filter(flow_task_type="FUNCTION", status="DONE").count()
    assert functions == (done + done_once + 1) * STEPS, (functions, done)
    finished = Process.objects.filter(flow_class=LinearFlow, status="DONE").count()
    assert finished == done + done_once + 1, finished

    def human():
        with transaction.atomic():
            HumanFlow.start.run()

    human()
    starts, start_seconds = timed_runs(human, RUNS)
    assigned = Task.objects.filter(flow_task_type="HUMAN", status="ASSIGNED").count()
    assert assigned == starts + 1, assigned
    import viewflow

    return {
        "version": getattr(viewflow, "__version__", "2.4.0"),
        "linear": done * STEPS / seconds,
        "linear_one_transaction": done_once * STEPS / seconds_once,
        "starts": starts / start_seconds,
        "notes": "inline, no queue; one transaction per run (a savepoint per step): "
        f"{done_once * STEPS / seconds_once:,.0f} steps/s inside an outer atomic()",
    }


def goflow_process(title: str, steps: int):
    """A goflow2 process: ``steps`` automatic activities in a line (begin .. end)."""
    from goflow.workflow.models import Activity, Process, Transition

    process = Process.objects.create(title=title, code=title, description=title)
    activities = [
        Activity.objects.create(title=f"s{i}", process=process, autostart=True, autofinish=True)
        for i in range(steps)
    ]
    for i, (a, b) in enumerate(zip(activities, activities[1:], strict=False)):
        # (goflow2's Transition.save() takes no arguments: objects.create() fails)
        Transition(name=f"t{i}", process=process, input=a, output=b).save()
    process.begin, process.end = activities[0], activities[-1]
    process.save()
    return process


def goflow_human_process(title: str, tasks: int):
    from django.contrib.auth.models import Group
    from goflow.workflow.models import Activity, Process, Transition

    process = Process.objects.create(title=title, code=title, description=title)
    group = Group.objects.get_or_create(name="bench-approvers")[0]
    chain = []
    for i in range(tasks):
        activity = Activity.objects.create(title=f"h{i}", process=process)
        activity.roles.add(group)
        chain.append(activity)
    chain.append(Activity.objects.create(title="notify", process=process, autostart=True))
    for i, (a, b) in enumerate(zip(chain, chain[1:], strict=False)):
        Transition(name=f"t{i}", process=process, input=a, output=b).save()
    process.begin, process.end = chain[0], chain[-1]
    process.save()
    return process


def goflow_figures(user, auto_user) -> dict:
    from django.db import transaction
    from goflow.runtime.models import ProcessInstance, WorkItem
    from peerapp.models import Item

    steps = 20
    goflow_process("bench_linear", steps)
    goflow_human_process("bench_human", 4)

    def linear():
        with transaction.atomic():  # (without it goflow2 is slower still)
            # Started as WF_USER_AUTO: goflow2 refuses to run the first automatic
            # activity as anyone but the user the run was started by.
            ProcessInstance.objects.start("bench_linear", auto_user, Item.objects.create())

    linear()
    done, seconds = timed_runs(linear, RUNS)
    completed = WorkItem.objects.filter(
        instance__process__title="bench_linear", status="complete"
    ).count()
    assert completed == (done + 1) * steps, (completed, done)

    def human():
        with transaction.atomic():
            ProcessInstance.objects.start("bench_human", user, Item.objects.create())

    human()
    starts, start_seconds = timed_runs(human, RUNS)
    return {
        "version": "1.2",
        "linear": done * steps / seconds,
        "starts": starts / start_seconds,
        "notes": "inline, no queue; a whole run in one transaction",
    }


def main() -> None:
    folder = tempfile.mkdtemp(prefix="waymark-peers-")
    os.chdir(folder)  # goflow2 writes its workflow.log into the working directory
    os.environ["PEER_DB"] = os.path.join(folder, "peers.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)
    User = get_user_model()
    user = User.objects.create_user("bench")
    auto_user = User.objects.create_user("workflow")  # goflow2's WF_USER_AUTO
    results = {}
    from dbos_peer import dbos_figures

    dbos_url = os.environ.get("BENCH_DBOS_DATABASE_URL") or (
        "sqlite:///" + os.path.join(folder, "dbos.sqlite3")
    )
    for name, measure in (
        ("django-viewflow", viewflow_figures),
        ("django-goflow2", lambda: goflow_figures(user, auto_user)),
        ("DBOS Transact", lambda: dbos_figures(dbos_url, RUNS)),
    ):
        try:
            results[name] = measure()
        except Exception as exc:  # a peer that cannot run here: say why, never a number
            traceback.print_exc()
            results[name] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    print(MARK + json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
