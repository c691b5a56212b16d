"""CPU per human-task run start and per completion, and where a start's time goes.

    .venv/bin/python bench/human_profile.py                     # CPU ms per start, per completion
    .venv/bin/python bench/human_profile.py --profile start     # cProfile top 15 of the starts
    .venv/bin/python bench/human_profile.py --profile complete  # ... of the completions
    valgrind --tool=callgrind --toggle-collect=_operator_call \
        .venv/bin/python bench/human_profile.py --callgrind start --runs 50  # instructions

``--callgrind start`` starts ``--runs`` runs inside ``operator.call`` (and
``--callgrind complete`` does their completions there), so that callgrind
collects only those (Python, Django and SQLite's C code, not the setup):
divide callgrind's "Collected" by the runs (a completion: by runs × 4).

The process is ``bench/engine_bench.py``'s ``human`` workload (four human
tasks: assigned by expression, offered to a role, offered to a user,
assigned; then one automatic step), run inline (the immediate backend: each
start and each completion still its own committed transaction) on a temporary
SQLite database with Waymark's settings, or on ``DATABASE_URL``. A round
starts ``--runs`` runs, then completes their four tasks as the person would
(a workitem read as the inbox reads it, then ``runtime.complete``).

CPU seconds of this process (``time.process_time``: Python, Django and
SQLite's own work) move much less than wall-clock time when other processes
share the cores; the statement counts are ``bench/query_counts.py``'s.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import operator
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TASKS = ("review", "approve", "check", "sign")


def setup():
    if "DATABASE_URL" not in os.environ:
        folder = tempfile.mkdtemp(prefix="waymark-human-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/human.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from bench.engine_bench import human_definition
    from engine.services import definitions

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    definitions.import_definition(human_definition(), publish_it=True)
    user = get_user_model().objects.create_user("bench")
    Group.objects.get_or_create(name="bench-approvers")[0].user_set.add(user)
    return user


def start_runs(runs: int, username: str) -> tuple[list, float]:
    """Start ``runs`` human-process runs; returns them and the CPU seconds taken."""
    from engine.services import runtime

    cpu = time.process_time()
    started = [runtime.start_run("bench_human", {"user": username}) for _ in range(runs)]
    return started, time.process_time() - cpu


def complete_all(started: list, username: str, profiler=None, call=None) -> tuple[int, float]:
    """Complete every task of ``started``, one task of each run after the other.

    Each completion reads its workitem first, as the inbox page does before
    its form posts (that read is not timed), and the person afresh, as a
    request does. ``call``: how to call ``runtime.complete`` (``operator.call``
    for callgrind).
    """
    from django.contrib.auth import get_user_model

    from engine.models import WorkItem
    from engine.services import runtime

    done, cpu = 0, 0.0
    for key in TASKS:
        items = list(
            WorkItem.objects.filter(instance__in=started, activity_key=key).order_by("instance_id")
        )
        for item in items:
            user = get_user_model().objects.get(username=username)
            began = time.process_time()
            if profiler is not None:
                profiler.enable()
            if call is None:
                runtime.complete(item, user=user)
            else:
                call(runtime.complete, item, user=user)
            if profiler is not None:
                profiler.disable()
            cpu += time.process_time() - began
            done += 1
    return done, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=("start", "complete"), help="cProfile top 15")
    parser.add_argument(
        "--callgrind", choices=("start", "complete"), help="only these inside operator.call"
    )
    parser.add_argument("--runs", type=int, default=200, help="runs per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--sort", default="tottime", help="pstats order, e.g. cumulative")
    args = parser.parse_args()
    user = setup()
    from django.test.utils import override_settings

    from bench.query_counts import caches_held

    with override_settings(WAYMARK_SCHEDULER_BACKEND="immediate"), caches_held():
        complete_all(start_runs(3, user.username)[0], user.username)  # warm the caches
        if args.callgrind == "start":
            operator.call(start_runs, args.runs, user.username)  # (--toggle-collect=_operator_call)
            return
        if args.callgrind == "complete":
            started, _ = start_runs(args.runs, user.username)
            complete_all(started, user.username, call=operator.call)
            return
        if args.profile:
            profiler = cProfile.Profile()
            if args.profile == "start":
                profiler.enable()
                start_runs(args.runs, user.username)
                profiler.disable()
            else:
                started, _ = start_runs(args.runs, user.username)
                complete_all(started, user.username, profiler)  # only complete() profiled
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())
            return
        figures = []
        for _ in range(args.rounds):
            started, start_cpu = start_runs(args.runs, user.username)
            done, done_cpu = complete_all(started, user.username)
            figures.append((start_cpu * 1000 / args.runs, done_cpu * 1000 / done))
    print(
        "CPU ms per start:",
        " ".join(f"{s:.2f}" for s, _ in figures),
        "· per completion:",
        " ".join(f"{c:.2f}" for _, c in figures),
    )


if __name__ == "__main__":
    main()
