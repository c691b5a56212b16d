"""Waymark's tables, one module per concern.

definitions: Process, Version, Activity, Transition (what people draw)
audit:       AuditEvent (every state change, who and when)
runtime:     ProcessInstance, WorkItem, WorkItemCandidate, Token, Timer, Incident,
             PendingSignal (runs and what is due)
webhooks:    WebhookEndpoint, WebhookDelivery (audit events sent out, signed)
"""

from engine.models.audit import AuditEvent
from engine.models.definitions import (
    Activity,
    ActivityKind,
    FrozenVersionError,
    Process,
    Transition,
    Version,
    VersionStatus,
)
from engine.models.runtime import (
    Incident,
    IncidentKind,
    PendingSignal,
    ProcessInstance,
    RunState,
    Timer,
    TimerKind,
    Token,
    WorkItem,
    WorkItemCandidate,
    WorkItemState,
)
from engine.models.webhooks import DeliveryState, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Activity",
    "ActivityKind",
    "AuditEvent",
    "FrozenVersionError",
    "Incident",
    "IncidentKind",
    "PendingSignal",
    "ProcessInstance",
    "RunState",
    "Timer",
    "TimerKind",
    "Token",
    "WorkItem",
    "WorkItemCandidate",
    "WorkItemState",
    "Process",
    "Transition",
    "Version",
    "VersionStatus",
    "DeliveryState",
    "WebhookDelivery",
    "WebhookEndpoint",
]
