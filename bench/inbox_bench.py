"""The inbox and the runs list at 10k, 100k and 1M workitems: page time and query count.

    .venv/bin/python bench/inbox_bench.py                       # SQLite, 10k / 100k / 1M
    .venv/bin/python bench/inbox_bench.py --sizes 10000,100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/waymark .venv/bin/python bench/inbox_bench.py

A fresh database (a temporary SQLite file, or the PostgreSQL database
``waymark_inbox_bench`` next to the one in DATABASE_URL, dropped at the end)
is migrated and filled with bulk inserts, growing size by size. Shape: one
run per ten workitems (start, eight completed human reviews, then one last
visit whose state follows the run's: open for waiting runs — half offered to
one of 20 groups, half assigned —, an end for completed runs, a fallout for
failed ones); 1,000 people spread over the groups; times spread over a year.

Pages are fetched through Django's test client as a signed-in person (the
measured worker, member of one group) and as an operator, after a warm-up
request; the figure is the median of ``--repeat`` requests, printed with the
page's query count and its ratio to the target (20 ms: below 1.0 is within);
the fastest request and the median CPU time of this process (Django and,
on SQLite, the database too) are printed as well, as the machine may be
shared.
``--explain`` prints, at the largest size, each page's slowest query with
its plan (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 20.0
PER_RUN = 10
USERS = 1000
GROUPS = 20
BATCH = 2000
BENCH_DB = "waymark_inbox_bench"


def _postgres_admin(url: str):
    import psycopg

    parsed = urlparse(url)
    admin = urlunparse(parsed._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True), urlunparse(parsed._replace(path=f"/{BENCH_DB}"))


def prepare_database() -> tuple[str, callable]:
    """Point DATABASE_URL at a fresh database; returns its label and a clean-up function."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        admin, bench_url = _postgres_admin(url)
        with admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            admin.execute(f"CREATE DATABASE {BENCH_DB}")
        os.environ["DATABASE_URL"] = bench_url

        def drop():
            from django.db import connections

            connections.close_all()
            conn, _ = _postgres_admin(url)
            with conn:
                conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")

        return "postgresql", drop
    folder = tempfile.TemporaryDirectory()
    os.environ["DATABASE_URL"] = f"sqlite:///{folder.name}/inbox_bench.sqlite3"
    return "sqlite", folder.cleanup


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.WAYMARK_SCHEDULER_BACKEND = "immediate"
    settings.ALLOWED_HOSTS = ["testserver"]
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class World:
    """The process, people and groups the generated runs use."""

    def __init__(self):
        from django.contrib.auth.models import Group, User

        from engine.services import definitions

        self.version = definitions.import_definition(
            {
                "format": "waymark.process/1",
                "process": {"code": "bench", "title": "Bench"},
                "activities": [
                    {"key": "start", "kind": "start", "name": "Start"},
                    {"key": "review", "kind": "human", "name": "Review", "roles": ["g0"]},
                    {"key": "charge", "kind": "automatic", "name": "Charge", "handler": "demo.pay"},
                    {"key": "end", "kind": "end", "name": "End"},
                ],
                "transitions": [
                    {"key": "t1", "source": "start", "target": "review"},
                    {"key": "t2", "source": "review", "target": "charge"},
                    {"key": "t3", "source": "charge", "target": "end"},
                ],
            },
            publish_it=True,
        )
        self.groups = [Group.objects.get_or_create(name=f"g{i}")[0] for i in range(GROUPS)]
        User.objects.bulk_create(
            [User(username=f"u{i}", password="!") for i in range(USERS)], batch_size=BATCH
        )
        self.users = list(User.objects.filter(username__startswith="u").order_by("pk"))
        through = User.groups.through
        through.objects.bulk_create(
            [
                through(user_id=u.pk, group_id=self.groups[i % GROUPS].pk)
                for i, u in enumerate(self.users)
            ],
            batch_size=BATCH,
        )
        self.worker = self.users[0]  # member of g0
        self.operator = User.objects.create_superuser("operator", password="!")
        self.runs = 0


def grow(world: World, target_workitems: int, rng: random.Random) -> None:
    """Add runs (and their workitems and offers) until there are ``target_workitems``."""
    from django.db import transaction
    from django.utils import timezone

    from engine.models import ProcessInstance, WorkItem, WorkItemCandidate

    now = timezone.now()
    wanted_runs = target_workitems // PER_RUN
    states = ["waiting"] * 60 + ["completed"] * 30 + ["failed"] * 5 + ["cancelled"] * 5
    while world.runs < wanted_runs:
        count = min(BATCH // PER_RUN * 5, wanted_runs - world.runs)
        with transaction.atomic():
            runs = []
            for i in range(count):
                n = world.runs + i
                state = rng.choice(states)
                started = now - timedelta(minutes=(wanted_runs - n) % 525_600, seconds=n % 60)
                runs.append(
                    ProcessInstance(
                        process_id=world.version.process_id,
                        version_id=world.version.pk,
                        state=state,
                        data={"n": n},
                        business_key=f"B-{n}",
                        started_by=rng.choice(world.users),
                        started_at=started,
                        ended_at=None if state == "waiting" else started + timedelta(hours=1),
                        step_count=PER_RUN,
                    )
                )
            runs = ProcessInstance.objects.bulk_create(runs, batch_size=BATCH)
            items, offered = [], []
            for run in runs:
                t = run.started_at
                items.append(_item(run, 1, "start", "start", "completed", t))
                for seq in range(2, PER_RUN):
                    who = rng.choice(world.users)
                    items.append(
                        _item(
                            run, seq, "review", "human", "completed", t, assignee=who, done_by=who
                        )
                    )
                last = {"waiting": None, "completed": "end", "failed": "charge", "cancelled": None}
                if run.state == "waiting":
                    if rng.random() < 0.5:
                        item = _item(run, PER_RUN, "review", "human", "offered", t, open_=True)
                        offered.append((item, rng.choice(world.groups)))
                    else:
                        who = rng.choice(world.users)
                        item = _item(
                            run, PER_RUN, "review", "human", "assigned", t, assignee=who, open_=True
                        )
                elif run.state == "completed":
                    item = _item(run, PER_RUN, last["completed"], "end", "completed", t)
                elif run.state == "failed":
                    item = _item(run, PER_RUN, "charge", "automatic", "fallout", t, open_=True)
                else:
                    item = _item(run, PER_RUN, "review", "human", "cancelled", t)
                items.append(item)
            WorkItem.objects.bulk_create(items, batch_size=BATCH)
            WorkItemCandidate.objects.bulk_create(
                [
                    WorkItemCandidate(
                        workitem_id=item.pk,
                        instance_id=item.instance_id,
                        group=group,
                        created_at=item.created_at,
                        run_started_at=item.run_started_at,
                    )
                    for item, group in offered
                ],
                batch_size=BATCH,
            )
        world.runs += count


def _item(run, seq, key, kind, state, t, *, assignee=None, done_by=None, open_=False):
    from engine.models import WorkItem

    created = t + timedelta(minutes=seq)
    return WorkItem(
        instance_id=run.pk,
        seq=seq,
        activity_key=key,
        activity_kind=kind,
        name=key.title(),
        state=state,
        assignee=assignee,
        completed_by=done_by,
        created_at=created,
        run_started_at=run.started_at,  # as the engine copies it (engine.models.involvement)
        completed_at=None if open_ else created + timedelta(minutes=5),
        sla_warn_at=created + timedelta(days=1) if kind == "human" else None,
        sla_breach_at=created + timedelta(days=2) if kind == "human" else None,
    )


def analyze(vendor: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    if vendor == "postgresql":
        # Index-only scans need the visibility map that VACUUM sets.
        connection.ensure_connection()
        raw = connection.connection
        previous = raw.autocommit
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute("VACUUM")
        raw.autocommit = previous


PAGES = [
    ("inbox: my work", "worker", "/inbox/?tab=mine"),
    ("inbox: available", "worker", "/inbox/?tab=available"),
    ("inbox: done", "worker", "/inbox/?tab=done"),
    ("inbox: available, page 3", "worker", "/inbox/?tab=available&page=3"),
    ("inbox: available, oldest first", "worker", "/inbox/?tab=available&sort=oldest"),
    ("runs list (operator)", "operator", "/runs/"),
    ("runs list, failed (operator)", "operator", "/runs/?state=failed"),
    ("runs list, business key (operator)", "operator", "/runs/?business_key=B-7"),
    ("runs list (worker: their runs)", "worker", "/runs/"),
    ("runs list (worker), waiting", "worker", "/runs/?state=waiting"),
]


def measure(world: World, repeat: int) -> list[tuple[str, float, float, float, int]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {"worker": Client(), "operator": Client()}
    clients["worker"].force_login(world.worker)
    clients["operator"].force_login(world.operator)
    out = []
    for label, who, url in PAGES:
        client = clients[who]
        response = client.get(url)  # warm-up: sessions, permission caches, graph caches
        assert response.status_code == 200, (url, response.status_code)
        times, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        out.append(
            (label, statistics.median(times), min(times), statistics.median(cpu), len(queries))
        )
    return out


def explain(world: World, vendor: str) -> None:
    """Print the slowest query of each page with the database's plan for it."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {"worker": Client(), "operator": Client()}
    clients["worker"].force_login(world.worker)
    clients["operator"].force_login(world.operator)
    for label, who, url in PAGES:
        clients[who].get(url)
        with CaptureQueriesContext(connection) as queries:
            clients[who].get(url)
        # Django rounds query times to the millisecond: time the engine's queries again.
        timed = []
        with connection.cursor() as cursor:
            for query in queries.captured_queries:
                if "engine_" not in query["sql"]:
                    continue
                started = time.perf_counter()
                cursor.execute(query["sql"])
                cursor.fetchall()
                timed.append(((time.perf_counter() - started) * 1000, query["sql"]))
            ms, sql = max(timed)
            prefix = "EXPLAIN ANALYZE " if vendor == "postgresql" else "EXPLAIN QUERY PLAN "
            cursor.execute(prefix + sql)
            plan = "\n      ".join(" ".join(str(c) for c in row) for row in cursor.fetchall())
        total = sum(t for t, _ in timed)
        print(f"  {label}: slowest query {ms:.1f} ms (engine queries in all {total:.1f} ms)")
        print(f"    {sql[:400]}")
        print(f"      {plan}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="workitem counts")
    parser.add_argument("--repeat", type=int, default=15, help="requests per page and size")
    parser.add_argument(
        "--explain", action="store_true", help="print query plans at the largest size"
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    vendor, cleanup = prepare_database()
    try:
        setup_django()
        world = World()
        rng = random.Random(7)
        print(f"database: {vendor}; target {TARGET_MS:.0f} ms per page; ratio = median / target")
        header = f"{'workitems':>10} {'runs':>8}  {'page':<36} {'median ms':>9} {'min ms':>6}"
        print(f"{header} {'cpu ms':>6} {'queries':>7} {'ratio':>6}")
        for size in sizes:
            started = time.perf_counter()
            grow(world, size, rng)
            analyze(vendor)
            filled = time.perf_counter() - started
            for label, ms, best, cpu, queries in measure(world, args.repeat):
                print(
                    f"{size:>10,} {world.runs:>8,}  {label:<36} {ms:>9.1f} {best:>6.1f} "
                    f"{cpu:>6.1f} {queries:>7} {ms / TARGET_MS:>6.2f}"
                )
            print(f"{'':>10} (filled in {filled:.0f} s)")
        if args.explain:
            explain(world, vendor)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
