"""Chaos under load: SIGKILL idle workers, busy workers and a whole worker cluster; count losses.

    .venv/bin/python bench/chaos_bench.py       # SQLite + ORM broker, then PostgreSQL + Redis
    .venv/bin/python bench/chaos_bench.py --database sqlite --quick
    .venv/bin/python bench/chaos_bench.py --database sqlite --quick --command qcluster
                                             # Django-Q2's own cluster, to see the wedge

For each configuration a fresh database is created and migrated (PostgreSQL:
``CHAOS_POSTGRES_URL``, Redis: ``CHAOS_REDIS_URL``, a Redis database of its
own, emptied first). A driver process (this file with ``--child``) publishes a
process of five automatic steps (``a``, then ``b1``..``b3`` in parallel, then
``c``; each handler sleeps 0.1-0.4 s), starts ``manage.py waymark_timers`` and
a ``manage.py waymark_worker`` cluster of three workers, and then:

1. **idle kills**: kills an idle worker (the one blocked reading the task
   queue, which holds the queue's lock), starts a few runs and waits for them.
   A cluster wedged by the kill shows here as a *stall*;
2. **under load**: starts runs at a steady pace and meanwhile kills a busy
   worker, an idle one, a busy one, the whole cluster (its process group; a
   new cluster is started at once), an idle one and a busy one;
3. **settles**: waits until every run has ended, or needs a person (an open
   incident).

It prints per configuration: runs lost (started, not completed), state
changes doubled (an activity with two workitems in one run, a workitem
completed twice in the audit trail, a run completed twice), steps missing,
open incidents, stalls, the kills done, how many recoveries the cluster logged,
how often a handler ran again (allowed: handlers run at least once), and the
**settle time**: from the last kill to the end of the last run. Nothing here is
asserted; tests/engine/test_chaos.py runs the short profile and asserts the
counts (never the time).

Every wait is bounded; the clusters and the timer loop are killed at the end,
on errors and on Ctrl-C. Needs ``setproctitle`` (requirements.txt): workers
are told apart (idle / processing) by the titles Django-Q2 gives them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("CHAOS_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/waymark_chaos")
REDIS_URL = os.environ.get("CHAOS_REDIS_URL", "redis://127.0.0.1:6379/13")
MARK = "CHAOS-RESULT "
HANDLER = "chaos.step"
STEPS = ("a", "b1", "b2", "b3", "c")
LOAD_KILLS = ("busy", "idle", "busy", "cluster", "idle", "busy")
KILL_WINDOW = 10.0  # seconds to find a worker in the wanted state before a kill is skipped
RECOVERY_LOG = "Waymark worker:"  # engine/runtime/workers.py logs it on replacing a dead one


@dataclass
class Profile:
    idle_rounds: int = 2  # phase 1: idle kills, each followed by a batch that must finish
    batch_runs: int = 4
    load_runs: int = 30  # phase 2: runs started at a steady pace ...
    load_seconds: float = 24.0  # ... over this long, the kills spread over it
    progress_limit: float = 90.0  # phase 1: a batch not ended by then is a stall
    settle_limit: float = 180.0  # phase 3
    child_limit: float = 600.0  # the whole configuration


QUICK = Profile()
LONG = Profile(
    idle_rounds=3, batch_runs=6, load_runs=150, load_seconds=90.0, settle_limit=300.0,
    child_limit=1200.0,
)  # fmt: skip


# The handler (registered as chaos.step by bench/chaos_settings.py) ----------------------------


def step(ctx) -> dict:
    """Sleeps 0.1-0.4 s, so that workers are caught busy; notes the call for the re-run count."""
    calls = os.environ.get("CHAOS_CALLS")
    if calls:  # before the sleep: a call killed midway counts too
        with open(calls, "a") as out:
            out.write(f"{ctx.idempotency_key}\n")
    time.sleep(0.1 + (ctx.workitem_id % 4) * 0.1)
    return {f"done_{ctx.activity_key}": True}


def chaos_definition() -> dict:
    retry = {"max_attempts": 5, "base_delay": 1.0}  # a step may be killed more than once

    def auto(key: str) -> dict:
        return {"key": key, "name": key.upper(), "kind": "automatic", "handler": HANDLER,
                "retry": retry}  # fmt: skip

    acts = [
        {"key": "start", "name": "Start", "kind": "start"},
        auto("a"),
        {"key": "split", "name": "Split", "kind": "parallel"},
        *(auto(key) for key in ("b1", "b2", "b3")),
        {"key": "join", "name": "Join", "kind": "parallel"},
        auto("c"),
        {"key": "end", "name": "End", "kind": "end"},
    ]
    edges = [("start", "a"), ("a", "split"), ("join", "c"), ("c", "end")]
    edges += [("split", b) for b in ("b1", "b2", "b3")] + [(b, "join") for b in ("b1", "b2", "b3")]
    return {
        "format": "waymark.process/1",
        "process": {"code": "chaos", "title": "Chaos"},
        "activities": acts,
        "transitions": [
            {"key": f"t{i}", "source": s, "target": t} for i, (s, t) in enumerate(edges)
        ],
    }


# Processes of a cluster, by their titles ----------------------------------------------------


def group_processes(pgid: int) -> dict[int, str]:
    """pid -> title of every process in a process group."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[2]) != pgid:  # state, ppid, pgrp
                continue
            found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, ValueError):
            continue  # it ended meanwhile
    return {pid: title.decode(errors="replace").strip() for pid, title in found.items()}


def workers(pgid: int, state: str) -> list[int]:
    """The workers of a cluster that are ``idle`` or ``busy`` (Django-Q2 titles them so).

    Idle ones come first when blocked reading the task queue's pipe: that one
    holds the queue's read lock, the lock Django-Q2's own cluster never gets back.
    """
    marks = {"idle": lambda t: t.endswith(" idle"), "busy": lambda t: " processing " in t}
    found = [pid for pid, title in group_processes(pgid).items() if marks[state](title)]
    return sorted(found, key=lambda pid: not _reading_a_pipe(pid))


def _reading_a_pipe(pid: int) -> bool:
    try:
        return "pipe" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def wait_until(predicate: Callable[[], object], limit: float, what: str, poll: float = 0.1):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError(f"timed out after {limit:.0f}s waiting for {what}")


def kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


# The driver (a child process with Django set up against the fresh database) --------------------


class Driver:
    def __init__(self, command: str, profile: Profile, folder: Path) -> None:
        from django.conf import settings

        self.command, self.profile, self.folder = command, profile, folder
        self.size = int(settings.Q_CLUSTER["workers"])
        self.cluster: subprocess.Popen | None = None
        self.started: list[subprocess.Popen] = []
        self.run_ids: list[int] = []
        self.kills: list[dict] = []
        self.skipped: list[str] = []
        self.stalls: list[str] = []
        self.last_kill = None
        self.t0 = time.monotonic()

    # subprocesses

    def spawn(self, label: str, *args: str) -> subprocess.Popen:
        with open(self.folder / f"{label}.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: a cluster is killed whole
            )
        self.started.append(process)
        return process

    def start_cluster(self) -> None:
        self.cluster = self.spawn(f"cluster{len(self.kills)}", self.command)
        pgid, cluster = self.cluster.pid, self.cluster

        def ready() -> bool:
            if cluster.poll() is not None:
                raise RuntimeError(f"`manage.py {self.command}` exited ({cluster.returncode})")
            return len(workers(pgid, "idle")) + len(workers(pgid, "busy")) >= self.size

        wait_until(ready, 90, f"the {self.size} workers (is setproctitle installed?)")

    def stop_all(self) -> None:
        for process in self.started:
            kill_group(process)

    # kills

    def kill(self, kind: str) -> bool:
        """SIGKILL an idle worker, a busy worker or the whole cluster; False: none to kill."""
        if kind == "cluster":
            kill_group(self.cluster)
            self._note(kind, self.cluster.pid)
            self.start_cluster()
            return True
        pids = workers(self.cluster.pid, kind)
        if not pids:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pids[0], signal.SIGKILL)
        self._note(kind, pids[0])
        return True

    def _note(self, kind: str, pid: int) -> None:
        from django.utils import timezone

        self.last_kill = timezone.now()
        self.kills.append({"kind": kind, "pid": pid, "at": round(time.monotonic() - self.t0, 1)})

    # runs

    def start_run(self) -> int:
        from engine.services import runtime

        run_id = runtime.start_run("chaos").pk
        self.run_ids.append(run_id)
        return run_id

    def unsettled(self, ids: list[int]) -> int:
        """How many of these runs neither ended nor wait for a person (an open incident)."""
        from django.db.models import Q

        from engine.models import ProcessInstance, RunState

        ended = [RunState.COMPLETED, RunState.FAILED, RunState.CANCELLED]
        needs_person = Q(incidents__isnull=False, incidents__resolved_at__isnull=True)
        done = ProcessInstance.objects.filter(pk__in=ids).filter(Q(state__in=ended) | needs_person)
        return len(ids) - done.distinct().count()

    # the three phases

    def run(self) -> dict:
        from engine.services import definitions

        definitions.import_definition(chaos_definition(), publish_it=True)
        self.spawn("timers", "waymark_timers")
        self.start_cluster()
        self.idle_kills()
        self.under_load()
        settled_in = self.settle()
        return self.report(settled_in)

    def idle_kills(self) -> None:
        p = self.profile
        for round_no in range(1, p.idle_rounds + 1):
            wait_until(lambda: self.kill("idle"), 30, "an idle worker")
            batch = [self.start_run() for _ in range(p.batch_runs)]
            try:
                wait_until(lambda b=batch: self.unsettled(b) == 0, p.progress_limit, "a batch")
            except TimeoutError:
                self.stalls.append(
                    f"idle kill {round_no}: {self.unsettled(batch)} of {len(batch)} runs did not "
                    f"end within {p.progress_limit:.0f}s (the cluster stopped taking tasks)"
                )

    def under_load(self) -> None:
        p = self.profile
        pace = p.load_seconds / p.load_runs
        spacing = p.load_seconds / (len(LOAD_KILLS) + 1)
        kills = [(spacing * (i + 1), kind) for i, kind in enumerate(LOAD_KILLS)]
        begin, started = time.monotonic(), 0
        while started < p.load_runs or kills:
            now = time.monotonic() - begin
            if started < p.load_runs and now >= started * pace:
                self.start_run()
                started += 1
            if kills and now >= kills[0][0]:
                due, kind = kills[0]
                if self.kill(kind):
                    kills.pop(0)
                elif now >= due + KILL_WINDOW:
                    self.skipped.append(kind)
                    kills.pop(0)
            time.sleep(0.05)

    def settle(self) -> float | None:
        try:
            wait_until(lambda: self.unsettled(self.run_ids) == 0, self.profile.settle_limit,
                       "every run to end", poll=0.25)  # fmt: skip
        except TimeoutError:
            return None
        from django.db.models import Max

        from engine.models import ProcessInstance

        last_end = ProcessInstance.objects.filter(pk__in=self.run_ids).aggregate(Max("ended_at"))
        last_end = last_end["ended_at__max"]
        if last_end is None or self.last_kill is None:
            return None
        return max((last_end - self.last_kill).total_seconds(), 0.0)

    def report(self, settled_in: float | None) -> dict:
        from django.db.models import Count

        from engine.models import AuditEvent, Incident, ProcessInstance, RunState, WorkItem

        ids = self.run_ids
        runs = ProcessInstance.objects.filter(pk__in=ids)
        completed = runs.filter(state=RunState.COMPLETED).count()
        audit = AuditEvent.objects.filter(instance_id__in=ids)

        def twice(queryset, *fields) -> list[dict]:
            counted = queryset.values(*fields).annotate(n=Count("id")).filter(n__gt=1)
            return list(counted.order_by(*fields)[:20])

        steps_recorded = audit.filter(action="workitem.completed", activity_key__in=STEPS)
        calls = self.folder / "calls"
        handler_calls = len(calls.read_text().splitlines()) if calls.exists() else 0
        return {
            "runs_started": len(ids),
            "runs_completed": completed,
            "runs_lost": len(ids) - completed,
            "runs_missing": len(ids) - runs.count(),
            "not_completed": list(runs.exclude(state=RunState.COMPLETED).values("pk", "state")),
            "doubled_workitems": twice(
                WorkItem.objects.filter(instance_id__in=ids), "instance_id", "activity_key"
            ),  # fmt: skip
            "doubled_completions": twice(audit.filter(action="workitem.completed"), "workitem_id"),
            "doubled_run_completions": twice(audit.filter(action="run.completed"), "instance_id"),
            "steps_expected": len(ids) * len(STEPS),
            "steps_recorded": steps_recorded.count(),
            "open_incidents": list(
                Incident.objects.filter(instance_id__in=ids, resolved_at__isnull=True).values(
                    "instance_id", "kind", "activity_key", "message"
                )[:10]
            ),
            "stuck": self.stuck(runs.exclude(state=RunState.COMPLETED)),
            "stalls": self.stalls,
            "kills": self.kills,
            "kills_skipped": self.skipped,
            "handler_reruns": max(handler_calls - len(ids) * len(STEPS), 0),
            "settle_seconds": None if settled_in is None else round(settled_in, 1),
        }

    def stuck(self, runs, limit: int = 10) -> list[dict]:
        """What a run that did not complete waits on: its open workitems and timers (to debug)."""
        from engine.models import Timer, WorkItem, WorkItemState

        found = []
        for run in runs.order_by("pk")[:limit]:
            items = WorkItem.objects.filter(instance_id=run.pk).exclude(
                state=WorkItemState.COMPLETED
            )
            timers = Timer.objects.filter(instance_id=run.pk, fired_at=None)
            found.append({
                "run": run.pk, "state": run.state,
                "workitems": list(items.values(
                    "pk", "activity_key", "state", "lock_version", "attempts", "dispatched_at",
                    "lease_expires_at", "next_attempt_at",
                )),
                "timers": list(timers.values("kind", "due_at", "workitem_id")),
            })  # fmt: skip
        return found


def child_main(command: str, profile: Profile) -> None:
    import django

    django.setup()
    driver = Driver(command, profile, Path(os.environ["CHAOS_FOLDER"]))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # so `finally` stops the clusters
    try:
        print(MARK + json.dumps(driver.run(), default=str), flush=True)
    finally:
        driver.stop_all()


# One configuration: a fresh database, the driver, the cluster logs ------------------------------


@contextlib.contextmanager
def fresh_database(vendor: str, folder: Path, pg_url: str, redis_url: str):
    """Yields the environment of a configuration with a new, migrated database."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.chaos_settings",
        CHAOS_FOLDER=str(folder),
        CHAOS_CALLS=str(folder / "calls"),
        WAYMARK_LOG_LEVEL="WARNING",
    )
    drop = None
    if vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{folder}/chaos.sqlite3"
    else:
        import psycopg
        import redis

        redis.Redis.from_url(redis_url).flushdb()  # the chaos run's own database number
        name = urlparse(pg_url).path.lstrip("/")
        admin_url = pg_url.replace(urlparse(pg_url).path, "/postgres")

        def drop(create: bool = False) -> None:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                if create:
                    admin.execute(f'CREATE DATABASE "{name}"')

        drop(create=True)
        env.update(DATABASE_URL=pg_url, REDIS_URL=redis_url)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        yield env
    finally:
        if drop is not None:
            drop()


def run_configuration(
    vendor: str,
    profile: Profile = QUICK,
    *,
    command: str = "waymark_worker",
    pg_url: str = PG_URL,
    redis_url: str = REDIS_URL,
) -> dict:
    """Run the chaos against SQLite + ORM broker or PostgreSQL + Redis; returns the counts."""
    folder = Path(tempfile.mkdtemp(prefix=f"waymark-chaos-{vendor}-"))
    with fresh_database(vendor, folder, pg_url, redis_url) as env:
        with open(folder / "driver.log", "w") as log:  # the driver has its own copy
            driver = subprocess.Popen(
                [sys.executable, __file__, "--child", command, json.dumps(asdict(profile))],
                cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=log,
            )  # fmt: skip
        try:
            out, _ = driver.communicate(timeout=profile.child_limit)
        except subprocess.TimeoutExpired:
            driver.terminate()  # the driver stops its clusters on SIGTERM
            out, _ = driver.communicate(timeout=30)
    lines = [line for line in out.splitlines() if line.startswith(MARK)]
    if not lines:  # the logs stay for a look
        logs = "\n\n".join(f"{log.name}:\n{_tail(log)}" for log in sorted(folder.glob("*.log")))
        raise RuntimeError(f"the chaos driver failed (logs kept in {folder}):\n{logs}")
    result = json.loads(lines[-1][len(MARK) :])
    logs = sorted(folder.glob("cluster*.log"))
    recoveries = sum(log.read_text(errors="replace").count(RECOVERY_LOG) for log in logs)
    if result["runs_lost"] or result["settle_seconds"] is None:
        result["kept"] = str(folder)  # the logs (and a SQLite database) stay for a look
    else:
        shutil.rmtree(folder, ignore_errors=True)
    broker = "ORM broker" if vendor == "sqlite" else "Redis broker"
    return {"database": vendor, "broker": broker, "command": command,
            "recoveries_logged": recoveries, **result}  # fmt: skip


def _tail(path: Path, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


# The table ------------------------------------------------------------------------------


def summary(result: dict) -> str:
    kinds = [kill["kind"] for kill in result["kills"]]
    settle = result["settle_seconds"]
    doubled = sum(
        len(result[key])
        for key in ("doubled_workitems", "doubled_completions", "doubled_run_completions")
    )
    return "\n".join(
        [
            f"{result['database']} + {result['broker']}, manage.py {result['command']}:",
            f"  kills: {kinds.count('idle')} idle, {kinds.count('busy')} busy, "
            f"{kinds.count('cluster')} whole cluster (skipped: {result['kills_skipped'] or '-'})",
            f"  runs: {result['runs_started']} started, {result['runs_completed']} completed, "
            f"{result['runs_lost']} lost; state changes doubled: {doubled}; steps recorded "
            f"{result['steps_recorded']} of {result['steps_expected']}",
            f"  open incidents: {len(result['open_incidents'])}; stalls: "
            f"{result['stalls'] or '-'}; recoveries logged: {result['recoveries_logged']}; "
            f"handler re-runs: {result['handler_reruns']}",
            "  settle time after the last kill: "
            + (f"{settle:.1f} s" if settle is not None else "did not settle"),
            *(f"  not completed: {json.dumps(run, default=str)}" for run in result["stuck"]),
            *([f"  logs kept in {result['kept']}"] if result.get("kept") else []),
        ]
    )


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child_main(sys.argv[2], Profile(**json.loads(sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--command", default="waymark_worker", help="waymark_worker, or qcluster to compare"
    )
    parser.add_argument("--quick", action="store_true", help="the test's short profile")
    args = parser.parse_args()
    profile = QUICK if args.quick else LONG
    vendors = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    for vendor in vendors:
        print(summary(run_configuration(vendor, profile, command=args.command)), flush=True)


if __name__ == "__main__":
    main()
