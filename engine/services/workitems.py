"""Human workitems: claim, release, complete, reassign, delegate.

Who may act (engine.permissions: ``can_act``, ``can_manage_workitems``):

- the assignee of an assigned workitem;
- a candidate of an offered one: a user named in the activity's allowed
  users, or a member of one of its allowed groups or roles (completing an
  offered workitem claims it in the same step);
- anyone with the ``engine.manage_workitems`` permission (and superusers);
- ``user=None``: the system (scripts, tasks) — no check.

Anyone else gets ``NotAllowed`` and nothing changes. Every function locks
the run first, then re-reads the workitem, so of two people completing the
same workitem at the same moment exactly one wins and the other gets
``Conflict``. Pass ``expected_version`` (the ``lock_version`` the person saw)
to refuse acting on a stale page.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from engine import permissions
from engine.core.states import HUMAN_OPEN_STATES
from engine.errors import Conflict, InvalidData, NotAllowed, RunNotActive
from engine.models import (
    ActivityKind,
    ProcessInstance,
    RunState,
    WorkItem,
    WorkItemCandidate,
    WorkItemState,
)
from engine.runtime.audit import batch, record
from engine.runtime.data import check_size
from engine.runtime.effects import Effects
from engine.runtime.kinds import OFFERS_KNOWN
from engine.runtime.locks import bump, lock_run_with
from engine.runtime.statements import USER, WORKITEM, statement
from engine.runtime.walk import Walk
from engine.schemas import apply_defaults
from engine.services.runs import schema_errors

OTHERS_OPEN = "_waymark_others_open"
OFFERED_TO = "_waymark_offered_to_user"  # the task is offered to the user _lock was given

CLOSED_MESSAGES = {
    WorkItemState.COMPLETED: "This task was already completed{by}.",
    WorkItemState.TIMED_OUT: "This task timed out and was closed.",
    WorkItemState.CANCELLED: "This task was cancelled.",
    WorkItemState.FALLOUT: "This task is blocked by an incident on its run.",
}


# Locking -----------------------------------------------------------------------------


def _lock(workitem: WorkItem | int, expected_version: int | None = None, user=None):
    """Lock the workitem's run, re-read the workitem, refuse stale or closed ones.

    ``user``: the person acting, to read whether the task is offered to them too.
    """
    if isinstance(workitem, WorkItem):
        # A workitem never moves to another run: the caller's copy names the run to lock.
        pk, run_id = workitem.pk, workitem.instance_id
    else:
        pk = int(workitem)
        # (order_by(): WorkItem's default ordering would join the run table for nothing)
        rows = WorkItem.objects.filter(pk=pk).order_by().values_list("instance_id", flat=True)
        run_id = next(iter(rows[:1]), None)
    if pk is None or run_id is None:
        raise Conflict("This task no longer exists.")
    try:
        # Both statements compiled once (engine.runtime.statements): the ORM built
        # them anew for every completion, a third of its Python time. The state and
        # version read with the lock are not used: the workitem is re-read under it
        # (on PostgreSQL a statement after the lock wait sees what committed before).
        run, _, _ = lock_run_with(run_id, pk)
    except ProcessInstance.DoesNotExist:
        raise Conflict("This task no longer exists.") from None
    person = user.pk if getattr(user, "is_authenticated", False) else None
    found = statement("task").first({WORKITEM: pk, USER: person if person is not None else -1})
    if found is None:
        raise Conflict("This task no longer exists.")
    row, extra = cast(WorkItem, found[0]), found[1]
    # Whether it has offers to withdraw when it closes or is released (engine.runtime.kinds),
    # and whether another workitem of the run is open (complete()).
    setattr(row, OFFERS_KNOWN, bool(extra["has_offers"]))
    setattr(row, OTHERS_OPEN, bool(extra["others_open"]))
    setattr(row, OFFERED_TO, bool(extra["offered_to"]) and person is not None)
    row.instance = run
    if row.activity_kind != ActivityKind.HUMAN:
        raise Conflict("Only a human task can be claimed, completed or assigned.")
    if row.state not in HUMAN_OPEN_STATES:
        by = f" by {row.completed_by.get_username()}" if row.completed_by else ""
        message = CLOSED_MESSAGES.get(row.state, f"This task is {row.state}.")
        raise Conflict(message.format(by=by))
    if expected_version is not None and row.lock_version != expected_version:
        raise Conflict("This task changed since you opened it; reload it and try again.")
    if run.state == RunState.SUSPENDED:
        raise RunNotActive("This run is suspended; nothing can be done until it is resumed.")
    if run.is_finished:
        raise RunNotActive(f"This run is {run.state}.")
    return run, row


def _username(user) -> str:
    return user.get_username() if user is not None else "system"


def _user(value):
    if value is None:
        return None
    User = get_user_model()
    if isinstance(value, User):
        return value
    if isinstance(value, int):
        found = User.objects.filter(pk=value).first()
    else:
        found = User.objects.filter(**{User.USERNAME_FIELD: value}).first()
    if found is None:
        raise InvalidData(f"There is no user {value!r}.")
    return found


# Actions --------------------------------------------------------------------------------


def claim(workitem: WorkItem | int, *, user, expected_version: int | None = None) -> WorkItem:
    """Take an offered task: it leaves the others' queue and lands in the user's inbox."""
    if user is None:
        raise InvalidData("Claiming needs a user.")
    with transaction.atomic():
        run, workitem = _lock(workitem, expected_version, user)
        if workitem.state == WorkItemState.ASSIGNED:
            if workitem.assignee_id == user.pk:
                return workitem
            raise Conflict(f"This task was already claimed by {_username(workitem.assignee)}.")
        offered = getattr(workitem, OFFERED_TO)  # (permissions.is_candidate, read with it)
        if not (offered or permissions.can_manage_workitems(user)):
            raise NotAllowed("This task is not offered to you.")
        _assign(run, workitem, user, action="workitem.claimed", actor=user)
    return workitem


def _assign(run, workitem: WorkItem, to_user, *, action: str, actor, **metadata) -> None:
    previous = workitem.state
    workitem.state = WorkItemState.ASSIGNED
    workitem.assignee = to_user
    workitem.claimed_at = timezone.now()
    bump(workitem, "state", "assignee", "claimed_at", "delegated_by")
    record(
        action,
        run,
        workitem,
        actor=actor,
        status_from=previous,
        status_to=WorkItemState.ASSIGNED,
        metadata={"assignee": to_user.get_username(), **metadata},
    )


def release(workitem: WorkItem | int, *, user, expected_version: int | None = None) -> WorkItem:
    """Give a claimed task back to its candidates."""
    with transaction.atomic():
        run, workitem = _lock(workitem, expected_version)
        if workitem.state != WorkItemState.ASSIGNED:
            raise Conflict("This task is not claimed by anyone.")
        if not (
            permissions.can_manage_workitems(user)
            or workitem.assignee_id == getattr(user, "pk", None)
        ):
            raise NotAllowed("Only its assignee (or a manager) can release this task.")
        if not getattr(workitem, OFFERS_KNOWN):  # (read with the workitem under the lock)
            raise Conflict(
                "This task is offered to nobody else, so it cannot be released; "
                "ask a manager to reassign it."
            )
        previous_assignee = workitem.assignee
        workitem.state = WorkItemState.OFFERED
        workitem.assignee = None
        workitem.delegated_by = None
        workitem.claimed_at = None
        bump(workitem, "state", "assignee", "delegated_by", "claimed_at")
        record(
            "workitem.released",
            run,
            workitem,
            actor=user,
            status_from=WorkItemState.ASSIGNED,
            status_to=WorkItemState.OFFERED,
            metadata={"assignee": _username(previous_assignee)},
        )
    return workitem


def reassign(
    workitem: WorkItem | int, to_user, *, user=None, expected_version: int | None = None
) -> WorkItem:
    """A manager gives the task to someone (candidate or not)."""
    to_user = _user(to_user)
    if to_user is None:
        raise InvalidData("Reassigning needs the user to give the task to.")
    if not permissions.can_manage_workitems(user):
        raise NotAllowed("Only a manager can reassign tasks.")
    with transaction.atomic():
        run, workitem = _lock(workitem, expected_version)
        workitem.delegated_by = None
        previous = workitem.assignee
        _assign(
            run,
            workitem,
            to_user,
            action="workitem.reassigned",
            actor=user,
            previous=_username(previous) if previous else None,
        )
    return workitem


def delegate(
    workitem: WorkItem | int, to_user, *, user, expected_version: int | None = None
) -> WorkItem:
    """The assignee hands the task to someone else; ``delegated_by`` remembers who."""
    to_user = _user(to_user)
    if to_user is None:
        raise InvalidData("Delegating needs the user to give the task to.")
    with transaction.atomic():
        run, workitem = _lock(workitem, expected_version)
        mine = workitem.state == WorkItemState.ASSIGNED and workitem.assignee_id == getattr(
            user, "pk", None
        )
        if not (mine or permissions.can_manage_workitems(user)):
            raise NotAllowed("Only the task's assignee can delegate it.")
        workitem.delegated_by = user
        _assign(run, workitem, to_user, action="workitem.delegated", actor=user)
    return workitem


def complete(
    workitem: WorkItem | int,
    *,
    user=None,
    outcome: str | None = None,
    data: dict | None = None,
    expected_version: int | None = None,
) -> WorkItem:
    """Complete a human task with an outcome and form data; the run moves on.

    The outcome must be one of the activity's outcomes when it defines some
    (and is then required); form data must match the activity's form schema.
    Both are merged/recorded only if everything is valid. The outcome becomes
    ``instance.condition`` for the transitions out of the task.
    """
    effects = Effects()
    with transaction.atomic(), batch():  # the completion's events: one INSERT
        run, workitem = _lock(workitem, expected_version, user)
        _may_complete(user, workitem)
        activity = workitem.activity
        outcome = _check_outcome(activity, outcome)
        form = _check_form(activity, data)
        walk = Walk(run, effects, actor=user)  # (before the form's data: timers follow it)
        if not getattr(workitem, OTHERS_OPEN):
            walk.knows_open_besides([workitem])  # settle() needs no query for the run's state
        merged = {**run.data, **form}
        check_size(merged)
        run.data = merged
        if outcome is not None:
            run.condition = outcome
        previous = workitem.state
        changes = {
            "outcome": outcome or "",
            "form_data": form,
            "completed_by": user if getattr(user, "is_authenticated", False) else None,
        }
        if previous == WorkItemState.OFFERED and changes["completed_by"] is not None:
            changes["assignee"] = user
            changes["claimed_at"] = walk.now
        done = walk.leave(workitem, WorkItemState.COMPLETED, **changes)
        if done:
            record(
                "workitem.completed",
                run,
                workitem,
                actor=user,
                status_from=previous,
                status_to=WorkItemState.COMPLETED,
                metadata={"outcome": outcome},
            )
        walk.settle()
        effects.schedule()
    return workitem


def _may_complete(user, workitem: WorkItem) -> None:
    """Conflict or NotAllowed unless ``user`` may complete the (locked) ``workitem``."""
    # An offered task's candidate may act (as can_act would find, read with the task).
    offered = workitem.state == WorkItemState.OFFERED and getattr(workitem, OFFERED_TO)
    if offered or permissions.can_act(user, workitem):
        return
    if workitem.state == WorkItemState.ASSIGNED and workitem.assignee_id != getattr(
        user, "pk", None
    ):
        raise Conflict(
            f"This task is assigned to {_username(workitem.assignee)}; only they can complete it."
        )
    raise NotAllowed("You may not complete this task.")


def _check_outcome(activity, outcome) -> str | None:
    if outcome is not None and not isinstance(outcome, str):
        raise InvalidData("The outcome must be text.")
    outcome = (outcome or "").strip() or None
    if activity.outcomes:
        if outcome is None:
            raise InvalidData(
                f"Choose an outcome: {', '.join(activity.outcomes)}.",
                [{"path": "outcome", "message": "required"}],
            )
        if outcome not in activity.outcomes:
            raise InvalidData(
                f"{outcome!r} is not an outcome of {activity.label!r}; "
                f"choose one of {', '.join(activity.outcomes)}.",
                [{"path": "outcome", "message": f"must be one of {list(activity.outcomes)}"}],
            )
    elif outcome is not None and len(outcome) > 200:
        raise InvalidData("An outcome is at most 200 characters.")
    return outcome


def _check_form(activity, data) -> dict:
    from engine.services.runs import clean_data

    form = clean_data(data, None, what="form data")
    # Defaults of the form schema are kept with what the person typed.
    form = apply_defaults(activity.form_schema or {}, form)
    errors = schema_errors(activity.form_schema or {}, form)
    if errors:
        listed = "; ".join(f"{e['path'] or '(form)'}: {e['message']}" for e in errors[:5])
        raise InvalidData(f"The form is not valid: {listed}", errors)
    return form


def candidates(workitem: WorkItem) -> dict[str, list[str]]:
    """Who a workitem is offered to: {"users": [...names], "groups": [...names]}."""
    rows = WorkItemCandidate.objects.filter(workitem=workitem).select_related("user", "group")
    return {
        "users": sorted(r.user.get_username() for r in rows if r.user_id),
        "groups": sorted(r.group.name for r in rows if r.group_id),
    }
