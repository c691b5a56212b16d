"""One GoFlow2 process as a ``waymark.process/1`` definition, and what did not fit.

Kinds: the process's end activity becomes ``end``; a ``start`` is added in
front of its begin activity (GoFlow2 starts on a real activity); ``dummy``
activities and ``gateway`` nodes become gateways (parallel when they split or
join with "and", else exclusive); ``subflow`` becomes ``subprocess``;
``autostart``, ``service`` and ``script`` activities become automatic tasks
(handler: the application's url); the rest are human tasks.

GoFlow2 splits every activity with "and" by default (every true transition is
taken); Waymark takes the first true one out of a task. So a task with several
ways out and split "and" gets a parallel gateway after it, and one joining
several ways in with "and" gets a parallel gateway before it; the notes say so.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from engine.core.conditions import ConditionError, normalize
from engine.core.durations import DurationError, normalize_duration
from engine.goflow.source import GoflowActivity, GoflowProcess, GoflowTransition

FORMAT = "waymark.process/1"
ADDED = "Added by import_goflow: "
GATEWAY_NODES = ("gateway",)
AUTOMATIC_NODES = ("service", "script", "notification")


@dataclass(frozen=True)
class Note:
    """Something of a GoFlow2 process that was not carried over as it was, and why."""

    process: str  # the GoFlow2 process, as "title (#pk)"
    element: str  # e.g. "activity 'Approve'"; "" for the process itself
    message: str
    lost: bool = True  # False: carried over, but changed or to be finished by hand

    def __str__(self) -> str:
        where = f"{self.element}: " if self.element else ""
        return f"{self.process}: {where}{self.message}"


def slug(text: str, *, sep: str = "-") -> str:
    """Lower-case ASCII letters and digits joined by ``sep`` ("Expense Claim" -> expense-claim)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", sep, ascii_text.lower()).strip(sep)


def process_code(process: GoflowProcess) -> str:
    """GoFlow2's code (which defaults to the title) as a Waymark code."""
    return slug(process.code or process.title)[:64].strip("-") or f"goflow-{process.pk}"


class _Mapper:
    def __init__(self, process: GoflowProcess, codes: dict[int, str]):
        self.process = process
        self.codes = codes
        self.notes: list[Note] = []
        self.keys: dict[int, str] = {}
        self.taken = {"start", "end"}
        self.activities: list[dict[str, Any]] = []
        self.transitions: list[dict[str, Any]] = []
        self.outgoing: dict[int, list[GoflowTransition]] = {}
        self.incoming: dict[int, list[GoflowTransition]] = {}
        for t in process.transitions:
            self.outgoing.setdefault(t.source, []).append(t)
            self.incoming.setdefault(t.target, []).append(t)

    def note(self, element: str, message: str, *, lost: bool = True) -> None:
        label = f"{self.process.title} (#{self.process.pk})"
        self.notes.append(Note(label, element, message, lost))

    def key_for(self, title: str, fallback: str) -> str:
        base = slug(title, sep="_")[:56] or fallback
        if base[0].isdigit():
            base = f"a_{base}"
        key, n = base, 2
        while key in self.taken:
            key, n = f"{base}_{n}", n + 1
        self.taken.add(key)
        return key

    def transition(self, source: str, target: str, **fields: Any) -> None:
        key = f"t{len(self.transitions) + 1}"
        self.transitions.append({"key": key, "source": source, "target": target, **fields})


def _splits(m: _Mapper, a: GoflowActivity) -> bool:
    ways_out = [t for t in m.outgoing.get(a.pk, []) if not _is_timeout(t.condition)]
    return a.split_mode == "and" and len(ways_out) > 1


def _joins(m: _Mapper, a: GoflowActivity) -> bool:
    return a.join_mode == "and" and len(m.incoming.get(a.pk, [])) > 1


def _is_timeout(condition: str) -> bool:
    return condition.strip().lower().startswith(("timeout:", "workitem.time_out"))


def _kind(m: _Mapper, a: GoflowActivity) -> str:
    if a.pk == m.process.end:
        return "end"
    if a.kind == "subflow":
        return "subprocess"
    if a.kind == "dummy" or a.node_type in GATEWAY_NODES:
        return "parallel" if _splits(m, a) or _joins(m, a) else "exclusive"
    if a.autostart or a.node_type in AUTOMATIC_NODES:
        return "automatic"
    return "human"


def _duration(m: _Mapper, element: str, name: str, text: str) -> str:
    if not text:
        return ""
    try:
        return normalize_duration(text)
    except DurationError as exc:
        m.note(element, f"{name} {text!r} was left out: {exc}")
        return ""


def _task_fields(m: _Mapper, a: GoflowActivity, kind: str, element: str) -> dict[str, Any]:
    """Roles, allowlists, SLA and compensation of a task, with the notes they need."""
    fields: dict[str, Any] = {
        "roles": a.roles,
        "allowed_users": a.allowed_users,
        "allowed_groups": a.allowed_groups,
        "sla_duration": _duration(m, element, "sla_duration", a.sla_duration),
        "sla_warn": _duration(m, element, "sla_warn", a.sla_warn),
        "compensation_handler": a.compensation_handler,
    }
    if a.compensation_handler:
        m.note(
            element,
            f"compensation handler {a.compensation_handler!r} kept as a handler name: register "
            "it (WAYMARK_HANDLERS or @handler) before publishing; GoFlow2's signature "
            "f(workitem, reason=None) works as it is.",
            lost=False,
        )
    if kind == "human" and not (a.roles or a.allowed_users or a.allowed_groups):
        m.note(
            element,
            "no roles: GoFlow2 let anyone work on it; Waymark offers it to nobody until it "
            "has roles, an allowlist or an assignee (a manager can still assign it).",
            lost=False,
        )
    if kind == "human" and (a.allowed_users or a.allowed_groups) and not a.roles:
        m.note(
            element,
            "allowlist without roles: GoFlow2 let anyone work on it, Waymark offers it "
            "only to the users and groups listed.",
            lost=False,
        )
    if a.sla_roles:
        m.note(
            element,
            f"sla_roles {', '.join(a.sla_roles)} have no place in Waymark: on a breach, "
            "WAYMARK_SLA_AUTO_ASSIGN offers the task to its roles again instead.",
        )
    return fields


def _kind_fields(m: _Mapper, a: GoflowActivity, kind: str, element: str) -> dict[str, Any]:
    if kind == "automatic":
        if a.application:
            m.note(
                element,
                f"automatic: its handler is named {a.application!r} (GoFlow2's application); "
                "register a handler with that name before publishing.",
                lost=False,
            )
        else:
            m.note(element, "automatic, with no application: choose its handler.", lost=False)
        return {"handler": a.application[:255]}
    if kind == "subprocess":
        code = m.codes.get(a.subflow) if a.subflow is not None else None
        if code is None:
            m.note(element, f"its subflow (process #{a.subflow}) is not in the import.")
        return {"subprocess_code": code or ""}
    return {}


def _activity(m: _Mapper, a: GoflowActivity) -> dict[str, Any]:
    kind = _kind(m, a)
    element = f"activity {a.title!r}"
    key = "end" if kind == "end" else m.key_for(a.title, f"a{a.pk}")
    m.keys[a.pk] = key
    spec: dict[str, Any] = {"key": key, "kind": kind, "name": a.title[:200]}
    if a.description:
        spec["description"] = a.description
    if a.pk in m.process.positions:
        spec["x"], spec["y"] = m.process.positions[a.pk]
    if kind in ("human", "automatic"):
        spec.update(_task_fields(m, a, kind, element))
    spec.update(_kind_fields(m, a, kind, element))
    for name, value in a.dropped.items():
        m.note(element, f"{name} {value!r} has no place in a Waymark definition.")
    if a.missing:
        m.note(element, f"{', '.join(a.missing)} not named in the dump: left out.")
    if not a.autofinish:
        m.note(element, "autofinish off: Waymark completes a task when its form is sent.")
    return {k: v for k, v in spec.items() if v not in ("", [], None)}


def _condition(m: _Mapper, t: GoflowTransition, element: str) -> str:
    text = t.condition.strip()
    if not text:
        return ""
    try:
        return normalize(text)
    except ConditionError as exc:
        m.note(
            element,
            f"condition {text!r} kept as written but Waymark cannot read it ({exc}): under "
            "the compatible strategy it is compared as text with instance.condition.",
            lost=False,
        )
        return text[:2000]


def _gateway(m: _Mapper, a: GoflowActivity, role: str) -> str:
    """A parallel gateway next to a task that splits or joins with "and"."""
    key = m.key_for(f"{m.keys[a.pk]}_{role}", f"a{a.pk}_{role}")
    spec: dict[str, Any] = {
        "key": key,
        "kind": "parallel",
        "name": f"{a.title} ({role})"[:200],
        "description": f"{ADDED}GoFlow2's {role}_mode 'and' of {a.title!r}.",
    }
    if a.pk in m.process.positions:
        x, y = m.process.positions[a.pk]
        spec["x"], spec["y"] = x + (80 if role == "split" else -80), y
    m.activities.append(spec)
    m.note(f"activity {a.title!r}", f"{role}s with 'and': a parallel gateway added.", lost=False)
    return key


def _wire(m: _Mapper) -> None:
    """The transitions, through the gateways added for tasks that split or join."""
    exits: dict[int, str] = {}
    entries: dict[int, str] = {}
    for a in m.process.activities:
        if a.pk not in m.keys or _kind(m, a) in ("exclusive", "parallel", "end"):
            continue
        if _splits(m, a):
            exits[a.pk] = _gateway(m, a, "split")
            m.transition(m.keys[a.pk], exits[a.pk])
        if _joins(m, a):
            entries[a.pk] = _gateway(m, a, "join")
            m.transition(entries[a.pk], m.keys[a.pk])
    titles = {a.pk: a.title for a in m.process.activities}
    for t in m.process.transitions:
        ends = f"{titles.get(t.source, t.source)} -> {titles.get(t.target, t.target)}"
        element = f"transition {t.name!r} ({ends})" if t.name else f"transition {ends}"
        if t.source not in m.keys or t.target not in m.keys:
            m.note(element, "one of its activities is not in the process: left out.")
            continue
        condition = _condition(m, t, element)
        source = m.keys[t.source]
        if t.source in exits and not _is_timeout(condition):
            source = exits[t.source]
        target = entries.get(t.target, m.keys[t.target])
        fields = {k: v for k, v in (("name", t.name[:200]), ("condition", condition)) if v}
        m.transition(source, target, **fields)
        for name, value in t.dropped.items():
            m.note(element, f"{name} {value!r} has no place in a Waymark definition.")


def to_definition(process: GoflowProcess, codes: dict[int, str]) -> tuple[dict, list[Note]]:
    """The process as ``waymark.process/1`` data, and notes on what did not fit.

    ``codes``: the Waymark code of every process of the import, by GoFlow2 id
    (for subflows).
    """
    m = _Mapper(process, codes)
    known = {a.pk for a in process.activities}
    if process.begin not in known:
        m.note("", "it has no begin activity: nothing was imported.")
        return {}, m.notes
    for a in process.activities:
        m.activities.append(_activity(m, a))
    if process.end not in known:
        m.activities.append({"key": "end", "kind": "end", "name": "End"})
        m.note("", "it has no end activity: an end was added, with no way in.", lost=False)
    start: dict[str, Any] = {"key": "start", "kind": "start", "name": "Start"}
    if process.begin in process.positions:
        x, y = process.positions[process.begin]
        start.update(x=max(x - 120, 0.0), y=y)
    m.activities.insert(0, start)
    m.transition("start", m.keys[process.begin])
    _wire(m)
    if process.status != "draft":
        m.note("", f"it was {process.status} in GoFlow2: imported as a draft.", lost=False)
    return _definition(process, codes[process.pk], m), m.notes


def _definition(process: GoflowProcess, code: str, m: _Mapper) -> dict[str, Any]:
    note = f"Imported from GoFlow2 process #{process.pk} (version {process.version})."
    if process.version_note:
        note += f" {process.version_note}"
    return {
        "format": FORMAT,
        "process": {
            "code": code,
            "title": process.title[:200],
            "description": process.description,
        },
        "version": {"note": note[:10_000]},
        "activities": m.activities,
        "transitions": m.transitions,
    }
