"""Queue entry points (Django-Q2's, and Celery's under the same names). Thin: they take
ids, call one function, return a summary.

The dotted paths of these functions are stored in queued messages and in the
``Schedule`` rows of running deployments: keep their names and arguments.
A message may be lost, delayed or delivered twice; each function re-reads the
rows and does nothing when the work is already done (see engine.runtime).
"""

from __future__ import annotations

from typing import Any


def run_workitem(workitem_id: int, lock_version: int | None = None) -> int:
    from engine.runtime import worker

    return worker.run_workitem(workitem_id, lock_version)


def run_fired_steps(steps: list[list[int]]) -> int:
    """The steps one batch of timer fires made READY: [workitem id, lock_version] pairs."""
    from engine.runtime import timers

    return timers.run_fired_steps(steps)


def compensate_workitem(workitem_id: int) -> bool:
    from engine.runtime import compensation

    return compensation.compensate_workitem(workitem_id)


def timeout_scan() -> int:
    from engine.services import scans

    return scans.timeout_scan()


def sla_scan() -> dict[str, int]:
    from engine.services import scans

    return scans.sla_scan()


def reconcile() -> dict[str, int]:
    from engine.services import scans

    return scans.reconcile()


def dispatch_model_event(event_id: int) -> bool:
    from engine.services import model_events

    return model_events.dispatch(event_id)


def workitem_action(workitem_id: int, action: str = "forward", kwargs: dict | None = None) -> Any:
    from engine.services import runtime

    return runtime.workitem_action(workitem_id, action, **(kwargs or {}))


def notify(user_id: int, workitem_ids: list[int] | None = None) -> int:
    from engine.services import notifications

    return notifications.notify(user_id, workitem_ids)


def arm_date_event(trigger_id: int) -> int:
    from engine.runtime import date_events

    return date_events.arm_trigger(trigger_id)
