"""The ceiling: how many durable state changes per second the database allows.

One transaction = one UPDATE of a row plus one INSERT of a history row, on one
connection, committed — the least work any engine must do to record a step.
Waymark's steps/s are reported as a fraction of this figure, measured in the
same run on the same database (absolute times drift between machines).

    python bench/ceiling.py                     # SQLite (WAL, as configured for Waymark)
    DATABASE_URL=postgres://postgres@127.0.0.1/waymark_bench python bench/ceiling.py
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from urllib.parse import urlparse

N = int(os.environ.get("BENCH_TRANSACTIONS", "3000"))


def sqlite_ceiling(n: int = N) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(os.path.join(tmp, "ceiling.sqlite3"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE run (id INTEGER PRIMARY KEY, step INTEGER)")
        conn.execute("CREATE TABLE history (id INTEGER PRIMARY KEY, run_id INTEGER, step INTEGER)")
        conn.execute("INSERT INTO run (id, step) VALUES (1, 0)")
        started = time.perf_counter()
        for i in range(n):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE run SET step = ? WHERE id = 1", (i,))
            conn.execute("INSERT INTO history (run_id, step) VALUES (1, ?)", (i,))
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - started
        conn.close()
    return n / elapsed


def postgres_ceiling(url: str, n: int = N) -> float:
    import psycopg

    parsed = urlparse(url)
    with psycopg.connect(url.replace(parsed.path, "/postgres"), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS waymark_ceiling")
        admin.execute("CREATE DATABASE waymark_ceiling")
    try:
        with psycopg.connect(url.replace(parsed.path, "/waymark_ceiling")) as conn:
            conn.execute("CREATE TABLE run (id int PRIMARY KEY, step int)")
            conn.execute("CREATE TABLE history (id serial PRIMARY KEY, run_id int, step int)")
            conn.execute("INSERT INTO run VALUES (1, 0)")
            conn.commit()
            started = time.perf_counter()
            for i in range(n):
                conn.execute("UPDATE run SET step = %s WHERE id = 1", (i,))
                conn.execute("INSERT INTO history (run_id, step) VALUES (1, %s)", (i,))
                conn.commit()
            elapsed = time.perf_counter() - started
    finally:
        with psycopg.connect(url.replace(parsed.path, "/postgres"), autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS waymark_ceiling")
    return n / elapsed


def orm_ceiling(instance_id: int, n: int = N) -> float:
    """The same through Django's ORM on Django's configured database (needs django.setup()).

    One ``UPDATE`` of a run row and one ``INSERT`` of an audit row per
    ``transaction.atomic()``: what TARGETS.md calls the ceiling, because every
    engine step pays Django's per-statement cost too.
    """
    from django.db import transaction

    from engine.models import AuditEvent, ProcessInstance

    runs = ProcessInstance.objects.filter(pk=instance_id)
    started = time.perf_counter()
    for i in range(n):
        with transaction.atomic():
            runs.update(step_count=i)
            AuditEvent.objects.create(action="ceiling", instance_id=instance_id)
    elapsed = time.perf_counter() - started
    AuditEvent.objects.filter(action="ceiling").delete()
    return n / elapsed


def ceiling() -> tuple[str, float]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return "postgresql", postgres_ceiling(url)
    return "sqlite", sqlite_ceiling()


if __name__ == "__main__":
    vendor, rate = ceiling()
    print(f"ceiling on {vendor}: {rate:,.0f} transactions/s (update + insert, one connection)")
