"""Timer lateness: 10,000 timers due in the same minute, fired by the real timer loop.

    .venv/bin/python bench/timer_bench.py                    # PostgreSQL + Redis
    .venv/bin/python bench/timer_bench.py --database sqlite  # SQLite + ORM broker
    .venv/bin/python bench/timer_bench.py --timers 2000 --loops 2
    .venv/bin/python bench/timer_bench.py --database sqlite --profile 2000   # in-process

A fresh database is created and migrated. One run of "start -> wait (a timer)
-> a (automatic) -> end" is started through the engine; the other runs are
copies of its rows (bulk inserted, so that making 10,000 waiting runs takes
seconds rather than minutes: creating them is not what is measured). Their
timers are then spread evenly over one minute starting a few seconds later,
and ``manage.py waymark_timers`` (the real loop, ``--loops`` of them) and a
``manage.py qcluster`` (for the automatic step after each timer) are started.
Lateness is ``fired_at - due_at`` of each timer, from the database. The
peer figure is Django-Q2's own scheduler, which looks for due schedules on a
tick of about 30 seconds (the issue's measurement; not re-measured here).

``--profile N`` measures what one fire costs instead, in-process and with no
other process on the database: N timers all due, fired by ``fire_due`` with
the configured backend (so the queue messages sent after each commit are
counted too), then the statements, commits and CPU seconds (this process
only, steadier than wall-clock time on a shared machine) per fire, and the
cProfile top functions.

Every wait is bounded; the subprocesses are killed at the end, on errors and
on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import deque
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine_bench import _definition, fresh_database, group_rss_mb, kill_group  # noqa: E402

START_IN = 15.0  # seconds from "timers set" to the first due timer
SPREAD = 60.0  # the minute they are all due in
TARGET_P99 = 2.0
DJANGO_Q_TICK = 30.0


def timer_definition() -> dict:
    acts = [
        {"key": "wait", "kind": "timer", "timer_duration": "1d"},
        {"key": "a", "kind": "automatic", "handler": "bench.step"},
    ]
    return _definition("bench_timer", acts, [("start", "wait"), ("wait", "a"), ("a", "end")])


def copy_runs(template_id: int, count: int) -> None:
    """``count`` more runs waiting on their timer, copied row by row from the template run."""
    from django.db import transaction

    from engine.models import ProcessInstance, Timer, WorkItem

    run = ProcessInstance.objects.get(pk=template_id)
    items = list(WorkItem.objects.filter(instance=run).order_by("seq"))
    timer = Timer.objects.get(instance=run)
    batch = 1000
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        with transaction.atomic():
            runs = []
            for _ in range(size):
                run.pk = None
                runs.append(ProcessInstance(**_columns(run)))
            runs = ProcessInstance.objects.bulk_create(runs)
            copies = []
            for new_run in runs:
                for item in items:
                    columns = {**_columns(item), "id": None, "instance_id": new_run.pk}
                    copies.append(WorkItem(**columns))
            copies = WorkItem.objects.bulk_create(copies)
            waiting = [c for c in copies if c.activity_key == "wait"]
            Timer.objects.bulk_create(
                Timer(
                    **{
                        **_columns(timer),
                        "id": None,
                        "instance_id": c.instance_id,
                        "workitem_id": c.pk,
                    }
                )
                for c in waiting
            )


def _columns(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def spread_due_times(count: int):
    """Spread the timers evenly over SPREAD seconds from T0, in 0.1 s slots; returns T0."""
    from django.db import transaction
    from django.utils import timezone

    from engine.models import Timer, WorkItem

    first = timezone.now() + timedelta(seconds=START_IN)
    rows = list(Timer.objects.order_by("pk").values_list("pk", "workitem_id"))
    slots = int(SPREAD * 10)
    with transaction.atomic():
        for slot in range(slots):
            chunk = rows[slot * len(rows) // slots : (slot + 1) * len(rows) // slots]
            due = first + timedelta(seconds=slot / 10)
            Timer.objects.filter(pk__in=[pk for pk, _ in chunk]).update(due_at=due)
            WorkItem.objects.filter(pk__in=[w for _, w in chunk]).update(due_at=due)
    return first


def start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds (user + system) of a process group, its reaped children included."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # it ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()  # state, ppid, pgrp, ...
        if int(fields[2]) == pgid:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(count: int, loops: int, vendor: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from engine.models import ProcessInstance, RunState, Timer
    from engine.services import definitions, runtime

    call_command("migrate", verbosity=0)
    definitions.import_definition(timer_definition(), publish_it=True)
    template = runtime.start_run("bench_timer")
    began = time.perf_counter()
    copy_runs(template.pk, count - 1)
    print(f"{count:,} waiting runs made in {time.perf_counter() - began:.1f}s", file=sys.stderr)
    processes = [start(["qcluster"])]
    try:
        first = spread_due_times(count)
        processes += [start(["waymark_timers"]) for _ in range(loops)]
        unfired = Timer.objects.filter(fired_at=None)
        deadline = time.monotonic() + START_IN + SPREAD + 180
        rss = []
        while unfired.exists() and time.monotonic() < deadline:
            time.sleep(1.0)
            for p in processes:
                rss += group_rss_mb(p.pid)
        loop_cpu = sum(group_cpu_seconds(p.pid) for p in processes[1:])
        late = [
            (fired - due).total_seconds()
            for due, fired in Timer.objects.exclude(fired_at=None).values_list("due_at", "fired_at")
        ]
        left = unfired.count()
        completed_deadline = time.monotonic() + 120
        while (
            ProcessInstance.objects.exclude(state=RunState.COMPLETED).exists()
            and time.monotonic() < completed_deadline
        ):
            time.sleep(1.0)
        completed = ProcessInstance.objects.filter(state=RunState.COMPLETED).count()
        cluster_cpu = group_cpu_seconds(processes[0].pid)
    finally:
        for p in processes:
            kill_group(p)
    label = "PostgreSQL + Redis" if vendor == "postgres" else "SQLite + ORM broker"
    print()
    print(f"Timer lateness, {count:,} timers due in one minute from {first:%H:%M:%S} UTC")
    print(f"{'engine':<44}{'median s':>10}{'p99 s':>9}{'max s':>9}{'fired':>9}{'p99 target':>12}")
    if late:
        p99 = percentile(late, 0.99)
        print(
            f"{f'Waymark, {label}, {loops} timer loop(s)':<44}{statistics.median(late):>10.2f}"
            f"{p99:>9.2f}{max(late):>9.2f}{len(late):>9,}"
            f"{'met' if p99 <= TARGET_P99 and not left else 'MISSED':>12}"
        )
    print(
        f"{'Django-Q2 schedule (tick ~30 s, not re-run)':<44}{DJANGO_Q_TICK / 2:>10.2f}"
        f"{DJANGO_Q_TICK * 0.99:>9.2f}{DJANGO_Q_TICK:>9.2f}{'':>9}"
    )
    if late:
        print(f"ratio at p99: Waymark is {DJANGO_Q_TICK * 0.99 / max(p99, 1e-3):,.0f}x closer")
    print(
        f"not fired in time: {left:,}; runs completed after their timer (through the workers): "
        f"{completed:,} of {count:,}; largest process RSS: {max(rss or [0]):.0f} MB"
    )
    # CPU seconds of the processes themselves: steadier than lateness on a shared machine.
    print(
        f"CPU: timer loop(s) {loop_cpu:.1f} s = {loop_cpu / max(len(late), 1) * 1000:.2f} ms "
        f"per fire; qcluster {cluster_cpu:.1f} s = "
        f"{cluster_cpu / max(completed, 1) * 1000:.2f} ms per run completed; "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )


def profile_fires(count: int) -> None:
    """Statements, commits and CPU per fire of ``count`` timers due at once, in-process."""
    import cProfile
    import pstats

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from engine.models import Timer
    from engine.runtime import timers
    from engine.services import definitions, runtime

    call_command("migrate", verbosity=0)
    definitions.import_definition(timer_definition(), publish_it=True)
    template = runtime.start_run("bench_timer")
    copy_runs(template.pk, count - 1)
    # Two halves: CPU time of the first with nothing else running in this process,
    # statements and cProfile of the second (counting and profiling slow it down).
    ids = list(Timer.objects.order_by("pk").values_list("pk", flat=True))
    halves = ids[: len(ids) // 2], ids[len(ids) // 2 :]
    due_now(halves[0])
    timers.fire_due(limit=1)  # warm: the graph, the compiled statements, the broker
    began, cpu = time.perf_counter(), time.process_time()
    fired = fire_all(len(halves[0]) - 1)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - began
    due_now(halves[1])
    profiler = cProfile.Profile()
    connection.queries_log = deque(maxlen=100 * count)  # (Django keeps 9,000)
    with CaptureQueriesContext(connection) as captured:
        profiler.enable()
        counted = fire_all(len(halves[1]))
        profiler.disable()
    sql = [q["sql"].lstrip().upper() for q in captured.captured_queries]
    commits = sum(s.startswith("COMMIT") for s in sql) + _autocommits(sql)
    work = [s for s in sql if not s.startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
    writes = sum(s.startswith(("INSERT", "UPDATE", "DELETE")) for s in work)
    n = max(counted, 1)
    print(f"{fired + counted:,} timers fired in-process on {connection.vendor}")
    print(
        f"per fire: {len(work) / n:.2f} statements ({writes / n:.2f} writes), "
        f"{commits / n:.3f} commits; {cpu / max(fired, 1) * 1000:.2f} ms CPU "
        f"({fired / cpu:,.0f} fires per CPU second; wall clock {fired / wall:,.0f}/s)"
    )
    kinds: dict[str, int] = {}
    for s in work:
        key = " ".join(s.split()[:3])[:60]
        kinds[key] = kinds.get(key, 0) + 1
    for key, seen in sorted(kinds.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {seen / n:6.2f}  {key}")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    if os.environ.get("BENCH_CUMULATIVE"):
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


def due_now(timer_ids: list[int]) -> None:
    """Make these timers (and their workitems) due a second ago."""
    from django.utils import timezone

    from engine.models import Timer, WorkItem

    due = timezone.now() - timedelta(seconds=1)
    for start in range(0, len(timer_ids), 500):
        chunk = Timer.objects.filter(pk__in=timer_ids[start : start + 500])
        WorkItem.objects.filter(pk__in=chunk.values("workitem_id")).update(due_at=due)
        chunk.update(due_at=due)


def fire_all(expected: int) -> int:
    """Run the loop's fire_due until ``expected`` timers fired (or it stops firing)."""
    from engine.runtime import timers

    fired = 0
    while fired < expected:
        now = timers.fire_due()
        if not now:
            break
        fired += now
    return fired


def _autocommits(sql: list[str]) -> int:
    """Writes outside a transaction commit on their own (Django sends no COMMIT for them)."""
    depth, commits = 0, 0
    for s in sql:
        if s.startswith("BEGIN"):
            depth = 1
        elif s.startswith(("COMMIT", "ROLLBACK")):
            depth = 0
        elif depth == 0 and s.startswith(("INSERT", "UPDATE", "DELETE")):
            commits += 1
    return commits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--loops", type=int, default=1, help="timer loops side by side")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cost per fire of N timers, in-process"
    )
    args = parser.parse_args()
    with fresh_database(args.database) as env:
        os.environ.clear()
        os.environ.update(env)
        if args.profile:
            profile_fires(args.profile)
        else:
            measure(args.timers, args.loops, args.database)


if __name__ == "__main__":
    main()
