"""What the client returns: runs (Execution, ExecutionStatus), tasks and signal results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _end_time(run: dict) -> datetime | None:
    # A failed run has not ended (it may be retried), but it stopped: when it failed.
    return parse_time(run.get("ended_at") or run.get("failed_at"))


@dataclass(frozen=True)
class Execution:
    """A run just started: ``state`` is ACTIVE, SUCCEEDED, FAILED or CANCELLED.

    After ``invoke(..., wait=...)`` it is the run as it was when the wait ended:
    ``result`` once it SUCCEEDED, ``error`` and ``end_time`` once it FAILED.
    """

    id: int
    name: str  # "processes/<code>/runs/<id>"
    process_code: str
    process_version: int
    state: str
    start_time: datetime | None
    business_key: str = ""
    console_url: str = ""
    result: Any = None
    error: str | None = None
    end_time: datetime | None = None

    @classmethod
    def from_run(cls, run: dict) -> Execution:
        return cls(
            id=int(run["id"]),
            name=f"processes/{run['process']}/runs/{run['id']}",
            process_code=run["process"],
            process_version=int(run["version"]),
            state=run["state"],
            start_time=parse_time(run.get("started_at")),
            business_key=run.get("business_key") or "",
            console_url=run.get("url") or "",
            result=run.get("result"),
            error=run.get("error"),
            end_time=_end_time(run),
        )


@dataclass(frozen=True)
class ExecutionStatus:
    """Where a run is: ``result`` is its data once it SUCCEEDED, else None.

    A FAILED run has ``error`` (why) and ``end_time`` (when it failed);
    ``activities`` are the keys of its open activities (tasks, steps, waits).
    """

    id: int
    state: str
    detailed_state: str
    start_time: datetime | None
    end_time: datetime | None
    result: Any = None
    error: str | None = None
    activities: tuple[str, ...] = ()

    @classmethod
    def from_run(cls, run: dict) -> ExecutionStatus:
        return cls(
            id=int(run["id"]),
            state=run["state"],
            detailed_state=run.get("detailed_state", ""),
            start_time=parse_time(run.get("started_at")),
            end_time=_end_time(run),
            result=run.get("result"),
            error=run.get("error"),
            activities=tuple(a["activity_key"] for a in run.get("current") or ()),
        )


@dataclass(frozen=True)
class Task:
    """A person's task (a human workitem) as the API shows it."""

    id: int
    run_id: int
    process_code: str
    activity_key: str
    name: str
    state: str
    assignee: str | None
    outcome: str
    form_data: dict = field(default_factory=dict)
    created_at: datetime | None = None
    due_at: datetime | None = None
    lock_version: int = 0

    @classmethod
    def from_item(cls, item: dict) -> Task:
        return cls(
            id=int(item["id"]),
            run_id=int(item["run"]),
            process_code=item.get("process") or "",
            activity_key=item["activity_key"],
            name=item.get("name") or item["activity_key"],
            state=item["state"],
            assignee=item.get("assignee"),
            outcome=item.get("outcome") or "",
            form_data=item.get("form_data") or {},
            created_at=parse_time(item.get("created_at")),
            due_at=parse_time(item.get("due_at")),
            lock_version=int(item.get("lock_version") or 0),
        )


@dataclass(frozen=True)
class SignalResult:
    """What a signal did: runs it woke, runs it started, or kept for a run to come."""

    woken: tuple[int, ...]
    started: tuple[int, ...] = ()
    kept: bool = False

    @classmethod
    def from_answer(cls, answer: dict) -> SignalResult:
        return cls(
            woken=tuple(answer.get("woken") or ()),
            started=tuple(answer.get("started") or ()),
            kept=bool(answer.get("kept")),
        )
