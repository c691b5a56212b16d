"""Invoke Waymark workflows from Python: in the same Django project, or over HTTP.

    from waymark_client import Workflow

    class ApproveExpense(Workflow):
        process_code = "expense"

    execution = ApproveExpense().invoke(amount=120)
    ApproveExpense().get_execution_status(execution.id).state   # "ACTIVE", ...

See docs/client.md.
"""

from waymark_client.errors import (
    ExecutionNotFoundError,
    InvalidWorkflowArgumentsError,
    TaskNotFoundError,
    WaymarkClientError,
    WorkflowConfigurationError,
    WorkflowExecutionError,
    WorkflowNotFoundError,
)
from waymark_client.execution import Execution, ExecutionStatus, SignalResult, Task
from waymark_client.workflow import Workflow

__all__ = [
    "Execution",
    "ExecutionNotFoundError",
    "ExecutionStatus",
    "InvalidWorkflowArgumentsError",
    "SignalResult",
    "Task",
    "TaskNotFoundError",
    "WaymarkClientError",
    "Workflow",
    "WorkflowConfigurationError",
    "WorkflowExecutionError",
    "WorkflowNotFoundError",
]
