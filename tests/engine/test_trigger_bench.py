"""The short version of bench/trigger_bench.py: its fires all start their run.

The benchmark itself (10,000 fires over a minute, Django-Q2's schedules beside
them) lives in bench/; this runs it small, on SQLite, without the peer, so a
change that breaks the benchmark or the timer loop's firing fails CI. No time
is asserted: only that every fire started its run and the table was printed.
"""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_the_trigger_benchmark_fires_every_schedule_in_a_short_run():
    result = subprocess.run(
        [
            sys.executable,
            "bench/trigger_bench.py",
            "--database",
            "sqlite",
            "--fires",
            "40",
            "--spread",
            "2",
            "--events",
            "0",
            "--no-peer",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    row = next(line for line in result.stdout.splitlines() if line.startswith("Waymark schedules"))
    assert row.split()[-2] == "40", result.stdout  # every fire started its run
