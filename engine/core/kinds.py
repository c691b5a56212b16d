"""The kinds of activity, as one table: what each one has and what wakes it.

Pure Python. This is the one place that says which of an activity's fields
belong to which kind. The designer builds its per-kind forms from it, the
API and the services take the editable fields from it, and the runtime
registers how a run enters each kind against it (``engine.runtime.kinds``).
A new kind of activity is one new entry here, its enter function in the
runtime, and its tests.

Field names are those of the stored Activity row and of definition files
(the retry policy is four numbers there, ``retry_*``; the pure
``engine.core.graph.Activity`` holds them as one ``RetryPolicy``).

A kind lists a field only when something reads it for that kind: the
runtime (``engine.runtime``), the completion of a task
(``engine.services.workitems``) or the validator (``engine.core.validation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engine.core.graph import ActivityKind


class FieldType(StrEnum):
    """How a field's value is typed and checked."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"  # a float
    INTEGER = "integer"
    NAMES = "names"  # a list of names (users, groups, outcomes)
    JSON = "json"  # a JSON object (a JSON Schema)
    DURATION = "duration"  # e.g. 2d, 4h, 30m (engine.core.durations)
    PATH = "path"  # a path into run data, e.g. data.manager
    OFFSET = "offset"  # a signed duration, e.g. -1h (engine.core.triggers.parse_offset)
    HANDLER = "handler"  # the name of a registered handler
    PROCESS = "process"  # the code of a process


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: FieldType
    help: str = ""


class Wake(StrEnum):
    """What moves a run on from an activity of a kind."""

    NOTHING = "nothing"  # the run passes straight through
    PERSON = "person"  # someone completes the task in the inbox or the API
    WORKER = "worker"  # a queue worker runs the handler
    TIMER = "timer"  # the timer loop, when the timer is due
    SIGNAL = "signal"  # a signal sent with the matching name and correlation
    CHILD_RUN = "child_run"  # the subprocess run completes
    FIRST = "first"  # the first of the waits it leads to fires (engine.runtime.first_of)


_FIELD_LIST = (
    FieldSpec("name", "Name", FieldType.TEXT),
    FieldSpec("description", "Description", FieldType.LONG_TEXT),
    FieldSpec("x", "x", FieldType.NUMBER),
    FieldSpec("y", "y", FieldType.NUMBER),
    FieldSpec(
        "handler",
        "Handler",
        FieldType.HANDLER,
        "the name of a handler registered with Waymark, e.g. demo.pay",
    ),
    FieldSpec("retry_max_attempts", "Retry: max attempts", FieldType.INTEGER),
    FieldSpec("retry_base_delay", "Retry: first delay (s)", FieldType.NUMBER),
    FieldSpec("retry_backoff_factor", "Retry: backoff factor", FieldType.NUMBER),
    FieldSpec("retry_max_delay", "Retry: max delay (s)", FieldType.NUMBER),
    FieldSpec(
        "compensation_handler",
        "Compensation handler",
        FieldType.HANDLER,
        "a registered handler name (empty: none)",
    ),
    FieldSpec("roles", "Roles (groups)", FieldType.NAMES, "comma-separated"),
    FieldSpec("allowed_users", "Allowed users", FieldType.NAMES, "comma-separated"),
    FieldSpec("allowed_groups", "Allowed groups", FieldType.NAMES, "comma-separated"),
    FieldSpec("assignee", "Assignee expression", FieldType.PATH, "e.g. data.manager"),
    FieldSpec(
        "outcomes",
        "Outcomes",
        FieldType.NAMES,
        "buttons people choose from, comma-separated, e.g. APPROVED, REJECTED",
    ),
    FieldSpec(
        "form_schema", "Form schema (JSON)", FieldType.JSON, "JSON Schema of the task form, e.g. {}"
    ),
    FieldSpec("sla_warn", "SLA warning after", FieldType.DURATION, "e.g. 2d, 4h, 30m"),
    FieldSpec("sla_duration", "SLA breached after", FieldType.DURATION, "e.g. 3d"),
    FieldSpec("timer_duration", "Wait for (duration)", FieldType.DURATION, "e.g. 2d, 4h, 30m"),
    FieldSpec("timer_date_field", "Or until the date in (data path)", FieldType.PATH),
    FieldSpec(
        "timer_offset",
        "Offset from that date",
        FieldType.OFFSET,
        "e.g. -1h: an hour before the date; 2d: two days after",
    ),
    FieldSpec("signal_name", "Signal name", FieldType.TEXT),
    FieldSpec("correlation", "Correlation (data path)", FieldType.PATH),
    FieldSpec("signal_timeout", "Timeout", FieldType.DURATION, "e.g. 7d (empty: wait forever)"),
    FieldSpec("subprocess_code", "Subprocess (process code)", FieldType.PROCESS),
    FieldSpec(
        "fail_reason",
        "Fail the run with the reason",
        FieldType.LONG_TEXT,
        "e.g. Order {data.order_id} rejected (empty: the run completes here)",
    ),
    FieldSpec("http_method", "Method", FieldType.TEXT, "GET, POST, PUT, PATCH or DELETE"),
    FieldSpec(
        "http_url",
        "URL",
        FieldType.TEXT,
        "e.g. https://api.example.com/orders/{data.order_id} ({data.x}: a value of the run data)",
    ),
    FieldSpec(
        "http_body",
        "Body (JSON)",
        FieldType.JSON,
        'a JSON object; "{data.items}" is that value of the run data (empty: no body)',
    ),
    FieldSpec(
        "http_headers",
        "Headers from secrets (JSON)",
        FieldType.JSON,
        'header name -> secret name, e.g. {"Authorization": "crm_token"} (WAYMARK_HTTP_SECRETS)',
    ),
    FieldSpec(
        "http_result_path",
        "Result path in the answer",
        FieldType.TEXT,
        "e.g. id or result.items (empty: the whole JSON answer)",
    ),
    FieldSpec(
        "http_result_key",
        "Store the result as (data key)",
        FieldType.TEXT,
        "e.g. order (empty: a JSON object answer is merged into the data)",
    ),
)

# Every field of an activity a person may set, by name (identity and version aside).
FIELDS: dict[str, FieldSpec] = {spec.name: spec for spec in _FIELD_LIST}
# Fields every kind has.
COMMON_FIELDS = ("name", "description", "x", "y")
RETRY_FIELDS = ("retry_max_attempts", "retry_base_delay", "retry_backoff_factor", "retry_max_delay")


@dataclass(frozen=True)
class KindSpec:
    kind: ActivityKind
    fields: tuple[str, ...]  # beyond COMMON_FIELDS
    wakes: Wake
    # A transition with a timeout condition may leave it (it waits for someone
    # or something that may not come).
    can_time_out: bool = False

    @property
    def label(self) -> str:
        return self.kind.label

    @property
    def passes_through(self) -> bool:
        """A run never waits here: it is entered and left in the same walk."""
        return self.wakes == Wake.NOTHING

    @property
    def all_fields(self) -> tuple[str, ...]:
        return (*COMMON_FIELDS, *self.fields)


_HUMAN_FIELDS = (
    "roles",
    "allowed_users",
    "allowed_groups",
    "assignee",  # runtime: who gets the task
    "outcomes",  # services.workitems: the outcome a person picks
    "form_schema",  # services.workitems: the data a person submits
    "sla_warn",  # runtime: sla_warn_at, read by the SLA scan
    "sla_duration",  # runtime: sla_breach_at
    "compensation_handler",  # a task that fell out may be compensated
)

KINDS: dict[ActivityKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(ActivityKind.START, (), Wake.NOTHING),
        # An end with a fail_reason ends the run as failed (engine.runtime.failing_end).
        KindSpec(ActivityKind.END, ("fail_reason",), Wake.NOTHING),
        KindSpec(ActivityKind.HUMAN, _HUMAN_FIELDS, Wake.PERSON, can_time_out=True),
        KindSpec(
            ActivityKind.AUTOMATIC,
            ("handler", *RETRY_FIELDS, "compensation_handler"),
            Wake.WORKER,
        ),
        KindSpec(ActivityKind.EXCLUSIVE, (), Wake.NOTHING),
        KindSpec(ActivityKind.PARALLEL, (), Wake.NOTHING),
        KindSpec(
            ActivityKind.TIMER, ("timer_duration", "timer_date_field", "timer_offset"), Wake.TIMER
        ),
        KindSpec(
            ActivityKind.SIGNAL,
            ("signal_name", "correlation", "signal_timeout"),
            Wake.SIGNAL,
            can_time_out=True,
        ),
        KindSpec(
            ActivityKind.SUBPROCESS, ("subprocess_code", "compensation_handler"), Wake.CHILD_RUN
        ),
        # An event-based gateway: its transitions lead to timers and signal waits,
        # all armed at once; the first to fire wins and the others are cancelled.
        KindSpec(ActivityKind.FIRST_OF, (), Wake.FIRST),
        # A request to another service (engine.runtime.http_task), sent by a worker
        # and retried like an automatic task.
        KindSpec(
            ActivityKind.HTTP,
            (
                "http_method",
                "http_url",
                "http_body",
                "http_headers",
                "http_result_path",
                "http_result_key",
                *RETRY_FIELDS,
            ),
            Wake.WORKER,
        ),
    )
}

# What a person may set on an activity: its kind and every field of some kind.
EDITABLE_FIELDS = ("kind", *FIELDS)


def kind_spec(kind: str) -> KindSpec:
    """The entry of ``kind`` (a ValueError names the kinds when it is unknown)."""
    try:
        return KINDS[ActivityKind(kind)]
    except ValueError:
        known = ", ".join(k.value for k in ActivityKind)
        raise ValueError(f"unknown activity kind {kind!r} (one of {known})") from None


def fields_of(kind: str) -> tuple[str, ...]:
    """The fields an activity of ``kind`` has beyond COMMON_FIELDS."""
    return kind_spec(kind).fields


def _check_table() -> None:
    # Every kind has an entry and every listed field is declared: a new kind
    # or field cannot be half-added.
    missing = set(ActivityKind) - set(KINDS)
    if missing:
        raise AssertionError(f"engine.core.kinds: no entry for {sorted(missing)}")
    for spec in KINDS.values():
        unknown = set(spec.fields) - set(FIELDS)
        if unknown:
            raise AssertionError(f"engine.core.kinds: {spec.kind} lists unknown {sorted(unknown)}")


_check_table()
