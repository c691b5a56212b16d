"""Timer lateness: 10,000 timers due in the same minute, fired by the real timer loop.

    .venv/bin/python bench/timer_bench.py                    # PostgreSQL + Redis
    .venv/bin/python bench/timer_bench.py --database sqlite  # SQLite + ORM broker
    .venv/bin/python bench/timer_bench.py --timers 2000 --loops 2

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--loops", type=int, default=1, help="timer loops side by side")
    args = parser.parse_args()
    with fresh_database(args.database) as env:
        os.environ.clear()
        os.environ.update(env)
        measure(args.timers, args.loops, args.database)


if __name__ == "__main__":
    main()
