"""The runtime service API: the one module the inbox, the run pages, the REST API,
management commands and tasks call. Every function is the only writer of what
it changes (see docs/engine.md).

Runs
    start_run(process_code, data=None, *, business_key="", user=None) -> ProcessInstance
    start(process_code, data=None, *, business_key="", user=None) -> Started(run, created)
        created False: the process's singleton_key matched an active run, returned as is
    cancel_run(run, *, user=None, reason="") -> ProcessInstance
    suspend_run(run, *, user=None, reason="") -> ProcessInstance
    resume_run(run, *, user=None) -> ProcessInstance
    retry_run(run, *, user=None) -> ProcessInstance            every fallen-out workitem
    update_run_data(run, changes, *, user=None, replace=False) -> ProcessInstance

Workitems
    claim(workitem, *, user, expected_version=None) -> WorkItem
    release(workitem, *, user, expected_version=None) -> WorkItem
    complete(workitem, *, user=None, outcome=None, data=None, expected_version=None) -> WorkItem
    reassign(workitem, to_user, *, user=None, expected_version=None) -> WorkItem
    delegate(workitem, to_user, *, user, expected_version=None) -> WorkItem
    retry_workitem(workitem, *, user=None) -> WorkItem
    compensate(workitem, *, user=None) -> None                 queued to a worker
    can_act(user, workitem) -> bool;  candidates(workitem) -> {"users", "groups"}

Signals
    send_signal(name, payload=None, correlation=None, *, user=None, tenant_id=None)
        -> SignalResult   (reaches only the tenant of user, or tenant_id)

Reads (QuerySet methods)
    WorkItem.objects.inbox(user) / .available(user) / .done(user) / .open() / .overdue()
    ProcessInstance.objects.involving(user) / .active() / .failed()
    engine.permissions.visible_runs(user) / visible_workitems(user): what a person may open

``run`` and ``workitem`` arguments take a model instance or a primary key.
``user=None`` means the system: no permission check. Errors are in
engine.errors (re-exported here); on any error nothing changes.
"""

from __future__ import annotations

from engine.core.states import IllegalMove
from engine.errors import (
    Conflict,
    DataTooLarge,
    EngineError,
    InvalidData,
    NotAllowed,
    NotPublished,
    RunNotActive,
    UnknownProcess,
)
from engine.permissions import can_act
from engine.services.runs import (
    Started,
    cancel_run,
    compensate,
    resume_run,
    retry_run,
    retry_workitem,
    start,
    start_run,
    suspend_run,
    update_run_data,
)
from engine.services.signals import SignalResult, send_signal
from engine.services.workitems import (
    candidates,
    claim,
    complete,
    delegate,
    reassign,
    release,
)

__all__ = [
    "Conflict",
    "DataTooLarge",
    "EngineError",
    "IllegalMove",
    "InvalidData",
    "NotAllowed",
    "NotPublished",
    "RunNotActive",
    "SignalResult",
    "Started",
    "UnknownProcess",
    "can_act",
    "cancel_run",
    "candidates",
    "claim",
    "compensate",
    "complete",
    "delegate",
    "reassign",
    "release",
    "resume_run",
    "retry_run",
    "retry_workitem",
    "send_signal",
    "start",
    "start_run",
    "suspend_run",
    "update_run_data",
    "workitem_action",
]

ACTIONS = {
    "forward": "run",
    "run": "run",
    "retry": "retry",
    "compensate": "compensate",
    "complete": "complete",
    "claim": "claim",
    "release": "release",
    "reassign": "reassign",
    "cancel": "cancel",
}


def workitem_action(workitem_id: int, action: str = "forward", **kwargs):
    """A deferred action on a workitem (``schedule_workitem_action``), as the system.

    forward/run(lock_version=): run a READY automatic workitem (only while it
    still has that version: a duplicate message does nothing); retry; compensate;
    complete(outcome=, data=); claim/release/reassign(user=, to_user=);
    cancel: cancel the workitem's run.
    """
    from engine.models import WorkItem
    from engine.runtime import compensation, worker

    kind = ACTIONS.get(action)
    if kind is None:
        raise EngineError(f"Unknown workitem action {action!r}: use {', '.join(sorted(ACTIONS))}.")
    if kind == "run":
        return worker.run_workitem(workitem_id, _lock_version(kwargs.get("lock_version")))
    if kind == "retry":
        return retry_workitem(workitem_id)
    if kind == "compensate":
        return compensation.compensate_workitem(workitem_id)
    if kind == "complete":
        return complete(workitem_id, outcome=kwargs.get("outcome"), data=kwargs.get("data"))
    if kind == "claim":
        return claim(workitem_id, user=_user(kwargs.get("user")))
    if kind == "release":
        return release(workitem_id, user=None)
    if kind == "reassign":
        return reassign(workitem_id, _user(kwargs.get("to_user")))
    run_id = WorkItem.objects.filter(pk=workitem_id).values_list("instance_id", flat=True).first()
    return cancel_run(run_id, reason=kwargs.get("reason", ""))


def _lock_version(value) -> int | None:
    """The version a "forward" message names (see scheduler.versioned_action); None: any."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EngineError(f"lock_version must be a whole number of 0 or more, not {value!r}.")
    return value


def _user(value):
    from engine.services.workitems import _user as find

    return find(value)
