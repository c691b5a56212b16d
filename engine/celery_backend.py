"""The Celery scheduler backend (``WAYMARK_SCHEDULER_BACKEND = "celery"``) and its tasks.

Celery is optional (``pip install celery``); this module is imported only
when the setting names it, or by a Celery worker. Every message is one of
the engine's task functions (``engine.tasks.*``, the webhook delivery), named
by the same dotted path as with Django-Q2 and taking ids only, so
``SchedulerBackend.enqueue(func, *ids)`` stays the one place that decides
what is queued, whichever backend sends it.

Delivery is *at least once*: every task is acknowledged late (after it ran)
and a message whose worker process died is given back to the broker
(``acks_late``, ``reject_on_worker_lost``). The engine makes a second copy
harmless (each function re-reads its rows), and a step's redelivered copy
takes over the dead worker's steps at once (``engine.runtime.takeover``)
instead of waiting for their lease to lapse.

The scans (timeout, SLA, reconciler) are Celery beat entries (config/celery.py);
the precise timers stay in ``manage.py waymark_timers``, which queues the work
timers make due through this backend.
"""

from __future__ import annotations

import inspect
from typing import Any

from celery import current_app, shared_task
from django.utils.module_loading import import_string

from engine.runtime import takeover
from engine.runtime.scheduler import PERIODIC, SchedulerBackend

# Given back to the broker, not lost, when the process running it dies.
AT_LEAST_ONCE = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}

# Tasks that run steps: they hold their run (see engine.runtime.takeover).
STEP_TASKS = (
    "engine.tasks.run_workitem",
    "engine.tasks.workitem_action",
    "engine.tasks.run_fired_steps",
)


def _queue_functions() -> tuple[str, ...]:
    """Every entry point of engine.tasks (a new one is a Celery task too), and deliveries."""
    from engine import tasks

    names = [
        f"engine.tasks.{name}"
        for name, value in vars(tasks).items()
        if inspect.isfunction(value) and value.__module__ == tasks.__name__
    ]
    return (*names, "engine.webhooks.tasks.deliver")


OTHER_TASKS = tuple(name for name in _queue_functions() if name not in STEP_TASKS)
TASK_NAMES = frozenset(STEP_TASKS + OTHER_TASKS)


class CelerySchedulerBackend(SchedulerBackend):
    """Steps, compensations, notifications, deliveries and scans as Celery tasks."""

    name = "celery"

    def enqueue(self, func: str, *args: Any) -> None:
        if func not in TASK_NAMES:  # a Celery worker would drop it as unregistered
            raise ValueError(f"{func!r} is not one of Waymark's Celery tasks")
        current_app.send_task(func, args=args)

    def install(self) -> list[str]:
        every = ", ".join(f"{func} every {minutes} min" for func, minutes in PERIODIC.values())
        return [
            f"Celery beat runs the scans ({every}): start `celery -A config beat` "
            "once, or one worker with `manage.py waymark_celery_worker --beat`"
        ]


def redelivered(request: Any) -> bool:
    """True when the broker says this message was delivered before (its worker died)."""
    info = getattr(request, "delivery_info", None) or {}
    return bool(info.get("redelivered"))


def _run_steps(task: Any, func: str, workitem_id: int, *args: Any) -> Any:
    if redelivered(task.request):
        takeover.take_over(workitem_id)
    with takeover.holding_run(workitem_id):
        return import_string(func)(workitem_id, *args)


@shared_task(name="engine.tasks.run_workitem", bind=True, **AT_LEAST_ONCE)
def run_workitem(self, workitem_id: int, lock_version: int | None = None) -> int:
    return _run_steps(self, "engine.tasks.run_workitem", workitem_id, lock_version)


@shared_task(name="engine.tasks.workitem_action", bind=True, **AT_LEAST_ONCE)
def workitem_action(self, workitem_id: int, action: str = "forward", kwargs=None) -> None:
    _run_steps(self, "engine.tasks.workitem_action", workitem_id, action, kwargs)


@shared_task(name="engine.tasks.run_fired_steps", bind=True, **AT_LEAST_ONCE)
def run_fired_steps(self, steps: list[list[int]]) -> int:
    """A batch of timer fires' steps: each held (and taken over) as its own message would be."""
    from engine.runtime import timers

    def run_step(workitem_id: int, lock_version: int | None) -> int:
        return _run_steps(self, "engine.tasks.run_workitem", workitem_id, lock_version)

    return timers.run_fired_steps(steps, run_step)


def _plain_task(func: str):
    """A Celery task named ``func`` that calls it with the message's ids."""

    def run(*args: Any) -> None:
        import_string(func)(*args)

    run.__name__ = func.rsplit(".", 1)[-1]
    return shared_task(name=func, **AT_LEAST_ONCE)(run)


PLAIN = {func: _plain_task(func) for func in OTHER_TASKS}
