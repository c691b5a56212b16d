"""Where a list page's Python goes: CPU ms per page and a cProfile of one request.

    .venv/bin/python bench/render_profile.py                      # 100k workitems, SQLite
    .venv/bin/python bench/render_profile.py --db /tmp/r.sqlite3  # keep (or reuse) the data
    .venv/bin/python bench/render_profile.py --pages available,runs-operator --top 25

The data is bench/inbox_bench.py's (same shape, same generator). Page time
barely depends on the data size (the queries are bounded), so 100k is enough
to see the rendering. Figures are CPU time of this process (Django and, on
SQLite, the database too), the median of ``--repeat`` requests after a
warm-up, so a busy shared machine changes them less than wall-clock time.
Then each page is fetched once more under cProfile and the top entries by
own time are printed (``--top``), with the call count of the whole request.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PAGES = {
    "available": ("inbox: available", "worker", "/inbox/?tab=available"),
    "mine": ("inbox: my work", "worker", "/inbox/?tab=mine"),
    "runs-operator": ("runs list (operator)", "operator", "/runs/"),
    "runs-worker": ("runs list (worker)", "worker", "/runs/"),
}


def setup(db: str | None, size: int) -> tuple:
    """Django on a SQLite file holding ``size`` workitems; returns (worker, operator)."""
    path = Path(db) if db else Path(f"/tmp/render_profile_{os.getpid()}.sqlite3")
    fresh = not path.exists()
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import inbox_bench

    inbox_bench.setup_django()
    from django.contrib.auth.models import User

    if fresh:
        world = inbox_bench.World()
        inbox_bench.grow(world, size, random.Random(7))
        inbox_bench.analyze("sqlite")
        return world.worker, world.operator, (None if db else path)
    return User.objects.get(username="u0"), User.objects.get(username="operator"), None


def cpu_ms(client, url: str, repeat: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(url).status_code == 200, url  # warm-up: caches, sessions
    spent = []
    for _ in range(repeat):
        started = time.process_time()
        client.get(url)
        spent.append((time.process_time() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(spent), len(queries)


def profile(client, url: str, top: int) -> str:
    client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(url)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLite file to create, or to reuse when it exists")
    parser.add_argument("--size", type=int, default=100_000, help="workitems in a new database")
    parser.add_argument("--repeat", type=int, default=30, help="requests per page")
    parser.add_argument("--pages", default=",".join(PAGES), help="which of: " + ", ".join(PAGES))
    parser.add_argument("--top", type=int, default=20, help="cProfile entries (0: none)")
    args = parser.parse_args()
    worker, operator, temporary = setup(args.db, args.size)
    try:
        from django.test import Client

        clients = {"worker": Client(), "operator": Client()}
        clients["worker"].force_login(worker)
        clients["operator"].force_login(operator)
        names = args.pages.split(",")
        print(f"{'page':<24} {'cpu ms':>7} {'queries':>7}")
        for name in names:
            label, who, url = PAGES[name]
            ms, queries = cpu_ms(clients[who], url, args.repeat)
            print(f"{label:<24} {ms:>7.2f} {queries:>7}")
        for name in names if args.top else []:
            label, who, url = PAGES[name]
            print(f"\n=== {label} ({url}) ===")
            print(profile(clients[who], url, args.top))
    finally:
        if temporary:
            temporary.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
