"""Compensation: undo what a fallen-out step did, with its compensation handler, once.

Sent by ``engine.services.runs.compensate`` (a manager's request) or, with
``WAYMARK_COMPENSATION_AUTO``, by the worker when a step falls out after its
last attempt. The handler runs outside any transaction; the result is
recorded under the run's lock, and ``compensated_at`` makes a second message
do nothing.

A handler written for GoFlow2, ``f(workitem, reason=None)`` returning a bool,
works too (registered like any other): a parameter named ``reason`` marks it,
it gets the WorkItem and why the step fell out, and ``False`` (from either
kind of handler) records the compensation as failed, to be asked for again.
"""

from __future__ import annotations

import copy
import inspect
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from engine import handlers
from engine.errors import DataTooLarge
from engine.models import WorkItem, WorkItemState
from engine.runtime.audit import record
from engine.runtime.data import check_size, jsonable
from engine.runtime.kinds import idempotency_key
from engine.runtime.locks import bump, lock_workitem

log = logging.getLogger("engine.executor")  # (the name these logs have always had)


def compensate_workitem(workitem_id: int) -> bool:
    """Run the compensation handler of a fallen-out workitem, once; True if it ran."""
    workitem = WorkItem.objects.select_related("instance").filter(pk=workitem_id).first()
    if workitem is None or workitem.state != WorkItemState.FALLOUT or workitem.compensated_at:
        return False
    activity = workitem.activity
    if not activity.compensation_handler:
        return False
    run = workitem.instance
    ctx = handlers.HandlerContext(
        data=copy.deepcopy(run.data),
        instance_id=run.pk,
        workitem_id=workitem.pk,
        activity_key=workitem.activity_key,
        idempotency_key=f"{workitem.idempotency_key or idempotency_key(workitem)}-compensation",
        attempt=workitem.attempts,
        business_key=run.business_key,
        error=workitem.error,
    )
    result, error = _call_handler(activity.compensation_handler, workitem, ctx)
    with transaction.atomic():
        locked = lock_workitem(workitem_id, run_id=run.pk, states=[WorkItemState.FALLOUT])
        if locked is None or locked[1].compensated_at:
            return False
        run, workitem = locked
        if error is not None:
            record("workitem.compensation_failed", run, workitem, metadata={"error": error[:2000]})
            return False
        if result.data:
            merged = {**run.data, **result.data}
            try:
                check_size(merged)
            except DataTooLarge:
                pass  # (too big to keep: the compensation still counts as done)
            else:
                run.data = merged
                bump(run, "data")
        workitem.compensated_at = timezone.now()
        bump(workitem, "compensated_at")
        record(
            "workitem.compensated",
            run,
            workitem,
            metadata={"handler": activity.compensation_handler},
        )
    return True


def _call_handler(
    name: str, workitem: WorkItem, ctx: handlers.HandlerContext
) -> tuple[handlers.HandlerResult, str | None]:
    """Run the handler registered as ``name``: (its result, None) or (empty, the error)."""
    try:
        func = handlers.resolve(name)
        value = func(workitem, reason=ctx.error or None) if _goflow_style(func) else func(ctx)
        if value is False:
            return handlers.HandlerResult(), "the compensation handler returned False"
        result = handlers.HandlerResult() if value is True else handlers.as_result(value)
        result.data = jsonable(result.data)
    except handlers.FAILURES as exc:  # sys.exit() too: the worker survives
        log.exception("compensation of workitem %s failed", workitem.pk)
        return handlers.HandlerResult(), handlers.describe_failure(exc)
    return result, None


def _goflow_style(func: Callable[..., Any]) -> bool:
    """GoFlow2's compensation handlers take ``(workitem, reason=None)``."""
    try:
        return "reason" in inspect.signature(func).parameters
    except (TypeError, ValueError):  # a builtin or a callable without a signature
        return False
