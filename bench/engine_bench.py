"""Waymark end to end through real Django-Q2 workers, against the ceiling and the peers.

    .venv/bin/python bench/engine_bench.py              # everything (about 8 minutes)
    .venv/bin/python bench/engine_bench.py --only sqlite --workers 1 --no-peers

For each configuration — SQLite (WAL, Waymark's settings) with the ORM broker,
PostgreSQL with the Redis broker, and PostgreSQL with Celery workers on
RabbitMQ (``WAYMARK_SCHEDULER_BACKEND = "celery"``), each with 1 and 2
workers — a fresh database is created and migrated, a ``manage.py qcluster``
(or ``waymark_celery_worker``) subprocess is started, and the driver (this
process) measures:

- automatic steps/s of a 20-step linear process (one chain per run, run on in
  the worker that took its first step);
- automatic steps/s of a parallel split/join of width 10 (nine branches of
  each run go through the queue);
- completed runs/s of a process heavy in human tasks (four human tasks, then
  one automatic step): the driver completes the tasks through
  ``engine.services.runtime``, as the inbox would; and run starts/s of it;
- the median latency from "run started" to "first automatic step done";
- the resident memory of every qcluster process;
- statements and writes per step, per human-task start and per completion
  (``bench/query_counts.py``, exact numbers).

Rates are taken from the database's own timestamps (first run started to last
run ended), so the driver's polling does not blur them. Each is printed next
to the ceiling measured in the same run on the same database
(bench/ceiling.py: one ORM UPDATE + one INSERT per transaction; the raw
driver's figure beside it). The peers (bench/peers/peer_bench.py, run in
their own virtualenv) run the same processes afterwards.

Every wait has a time limit, every loop a count; the qcluster and the child
processes are killed at the end, on errors and on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
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
WAIT_LIMIT = float(os.environ.get("BENCH_WAIT_LIMIT", "180"))  # seconds, per workload
CHILD_LIMIT = 900  # seconds, per configuration
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

    def inline_steps_per_second(self, count: int) -> float:
        """The 20-step process run inline, as the peers run: no queue, no worker.

        The immediate backend runs each chain in this process right after the
        run's transaction commits (still one transaction per transition).
        """
        from django.test.utils import override_settings

        with override_settings(WAYMARK_SCHEDULER_BACKEND="immediate"):
            result = self.steps_per_second("bench_linear", count)
        return result["rate"]

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
        for _ in range(count):
            run = runtime.start_run("bench_one")
            wait_until(
                lambda run=run: ProcessInstance.objects.filter(
                    pk=run.pk, state=RunState.COMPLETED
                ).exists(),
                30,
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
        result["inline"] = self.inline_steps_per_second(RUNS)
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


# The driver: fresh database per configuration, then the table -------------------------------


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


def run_configuration(vendor: str, workers: int) -> dict:
    with fresh_database(vendor) as env:
        child = subprocess.Popen(
            [sys.executable, __file__, "--child", vendor, str(workers)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            out, _ = child.communicate(timeout=CHILD_LIMIT)
        except BaseException:
            child.terminate()  # its finally kills its qcluster
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=20)
            child.kill()
            raise
    for line in out.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    return {"vendor": vendor, "workers": workers, "error": f"exit code {child.returncode}"}


def run_peers() -> dict:
    script = ROOT / "bench" / "peers" / "peer_bench.py"
    if not Path(PEERS_PYTHON).exists():
        return {
            "error": f"no peers virtualenv at {PEERS_PYTHON}: "
            "python3 -m venv var/bench-peers && var/bench-peers/bin/pip install -r "
            "bench/peers/requirements.txt"
        }
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["BENCH_RUNS"] = str(RUNS)
    proc = subprocess.run(
        [PEERS_PYTHON, str(script)],
        cwd=ROOT / "bench" / "peers",
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_LIMIT,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    return {"error": f"peer benchmark failed: {proc.stderr.strip()[-500:]}"}


def fmt(value: float | None, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


LABELS = {
    "sqlite": "SQLite + ORM broker",
    "postgres": "PostgreSQL + Redis",
    "celery": "PG + RabbitMQ/Celery",
}


def report(results: list[dict], peers: dict | None) -> None:
    print()
    print(
        "Waymark end to end through Django-Q2 (or Celery) workers (rates from database timestamps)"
    )
    head = (
        f"{'database + broker':<22}{'workers':>8}{'ceiling ORM':>12}{'(raw)':>9}"
        f"{'linear20 st/s':>15}{'ratio':>7}{'par10 st/s':>12}{'ratio':>7}"
        f"{'human runs/s':>14}{'tx ratio':>9}{'starts/s':>10}{'latency':>9}{'RSS MB':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        label = LABELS.get(r["vendor"], r["vendor"])
        if "error" in r:
            print(f"{label:<22}{r['workers']:>8}  failed: {r['error']}")
            continue
        orm = r["ceiling"]["orm"]
        print(
            f"{label:<22}{r['workers']:>8}{fmt(orm):>12}{fmt(r['ceiling']['raw']):>9}"
            f"{fmt(r['linear']['rate']):>15}{r['linear']['rate'] / orm:>7.2f}"
            f"{fmt(r['parallel']['rate']):>12}{r['parallel']['rate'] / orm:>7.2f}"
            f"{fmt(r['human']['rate'], ',.1f'):>14}"
            f"{r['human']['transitions_per_second'] / orm:>9.2f}"
            f"{fmt(r['human']['starts_per_second']):>10}"
            f"{fmt(r['latency']['median_ms'], '.0f') + ' ms':>9}{fmt(r['rss_mb'], '.0f'):>8}"
        )
    print(
        "ratio = steps/s / ORM ceiling (target >= 0.50); tx ratio = (start + 4 human tasks + "
        "1 step) per run x runs/s / ORM ceiling; latency = median run start -> first automatic "
        "step done (target <= 50 ms on PostgreSQL + Redis); RSS = largest qcluster process "
        "(target <= 150 MB)."
    )
    for r in results:
        if "counts" in r:
            from bench.query_counts import describe

            label = LABELS.get(r["vendor"], r["vendor"])
            print(f"SQL, {label}, {r['workers']} worker(s): {describe(r['counts'])}")
    if peers is None:
        return
    print()
    print("Peers on SQLite, same processes, all inline: no queue, no worker (DBOS: linear only)")
    if "error" in peers:
        print(f"  peers not measured: {peers['error']}")
        return
    best = {}
    for r in results:
        if r.get("vendor") == "sqlite" and "error" not in r:
            for key, value in (
                ("linear", r["inline"]),
                ("workers", r["linear"]["rate"]),
                ("starts", r["human"]["starts_per_second"]),
            ):
                best[key] = max(best.get(key, 0.0), value)
    print(
        f"{'engine':<28}{'linear20 st/s':>15}{'Waymark/peer':>14}{'human starts/s':>16}"
        f"{'Waymark/peer':>14}  notes"
    )
    print(
        f"{'Waymark (SQLite, best)':<28}{fmt(best.get('linear')):>15}{'':>14}"
        f"{fmt(best.get('starts')):>16}{'':>14}  inline too (immediate backend); "
        f"through real workers: {fmt(best.get('workers'))} steps/s"
    )
    for name, peer in peers.items():
        if "error" in peer:
            print(f"{name:<28}  not measured: {peer['error']}")
            continue
        linear, starts = peer.get("linear"), peer.get("starts")
        print(
            f"{name:<28}{fmt(linear):>15}"
            f"{_ratio(best.get('linear'), linear):>14}"
            f"{fmt(starts):>16}"
            f"{_ratio(best.get('starts'), starts):>14}"
            f"  {peer.get('notes', '')}"
        )


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}x" if ours and theirs else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        choices=["sqlite", "postgres", "celery"],
        help="one configuration only (celery: PostgreSQL + RabbitMQ, Celery workers)",
    )
    parser.add_argument("--workers", default="1,2", help="worker counts, e.g. 1,2")
    parser.add_argument("--no-peers", action="store_true", help="skip django-viewflow/goflow2")
    parser.add_argument("--child", nargs=2, metavar=("VENDOR", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child[0], int(args.child[1]))
        return
    vendors = [args.only] if args.only else ["sqlite", "postgres", "celery"]
    results = []
    for vendor in vendors:
        for workers in (int(w) for w in args.workers.split(",")):
            print(f"measuring {vendor} with {workers} worker(s) ...", file=sys.stderr, flush=True)
            results.append(run_configuration(vendor, workers))
    peers = None
    if not args.no_peers:
        print("measuring the peers ...", file=sys.stderr, flush=True)
        peers = run_peers()
    report(results, peers)


if __name__ == "__main__":
    main()
