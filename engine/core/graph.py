"""The in-memory shape of one process version: activities and transitions.

Pure Python. The Django models convert to and from these objects, and the
validator, the differ, the router and the renderer work only on them, so they
are testable without a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class ActivityKind(StrEnum):
    START = "start"
    END = "end"
    HUMAN = "human"
    AUTOMATIC = "automatic"
    EXCLUSIVE = "exclusive"
    PARALLEL = "parallel"
    TIMER = "timer"
    SIGNAL = "signal"
    SUBPROCESS = "subprocess"
    FIRST_OF = "first_of"  # waits for the first of its targets (timers, signal waits)
    HTTP = "http"  # calls another service (engine.runtime.http_task), run by a worker

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    ActivityKind.START: "Start",
    ActivityKind.END: "End",
    ActivityKind.HUMAN: "Human task",
    ActivityKind.AUTOMATIC: "Automatic task",
    ActivityKind.EXCLUSIVE: "Exclusive gateway",
    ActivityKind.PARALLEL: "Parallel gateway",
    ActivityKind.TIMER: "Timer",
    ActivityKind.SIGNAL: "Wait for signal",
    ActivityKind.SUBPROCESS: "Subprocess",
    ActivityKind.FIRST_OF: "Wait for the first",
    ActivityKind.HTTP: "HTTP request",
}


@dataclass(frozen=True)
class RetryPolicy:
    """How an automatic task is retried after its handler raises."""

    max_attempts: int = 3
    base_delay: float = 2.0  # seconds before the second attempt
    backoff_factor: float = 2.0
    max_delay: float = 300.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        raw = self.base_delay * (self.backoff_factor ** max(attempt - 1, 0))
        return min(raw, self.max_delay)

    def over(self, default: RetryPolicy) -> RetryPolicy:
        """This policy on top of a version's default: a field left at the built-in value
        (3 attempts, 2 s, factor 2, 300 s) takes the default's; any other is kept."""
        builtin = RetryPolicy()
        return RetryPolicy(
            **{
                f.name: getattr(
                    self if getattr(self, f.name) != getattr(builtin, f.name) else default, f.name
                )
                for f in fields(RetryPolicy)
            }
        )


@dataclass(frozen=True)
class Activity:
    key: str
    kind: ActivityKind
    name: str = ""
    description: str = ""
    x: float | None = None
    y: float | None = None
    # automatic task
    handler: str = ""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    compensation_handler: str = ""
    # human task
    roles: tuple[str, ...] = ()
    allowed_users: tuple[str, ...] = ()
    allowed_groups: tuple[str, ...] = ()
    assignee: str = ""  # an expression over run data, e.g. ``data.manager``
    outcomes: tuple[str, ...] = ()
    form_schema: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    sla_warn: str = ""
    sla_duration: str = ""
    # timer: a duration, or the name of a data field holding an ISO date-time
    timer_duration: str = ""
    timer_date_field: str = ""
    timer_offset: str = ""  # a signed duration added to the date field's date
    # wait for signal
    signal_name: str = ""
    correlation: str = ""
    signal_timeout: str = ""
    # subprocess
    subprocess_code: str = ""
    # end: a reason fails the run on arrival (engine.runtime.failing_end); empty: it completes
    fail_reason: str = ""
    # HTTP request (engine.core.http_templates): {data.x} placeholders in the URL
    # and the body's strings; header values are names of secrets, never secrets.
    http_method: str = "GET"
    http_url: str = ""
    http_body: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    http_headers: dict[str, str] = field(default_factory=dict, hash=False, compare=True)
    http_result_path: str = ""  # a path into the JSON answer, e.g. id or result.items
    http_result_key: str = ""  # the data key it is stored under ("": merged, an object)

    @property
    def label(self) -> str:
        return self.name or self.key

    @property
    def position(self) -> tuple[float, float] | None:
        if self.x is None or self.y is None:
            return None
        return (self.x, self.y)


@dataclass(frozen=True)
class Transition:
    key: str
    source: str  # activity key
    target: str  # activity key
    name: str = ""
    condition: str = ""  # canonical text (see engine.core.conditions.normalize)
    priority: int = 0  # lower is evaluated first
    is_default: bool = False

    @property
    def label(self) -> str:
        return self.name or self.condition


ACTIVITY_FIELDS = tuple(f.name for f in fields(Activity))
TRANSITION_FIELDS = tuple(f.name for f in fields(Transition))


class Graph:
    """A process version's activities and transitions, indexed by key."""

    def __init__(self, activities: Iterable[Activity], transitions: Iterable[Transition]):
        self.activities: dict[str, Activity] = {a.key: a for a in activities}
        self.transitions: dict[str, Transition] = {t.key: t for t in transitions}
        self._outgoing: dict[str, list[Transition]] = {k: [] for k in self.activities}
        self._incoming: dict[str, list[Transition]] = {k: [] for k in self.activities}
        for t in self.transitions.values():
            self._outgoing.setdefault(t.source, []).append(t)
            self._incoming.setdefault(t.target, []).append(t)
        for group in self._outgoing.values():
            group.sort(key=lambda t: (t.priority, t.key))
        for group in self._incoming.values():
            group.sort(key=lambda t: t.key)

    def activity(self, key: str) -> Activity:
        return self.activities[key]

    def outgoing(self, key: str) -> list[Transition]:
        """Transitions leaving ``key`` in evaluation order (priority, then key)."""
        return self._outgoing.get(key, [])

    def incoming(self, key: str) -> list[Transition]:
        return self._incoming.get(key, [])

    def starts(self) -> list[Activity]:
        return [a for a in self.activities.values() if a.kind == ActivityKind.START]

    def ends(self) -> list[Activity]:
        return [a for a in self.activities.values() if a.kind == ActivityKind.END]

    def start(self) -> Activity:
        starts = self.starts()
        if len(starts) != 1:
            raise ValueError(f"expected exactly one start activity, found {len(starts)}")
        return starts[0]

    def __len__(self) -> int:
        return len(self.activities)
