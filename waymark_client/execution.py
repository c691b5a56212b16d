"""What invoke() and get_execution_status() return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


def parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


@dataclass(frozen=True)
class Execution:
    """A run just started: ``state`` is ACTIVE, SUCCEEDED, FAILED or CANCELLED."""

    id: int
    name: str  # "processes/<code>/runs/<id>"
    process_code: str
    process_version: int
    state: str
    start_time: datetime | None
    business_key: str = ""
    console_url: str = ""

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
        )


@dataclass(frozen=True)
class ExecutionStatus:
    """Where a run is: ``result`` is its data once it SUCCEEDED, else None."""

    id: int
    state: str
    detailed_state: str
    start_time: datetime | None
    end_time: datetime | None
    result: Any = None

    @classmethod
    def from_run(cls, run: dict) -> ExecutionStatus:
        return cls(
            id=int(run["id"]),
            state=run["state"],
            detailed_state=run.get("detailed_state", ""),
            start_time=parse_time(run.get("started_at")),
            end_time=parse_time(run.get("ended_at")),
            result=run.get("result"),
        )
