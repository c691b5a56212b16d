"""How close to the ORM ceiling can a step be? The step's own writes, with no engine around them.

    .venv/bin/python bench/step_floor.py                 # a temporary SQLite file (WAL)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/waymark_floor \
        .venv/bin/python bench/step_floor.py

Issue 16 measures steps/s against the ORM ceiling (bench/ceiling.py: one ORM
UPDATE and one INSERT per transaction). An automatic step's transaction must
do more, by design: lock the run (SELECT ... FOR UPDATE), close the workitem
(UPDATE), insert the next one (INSERT), record the audit event (INSERT) and
move the run (UPDATE). This script times exactly that statement set through
the ORM, with no routing, no handler and no queue, alternating rounds with
the ceiling's transaction on the same database, and prints the ratio: the
floor that the engine's own Python can only add to.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N = 1000
ROUNDS = 5


def main() -> None:
    folder = None
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        folder = tempfile.mkdtemp(prefix="waymark-floor-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/floor.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    run, item = _a_run()
    from bench.ceiling import orm_ceiling

    ceilings, floors = [], []
    for _ in range(ROUNDS):
        ceilings.append(orm_ceiling(run.pk, N))
        floors.append(step_floor(run.pk, item.pk, N))
    ceiling, floor = statistics.median(ceilings), statistics.median(floors)
    print(f"database: {connection.vendor}; {ROUNDS} alternating rounds of {N} transactions")
    print(f"ORM ceiling (UPDATE + INSERT):                      {ceiling:8,.0f} tx/s")
    print(
        f"a step's statements alone (SELECT FOR UPDATE, UPDATE, INSERT, INSERT, UPDATE): "
        f"{floor:8,.0f} tx/s"
    )
    print(f"floor ÷ ceiling: {floor / ceiling:.2f}  (no engine code: the most a step can reach)")
    if connection.vendor == "postgresql":
        connection.close()


def _a_run():
    from engine.models import ProcessInstance, WorkItem
    from engine.services import definitions, runtime

    definitions.import_definition(
        {
            "format": "waymark.process/1",
            "process": {"code": "floor", "title": "Floor", "input_schema": {}},
            "activities": [
                {"key": "start", "kind": "start", "name": "Start"},
                {"key": "h", "kind": "human", "name": "Wait"},
                {"key": "end", "kind": "end", "name": "End"},
            ],
            "transitions": [
                {"key": "t1", "source": "start", "target": "h"},
                {"key": "t2", "source": "h", "target": "end"},
            ],
        },
        publish_it=True,
    )
    run = runtime.start_run("floor")
    return ProcessInstance.objects.get(pk=run.pk), WorkItem.objects.get(
        instance=run, activity_key="h"
    )


def step_floor(run_id: int, item_id: int, n: int = N) -> float:
    """``n`` transactions of one step's statements through the ORM, per second."""
    from django.db import transaction
    from django.db.models import F

    from engine.models import AuditEvent, ProcessInstance, WorkItem

    template = WorkItem.objects.get(pk=item_id)
    seq = WorkItem.objects.filter(instance_id=run_id).count() + 1000
    started = time.perf_counter()
    for i in range(n):
        with transaction.atomic():
            ProcessInstance.objects.select_for_update().get(pk=run_id)
            WorkItem.objects.filter(pk=item_id).update(lock_version=F("lock_version") + 1)
            WorkItem.objects.create(
                instance_id=run_id,
                activity_key=template.activity_key,
                activity_kind=template.activity_kind,
                state=template.state,
                seq=seq + i,
            )
            AuditEvent.objects.create(action="floor", instance_id=run_id)
            ProcessInstance.objects.filter(pk=run_id).update(step_count=i)
    elapsed = time.perf_counter() - started
    AuditEvent.objects.filter(action="floor").delete()
    WorkItem.objects.filter(instance_id=run_id, seq__gte=seq).delete()
    return n / elapsed


if __name__ == "__main__":
    main()
