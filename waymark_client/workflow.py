"""``Workflow``: subclass it with a ``process_code`` and invoke the process from your code."""

from __future__ import annotations

import json
import os
from typing import Any

from waymark_client.errors import (
    InvalidWorkflowArgumentsError,
    WorkflowConfigurationError,
)
from waymark_client.execution import Execution, ExecutionStatus


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

    def invoke(self, **kwargs: Any) -> Execution:
        """Start a run with ``kwargs`` as its data; returns at once (the run goes on)."""
        return self.start(kwargs)

    def start(self, data: dict, *, business_key: str = "") -> Execution:
        """Like ``invoke`` with the data as a dict, and a business key for the run."""
        if not isinstance(data, dict):
            raise InvalidWorkflowArgumentsError("Workflow data must be a dict.")
        run = self.transport.start(self.process_code, _check_json(data), business_key)
        return Execution.from_run(run)

    def get_execution_status(self, execution_id: int) -> ExecutionStatus:
        """State (ACTIVE, SUCCEEDED, FAILED, CANCELLED), start and end time, result."""
        return ExecutionStatus.from_run(self.transport.run(self.process_code, _id(execution_id)))

    def get_console_url(self, execution_id: int) -> str:
        """The address of the run's page in Waymark, for people."""
        return self.transport.console_url(self.process_code, _id(execution_id))


def _id(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        from waymark_client.errors import ExecutionNotFoundError

        raise ExecutionNotFoundError(f"{value!r} is not an execution id.")
    return number
