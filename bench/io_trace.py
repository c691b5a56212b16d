"""Where the wall-clock gap with django-viewflow goes: syscalls, bytes, WAL frames per step.

    .venv/bin/python bench/io_trace.py                  # 3 alternating rounds, both engines
    .venv/bin/python bench/io_trace.py --rounds 5 --runs 30

Both engines run their 20-step linear process inline on a fresh SQLite file
with the same settings (WAL, synchronous=NORMAL, IMMEDIATE transactions):
Waymark as bench/step_profile.py runs it, django-viewflow as
bench/peers/peer_bench.py does (in var/bench-peers, its own virtualenv).
Each child runs under ``strace -f -y`` between two markers it writes to
/dev/null, so the setup's writes are left out; the driver counts, per
automatic step: syscalls, bytes written to the database and its WAL, WAL
frames (one frame = one page written by a commit), fsyncs, SQL statements
and COMMITs (sqlite's trace callback), and CPU ms (time.process_time). The
rounds alternate the two engines, so the wall-clock ratio is a paired one.

    .venv/bin/python bench/io_trace.py --wall --rounds 6   # paired ratio, no tracer
    .venv/bin/python bench/io_trace.py --pages              # Waymark's frames by b-tree
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
PEER_PYTHON = ROOT / "var" / "bench-peers" / "bin" / "python"
STEPS = 20
MARK = "IO-TRACE-RESULT "
CALL = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+)")
FD_PATH = re.compile(r"^(-?\d+)<([^>]*)>")


def _count_statements(connection) -> Counter:
    """Every statement sqlite runs from now on (BEGIN, COMMIT, SAVEPOINT included), by verb."""
    counts: Counter = Counter()
    connection.ensure_connection()
    connection.connection.set_trace_callback(
        lambda sql: counts.update([sql.lstrip().split(None, 1)[0].upper()])
    )
    return counts


def _marker(text: str) -> None:
    with open(os.devnull, "w") as sink:
        sink.write(text)
        sink.flush()


def _measure(run_one, runs: int, connection) -> dict:
    run_one()  # warm: caches, compiled statements
    counts = _count_statements(connection)
    _marker("IO-TRACE-BEGIN")
    began, cpu = time.perf_counter(), time.process_time()
    for _ in range(runs):
        run_one()
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    _marker("IO-TRACE-END")
    connection.connection.set_trace_callback(None)
    return {"steps": runs * STEPS, "wall": wall, "cpu": cpu, "statements": dict(counts)}


def child_waymark(runs: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from bench.step_profile import setup

    setup()
    from django.db import connection
    from django.test.utils import override_settings

    from engine.services import runtime

    with override_settings(WAYMARK_SCHEDULER_BACKEND="immediate"):
        return _measure(lambda: runtime.start_run("bench_linear"), runs, connection)


def child_viewflow(runs: int) -> dict:
    sys.path.insert(0, str(PEERS))
    folder = tempfile.mkdtemp(prefix="waymark-iotrace-")
    os.environ["PEER_DB"] = os.path.join(folder, "peers.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", run_syncdb=True, verbosity=0)
    from peerapp.flows import LinearFlow

    return _measure(LinearFlow.start.run, runs, connection)


def parse(trace: str) -> dict:
    """Syscalls between the two markers: counts by name, bytes written by file kind."""
    inside = False
    calls: Counter = Counter()
    written: Counter = Counter()
    wal_frames = 0
    for line in trace.splitlines():
        if "IO-TRACE-BEGIN" in line:
            inside = True
            continue
        if "IO-TRACE-END" in line:
            break
        match = CALL.match(line)
        if not inside or not match:
            continue
        name, args, result = match.groups()
        calls[name] += 1
        if name in ("write", "pwrite64") and int(result) > 0:
            fd = FD_PATH.match(args)
            path = fd.group(2) if fd else ""
            kind = "wal" if path.endswith("-wal") else "db" if path.endswith("sqlite3") else "other"
            written[kind] += int(result)
            # a WAL frame is written as its 24-byte header, then the page
            if kind == "wal" and int(result) == 24:
                wal_frames += 1
    return {"calls": dict(calls), "written": dict(written), "wal_frames": wal_frames}


def traced(engine: str, runs: int, strace: bool = True) -> dict:
    """One child run of ``engine``, under strace unless ``strace`` is false (wall clock)."""
    python = sys.executable if engine == "waymark" else str(PEER_PYTHON)
    with tempfile.NamedTemporaryFile(prefix="iotrace-", suffix=".txt", delete=False) as out:
        log = out.name
    command = ["strace", "-f", "-y", "-qq", "-o", log, "-e", "trace=%file,%desc,%memory,%process"]
    command = (command if strace else []) + [python, __file__, "--child", engine]
    command += ["--runs", str(runs)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tempfile.gettempdir())
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARK)), None)
    if line is None:
        raise SystemExit(f"{engine} failed:\n{done.stdout}\n{done.stderr}")
    result = json.loads(line[len(MARK) :])
    result.update(parse(Path(log).read_text()))
    os.unlink(log)
    return result


def pages_per_commit(runs: int) -> None:
    """Which b-trees (tables, indexes) a Waymark commit writes: WAL frames by owner, per commit.

    Runs ``runs`` chains, checkpoints the WAL to empty, runs one more chain
    (21 commits: the start and 20 steps) and reads its WAL: each frame header
    names the page, and sqlite's dbstat table names the page's b-tree.
    """
    sys.path.insert(0, str(ROOT))
    from bench.step_profile import setup

    setup()
    from django.db import connection
    from django.test.utils import override_settings

    from engine.services import runtime

    with override_settings(WAYMARK_SCHEDULER_BACKEND="immediate"):
        for _ in range(runs):
            runtime.start_run("bench_linear")
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        runtime.start_run("bench_linear")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, pageno FROM dbstat")
        owner = {page: name for name, page in cursor.fetchall()}
        cursor.execute("PRAGMA page_size")
        size = cursor.fetchone()[0]
    wal = Path(f"{connection.settings_dict['NAME']}-wal").read_bytes()
    by_owner: Counter = Counter()
    commits = 0
    for offset in range(32, len(wal) - size, size + 24):  # 32-byte WAL header
        page, database_size = struct.unpack(">II", wal[offset : offset + 8])
        by_owner[owner.get(page, f"page {page}")] += 1
        commits += database_size != 0  # set on a commit's last frame only
    print(f"WAL frames per commit: {sum(by_owner.values()) / commits:.1f} ({commits} commits)")
    for name, frames in by_owner.most_common():
        print(f"{frames / commits:6.2f}  {name}")


def paired_wall(rounds: int, runs: int) -> list[tuple[float, float]]:
    """Waymark ÷ viewflow steps/s with no tracer, per pair of back-to-back children:
    (by wall clock, by CPU time of the process)."""
    ratios = []
    for _ in range(rounds):
        ours, theirs = (traced(engine, runs, strace=False) for engine in ("waymark", "viewflow"))
        wall = (theirs["wall"] / theirs["steps"]) / (ours["wall"] / ours["steps"])
        cpu = (theirs["cpu"] / theirs["steps"]) / (ours["cpu"] / ours["steps"])
        ratios.append((wall, cpu))
    return ratios


def per_step(r: dict) -> dict:
    steps = r["steps"]
    sql = r["statements"]
    return {
        "syscalls": sum(r["calls"].values()) / steps,
        "pwrite64": r["calls"].get("pwrite64", 0) / steps,
        "fsync": (r["calls"].get("fsync", 0) + r["calls"].get("fdatasync", 0)) / steps,
        "KB written": sum(r["written"].values()) / steps / 1024,
        "WAL frames": r["wal_frames"] / steps,
        "statements": sum(sql.values()) / steps,
        "COMMITs": sql.get("COMMIT", 0) / steps,
        "BEGINs": sql.get("BEGIN", 0) / steps,
        "SAVEPOINTs": sql.get("SAVEPOINT", 0) / steps,
        "CPU ms": r["cpu"] * 1000 / steps,
        "wall ms (traced)": r["wall"] * 1000 / steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", choices=["waymark", "viewflow"])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--wall", action="store_true", help="paired wall-clock ratio, no strace")
    parser.add_argument("--pages", action="store_true", help="Waymark's WAL frames by b-tree")
    args = parser.parse_args()
    if args.pages:
        pages_per_commit(args.runs)
        return
    if args.child:
        measure = child_waymark if args.child == "waymark" else child_viewflow
        print(MARK + json.dumps(measure(args.runs)), flush=True)
        return
    if args.wall:
        pairs = paired_wall(args.rounds, args.runs)
        for label, index in (("wall clock", 0), ("CPU time", 1)):
            ratios = [pair[index] for pair in pairs]
            print(
                f"Waymark ÷ viewflow steps/s by {label}, paired, no tracer:",
                " ".join(f"{x:.2f}" for x in ratios),
                f"(median {statistics.median(ratios):.2f})",
            )
        return
    rows: dict[str, list[dict]] = {"waymark": [], "viewflow": []}
    for _ in range(args.rounds):
        for engine in rows:
            rows[engine].append(per_step(traced(engine, args.runs)))
    print(f"per automatic step, median of {args.rounds} alternating rounds of {args.runs} runs:")
    print(f"{'':20} {'Waymark':>10} {'viewflow':>10}")
    for key in rows["waymark"][0]:
        ours = statistics.median(r[key] for r in rows["waymark"])
        theirs = statistics.median(r[key] for r in rows["viewflow"])
        print(f"{key:20} {ours:10.2f} {theirs:10.2f}")
    ratios = [
        v["wall ms (traced)"] / w["wall ms (traced)"]
        for w, v in zip(rows["waymark"], rows["viewflow"], strict=True)
    ]
    print("Waymark ÷ viewflow steps/s under strace, paired:", " ".join(f"{x:.2f}" for x in ratios))


if __name__ == "__main__":
    main()
