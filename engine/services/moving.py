"""Moving running runs from one version of a process to another (Camunda's "migration").

A mapping names, for activity keys of the source version, the key they take
in the target; keys it does not name map to themselves. Every run is locked
first, then checked: a run that waits at an activity with no place in the
target (no activity with the mapped key, or one of another kind), with a
timeout due to take a transition the target does not have from there, or
with a parallel branch waiting at a join by a transition the target does
not lead into it, refuses the whole move. Every such place is listed (RunsCannotMove)
and nothing changes.

A moved run keeps what its waits already have (assignee and candidates,
timers and due dates, signal name and correlation, attempts): the target's
definition applies from the moment the run leaves them. Its history keeps
the keys of the version it was on. Each moved run gets a ``run.moved`` audit
event with both version numbers and the keys that changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction

from engine import permissions
from engine.core.graph import Graph
from engine.errors import RunsCannotMove
from engine.models import Incident, ProcessInstance, Timer, Token, Version, WorkItem
from engine.models.runtime import OPEN_STATES, RunState
from engine.runtime.audit import record
from engine.runtime.locks import bump, lock_run

ACTIVE_STATES = (RunState.RUNNING, RunState.WAITING, RunState.SUSPENDED)


def move_runs(
    source: Version,
    target: Version,
    *,
    mapping: Mapping[str, str] | None = None,
    run_ids: Iterable[int] | None = None,
    user=None,
) -> list[ProcessInstance]:
    """Move the active runs of ``source`` (or only ``run_ids``) to ``target``; all or nothing."""
    permissions.require(user, permissions.MANAGE_RUNS, "move runs to another version")
    mapping = dict(mapping or {})
    with transaction.atomic():
        # Fresh rows: a caller's copy may predate a publish.
        source, target = Version.objects.get(pk=source.pk), Version.objects.get(pk=target.pk)
        problems = _version_problems(source, target, mapping)
        runs = _locked_runs(source, run_ids, problems)
        source_graph, target_graph = source.graph(), target.graph()
        for run in runs:
            problems += _run_problems(run, source_graph, target_graph, mapping)
        if problems:
            raise RunsCannotMove(problems)
        for run in runs:
            _move(run, source, target, target_graph, mapping, user)
    return runs


def _version_problems(source: Version, target: Version, mapping: dict[str, str]) -> list[dict]:
    problems = []
    if target.process_id != source.process_id:
        problems.append(_problem("to", "the target is a version of another process"))
    elif target.pk == source.pk:
        problems.append(_problem("to", "the runs are on this version already"))
    if target.is_draft:
        problems.append(_problem("to", f"v{target.number} is a draft: publish it first"))
    source_keys = set(source.activities.values_list("key", flat=True))
    target_keys = set(target.activities.values_list("key", flat=True))
    for old, new in mapping.items():
        if old not in source_keys:
            problems.append(_problem(f"mapping.{old}", f"v{source.number} has no activity {old!r}"))
        if new not in target_keys:
            problems.append(_problem(f"mapping.{old}", f"v{target.number} has no activity {new!r}"))
    return problems


def _locked_runs(
    source: Version, run_ids: Iterable[int] | None, problems: list[dict]
) -> list[ProcessInstance]:
    """The runs to move, locked in id order (so two moves never deadlock)."""
    if run_ids is None:
        ids = list(
            ProcessInstance.objects.filter(version=source, state__in=ACTIVE_STATES)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    else:
        ids = sorted(set(run_ids))
    runs = []
    for pk in ids:
        try:
            run = lock_run(pk)
        except ProcessInstance.DoesNotExist:
            problems.append(_problem(f"runs.{pk}", "there is no such run"))
            continue
        if run.version_id != source.pk:
            problems.append(_problem(f"runs.{pk}", f"the run is not on v{source.number}"))
        elif run.state not in ACTIVE_STATES:
            problems.append(_problem(f"runs.{pk}", f"the run is {run.state}"))
        else:
            runs.append(run)
    return runs


def _run_problems(
    run: ProcessInstance, source: Graph, target: Graph, mapping: dict[str, str]
) -> list[dict]:
    """Every place ``run`` waits that has no place in the target."""
    problems = []
    for key, kind in WorkItem.objects.filter(instance=run, state__in=OPEN_STATES).values_list(
        "activity_key", "activity_kind"
    ):
        new = mapping.get(key, key)
        path = f"runs.{run.pk}.{key}"
        if new not in target.activities:
            problems.append(_problem(path, f"waits at {key!r}; the target has no {new!r}"))
        elif target.activity(new).kind.value != kind:
            found = target.activity(new).kind.value
            problems.append(
                _problem(path, f"waits at {_an(kind)} activity; {new!r} is {_an(found)} activity")
            )
    for key, via in (
        Timer.objects.filter(instance=run, fired_at=None)
        .exclude(transition_key="")
        .values_list("workitem__activity_key", "transition_key")
    ):
        new = mapping.get(key, key)
        leaving = target.transitions.get(via)
        if leaving is None or leaving.source != new:
            problems.append(
                _problem(
                    f"runs.{run.pk}.{key}",
                    f"the timeout at {key!r} is to take {via!r}, "
                    f"which does not leave {new!r} in the target",
                )
            )
    for key, via in Token.objects.filter(instance=run, consumed_at=None).values_list(
        "activity_key", "transition_key"
    ):
        new = mapping.get(key, key)
        leads_in = {t.key for t in target.incoming(new)}
        if via not in leads_in:
            problems.append(
                _problem(
                    f"runs.{run.pk}.{key}",
                    f"a branch waits at the join {key!r} by {via!r}, "
                    f"which does not lead into {new!r} in the target",
                )
            )
    return problems


def _move(
    run: ProcessInstance,
    source: Version,
    target: Version,
    graph: Graph,
    mapping: dict[str, str],
    user,
) -> None:
    renamed: dict[str, str] = {}
    for workitem in WorkItem.objects.filter(instance=run, state__in=OPEN_STATES):
        new = mapping.get(workitem.activity_key, workitem.activity_key)
        if new != workitem.activity_key:
            renamed[workitem.activity_key] = new
        workitem.activity_key = new
        workitem.name = graph.activity(new).name or new
        bump(workitem, "activity_key", "name")
    for token in Token.objects.filter(instance=run, consumed_at=None):
        if token.activity_key in mapping:
            token.activity_key = mapping[token.activity_key]
            token.save(update_fields=["activity_key"])
    for old, new in mapping.items():
        Incident.objects.filter(instance=run, resolved_at=None, activity_key=old).update(
            activity_key=new
        )
    run.version = target
    bump(run, "version")
    record(
        "run.moved",
        run,
        actor=user,
        version_id=target.pk,
        metadata={"from": source.number, "to": target.number, "renamed": renamed},
    )


def _problem(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message}


def _an(word: str) -> str:
    """'a human', 'an automatic'."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word
