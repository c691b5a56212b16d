"""In-process steps/s of the 20-step chain, and where a step's time goes.

    .venv/bin/python bench/step_profile.py                 # inline steps/s, 5 rounds
    .venv/bin/python bench/step_profile.py --profile       # cProfile top 15 (tottime)
    valgrind --tool=callgrind --toggle-collect=_operator_call \
        .venv/bin/python bench/step_profile.py --callgrind --runs 3   # instructions

``--callgrind`` runs the chains once inside ``operator.call``, so that
callgrind collects only there (Python, Django and SQLite's C code of the
steps, not the setup): instructions per step, the one figure a busy
machine does not move (divide callgrind's "Collected" by runs × 20).

The chain runs inline (the immediate backend: still one committed transaction
per step, as the peers' inline figure), on a temporary SQLite database with
Waymark's settings, or on ``DATABASE_URL``. Quick enough to alternate two
trees (``git worktree``) on a busy machine; read the spread, not one figure.
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

STEPS = 20


def setup() -> None:
    if "DATABASE_URL" not in os.environ:
        folder = tempfile.mkdtemp(prefix="waymark-steps-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/steps.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")
    import django

    django.setup()
    from django.core.management import call_command

    from bench.engine_bench import linear_definition
    from engine.services import definitions

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    definitions.import_definition(linear_definition(steps=STEPS), publish_it=True)


def run_chains(runs: int) -> tuple[float, float]:
    """Start ``runs`` chains inline; returns automatic steps per second and per CPU second.

    The CPU figure (this process: Python, Django and SQLite's own work) moves
    much less than the wall-clock one when other processes share the cores.
    """
    from django.test.utils import override_settings

    from engine.services import runtime

    with override_settings(WAYMARK_SCHEDULER_BACKEND="immediate"):
        began, cpu = time.perf_counter(), time.process_time()
        for _ in range(runs):
            runtime.start_run("bench_linear")
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
    return runs * STEPS / seconds, runs * STEPS / cpu_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", action="store_true", help="cProfile top 15 instead")
    parser.add_argument(
        "--callgrind", action="store_true", help="one round inside operator.call (see above)"
    )
    parser.add_argument("--runs", type=int, default=20, help="runs per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup()
    run_chains(2)  # warm: graph cache, endpoint cache, compiled statements
    if args.callgrind:
        operator.call(run_chains, args.runs)  # (--toggle-collect=_operator_call)
        return
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        run_chains(args.runs)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(15)
        print(out.getvalue())
        return
    rates = [run_chains(args.runs) for _ in range(args.rounds)]
    print(
        " ".join(f"{wall:.0f}" for wall, _ in rates),
        "steps/s (inline, per round); per CPU second:",
        " ".join(f"{cpu:.0f}" for _, cpu in rates),
    )


if __name__ == "__main__":
    main()
