"""Waymark end to end through real Django-Q2 workers, against the ceiling and the peers.

    .venv/bin/python bench/engine_bench.py              # issue 16's table (about 10 minutes)
    .venv/bin/python bench/engine_bench.py --with-timers   # and timer_bench's SQLite 10,000
    .venv/bin/python bench/engine_bench.py --only sqlite --workers 1 --no-peers
    BENCH_RUNS=8 .venv/bin/python bench/engine_bench.py --workers 1   # a quick smoke run

For each configuration — SQLite (WAL, Waymark's settings) with the ORM broker
and PostgreSQL with the Redis broker, each with 1 and 2 workers (``--celery``
adds PostgreSQL with Celery workers on RabbitMQ) — a fresh database is
created and migrated, and a child process measures, on that database:

- the ceiling (bench/ceiling.py: one ORM UPDATE + one INSERT per transaction;
  the raw driver's figure beside it);
- statements and writes per step, per human-task start and per completion
  (``bench/query_counts.py``, exact numbers);
- Waymark inline, as the peers run (the immediate backend, no worker running):
  automatic steps/s of the 20-step process and run starts/s of the human one;
- then, with a ``manage.py qcluster`` (or ``waymark_celery_worker``)
  subprocess of 1 or 2 workers: automatic steps/s of the 20-step linear
  process (one chain per run, run on in the worker that took its first step),
  of a parallel split/join of width 10, completed runs/s and committed
  transactions/s of a process heavy in human tasks (four human tasks, then
  one automatic step; the driver completes the tasks through
  ``engine.services.runtime``, as the inbox would), the median latency from
  "run started" to "first automatic step done", and the resident memory of
  every qcluster process.

Rates through workers are taken from the database's own timestamps (first run
started to last run ended), so the driver's polling does not blur them. The
peers (bench/peers/: django-viewflow, django-goflow2 and DBOS Transact on
SQLite WAL, in their own virtualenv; DBOS Transact again on PostgreSQL) run
the same processes afterwards, in the same run. The output ends with one
Markdown table, issue 16's rows (figure | measured | target | met?), headed by
the date, the commit and the load average at start and end.

Every wait has a time limit, every loop a count, every child a deadline; the
qcluster and the child processes are killed at the end, on errors, on
timeouts and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/waymark_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
PEERS_PYTHON = os.environ.get("BENCH_PEERS_PYTHON", str(ROOT / "var/bench-peers/bin/python"))
RUNS = int(os.environ.get("BENCH_RUNS", "40"))  # runs per workload
LATENCY_RUNS = int(os.environ.get("BENCH_LATENCY_RUNS", "30"))
WAIT_LIMIT = float(os.environ.get("BENCH_WAIT_LIMIT", "120"))  # seconds, per workload
# A configuration: migrate, two ceilings of 3,000 transactions, the counts and the inline
# runs (seconds each), then five workloads of at most WAIT_LIMIT each. Past this the child
# is stopped and the configuration reported as failed; the bench goes on with the next.
CHILD_LIMIT = float(os.environ.get("BENCH_CHILD_LIMIT", str(6 * WAIT_LIMIT + 180)))
PEERS_LIMIT = 900.0  # peer_bench.py: six measurements of at most 120 s each, plus migrate
DBOS_LIMIT = 300.0  # dbos_peer.py alone: one measurement of at most 120 s, plus launch
TIMERS_LIMIT = 900.0  # timer_bench.py --database sqlite: its own waits add up to ~7 min
TIMERS = int(os.environ.get("BENCH_TIMERS", "10000"))  # --with-timers (fewer: a smoke run)
MARK = "BENCH-RESULT "
LINEAR_STEPS = 20
WIDTH = 10
HUMAN_TASKS = 4


# The processes -------------------------------------------------------------------------------


def linear_definition(code: str = "bench_linear", steps: int = LINEAR_STEPS) -> dict:
    keys = [f"s{i}" for i in range(steps)]
    acts = [{"key": k, "kind": "automatic", "handler": "bench.step"} for k in keys]
    chain = ["start", *keys, "end"]
    return _definition(code, acts, list(zip(chain, chain[1:], strict=False)))


def parallel_definition(code: str = "bench_parallel", width: int = WIDTH) -> dict:
    branches = [f"b{i}" for i in range(width)]
    acts = [{"key": "split", "kind": "parallel"}, {"key": "join", "kind": "parallel"}]
    acts += [{"key": b, "kind": "automatic", "handler": "bench.branch"} for b in branches]
    edges = [("start", "split"), ("join", "end")]
    edges += [("split", b) for b in branches] + [(b, "join") for b in branches]
    return _definition(code, acts, edges)


def human_definition(code: str = "bench_human") -> dict:
    """Four human tasks (assigned, offered to a role, offered to a user, assigned), one step."""
    acts = [
        {"key": "review", "kind": "human", "assignee": "data.user"},
        {"key": "approve", "kind": "human", "roles": ["bench-approvers"]},
        {"key": "check", "kind": "human", "allowed_users": ["bench"]},
        {"key": "sign", "kind": "human", "assignee": "data.user"},
        {"key": "notify", "kind": "automatic", "handler": "bench.step"},
    ]
    chain = ["start", "review", "approve", "check", "sign", "notify", "end"]
    return _definition(code, acts, list(zip(chain, chain[1:], strict=False)))


def single_step_definition(code: str = "bench_one") -> dict:
    acts = [{"key": "a", "kind": "automatic", "handler": "bench.step"}]
    return _definition(code, acts, [("start", "a"), ("a", "end")])


def _definition(code: str, activities: list[dict], edges: list[tuple[str, str]]) -> dict:
    acts = [{"key": "start", "kind": "start"}, *activities, {"key": "end", "kind": "end"}]
    for a in acts:
        a.setdefault("name", a["key"].title())
    return {
        "format": "waymark.process/1",
        "process": {"code": code, "title": code.replace("_", " ").title()},
        "activities": acts,
        "transitions": [
            {"key": f"t{i}", "source": s, "target": t} for i, (s, t) in enumerate(edges)
        ],
    }


# Subprocesses --------------------------------------------------------------------------------


def kill_group(process: subprocess.Popen) -> None:
    """Stop a process started in its own session, and everything it started."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def group_rss_mb(pgid: int) -> list[float]:
    """Resident memory (MB) of every process in a process group."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[2]) != pgid:  # fields: state, ppid, pgrp, ...
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except (OSError, ValueError):
            continue  # it ended meanwhile
    return sizes


def wait_until(predicate, limit: float, what: str, poll: float = 0.05):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError(f"gave up after {limit:.0f}s waiting for {what}")


# One configuration, in a child process (Django is set up once per process) ---------------------


class Child:
    def __init__(self, vendor: str, workers: int):
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        if vendor == "celery":  # the benchmark's own queue starts empty
            from celery import current_app

            current_app.control.purge()
        self.vendor = vendor
        self.workers = workers
        self.cluster: subprocess.Popen | None = None
        self.rss: list[float] = []

    def deploy(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from engine.services import definitions

        for definition in (
            linear_definition(),
            parallel_definition(),
            human_definition(),
            single_step_definition(),
        ):
            definitions.import_definition(definition, publish_it=True)
        self.user = get_user_model().objects.create_user("bench", email="bench@example.com")
        Group.objects.get_or_create(name="bench-approvers")[0].user_set.add(self.user)

    def ceilings(self) -> dict[str, float]:
        from bench import ceiling
        from engine.services import runtime

        parked = runtime.start_run("bench_human", {"user": "bench"})  # a row to update
        orm = ceiling.orm_ceiling(parked.pk)
        if self.vendor == "sqlite":
            raw = ceiling.sqlite_ceiling()
        else:
            raw = ceiling.postgres_ceiling(PG_URL)
        runtime.cancel_run(parked)
        return {"orm": orm, "raw": raw}

    def start_cluster(self) -> None:
        command = ["qcluster"]
        if self.vendor == "celery":
            command = ["waymark_celery_worker", f"--concurrency={self.workers}", "--loglevel=ERROR"]
        self.cluster = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env={**os.environ, "WAYMARK_WORKERS": str(self.workers)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # The driver kills this group too if this child itself has to be killed.
        pidfile = os.environ.get("BENCH_CLUSTER_PIDFILE")
        if pidfile:
            Path(pidfile).write_text(str(self.cluster.pid))

    def stop_cluster(self) -> None:
        if self.cluster is not None:
            kill_group(self.cluster)
            self.cluster = None

    def sample_rss(self) -> None:
        if self.cluster is not None:
            self.rss += group_rss_mb(self.cluster.pid)

    # workloads ------------------------------------------------------------------------------

    def start_runs(self, code: str, count: int, data: dict | None = None) -> tuple[list, float]:
        from engine.services import runtime

        began = time.perf_counter()
        ids = [runtime.start_run(code, dict(data or {})).pk for _ in range(count)]
        return ids, time.perf_counter() - began

    def wait_done(self, ids: list[int], what: str) -> None:
        from engine.models import ProcessInstance, RunState

        runs = ProcessInstance.objects.filter(pk__in=ids)

        def done():
            failed = runs.filter(state=RunState.FAILED).values_list("pk", flat=True)[:1]
            if failed:
                raise RuntimeError(f"{what}: run {failed[0]} failed (see its incident)")
            return runs.filter(state=RunState.COMPLETED).count() == len(ids)

        wait_until(done, WAIT_LIMIT, what)
        self.sample_rss()

    def span(self, ids: list[int]) -> float:
        from django.db.models import Max, Min

        from engine.models import ProcessInstance

        times = ProcessInstance.objects.filter(pk__in=ids).aggregate(
            first=Min("started_at"), last=Max("ended_at")
        )
        return (times["last"] - times["first"]).total_seconds()

    def automatic_steps(self, ids: list[int]) -> int:
        from engine.models import WorkItem, WorkItemState

        return WorkItem.objects.filter(
            instance_id__in=ids, activity_kind="automatic", state=WorkItemState.COMPLETED
        ).count()

    def steps_per_second(self, code: str, count: int) -> dict:
        ids, _ = self.start_runs(code, count)
        self.wait_done(ids, code)
        steps = self.automatic_steps(ids)
        seconds = self.span(ids)
        return {"steps": steps, "seconds": seconds, "rate": steps / seconds}

    def inline(self, count: int) -> dict:
        """Waymark as the peers run: inline, no queue, no worker (none is running yet).

        The immediate backend runs each chain in this process right after the
        run's transaction commits (still one committed transaction per
        transition). Starts/s of the human process are timed around the calls,
        as peer_bench.py times the peers' starts (a start creates the first
        human task and commits).
        """
        from django.test.utils import override_settings

        with override_settings(WAYMARK_SCHEDULER_BACKEND="immediate"):
            steps = self.steps_per_second("bench_linear", count)
            _, seconds = self.start_runs("bench_human", count, {"user": "bench"})
        return {"steps": steps["rate"], "starts": count / seconds}

    def human_runs(self, count: int) -> dict:
        from engine.models import WorkItem, WorkItemState
        from engine.services import runtime

        ids, start_seconds = self.start_runs("bench_human", count, {"user": "bench"})
        open_states = [WorkItemState.OFFERED, WorkItemState.ASSIGNED]
        for _ in range(HUMAN_TASKS):  # one round per task of the chain: bounded
            pending = WorkItem.objects.filter(
                instance_id__in=ids, activity_kind="human", state__in=open_states
            ).values_list("pk", flat=True)
            for pk in list(pending):
                runtime.complete(pk, user=self.user)
        self.wait_done(ids, "bench_human")
        seconds = self.span(ids)
        return {
            "runs": count,
            "seconds": seconds,
            "rate": count / seconds,
            "starts_per_second": count / start_seconds,
            # start + each human task + the automatic step: one transaction each
            "transitions_per_second": count * (HUMAN_TASKS + 2) / seconds,
        }

    def latency(self, count: int) -> dict:
        from engine.models import ProcessInstance, RunState, WorkItem
        from engine.services import runtime

        samples = []
        deadline = time.monotonic() + WAIT_LIMIT  # for all of them together
        for _ in range(count):
            run = runtime.start_run("bench_one")
            wait_until(
                lambda run=run: ProcessInstance.objects.filter(
                    pk=run.pk, state=RunState.COMPLETED
                ).exists(),
                max(1.0, min(30.0, deadline - time.monotonic())),
                f"run {run.pk}",
                poll=0.005,
            )
            done = WorkItem.objects.get(instance=run, activity_key="a").completed_at
            samples.append((done - run.started_at).total_seconds() * 1000)
        self.sample_rss()
        return {
            "median_ms": statistics.median(samples),
            "p90_ms": statistics.quantiles(samples, n=10)[-1],
            "samples": count,
        }

    def measure(self) -> dict:
        self.deploy()
        result = {"vendor": self.vendor, "workers": self.workers, "ceiling": self.ceilings()}
        from bench import query_counts

        result["counts"] = query_counts.measure(self.user, LINEAR_STEPS)
        result["inline"] = self.inline(RUNS)
        self.start_cluster()
        try:
            warm, _ = self.start_runs("bench_linear", 2)  # the workers are up once it ends
            self.wait_done(warm, "warm-up")
            result["linear"] = self.steps_per_second("bench_linear", RUNS)
            result["parallel"] = self.steps_per_second("bench_parallel", RUNS)
            result["human"] = self.human_runs(RUNS)
            result["latency"] = self.latency(LATENCY_RUNS)
            result["rss_mb"] = max(self.rss) if self.rss else None
            result["processes"] = len(group_rss_mb(self.cluster.pid)) if self.cluster else 0
        finally:
            self.stop_cluster()
        return result


def child_main(vendor: str, workers: int) -> None:
    child = None

    def stop(*_):
        raise SystemExit(1)

    signal.signal(signal.SIGTERM, stop)
    try:
        child = Child(vendor, workers)
        print(MARK + json.dumps(child.measure()), flush=True)
    finally:
        if child is not None:
            child.stop_cluster()


# The driver: fresh database per configuration, then the tables ------------------------------


@contextlib.contextmanager
def fresh_database(vendor: str):
    """Yields the environment of a configuration with a new, empty database."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    if vendor == "sqlite":
        folder = tempfile.mkdtemp(prefix="waymark-bench-")
        env["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        try:
            yield env
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg
    import redis

    if vendor == "celery":
        env["WAYMARK_SCHEDULER_BACKEND"] = "celery"
        env["CELERY_BROKER_URL"] = AMQP_URL
    admin_url = PG_URL.replace(urlparse(PG_URL).path, "/postgres")
    name = urlparse(PG_URL).path.lstrip("/")
    redis.Redis.from_url(REDIS_URL).flushdb()  # only the benchmark's own db number

    def recreate(create: bool) -> None:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if create:
                admin.execute(f'CREATE DATABASE "{name}"')

    recreate(True)
    env["DATABASE_URL"] = PG_URL
    env["REDIS_URL"] = REDIS_URL
    try:
        yield env
    finally:
        recreate(False)
        redis.Redis.from_url(REDIS_URL).flushdb()


def _kill_leftover_cluster(pidfile: Path) -> None:
    """The child's qcluster, when the child was killed before it could stop it."""
    try:
        pid = int(pidfile.read_text())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return  # never started, or gone
    if b"manage.py" in command:  # still ours (not a reused pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def _result_line(out: str) -> dict | None:
    for line in out.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    return None


def run_configuration(vendor: str, workers: int) -> dict:
    failed = {"vendor": vendor, "workers": workers}
    with fresh_database(vendor) as env, tempfile.TemporaryDirectory() as tmp:
        pidfile = Path(tmp) / "cluster.pid"
        env["BENCH_CLUSTER_PIDFILE"] = str(pidfile)
        child = subprocess.Popen(
            [sys.executable, __file__, "--child", vendor, str(workers)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            out, _ = child.communicate(timeout=CHILD_LIMIT)
        except subprocess.TimeoutExpired:
            out = ""
            failed["error"] = f"stopped after the child limit of {CHILD_LIMIT:.0f} s"
        finally:  # also on Ctrl-C: the child's finally kills its qcluster, else we do
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            _kill_leftover_cluster(pidfile)
    result = _result_line(out)
    if result is not None:
        return result
    failed.setdefault("error", f"exit code {child.returncode} (its stderr is above)")
    return failed


def _peer_run(command: list[str], cwd: Path, limit: float) -> dict:
    """A peer script in the peers' virtualenv; its BENCH-RESULT, or why there is none."""
    if not Path(PEERS_PYTHON).exists():
        return {
            "error": f"no peers virtualenv at {PEERS_PYTHON}: "
            "python3 -m venv var/bench-peers && var/bench-peers/bin/pip install -r "
            "bench/peers/requirements.txt"
        }
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["BENCH_RUNS"] = str(RUNS)
    try:
        proc = subprocess.run(
            [PEERS_PYTHON, *command],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=limit,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {limit:.0f} s"}
    result = _result_line(proc.stdout)
    if result is None:
        return {"error": f"failed: {proc.stderr.strip()[-500:]}"}
    return result


def run_peers() -> dict:
    """viewflow, goflow2 and DBOS Transact on SQLite WAL (peer_bench.py), one process."""
    here = ROOT / "bench" / "peers"
    return _peer_run([str(here / "peer_bench.py")], here, PEERS_LIMIT)


def run_dbos_postgres() -> dict:
    """DBOS Transact on a fresh PostgreSQL database of the same server as Waymark's figure."""
    import psycopg

    parsed = urlparse(PG_URL)
    name = f"{parsed.path.lstrip('/')}_dbos"
    admin_url = PG_URL.replace(parsed.path, "/postgres")

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # SQLAlchemy's scheme; DBOS creates its system database itself.
    url = "postgresql://" + PG_URL.split("://", 1)[1].replace(parsed.path, f"/{name}")
    here = ROOT / "bench" / "peers"
    drop()
    try:
        return _peer_run([str(here / "dbos_peer.py"), url], here, DBOS_LIMIT)
    finally:
        drop()


TIMER_LINE = re.compile(
    r"^Waymark, .*timer loop\(s\)\s+(?P<median>[\d.]+)\s+(?P<p99>[\d.]+)\s+(?P<max>[\d.]+)"
    r"\s+(?P<fired>[\d,]+)"
)


def run_timers() -> dict:
    """bench/timer_bench.py's SQLite case (10,000 timers due in one minute), its p99 parsed."""
    try:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "timer_bench.py")]
            + ["--database", "sqlite", "--timers", str(TIMERS)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=TIMERS_LIMIT,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {TIMERS_LIMIT:.0f} s"}
    left = re.search(r"not fired in time: ([\d,]+)", proc.stdout)
    for line in proc.stdout.splitlines():
        found = TIMER_LINE.match(line)
        if found:
            figures = {k: float(v.replace(",", "")) for k, v in found.groupdict().items()}
            figures["unfired"] = int(left.group(1).replace(",", "")) if left else None
            figures["output"] = proc.stdout.strip()
            return figures
    return {"error": f"no result: {(proc.stdout + proc.stderr).strip()[-500:]}"}


# The report: Markdown, to paste into docs/benchmarks.md ---------------------------------------


def fmt(value: float | None, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


LABELS = {
    "sqlite": "SQLite + ORM broker",
    "postgres": "PostgreSQL + Redis",
    "celery": "PG + RabbitMQ/Celery",
}
DATABASE = {"sqlite": "SQLite", "postgres": "PostgreSQL", "celery": "PostgreSQL"}
HUMAN_TRANSACTIONS = HUMAN_TASKS + 2  # the start, each task's completion, the automatic step


def _markdown(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def configuration_table(results: list[dict]) -> None:
    print("Waymark per configuration (rates through workers from database timestamps):")
    print()
    rows = []
    for r in results:
        label = LABELS.get(r["vendor"], r["vendor"])
        if "error" in r:
            rows.append([label, str(r["workers"]), f"failed: {r['error']}"] + [""] * 11)
            continue
        orm = r["ceiling"]["orm"]
        human_tx = r["human"]["rate"] * HUMAN_TRANSACTIONS
        rows.append(
            [
                label,
                str(r["workers"]),
                f"{fmt(orm)} ({fmt(r['ceiling']['raw'])})",
                fmt(r["linear"]["rate"]),
                f"{r['linear']['rate'] / orm:.2f}",
                fmt(r["parallel"]["rate"]),
                f"{r['parallel']['rate'] / orm:.2f}",
                fmt(r["human"]["rate"], ",.1f"),
                fmt(human_tx),
                f"{human_tx / orm:.2f}",
                fmt(r["inline"]["steps"]),
                fmt(r["inline"]["starts"]),
                f"{fmt(r['latency']['median_ms'], '.0f')} ms",
                f"{fmt(r['rss_mb'], '.0f')} MB",
            ]
        )
    _markdown(
        [
            "database + broker",
            "workers",
            "ceiling ORM tx/s (raw)",
            "linear20 steps/s",
            "÷ ceiling",
            "par10 steps/s",
            "÷ ceiling",
            "human runs/s",
            "human tx/s",
            "÷ ceiling",
            "inline steps/s",
            "inline starts/s",
            "latency median",
            "worker RSS",
        ],
        rows,
    )


COUNT_NAMES = {
    "step": "automatic step",
    "human_start": "human-task run start",
    "completion": "human-task completion",
}


def counts_by_database(results: list[dict]) -> dict[str, dict]:
    """The exact counts, once per database kind (the same in every configuration of it)."""
    counts: dict[str, dict] = {}
    for r in results:
        if "counts" in r:
            counts.setdefault(DATABASE.get(r["vendor"], r["vendor"]), r["counts"])
    return counts


def inline_means(results: list[dict]) -> dict[str, dict[str, float]]:
    """Waymark inline per database kind: the mean of its configurations' measurements."""
    samples: dict[str, list[dict]] = {}
    for r in results:
        if "error" not in r and r["vendor"] != "celery":  # celery's child: same PG, same code
            samples.setdefault(r["vendor"], []).append(r["inline"])
    return {
        vendor: {key: statistics.fmean(s[key] for s in values) for key in ("steps", "starts")}
        | {"samples": len(values)}
        for vendor, values in samples.items()
    }


def peers_table(results: list[dict], peers: dict) -> None:
    inline = inline_means(results)
    print("Waymark inline next to the peers, all inline (no queue, no worker); same run:")
    print()
    rows = []
    for vendor, figures in inline.items():
        rows.append(
            [
                f"Waymark inline ({DATABASE[vendor]}, mean of {figures['samples']})",
                fmt(figures["steps"]),
                "",
                fmt(figures["starts"]),
                "",
                "one committed transaction per step (immediate backend)",
            ]
        )
    for name, peer in peers.items():
        if "error" in peer:
            rows.append([name, f"not measured: {peer['error']}", "", "", "", ""])
            continue
        ours = inline.get(peer["vendor"], {})
        rows.append(
            [
                _with_version(name, peer.get("version", "")),
                fmt(peer.get("linear")),
                _ratio(ours.get("steps"), peer.get("linear")),
                fmt(peer.get("starts")),
                _ratio(ours.get("starts"), peer.get("starts")),
                peer.get("notes", ""),
            ]
        )
    _markdown(
        [
            "engine",
            "linear20 steps/s",
            "Waymark ÷ peer",
            "human run starts/s",
            "Waymark ÷ peer",
            "notes",
        ],
        rows,
    )


def _with_version(name: str, version: str) -> str:
    """'DBOS Transact (PostgreSQL)', '3.4.0' -> 'DBOS Transact 3.4.0 (PostgreSQL)'."""
    base, paren, rest = name.partition(" (")
    return f"{base} {version}".strip() + (f" ({rest}" if paren else "")


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}x" if ours and theirs else "-"


def _met(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "**no**")


def _by_configuration(results: list[dict]) -> dict[tuple[str, int], dict]:
    return {(r["vendor"], r["workers"]): r for r in results if "error" not in r}


SHORT = {("sqlite", 1): "SQLite 1w", ("sqlite", 2): "SQLite 2w"}
SHORT |= {("postgres", 1): "PG 1w", ("postgres", 2): "PG 2w"}


def _ceiling_rows(results: list[dict]) -> list[list[str]]:
    """linear20 per configuration; par10 and the human workload over all four."""
    by = _by_configuration(results)
    rows = []
    for vendor, workers, target in (
        ("sqlite", 1, 0.50),
        ("sqlite", 2, 0.50),
        ("postgres", 1, 0.50),
        ("postgres", 2, 0.80),
    ):
        figure = (
            f"linear20 steps/s through workers ÷ ORM ceiling, {LABELS[vendor]}, "
            f"{workers} worker{'s' if workers > 1 else ''}"
        )
        r = by.get((vendor, workers))
        if r is None:
            rows.append([figure, "not measured", f"≥ {target:.2f}", _met(None)])
            continue
        rate, orm = r["linear"]["rate"], r["ceiling"]["orm"]
        measured = f"{rate / orm:.2f} ({rate:,.0f} steps/s ÷ {orm:,.0f} tx/s)"
        rows.append([figure, measured, f"≥ {target:.2f}", _met(rate / orm >= target)])
    for figure, rate_of, target in (
        ("par10 (split/join of width 10) steps/s ÷ ORM ceiling", _par10_rate, 0.30),
        (
            f"human-heavy process: committed transactions/s ({HUMAN_TRANSACTIONS} per run) "
            "÷ ORM ceiling tx/s",
            _human_tx_rate,
            0.30,
        ),
    ):
        ratios = {k: rate_of(by[k]) / by[k]["ceiling"]["orm"] for k in SHORT if k in by}
        parts = [f"{SHORT[k]} {ratios[k]:.2f}" if k in ratios else f"{SHORT[k]} -" for k in SHORT]
        measured = " · ".join(parts)
        # Met only when all four configurations were measured and each is.
        ok = min(ratios.values()) >= target if len(ratios) == len(SHORT) else None
        rows.append([figure, measured, f"≥ {target:.2f} (each)", _met(ok)])
    return rows


def _par10_rate(r: dict) -> float:
    return r["parallel"]["rate"]


def _human_tx_rate(r: dict) -> float:
    return r["human"]["rate"] * HUMAN_TRANSACTIONS


def _peer_rows(results: list[dict], peers: dict | None) -> list[list[str]]:
    inline = inline_means(results)
    peers = peers or {}

    def ratio(peer_name: str, key: str, target: float) -> tuple[str, bool | None]:
        peer = peers.get(peer_name, {})
        ours = inline.get(peer.get("vendor", ""), {}).get(key)
        theirs = peer.get({"steps": "linear"}.get(key, key))
        if not ours or not theirs:
            return f"not measured{': ' + peer['error'][:80] if 'error' in peer else ''}", None
        text = f"{ours / theirs:.2f}x ({ours:,.0f} vs {theirs:,.0f}/s)"
        return text, ours / theirs >= target

    rows = []
    for figure, name, key, target in (
        ("Waymark inline ÷ django-viewflow, steps/s (SQLite)", "django-viewflow", "steps", 1.0),
        (
            "Waymark inline ÷ django-viewflow, human-task run starts/s (SQLite)",
            "django-viewflow",
            "starts",
            1.0,
        ),
    ):
        measured, ok = ratio(name, key, target)
        rows.append([figure, measured, f"≥ {target:.1f}x", _met(ok)])
    steps, steps_ok = ratio("django-goflow2", "steps", 10.0)
    starts, starts_ok = ratio("django-goflow2", "starts", 3.0)
    both = None if steps_ok is None or starts_ok is None else steps_ok and starts_ok
    rows.append(
        ["Waymark inline ÷ django-goflow2, steps/s · starts/s (SQLite)", f"{steps} · {starts}"]
        + ["≥ 10x · ≥ 3x"]
        + [_met(both)]
    )
    for name, database in ((DBOS_SQLITE, "SQLite WAL"), (DBOS_PG, "PostgreSQL")):
        measured, ok = ratio(name, "steps", 1.0)
        figure = f"Waymark inline ÷ DBOS Transact, 20 no-op steps, both on {database}"
        rows.append([figure, measured, "≥ 1.0x", _met(ok)])
    return rows


DBOS_SQLITE = "DBOS Transact (SQLite WAL)"
DBOS_PG = "DBOS Transact (PostgreSQL)"


def _other_rows(results: list[dict], timers: dict | None) -> list[list[str]]:
    rows = []
    if timers is None:
        measured, ok = "not run here: add --with-timers (bench/timer_bench.py)", None
    elif "error" in timers:
        measured, ok = f"failed: {timers['error'][:120]}", None
    else:
        measured = (
            f"{timers['p99']:.2f} s (median {timers['median']:.2f} s, max {timers['max']:.2f} s)"
        )
        ok = timers["p99"] <= 2.0 and not timers.get("unfired")
    figure = f"timers, {TIMERS:,} due in one minute, SQLite, p99 late"
    rows.append([figure, measured, "≤ 2 s", _met(ok)])
    rows.append(
        [
            'inbox "Available" and a person\'s own runs list at 1M workitems',
            "see bench/inbox_bench.py (not run here)",
            "≤ 20 ms, queries flat",
            _met(None),
        ]
    )
    counts = counts_by_database(results)
    for key, name in COUNT_NAMES.items():
        measured = " · ".join(
            f"{database} {c[key]['statements']:g} ({c[key]['writes']:g} writes)"
            for database, c in counts.items()
        )
        rows.append(
            [
                f"statements (writes) per {name}",
                measured or "not measured",
                "exact; asserted by tests/engine/test_query_counts.py",
                _met(None),
            ]
        )
    return rows


def summary_table(results: list[dict], peers: dict | None, timers: dict | None) -> None:
    print("Issue 16's table, this run:")
    print()
    rows = _ceiling_rows(results) + _peer_rows(results, peers) + _other_rows(results, timers)
    _markdown(["figure", "measured", "target", "met?"], rows)
    print()
    print(
        f"ORM ceiling = bench/ceiling.py's orm_ceiling in the same child on the same database "
        f"(one ORM UPDATE + one INSERT per transaction.atomic(), one connection). Through "
        f"workers = a real qcluster with the configuration's broker, rate = automatic steps "
        f"completed / (last run ended - first run started), {RUNS} runs. Human-heavy: "
        f"{HUMAN_TRANSACTIONS} committed state-change transactions per run (the start, "
        f"{HUMAN_TASKS} completions by the driver, the automatic step in a worker; the "
        f"broker's own commits not counted) x completed runs/s. Waymark inline = the immediate "
        f"backend, no worker running, mean of the configurations on that database; the peers "
        f"run inline too. wN = N workers."
    )


def _load() -> str:
    try:
        out = subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout
        return out.split("load average:")[1].strip()
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD") or "unknown"
        dirty = git("status", "--porcelain", "--", "engine", "bench", "config")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return commit + (" (engine/bench/config with uncommitted changes)" if dirty else "")


def report(run: dict, results: list[dict], peers: dict | None, timers: dict | None) -> None:
    print()
    print(
        f"## bench/engine_bench.py, {run['date']}, commit {run['commit']}, "
        f"{os.cpu_count()} CPUs, {RUNS} runs per workload"
    )
    print()
    print(f"Load average (1, 5, 15 min): {run['load_start']} at start, {_load()} at the end.")
    print()
    configuration_table(results)
    print()
    counts = counts_by_database(results)
    if counts:
        print(
            "Statements (writes) per operation, BEGIN/COMMIT not counted (bench/query_counts.py):"
        )
        print()
        _markdown(
            ["database", *COUNT_NAMES.values()],
            [
                [database] + [f"{c[k]['statements']:g} ({c[k]['writes']:g})" for k in COUNT_NAMES]
                for database, c in counts.items()
            ],
        )
        print()
    if peers is not None:
        peers_table(results, peers)
        print()
    if timers is not None and "output" in timers:
        print("bench/timer_bench.py --database sqlite:")
        print()
        print("```text")
        print(timers["output"])
        print("```")
        print()
    summary_table(results, peers, timers)


def measure_peers() -> dict:
    peers = run_peers()
    if "error" in peers:  # the whole script failed: one line for each peer
        peers = dict.fromkeys(("django-viewflow", "django-goflow2", "DBOS Transact"), peers)
    for peer in peers.values():
        peer.setdefault("vendor", "sqlite")
    if "DBOS Transact" in peers:  # peer_bench.py's DBOS ran on SQLite WAL
        peers[DBOS_SQLITE] = peers.pop("DBOS Transact")
    dbos = run_dbos_postgres()
    peers[DBOS_PG] = {**dbos, "vendor": "postgres"}
    return peers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        choices=["sqlite", "postgres", "celery"],
        help="one configuration only (celery: PostgreSQL + RabbitMQ, Celery workers)",
    )
    parser.add_argument("--workers", default="1,2", help="worker counts, e.g. 1,2")
    parser.add_argument(
        "--celery", action="store_true", help="also PostgreSQL + RabbitMQ with Celery workers"
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="skip django-viewflow, goflow2 and DBOS"
    )
    parser.add_argument(
        "--with-timers",
        action="store_true",
        help="also run bench/timer_bench.py --database sqlite (10,000 timers, ~5 min)",
    )
    parser.add_argument("--child", nargs=2, metavar=("VENDOR", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child[0], int(args.child[1]))
        return
    run = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "load_start": _load(),
    }
    print(f"load average at start: {run['load_start']}", file=sys.stderr, flush=True)
    vendors = [args.only] if args.only else ["sqlite", "postgres"] + ["celery"] * args.celery
    results = []
    for vendor in vendors:
        for workers in (int(w) for w in args.workers.split(",")):
            print(f"measuring {vendor} with {workers} worker(s) ...", file=sys.stderr, flush=True)
            results.append(run_configuration(vendor, workers))
    peers = None
    if not args.no_peers:
        print("measuring the peers ...", file=sys.stderr, flush=True)
        peers = measure_peers()
    timers = None
    if args.with_timers:
        print("measuring timer lateness (timer_bench.py) ...", file=sys.stderr, flush=True)
        timers = run_timers()
    report(run, results, peers, timers)


if __name__ == "__main__":
    main()
