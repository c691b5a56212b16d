"""Trigger lateness: 10,000 schedule fires in one minute, beside Django-Q2's own schedules.

    .venv/bin/python bench/trigger_bench.py                    # PostgreSQL + Redis
    .venv/bin/python bench/trigger_bench.py --database sqlite  # SQLite + ORM broker
    .venv/bin/python bench/trigger_bench.py --fires 500 --spread 10 --no-peer

A fresh database is created and migrated. Waymark: 100 published processes
("start -> end") carry 100 schedule triggers each; their armed fire rows are
then spread evenly over one minute starting a few seconds later (a cron names
whole minutes only, so the spread stands for many schedules across a day),
and ``manage.py waymark_timers`` (the real loop, ``--loops`` of them) fires
them. Lateness is the started run's ``started_at`` minus the fire's due time.

The peer, measured in the same run on the same database: as many Django-Q2
``Schedule`` rows (once, a no-op task) due over another minute, fired by a
real ``manage.py qcluster``, whose scheduler looks for due schedules every
30 seconds of its guard loop. Its lateness is the task's ``started`` minus
the schedule's ``next_run``.

Model events (``--events``): as many records saved over one minute, each
starting a run through a model_event trigger and the transactional outbox;
the figure is outbox row written -> run started.

Every wait is bounded; the subprocesses are killed at the end, on errors and
on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.engine_bench import _definition, fresh_database, kill_group  # noqa: E402
from bench.timer_bench import percentile, start  # noqa: E402

START_IN = 15.0  # seconds from "fires set" to the first due fire
TARGET_P99 = 2.0
PER_PROCESS = 100  # a definition file holds at most 100 triggers
YEARLY = "0 0 1 1 *"  # armed by publishing, then moved by the benchmark


def _process(code: str, triggers: list[dict]) -> dict:
    definition = _definition(code, [], [("start", "end")])
    definition["triggers"] = triggers
    return definition


def make_schedules(count: int) -> dict[tuple[int, str], datetime]:
    """Publish processes holding ``count`` schedule triggers; returns their armed rows' keys."""
    from engine.models import ScheduleFire
    from engine.services import definitions

    for first in range(0, count, PER_PROCESS):
        size = min(PER_PROCESS, count - first)
        triggers = [{"key": f"t{i}", "kind": "schedule", "cron": YEARLY} for i in range(size)]
        definitions.import_definition(
            _process(f"bench_sched_{first // PER_PROCESS}", triggers), publish_it=True
        )
    return {
        (process_id, key): due
        for process_id, key, due in ScheduleFire.objects.values_list(
            "process_id", "trigger__key", "due_at"
        )
    }


def spread(model, field: str, count: int, seconds: float) -> datetime:
    """Spread ``model`` rows' ``field`` evenly over ``seconds`` from now + START_IN."""
    from django.db import transaction
    from django.utils import timezone

    first = timezone.now() + timedelta(seconds=START_IN)
    pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
    slots = max(1, int(seconds * 10))
    with transaction.atomic():
        for slot in range(slots):
            chunk = pks[slot * len(pks) // slots : (slot + 1) * len(pks) // slots]
            if chunk:
                due = first + timedelta(seconds=slot / 10)
                model.objects.filter(pk__in=chunk).update(**{field: due})
    return first


def wait_for(predicate, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(1.0)
    return predicate()


def measure_waymark(count: int, seconds: float, loops: int) -> list[float]:
    from engine.models import ProcessInstance, ScheduleFire

    make_schedules(count)
    spread(ScheduleFire, "due_at", count, seconds)
    due = {
        (process_id, key): due
        for process_id, key, due in ScheduleFire.objects.values_list(
            "process_id", "trigger__key", "due_at"
        )
    }
    loops_running = [start(["waymark_timers"]) for _ in range(loops)]
    try:
        started = ProcessInstance.objects.exclude(trigger_key="")
        wait_for(lambda: started.count() >= count, START_IN + seconds + 120)
    finally:
        for process in loops_running:
            kill_group(process)
    return [
        (started_at - due[(process_id, key)]).total_seconds()
        for process_id, key, started_at in started.values_list(
            "process_id", "trigger_key", "started_at"
        )
        if (process_id, key) in due
    ]


def measure_django_q(count: int, seconds: float) -> list[float]:
    """Django-Q2's schedules: ``count`` once-schedules due over ``seconds``, a real qcluster."""
    from django.utils import timezone
    from django_q.models import Schedule, Task

    now = timezone.now()
    Schedule.objects.bulk_create(
        Schedule(
            name=f"bench-{i}",
            func="bench.handlers.noop",
            schedule_type=Schedule.ONCE,
            repeats=-1,
            next_run=now + timedelta(days=1),
        )
        for i in range(count)
    )
    spread(Schedule, "next_run", count, seconds)
    due = dict(Schedule.objects.values_list("name", "next_run"))
    cluster = start(["qcluster"])
    try:
        done = Task.objects.filter(group__startswith="bench-")
        wait_for(lambda: done.count() >= count, START_IN + seconds + 120)
    finally:
        kill_group(cluster)
    return [
        (started_at - due[name]).total_seconds()
        for name, started_at in done.values_list("group", "started")
        if name in due
    ]


def measure_model_events(count: int, seconds: float) -> list[float] | None:
    """Records saved over ``seconds``, each starting a run: outbox row -> run started."""
    from engine.core.triggers import UNSUPPORTED_KINDS

    if "model_event" in UNSUPPORTED_KINDS:
        return None
    from django.contrib.auth.models import Group

    from engine import models as engine_models
    from engine.models import ProcessInstance
    from engine.services import definitions

    outbox = getattr(engine_models, "ModelEvent", None)
    if outbox is None:
        return None
    trigger = {
        "key": "group_created",
        "kind": "model_event",
        "model": "auth.Group",
        "on": ["create"],
        "data": {"group_id": "record.pk"},
    }
    definitions.import_definition(_process("bench_events", [trigger]), publish_it=True)
    workers = [start(["qcluster"]), start(["waymark_timers"])]
    try:
        time.sleep(START_IN)
        began = time.monotonic()
        for i in range(count):
            Group.objects.create(name=f"bench-{i}")
            pause = began + (i + 1) * seconds / count - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        rows = outbox.objects.all()
        wait_for(lambda: not rows.filter(dispatched_at=None).exists(), 180)
    finally:
        for process in workers:
            kill_group(process)
    written = dict(rows.values_list("record_pk", "created_at"))
    runs = ProcessInstance.objects.filter(trigger_key="group_created")
    return [
        (started_at - written[str(data["group_id"])]).total_seconds()
        for data, started_at in runs.values_list("data", "started_at")
        if str(data.get("group_id")) in written
    ]


def line(label: str, late: list[float], count: int, target: bool) -> str:
    if not late:
        return f"{label:<52}{'none':>10}"
    p99 = percentile(late, 0.99)
    verdict = ("met" if p99 <= TARGET_P99 and len(late) >= count else "MISSED") if target else ""
    return (
        f"{label:<52}{statistics.median(late):>10.2f}{p99:>9.2f}{max(late):>9.2f}"
        f"{len(late):>9,}{verdict:>12}"
    )


def measure(args: argparse.Namespace, vendor: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    label = "PostgreSQL + Redis" if vendor == "postgres" else "SQLite + ORM broker"
    waymark = measure_waymark(args.fires, args.spread, args.loops)
    peer = None if args.no_peer else measure_django_q(args.fires, args.spread)
    events = measure_model_events(args.events, args.spread) if args.events else None
    print()
    print(f"Trigger lateness, {args.fires:,} fires due over {args.spread:.0f} s, {label}")
    print(f"{'':<52}{'median s':>10}{'p99 s':>9}{'max s':>9}{'count':>9}{'p99 target':>12}")
    print(line(f"Waymark schedules, {args.loops} timer loop(s)", waymark, args.fires, True))
    if peer is not None:
        print(line("Django-Q2 schedules, its qcluster's scheduler", peer, args.fires, False))
        if waymark and peer:
            ratio = percentile(peer, 0.99) / max(percentile(waymark, 0.99), 1e-3)
            print(f"ratio at p99: Waymark's fires are {ratio:,.1f}x closer to their time")
    if events is not None:
        print(line("Waymark model events: outbox row -> run started", events, args.events, True))
    elif args.events:
        print("model events: not measured (model_event triggers are not built in this tree)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--fires", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the fires are due in")
    parser.add_argument("--loops", type=int, default=1, help="timer loops side by side")
    parser.add_argument("--no-peer", action="store_true", help="skip Django-Q2's schedules")
    args = parser.parse_args()
    with fresh_database(args.database) as env:
        os.environ.clear()
        os.environ.update(env, WAYMARK_BENCH_KEEP_RESULTS="1")
        measure(args, args.database)


if __name__ == "__main__":
    main()
