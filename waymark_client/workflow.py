"""``Workflow``: subclass it with a ``process_code`` and invoke the process from your code."""

from __future__ import annotations

import json
import os
from typing import Any

from waymark_client.errors import (
    ExecutionNotFoundError,
    InvalidWorkflowArgumentsError,
    TaskNotFoundError,
    WaymarkClientError,
    WorkflowConfigurationError,
)
from waymark_client.execution import Execution, ExecutionStatus, SignalResult, Task


def _django_setting(name: str) -> Any:
    """A Django setting when Django is installed and configured, else None."""
    try:
        from django.conf import settings
    except ImportError:
        return None
    if not settings.configured:
        return None
    return getattr(settings, name, None)


def _setting(name: str) -> str:
    return str(_django_setting(name) or os.environ.get(name) or "").strip()


def _check_json(data: dict) -> dict:
    """``data`` as it will travel: JSON only (no NaN, no objects), else the arguments' error."""
    try:
        text = json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        problems = [
            {"path": key, "message": f"not JSON-serializable ({type(value).__name__})"}
            for key, value in data.items()
            if not _is_json(value)
        ]
        raise InvalidWorkflowArgumentsError(
            f"Workflow arguments must be JSON-serializable: {exc}", problems
        ) from exc
    return json.loads(text)


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)  # NaN and infinities are not JSON either
    except (TypeError, ValueError):
        return False
    return True


class Workflow:
    """A Waymark process you can start from code.

    >>> class ApproveExpense(Workflow):
    ...     process_code = "expense"
    >>> execution = ApproveExpense().invoke(amount=120, employee="ana")

    Over HTTP when a base URL and token are given (arguments, or the
    WAYMARK_URL / WAYMARK_TOKEN Django settings or environment variables);
    otherwise in-process, through the engine of the Django project it runs in.
    """

    process_code: str = ""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        token: str | None = None,
        timeout: float = 10.0,
        user=None,
        session=None,
    ):
        if not (self.process_code or "").strip():
            raise WorkflowConfigurationError(
                f"{type(self).__name__} has no process_code: set it to the code of a process."
            )
        base_url = (base_url or "").strip() or _setting("WAYMARK_URL")
        token = (token or "").strip() or _setting("WAYMARK_TOKEN")
        if base_url or token:
            if not (base_url and token):
                missing = "token (WAYMARK_TOKEN)" if base_url else "base URL (WAYMARK_URL)"
                raise WorkflowConfigurationError(f"Waymark over HTTP needs a {missing} too.")
            from waymark_client.http import HttpTransport

            self.transport = HttpTransport(base_url, token, timeout=timeout, session=session)
        else:
            from waymark_client.local import LocalTransport

            self.transport = LocalTransport(user=user, site_url=_setting("WAYMARK_SITE_URL"))

    def invoke(self, *, wait: float | None = None, **kwargs: Any) -> Execution:
        """Start a run with ``kwargs`` as its data.

        Returns at once (the run goes on), or with ``wait`` (seconds, at most
        60) once the run completed, was cancelled or failed, or the time is up.
        """
        return self.start(kwargs, wait=wait)

    def start(
        self,
        data: dict,
        *,
        business_key: str = "",
        wait: float | None = None,
        idempotency_key: str | None = None,
    ) -> Execution:
        """Like ``invoke`` with the data as a dict, and a business key for the run.

        With ``idempotency_key``, calling again with the same key (after a
        timeout, say) returns the run the first call started.
        """
        if not isinstance(data, dict):
            raise InvalidWorkflowArgumentsError("Workflow data must be a dict.")
        run = self.transport.start(
            self.process_code,
            _check_json(data),
            business_key,
            wait=_wait(wait),
            idempotency_key=idempotency_key,
        )
        return Execution.from_run(run)

    def get_execution_status(
        self, execution_id: int, *, wait: float | None = None
    ) -> ExecutionStatus:
        """State (ACTIVE, SUCCEEDED, FAILED, CANCELLED), start and end time, result, error.

        With ``wait``, the answer comes once the run ended or failed, or after
        ``wait`` seconds.
        """
        run = self.transport.run(self.process_code, _id(execution_id), wait=_wait(wait))
        return ExecutionStatus.from_run(run)

    def cancel(self, execution_id: int, *, reason: str = "") -> ExecutionStatus:
        """Cancel a run of this workflow (needs the 'manage runs' permission)."""
        run = self.transport.cancel(self.process_code, _id(execution_id), reason)
        return ExecutionStatus.from_run(run)

    def signal(
        self, name: str, payload: dict | None = None, *, correlation: Any = None
    ) -> SignalResult:
        """Send a signal: wakes the runs waiting for ``name`` (with ``correlation``)."""
        answer = self.transport.signal(name, _check_json(payload or {}), correlation)
        return SignalResult.from_answer(answer)

    def list_tasks(
        self, *, box: str | None = None, state: str | None = None, execution_id: int | None = None
    ) -> list[Task]:
        """Tasks of this workflow's runs you may see: ``box`` mine, available, done or all
        (default all), ``state`` (offered, assigned, completed, ...), one run's only."""
        params: dict[str, Any] = {"process": self.process_code}
        for name, value in (("box", box), ("state", state), ("run", execution_id)):
            if value is not None:
                params[name] = value
        return [Task.from_item(item) for item in self.transport.tasks(params)]

    def complete_task(
        self,
        task_id: int,
        *,
        outcome: str | None = None,
        data: dict | None = None,
        expected_version: int | None = None,
    ) -> Task:
        """Complete a task with an outcome and form data; the run moves on."""
        body = {"outcome": outcome, "data": _check_json(data or {})}
        body["expected_version"] = expected_version
        return Task.from_item(self.transport.complete(_id(task_id, TaskNotFoundError), body))

    def get_console_url(self, execution_id: int) -> str:
        """The address of the run's page in Waymark, for people."""
        return self.transport.console_url(self.process_code, _id(execution_id))


def _wait(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 60:
        raise InvalidWorkflowArgumentsError(f"wait is 0 to 60 seconds, not {value!r}.")
    return value


def _id(value: Any, missing: type[WaymarkClientError] = ExecutionNotFoundError) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise missing(f"{value!r} is not an id.")
    return number
