"""What the client raises. Every error says what was wrong; none leaves a run half-started."""

from __future__ import annotations


class WaymarkClientError(Exception):
    """Base class of the client's errors."""


class WorkflowConfigurationError(WaymarkClientError):
    """The client is set up wrongly: no process_code, a bad base URL or token, no Django."""


class WorkflowNotFoundError(WaymarkClientError):
    """No process with this code (that you may see), or it has no published version."""


class InvalidWorkflowArgumentsError(WaymarkClientError):
    """Arguments that are not JSON-serializable or fail the process's input schema.

    ``errors`` lists each problem as {"path", "message"}.
    """

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or []


class WorkflowExecutionError(WaymarkClientError):
    """Anything else that kept Waymark from doing it (unreachable server, refused, ...).

    ``status`` is the HTTP status when there was one, ``code`` Waymark's error
    code (``run_not_active``, ``permission_denied``, ...).
    """

    def __init__(self, message: str, status: int | None = None, code: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code


class ExecutionNotFoundError(WorkflowExecutionError):
    """No run with this id of this workflow (that you may see)."""


class TaskNotFoundError(WorkflowExecutionError):
    """No task with this id (that you may see)."""
