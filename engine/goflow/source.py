"""A GoFlow2 project's definitions, read from its ``dumpdata`` records (pure Python).

The records are those of ``manage.py dumpdata workflow`` (best with
``--natural-foreign``, so groups and users come by name; without it, add
``auth.group auth.user`` to the dump so their ids can be named).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

PROCESS = "workflow.process"
ACTIVITY = "workflow.activity"
TRANSITION = "workflow.transition"
LAYOUT = "workflow.workflowlayout"
APPLICATION = "workflow.application"
PUSH_APPLICATION = "workflow.pushapplication"
GROUP = "auth.group"
USER = "auth.user"


class GoflowSourceError(ValueError):
    """The input is not a GoFlow2 workflow dump."""


@dataclass
class GoflowActivity:
    pk: int
    title: str
    kind: str = "standard"
    node_type: str = "standard"
    description: str = ""
    autostart: bool = False
    autofinish: bool = True
    join_mode: str = "xor"
    split_mode: str = "and"
    roles: list[str] = field(default_factory=list)
    allowed_users: list[str] = field(default_factory=list)
    allowed_groups: list[str] = field(default_factory=list)
    sla_roles: list[str] = field(default_factory=list)
    sla_duration: str = ""
    sla_warn: str = ""
    compensation_handler: str = ""
    subflow: int | None = None
    application: str = ""  # the url of its (push) application: the handler's name
    dropped: dict[str, Any] = field(default_factory=dict)  # fields Waymark has no place for
    missing: list[str] = field(default_factory=list)  # groups or users the dump does not name


@dataclass
class GoflowTransition:
    pk: int
    source: int
    target: int
    name: str = ""
    condition: str = ""
    dropped: dict[str, Any] = field(default_factory=dict)


@dataclass
class GoflowProcess:
    pk: int
    title: str
    code: str = ""
    version: int = 1
    status: str = "published"
    description: str = ""
    version_note: str = ""
    tenant_id: str = ""
    begin: int | None = None
    end: int | None = None
    activities: list[GoflowActivity] = field(default_factory=list)
    transitions: list[GoflowTransition] = field(default_factory=list)
    positions: dict[int, tuple[float, float]] = field(default_factory=dict)


ACTIVITY_DROPPED = ("form_template", "form_class", "app_param", "pushapp_param")
TRANSITION_DROPPED = ("pre_hook", "post_hook", "precondition", "description")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _records(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, list):
        raise GoflowSourceError("a GoFlow2 dump is a JSON list of records (manage.py dumpdata).")
    records = [r for r in data if isinstance(r, dict) and isinstance(r.get("fields"), dict)]
    if not any(r.get("model") == PROCESS for r in records):
        raise GoflowSourceError(
            "the dump holds no workflow.process record: dump GoFlow2's workflow app "
            "(manage.py dumpdata workflow --natural-foreign)."
        )
    return records


class _Names:
    """Group and user names for the references of a dump (natural keys or ids)."""

    def __init__(self, records: Iterable[dict[str, Any]]):
        self.groups: dict[Any, str] = {}
        self.users: dict[Any, str] = {}
        for record in records:
            if record.get("model") == GROUP:
                self.groups[record.get("pk")] = _text(record["fields"].get("name"))
            elif record.get("model") == USER:
                self.users[record.get("pk")] = _text(record["fields"].get("username"))

    def of(self, refs: Any, kind: str, missing: list[str]) -> list[str]:
        known = self.groups if kind == "group" else self.users
        names = []
        for ref in refs or ():
            if isinstance(ref, list | tuple) and ref:  # a natural key: [name] / [username]
                names.append(_text(ref[0]))
            elif ref in known:
                names.append(known[ref])
            else:
                missing.append(f"{kind} #{ref}")
        return sorted({n for n in names if n})


def _application_urls(records: list[dict[str, Any]]) -> dict[tuple[str, Any], str]:
    urls = {}
    for record in records:
        if record.get("model") in (APPLICATION, PUSH_APPLICATION):
            urls[(record["model"], record.get("pk"))] = _text(record["fields"].get("url"))
    return urls


def _activity(pk: int, f: dict[str, Any], names: _Names, urls: dict) -> GoflowActivity:
    missing: list[str] = []
    application = ""
    for model, name in ((APPLICATION, "application"), (PUSH_APPLICATION, "push_application")):
        ref = f.get(name)
        if ref is not None:
            ref = ref[0] if isinstance(ref, list | tuple) and ref else ref
            application = urls.get((model, ref)) or application or str(ref)
    return GoflowActivity(
        pk=pk,
        title=_text(f.get("title")) or f"activity {pk}",
        kind=_text(f.get("kind")) or "standard",
        node_type=_text(f.get("node_type")) or "standard",
        description=_text(f.get("description")),
        autostart=bool(f.get("autostart")),
        autofinish=f.get("autofinish", True) is not False,
        join_mode=_text(f.get("join_mode")) or "xor",
        split_mode=_text(f.get("split_mode")) or "and",
        roles=names.of(f.get("roles"), "group", missing),
        allowed_users=names.of(f.get("allowed_users"), "user", missing),
        allowed_groups=names.of(f.get("allowed_groups"), "group", missing),
        sla_roles=names.of(f.get("sla_roles"), "group", missing),
        sla_duration=_text(f.get("sla_duration")),
        sla_warn=_text(f.get("sla_warn")),
        compensation_handler=_text(f.get("compensation_handler")),
        subflow=f.get("subflow"),
        application=application,
        dropped={k: f[k] for k in ACTIVITY_DROPPED if _text(f.get(k))},
        missing=missing,
    )


def _position(value: Any) -> tuple[float, float] | None:
    """A layout entry: {"x": .., "y": ..} or [x, y]."""
    if isinstance(value, dict):
        value = (value.get("x"), value.get("y"))
    if isinstance(value, list | tuple) and len(value) >= 2:
        try:
            return float(value[0]), float(value[1])
        except (TypeError, ValueError):
            return None
    return None


def read_dump(data: Any) -> list[GoflowProcess]:
    """The processes of a GoFlow2 dump, with their activities, transitions and positions."""
    records = _records(data)
    names = _Names(records)
    urls = _application_urls(records)
    processes: dict[Any, GoflowProcess] = {}
    for r in records:
        if r["model"] == PROCESS:
            f = r["fields"]
            processes[r["pk"]] = GoflowProcess(
                pk=r["pk"],
                title=_text(f.get("title")) or f"process {r['pk']}",
                code=_text(f.get("code")),
                version=int(f.get("version") or 1),
                status=_text(f.get("status")) or "published",
                description=_text(f.get("description")),
                version_note=_text(f.get("version_note")),
                tenant_id=_text(f.get("tenant_id")),
                begin=f.get("begin"),
                end=f.get("end"),
            )
    for r in records:
        process = processes.get(r["fields"].get("process"))
        if process is None:
            continue
        f = r["fields"]
        if r["model"] == ACTIVITY:
            process.activities.append(_activity(r["pk"], f, names, urls))
        elif r["model"] == TRANSITION:
            process.transitions.append(
                GoflowTransition(
                    pk=r["pk"],
                    source=f.get("input"),
                    target=f.get("output"),
                    name=_text(f.get("name")),
                    condition=_text(f.get("condition")),
                    dropped={k: f[k] for k in TRANSITION_DROPPED if _text(f.get(k))},
                )
            )
        elif r["model"] == LAYOUT and isinstance(f.get("layout"), dict):
            for key, value in f["layout"].items():
                spot = _position(value)
                if spot is not None and str(key).isdigit():
                    process.positions[int(key)] = spot
    for process in processes.values():
        process.activities.sort(key=lambda a: a.pk)
        process.transitions.sort(key=lambda t: t.pk)
    return sorted(processes.values(), key=lambda p: (p.code or p.title, p.version, p.pk))
