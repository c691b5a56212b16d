"""Statements and writes per step, per human-task start and per completion.

    .venv/bin/python bench/query_counts.py        # a temporary SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/waymark_perf \
        .venv/bin/python bench/query_counts.py   # empties that database first

Exact numbers, not times: the same on every machine (and asserted by
tests/engine/test_query_counts.py). ``bench/engine_bench.py`` prints them
for each configuration too. Counted in-process with the immediate backend
(each step still its own committed transaction); BEGIN/COMMIT are left out
(PostgreSQL does not send them as statements).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def count(fn, *args, **kwargs) -> dict:
    """Run ``fn`` (immediate backend) and count the SQL it sent."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    immediate = override_settings(WAYMARK_SCHEDULER_BACKEND="immediate")
    with immediate, CaptureQueriesContext(connection) as captured:
        fn(*args, **kwargs)
    sql = [q["sql"].lstrip().upper() for q in captured.captured_queries]
    work = [s for s in sql if not s.startswith(CONTROL)]
    return {
        "statements": len(work),
        "writes": sum(s.startswith(("INSERT", "UPDATE", "DELETE")) for s in work),
    }


@contextlib.contextmanager
def caches_held():
    """The per-process caches re-read themselves every 2 s: a refresh that fell inside
    a measurement would count as a query of that step. Held still while counting."""
    from engine.runtime import date_events, model_events
    from engine.webhooks import delivery

    names = [
        (delivery, "ENDPOINT_CACHE_SECONDS"),
        (model_events, "REFRESH_SECONDS"),
        (date_events, "CACHE_SECONDS"),
    ]
    saved = [getattr(module, name) for module, name in names]
    for module, name in names:
        setattr(module, name, 3600.0)
    try:
        yield
    finally:
        for (module, name), value in zip(names, saved, strict=True):
            setattr(module, name, value)


def measure(user, steps: int = 20) -> dict:
    """Counts for the bench processes (deployed: bench_linear, bench_one, bench_human)."""
    with caches_held():
        return _measure(user, steps)


def _measure(user, steps: int) -> dict:
    from engine.models import WorkItem, WorkItemState
    from engine.services import runtime

    for code in ("bench_linear", "bench_one"):  # warm: the graphs and the endpoint cache
        count(runtime.start_run, code)
    count(runtime.start_run, "bench_human", {"user": user.username})
    chain = count(runtime.start_run, "bench_linear")
    one = count(runtime.start_run, "bench_one")
    per_step = {k: (chain[k] - one[k]) / (steps - 1) for k in chain}
    holder: dict = {}

    def start():
        holder["run"] = runtime.start_run("bench_human", {"user": user.username})

    human_start = count(start)
    task = WorkItem.objects.get(instance=holder["run"], state=WorkItemState.ASSIGNED)
    completion = count(runtime.complete, task.pk, user=user)
    return {"step": per_step, "human_start": human_start, "completion": completion}


def describe(counts: dict) -> str:
    names = {"step": "per step", "human_start": "per human start", "completion": "per completion"}
    return "; ".join(
        f"{names[key]}: {value['statements']:g} statements, {value['writes']:g} writes"
        for key, value in counts.items()
    )


def main() -> None:
    if "DATABASE_URL" not in os.environ:
        folder = tempfile.mkdtemp(prefix="waymark-counts-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/counts.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from bench.engine_bench import human_definition, linear_definition, single_step_definition
    from engine.services import definitions

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)  # the bench's own database
    for definition in (linear_definition(), single_step_definition(), human_definition()):
        definitions.import_definition(definition, publish_it=True)
    user = get_user_model().objects.create_user("bench")
    Group.objects.get_or_create(name="bench-approvers")[0].user_set.add(user)
    print(describe(measure(user)))


if __name__ == "__main__":
    main()
