"""The file format of a process version: ``waymark.process/1``, as JSON or YAML.

One file holds one version of one process: the process's code, title,
description, input schema and singleton key, then its activities, transitions
and triggers, each with its stable key (schedule, model_event, date_event and
signal; each kind with its own fields). Transitions name their
source and target by activity key. Fields left out take their defaults, and
export leaves out fields that hold their default, so files stay short and
diffs in git stay readable.

Loading collects every problem (with its location, e.g.
``activities[2].kind``) before anything is written.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml
from django.utils.text import slugify
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.core import triggers as core_triggers
from engine.core.conditions import ConditionError, check_path
from engine.core.graph import ActivityKind
from engine.errors import DefinitionFileError
from engine.schemas import check_schema

FORMAT = "waymark.process/1"
KEY_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$"
MAX_FILE_BYTES = 2 * 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _usable_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema is checked on import as at every door: no outside $ref, RE2 patterns."""
    problems = check_schema(schema)
    if problems:
        raise ValueError(" ".join(problems))
    return schema


class RetrySpec(_Strict):
    max_attempts: int = Field(3, ge=1, le=100)
    base_delay: float = Field(2.0, ge=0, le=86_400)
    backoff_factor: float = Field(2.0, ge=1, le=10)
    max_delay: float = Field(300.0, ge=0, le=7 * 86_400)


class ActivitySpec(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    kind: ActivityKind
    name: str = Field("", max_length=200)
    description: str = Field("", max_length=10_000)
    x: float | None = None
    y: float | None = None
    handler: str = Field("", max_length=255)
    retry: RetrySpec = Field(default_factory=RetrySpec)
    compensation_handler: str = Field("", max_length=255)
    roles: list[str] = Field(default_factory=list, max_length=100)
    allowed_users: list[str] = Field(default_factory=list, max_length=1000)
    allowed_groups: list[str] = Field(default_factory=list, max_length=100)
    assignee: str = Field("", max_length=255)
    outcomes: list[str] = Field(default_factory=list, max_length=50)
    form_schema: dict[str, Any] = Field(default_factory=dict)
    sla_warn: str = Field("", max_length=32)
    sla_duration: str = Field("", max_length=32)
    timer_duration: str = Field("", max_length=32)
    timer_date_field: str = Field("", max_length=255)
    timer_offset: str = Field("", max_length=32)
    signal_name: str = Field("", max_length=200)
    correlation: str = Field("", max_length=255)
    signal_timeout: str = Field("", max_length=32)
    subprocess_code: str = Field("", max_length=64)
    # end: a reason fails the run there ({data.x} placeholders filled in)
    fail_reason: str = Field("", max_length=1000)
    # HTTP request: templates over run data and secret *names* (docs/engine.md)
    http_method: str = Field("GET", max_length=8)
    http_url: str = Field("", max_length=2000)
    http_body: dict[str, Any] = Field(default_factory=dict)
    http_headers: dict[str, str] = Field(default_factory=dict, max_length=50)
    http_result_path: str = Field("", max_length=255)
    http_result_key: str = Field("", max_length=64)

    @field_validator("http_method")
    @classmethod
    def _upper_method(cls, method: str) -> str:
        return method.upper()

    @field_validator("form_schema")
    @classmethod
    def _usable_form_schema(cls, schema: dict[str, Any]) -> dict[str, Any]:
        return _usable_schema(schema)

    @field_validator("outcomes", "roles", "allowed_users", "allowed_groups")
    @classmethod
    def _no_blank_items(cls, items: list[str]) -> list[str]:
        cleaned = [item.strip() for item in items]
        if any(not item for item in cleaned):
            raise ValueError("items must not be blank")
        return cleaned


class TransitionSpec(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    source: str
    target: str
    name: str = Field("", max_length=200)
    condition: str = Field("", max_length=2000)
    priority: int = Field(0, ge=-1_000_000, le=1_000_000)
    default: bool = False


def code_from_title(title: Any) -> str:
    """A process code made of a title ("Expense claim" -> "expense-claim"), "" if none."""
    return slugify(str(title or ""))[:64].strip("-_")


def default_code(data: Any) -> None:
    """A file's process without a code gets the slug of its title (in place)."""
    process = data.get("process") if isinstance(data, dict) else None
    if isinstance(process, dict) and not str(process.get("code") or "").strip():
        code = code_from_title(process.get("title"))
        if code:
            process["code"] = code


class ProcessSpec(_Strict):
    # Left out or empty: the slug of the title (see default_code).
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    input_schema: dict[str, Any] = Field(default_factory=dict)
    # A path into the start data (e.g. data.group_id): one active run per value.
    singleton_key: str = Field("", max_length=255)
    # The retry policy of the version's automatic and HTTP tasks, where an activity's
    # own retry fields keep the built-in values (stored on the version).
    default_retry: RetrySpec | None = None

    @field_validator("input_schema")
    @classmethod
    def _usable_input_schema(cls, schema: dict[str, Any]) -> dict[str, Any]:
        return _usable_schema(schema)

    @field_validator("singleton_key")
    @classmethod
    def _singleton_path(cls, path: str) -> str:
        if not path.strip():
            return ""
        try:
            name = check_path(path.strip())
        except ConditionError as exc:
            raise ValueError(str(exc)) from exc
        # One written form from every door (engine.services.singletons): data.<field>...
        return "data." + ".".join(name.path[1:])


class TriggerSpec(_Strict):
    """A trigger of the version: what starts a run by itself (engine.core.triggers).

    Each kind takes its own fields (``KIND_FIELDS``); a field of another kind is
    an error, not ignored. Whether a model or field exists is checked when the
    trigger is saved (engine.services.triggers), from every door alike.
    """

    key: str = Field(pattern=KEY_PATTERN)
    kind: str
    cron: str = Field("", max_length=200)
    timezone: str = Field("UTC", max_length=64)
    concurrency: Literal["allow", "skip"] = "allow"
    data: dict[str, Any] = Field(default_factory=dict)
    model: str = Field("", max_length=200)
    on: list[Literal["create", "update", "delete"]] = Field(default_factory=list, max_length=3)
    condition: str = Field("", max_length=10_000)
    watch: list[str] = Field(default_factory=list, max_length=100)
    date_field: str = Field("", max_length=100)
    offset: str = Field("", max_length=32)
    signal: str = Field("", max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _known_kind_first(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        # YAML 1.1 reads a bare ``on:`` key as the boolean true: it means "on".
        if True in data and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        # A refused kind answers with one clear message, before its fields are looked at.
        if isinstance(data.get("kind"), str):
            problem = core_triggers.kind_problem(data["kind"])
            if problem:
                raise ValueError(problem)
        return data

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> TriggerSpec:
        problem = core_triggers.kind_problem(self.kind)
        if problem:
            raise ValueError(problem)
        given = self.model_dump(exclude={"key", "kind"}, exclude_defaults=True)
        problems = core_triggers.field_problems(self.kind, given)
        if self.kind == "schedule":
            cron = core_triggers.cron_problem(self.cron) if self.cron else None
            zone = core_triggers.zone_problem(self.timezone)
            problems += [(n, p) for n, p in (("cron", cron), ("timezone", zone)) if p]
        offset = core_triggers.offset_problem(self.offset)
        if offset:
            problems.append(("offset", offset))
        if problems:
            raise ValueError("; ".join(message for _, message in problems))
        return self


class VersionSpec(_Strict):
    number: int | None = None
    status: Literal["draft", "published", "retired"] | None = None
    note: str = Field("", max_length=10_000)


class DefinitionFile(_Strict):
    format: Literal["waymark.process/1"]
    process: ProcessSpec
    version: VersionSpec = Field(default_factory=VersionSpec)
    activities: list[ActivitySpec] = Field(max_length=5_000)
    transitions: list[TransitionSpec] = Field(default_factory=list, max_length=20_000)
    triggers: list[TriggerSpec] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _references_resolve(self) -> DefinitionFile:
        problems = reference_problems(
            self.model_dump(include={"activities", "transitions", "triggers"})
        )
        if problems:
            raise ValueError("\n".join(f"{p['loc']}: {p['message']}" for p in problems))
        return self


def reference_problems(data: Any) -> list[dict[str, str]]:
    """Duplicate keys and transitions to unknown activities, read from plain data.

    Works on raw input too, so a file with field errors still gets these listed.
    """
    if not isinstance(data, dict):
        return []
    problems: list[dict[str, str]] = []

    def items(name: str) -> list[tuple[int, dict]]:
        value = data.get(name)
        if not isinstance(value, list):
            return []
        return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]

    activity_keys: set[str] = set()
    for i, activity in items("activities"):
        key = activity.get("key")
        if key in activity_keys:
            problems.append({"loc": f"activities[{i}].key", "message": f"duplicate key {key!r}"})
        if isinstance(key, str):
            activity_keys.add(key)
    trigger_keys: set[str] = set()
    for i, trigger in items("triggers"):
        key = trigger.get("key")
        if key in trigger_keys:
            problems.append({"loc": f"triggers[{i}].key", "message": f"duplicate key {key!r}"})
        if isinstance(key, str):
            trigger_keys.add(key)
    transition_keys: set[str] = set()
    for i, transition in items("transitions"):
        key = transition.get("key")
        if key in transition_keys:
            problems.append({"loc": f"transitions[{i}].key", "message": f"duplicate key {key!r}"})
        if isinstance(key, str):
            transition_keys.add(key)
        for end in ("source", "target"):
            ref = transition.get(end)
            if isinstance(ref, str) and ref not in activity_keys:
                message = f"no activity has the key {ref!r}"
                problems.append({"loc": f"transitions[{i}].{end}", "message": message})
    return problems


def _location(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _problems_from(error: ValidationError) -> list[dict[str, str]]:
    problems = []
    for item in error.errors():
        message = item["msg"]
        if item["type"] == "value_error" and not item["loc"]:
            # Our cross-reference check reports several located problems at once.
            for line in str(item["ctx"]["error"]).splitlines():
                loc, _, text = line.partition(": ")
                problems.append({"loc": loc, "message": text})
            continue
        message = message.removeprefix("Value error, ")
        problems.append({"loc": _location(item["loc"]), "message": message})
    return problems


def parse_text(text: str | bytes, *, filename: str = "") -> dict[str, Any]:
    """Read JSON or YAML text into plain data (YAML when the name says so or JSON fails)."""
    if len(text) > MAX_FILE_BYTES:
        raise DefinitionFileError(
            [{"loc": "", "message": f"the file is larger than {MAX_FILE_BYTES // 1024} KiB"}]
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DefinitionFileError(
                [{"loc": "", "message": f"the file is not UTF-8 text ({exc.reason})"}]
            ) from exc
    if _is_drawing(text, filename):
        raise DefinitionFileError([{"loc": "", "message": EXPORT_ONLY}])
    try:
        data = _parse(text, filename)
    except RecursionError as exc:
        message = "the file nests too deeply to be a process definition"
        raise DefinitionFileError([{"loc": "", "message": message}]) from exc
    if not isinstance(data, dict):
        raise DefinitionFileError([{"loc": "", "message": "the file must hold one mapping"}])
    return data


EXPORT_ONLY = (
    "DOT and SVG are export-only: Waymark draws a version as a picture but cannot read "
    "a definition back from one. Import the version's JSON or YAML export "
    "(waymark.process/1) instead."
)
DRAWING_SUFFIXES = (".dot", ".gv", ".svg")


def _is_drawing(text: str, filename: str) -> bool:
    """A Graphviz DOT or SVG file (by its name or its first word)."""
    if filename.lower().endswith(DRAWING_SUFFIXES):
        return True
    head = text.lstrip("\ufeff \t\r\n")[:1000].lower()
    if head.startswith(("<svg", "<!doctype svg")) or (head.startswith("<?xml") and "<svg" in head):
        return True  # (other XML, e.g. BPMN, is not a drawing)
    words = head.removeprefix("strict").split(None, 1)
    return bool(words) and words[0] in ("digraph", "graph")


def _parse(text: str, filename: str) -> Any:
    is_yaml = filename.lower().endswith((".yaml", ".yml"))
    try:
        return yaml.safe_load(text) if is_yaml else json.loads(text)
    except json.JSONDecodeError as exc:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError:
            raise DefinitionFileError(
                [{"loc": f"line {exc.lineno}, column {exc.colno}", "message": exc.msg}]
            ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        loc = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise DefinitionFileError([{"loc": loc, "message": str(exc).splitlines()[0]}]) from exc


def load(data: dict[str, Any]) -> DefinitionFile:
    """Validate plain data; raise DefinitionFileError listing every problem."""
    default_code(data)
    try:
        return DefinitionFile.model_validate(data)
    except ValidationError as exc:
        problems = _problems_from(exc)
        # Field errors stop pydantic before the cross-reference check: list those too.
        problems += [p for p in reference_problems(data) if p not in problems]
        raise DefinitionFileError(problems) from exc


def dump(data: dict[str, Any], fmt: str = "json") -> str:
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}: use json or yaml")


def compact(spec: BaseModel) -> dict[str, Any]:
    """A spec as data, leaving out fields that hold their default."""
    return spec.model_dump(mode="json", exclude_defaults=True)
