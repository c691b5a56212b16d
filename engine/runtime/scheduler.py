"""Pluggable scheduler backends: who runs the scans, timers, steps and deferred actions.

Chosen by ``WAYMARK_SCHEDULER_BACKEND`` ("django_q", "cron", "immediate",
"celery" or a dotted path). The engine's own tables hold what is due; a backend only decides
how the work gets triggered:

- ``django_q`` (default): steps, actions and notifications are Django-Q2
  tasks (ids only, sent when the transaction commits); the timeout scan, the
  SLA scan, the timer sweep and the reconciler are Django-Q2 schedules,
  installed by ``migrate`` and by ``waymark_timers`` (no manual step). The
  precise timers come from ``manage.py waymark_timers``.
- ``cron``: steps still go through Django-Q2 workers, but the scans run when
  ``manage.py run_scans`` runs (put it in crontab); deferred actions and
  notifications run at once in the caller.
- ``immediate``: everything runs in the caller as soon as the transaction
  commits. For tests and single-process scripts.
- ``celery`` (optional, ``engine/celery_backend.py``): every task is a
  Celery task of the same dotted name, sent through ``enqueue`` like
  Django-Q2's; the scans are Celery beat entries built from ``PERIODIC``.

The public functions at the bottom (the seeds' names) call the configured
backend. ``engine.scheduler`` is their public name (and the dotted path of
the backends in ``WAYMARK_SCHEDULER_BACKEND``); the engine itself imports
this module.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string

from engine.conf import SCHEDULER_BACKENDS, waymark_setting

log = logging.getLogger("engine.scheduler")

# Django-Q2 schedules installed by the django_q backend: name -> (task, minutes).
PERIODIC = {
    "waymark.timeout_scan": ("engine.tasks.timeout_scan", 1),
    "waymark.sla_scan": ("engine.tasks.sla_scan", 1),
    "waymark.reconcile": ("engine.tasks.reconcile", 1),
}


# Tasks whose successful results Django-Q2 does not store (a failure still is). A
# step's outcome is in the engine's tables; storing it again cost the cluster's
# monitor a transaction per message that reads up to ``save_limit`` result rows
# to prune one, which is most of what a parallel branch's message costs when the
# branch was already run on by a free worker (issue 16).
RESULTS_NOT_SAVED = frozenset({"engine.tasks.run_workitem", "engine.tasks.run_fired_steps"})

# The workitem actions that run a step (engine.services.runtime.ACTIONS calls them "run").
RUN_ACTIONS = ("forward", "run")

RUN_STEP = "engine.tasks.run_workitem"


class SchedulerBackend:
    """Base class. Subclasses decide how scans and deferred actions are triggered."""

    name = "base"

    # True when messages go to a pool of workers: the READY steps one commit makes
    # for a run (a split's branches) then get one message between them, a doorbell,
    # which each worker that claims a step passes on while the run has unclaimed
    # READY steps left (``dispatch_steps``, ``ring``). False for a backend that runs
    # each message in the caller (``immediate``): there is nobody to fan out to, and
    # a doorbell passed on would nest a whole branch inside the claim of another.
    fans_out = True

    # how work reaches a worker --------------------------------------------------

    def enqueue(self, func: str, *args: Any) -> None:
        """Run ``func(*args)`` soon, elsewhere if possible. Arguments are ids and names only."""
        raise NotImplementedError

    def on_commit(self, func: str, *args: Any) -> None:
        """``enqueue`` once the current transaction commits (at once outside one).

        A failure to enqueue is logged, never raised into a committed request:
        the reconciler sends lost work again.
        """
        self.after_commit(lambda: self.enqueue(func, *args))

    def after_commit(self, callback) -> None:
        """Call ``callback`` once the current transaction commits (failures are logged)."""
        transaction.on_commit(callback, robust=True)

    def enqueue_many(self, func: str, calls: list[tuple]) -> None:
        """``enqueue(func, *args)`` for each ``args``; one failure does not stop the others."""
        for args in calls:
            try:
                self.enqueue(func, *args)
            except Exception:  # the reconciler sends it again
                log.exception("could not enqueue %s%r", func, tuple(args))

    def on_commit_many(self, func: str, calls: list[tuple]) -> None:
        """``enqueue_many`` once the current transaction commits (a parallel split's steps)."""
        if calls:
            self.after_commit(lambda: self.enqueue_many(func, calls))

    def install(self) -> list[str]:
        """Set up whatever periodic triggers this backend needs; returns what it did."""
        return []

    # the seeds' public interface ---------------------------------------------------

    def schedule_timeout_scan(self) -> None:
        self.enqueue("engine.tasks.timeout_scan")

    def schedule_sla_scan(self) -> None:
        self.enqueue("engine.tasks.sla_scan")

    def schedule_workitem_action(self, workitem_id: int, action: str = "forward", **kwargs) -> None:
        self.after_commit(
            lambda: self.enqueue(
                "engine.tasks.workitem_action",
                workitem_id,
                action,
                versioned_action(workitem_id, action, kwargs),
            )
        )

    def schedule_notification(self, user_id: int, workitem_ids: list[int] | None = None) -> None:
        self.on_commit("engine.tasks.notify", user_id, list(workitem_ids or []))


def versioned_action(workitem_id: int, action: str, kwargs: dict) -> dict:
    """The action's arguments; "forward" / "run" also carry the workitem's ``lock_version``.

    Read once the caller's transaction has committed, so the message names
    the step as it is then: delivered twice (or sent twice), only the first
    copy runs the handler; the other finds the version changed by the claim
    and does nothing, like the engine's own step messages.
    """
    from engine.models import WorkItem

    if action not in RUN_ACTIONS or "lock_version" in kwargs:
        return kwargs
    version = WorkItem.objects.filter(pk=workitem_id).values_list("lock_version", flat=True).first()
    return kwargs if version is None else {**kwargs, "lock_version": version}


def call(func: str, *args: Any) -> Any:
    return import_string(func)(*args)


class DjangoQSchedulerBackend(SchedulerBackend):
    name = "django_q"

    def enqueue(self, func: str, *args: Any) -> None:

        self._send(func, args, _broker())

    def enqueue_many(self, func: str, calls: list[tuple]) -> None:
        """The messages in one write to the broker: one INSERT (ORM) or one RPUSH (Redis).

        A parallel split of width 10 otherwise committed ten INSERTs into the
        ORM broker's queue, one after the other, after its own commit.
        """
        if len(calls) < 2:
            super().enqueue_many(func, calls)
            return
        batch = _Batch(_broker())
        for args in calls:
            self._send(func, args, batch)
        try:
            batch.push()
        except Exception:  # the reconciler sends them again
            log.exception("could not enqueue %s messages for %s", len(calls), func)

    @staticmethod
    def _send(func: str, args: tuple, broker: Any) -> None:
        from django_q.tasks import async_task

        options = {"save": False} if func in RESULTS_NOT_SAVED else {}
        async_task(func, *args, group=func.rsplit(".", 1)[-1], broker=broker, **options)

    def install(self) -> list[str]:
        from django_q.models import Schedule

        done = []
        for name, (func, minutes) in PERIODIC.items():
            _, created = Schedule.objects.update_or_create(
                name=name,
                defaults={
                    "func": func,
                    "schedule_type": Schedule.MINUTES,
                    "minutes": minutes,
                    "repeats": -1,
                },
            )
            done.append(f"{'installed' if created else 'kept'} {name}")
        return done


@lru_cache(maxsize=1)
def _broker():
    """One Django-Q2 broker per process.

    ``async_task`` otherwise builds a new broker for every message, and with
    Redis that is a new connection with its handshake (profiled: a quarter of
    the time it took to fire a timer). The Redis client's pool is thread-safe
    and reconnects after a fork; the broker is configured once per process
    anyway (Django-Q2 reads its settings at import).
    """
    from django_q.brokers import get_broker

    return get_broker()


class _Batch:
    """Collects the signed packages ``async_task`` makes, then pushes them in one write."""

    def __init__(self, broker: Any) -> None:
        self.broker = broker
        self.list_key = broker.list_key  # (async_task logs it)
        self.packages: list[Any] = []

    def enqueue(self, package: Any) -> None:
        self.packages.append(package)

    def push(self) -> None:
        from django.utils import timezone
        from django_q.brokers.orm import ORM
        from django_q.brokers.redis_broker import Redis
        from django_q.conf import Conf
        from django_q.models import OrmQ

        broker, packages = self.broker, self.packages
        if isinstance(broker, ORM):  # the rows ORM.enqueue makes, in one INSERT
            now = timezone.now()
            key = broker.list_key or Conf.CLUSTER_NAME
            rows = [OrmQ(key=key, payload=package, lock=now) for package in packages]
            broker.get_connection().bulk_create(rows)
        elif isinstance(broker, Redis):  # what Redis.enqueue does, for all at once
            broker.connection.rpush(broker.list_key, *packages)
        else:
            for package in packages:
                broker.enqueue(package)


class CronSchedulerBackend(DjangoQSchedulerBackend):
    """Scans from crontab (``manage.py run_scans``); steps still through Django-Q2."""

    name = "cron"

    def install(self) -> list[str]:
        return ["add to crontab: * * * * * /path/to/.venv/bin/python manage.py run_scans"]

    def schedule_timeout_scan(self) -> None:
        call("engine.tasks.timeout_scan")

    def schedule_sla_scan(self) -> None:
        call("engine.tasks.sla_scan")

    def schedule_workitem_action(self, workitem_id: int, action: str = "forward", **kwargs) -> None:
        transaction.on_commit(
            lambda: call(
                "engine.tasks.workitem_action",
                workitem_id,
                action,
                versioned_action(workitem_id, action, kwargs),
            )
        )

    def schedule_notification(self, user_id: int, workitem_ids: list[int] | None = None) -> None:
        transaction.on_commit(
            lambda: call("engine.tasks.notify", user_id, list(workitem_ids or [])), robust=True
        )


class ImmediateSchedulerBackend(SchedulerBackend):
    """Everything in the caller, right after commit; errors propagate (tests see them)."""

    name = "immediate"
    fans_out = False

    def enqueue(self, func: str, *args: Any) -> None:
        call(func, *args)

    def enqueue_many(self, func: str, calls: list[tuple]) -> None:
        for args in calls:
            call(func, *args)

    def on_commit(self, func: str, *args: Any) -> None:
        transaction.on_commit(lambda: call(func, *args))

    def on_commit_many(self, func: str, calls: list[tuple]) -> None:
        if calls:
            transaction.on_commit(lambda: self.enqueue_many(func, calls))

    def after_commit(self, callback) -> None:
        transaction.on_commit(callback)


def get_backend() -> SchedulerBackend:
    path = waymark_setting("SCHEDULER_BACKEND")
    return import_string(SCHEDULER_BACKENDS.get(path, path))()


# Used by the engine ----------------------------------------------------------------------


def dispatch(func: str, *args: Any) -> None:
    """Send a task with these ids once the current transaction commits."""
    get_backend().on_commit(func, *args)


def dispatch_many(func: str, calls: list[tuple]) -> None:
    """Send ``func(*args)`` for each ``args`` once the current transaction commits, in one
    write to the broker where it can take one (a parallel split's steps)."""
    get_backend().on_commit_many(func, calls)


def dispatch_now(func: str, *args: Any) -> None:
    get_backend().enqueue(func, *args)


def dispatch_steps(steps: list[tuple[int, int]], created: Mapping[int, Any]) -> None:
    """Send READY steps to the workers once the current transaction commits.

    ``steps``: (workitem id, lock_version) pairs, those the committing worker
    runs on itself left out; ``created``: the new workitems of the transaction
    by id (``Effects.created``), which tell each new step's run. With a backend
    that fans out, the new steps of one run get one message between them, for
    the first (a doorbell): a worker that takes it claims that step, or an
    unclaimed READY sibling when the step is taken, and rings again while the
    run has more (``engine.runtime.worker``). A split of width 10 thus costs one
    message per worker it reaches, not ten. Steps of different runs never share
    a doorbell (each run's first step is sent), and a step that is not new (a
    retry, a resumed run's) keeps its own message. A READY step that no message
    names is the reconciler's (``engine.runtime.reconciler.redispatch_lost``)
    if no worker takes it first.
    """
    backend = get_backend()
    if backend.fans_out:
        steps = doorbells(steps, created)
    backend.on_commit_many(RUN_STEP, steps)


def doorbells(steps: list[tuple[int, int]], created: Mapping[int, Any]) -> list[tuple[int, int]]:
    """``steps`` with only the first new step of each run (see ``dispatch_steps``)."""
    rung: set[int] = set()
    sent = []
    for pk, lock_version in steps:
        row = created.get(pk)
        if row is not None:
            if row.instance_id in rung:
                continue  # the run's doorbell is already in this commit's messages
            rung.add(row.instance_id)
        sent.append((pk, lock_version))
    return sent


def ring(workitem_id: int, lock_version: int) -> None:
    """Pass a run's doorbell on: one message now for an unclaimed READY step.

    Called by a worker that claimed a step from a message while the run has
    another READY step no worker holds, so each claim can reach one more idle
    worker. At most one per successful claim, so the messages stay bounded by
    the steps run. A failure to send is logged: the worker's own chain, another
    worker's, or the reconciler takes the step.
    """
    backend = get_backend()
    if not backend.fans_out:
        return
    try:
        backend.enqueue(RUN_STEP, workitem_id, lock_version)
    except Exception:
        log.exception("could not pass the doorbell on to workitem %s", workitem_id)


def install() -> list[str]:
    return get_backend().install()


def install_on_migrate(sender=None, app_config=None, using="default", **kwargs) -> None:
    """post_migrate receiver: install the periodic schedules with no manual step."""
    if app_config is not None and app_config.label != "engine":
        return
    try:
        install()
    except Exception:  # never break `migrate` over a schedule
        log.exception("could not install Waymark's periodic schedules")


# The seeds' public functions ----------------------------------------------------------------


def schedule_timeout_scan() -> None:
    get_backend().schedule_timeout_scan()


def schedule_sla_scan() -> None:
    get_backend().schedule_sla_scan()


def schedule_workitem_action(workitem_id: int, action: str = "forward", **kwargs) -> None:
    get_backend().schedule_workitem_action(workitem_id, action, **kwargs)


def schedule_notification(user_id: int, workitem_ids: list[int] | None = None) -> None:
    get_backend().schedule_notification(user_id, workitem_ids)
