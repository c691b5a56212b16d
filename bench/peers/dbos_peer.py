"""DBOS Transact on the 20-step linear process: a durable record per step, as Waymark.

Runs in the peers' virtualenv (``dbos`` from PyPI, bench/peers/requirements.txt),
called by peer_bench.py, or alone:

    ../../var/bench-peers/bin/python dbos_peer.py [sqlite:///file | postgresql://...]

Alone it prints one ``BENCH-RESULT {json}`` line (bench/engine_bench.py runs
it so on a fresh PostgreSQL database; DBOS creates that database itself).

A workflow of 20 no-op ``@DBOS.step`` functions, run to completion one after
the other in this process (DBOS checkpoints every step's result in its system
database before the next one runs). Same database engine as Waymark's figure:
a fresh SQLite file with Waymark's settings (WAL, synchronous=NORMAL), or a
PostgreSQL URL (a database the bench may fill).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import traceback

STEPS = 20
TIME_LIMIT = 120.0  # seconds: fewer runs rather than a hung benchmark
MARK = "BENCH-RESULT "


def dbos_figures(database_url: str, runs: int) -> dict:
    from dbos import DBOS

    config = {"name": "waymark-bench", "system_database_url": database_url}
    if database_url.startswith("sqlite"):
        config["system_database_engine"] = _sqlite_engine(database_url)
    DBOS(config=config)

    @DBOS.step()
    def step(i: int) -> int:
        return i

    @DBOS.workflow()
    def linear() -> int:
        total = 0
        for i in range(STEPS):
            total += step(i)
        return total

    DBOS.launch()
    try:
        linear()  # warm-up
        began = time.perf_counter()
        done = 0
        while done < runs and time.perf_counter() - began < TIME_LIMIT:
            linear()
            done += 1
        seconds = time.perf_counter() - began
    finally:
        DBOS.destroy()
    import dbos

    return {
        "version": getattr(dbos, "__version__", "") or _version(),
        "linear": done * STEPS / seconds,
        "runs": done,
        "database": "PostgreSQL" if database_url.startswith("postgres") else "SQLite WAL",
        "notes": "workflow run in this process; every step checkpointed (its own write)",
    }


def _sqlite_engine(database_url: str):
    """SQLite with Waymark's settings (WAL, synchronous=NORMAL), as its figure next to it."""
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)

    @sa.event.listens_for(engine, "connect")
    def pragmas(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    return engine


def _version() -> str:
    from importlib.metadata import version

    return version("dbos")


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else ""
    if not url:
        url = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="waymark-dbos-"), "dbos.sqlite3")
    try:
        figures = dbos_figures(url, int(os.environ.get("BENCH_RUNS", "40")))
    except Exception as exc:  # say why, never a number
        traceback.print_exc()
        figures = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    print(MARK + json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
