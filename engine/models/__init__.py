"""Waymark's tables, one module per concern.

definitions: Process, Version, Activity, Transition (what people draw)
audit:       AuditEvent (every state change, who and when)
runtime:     ProcessInstance, WorkItem, WorkItemCandidate (runs, their workitems, offers)
waiting:     Token, Timer, Incident, PendingSignal (what runs wait on, why they stopped)
triggers:    Trigger, ScheduleFire (what starts a version by itself, armed fires)
date_events: DateEventFire (armed date_event fires, one per trigger and record)
events:      ModelEvent (the outbox of model_event triggers)
webhooks:    WebhookEndpoint, WebhookDelivery (audit events sent out, signed)
"""

from engine.models.audit import AuditEvent
from engine.models.date_events import DateEventFire
from engine.models.definitions import (
    Activity,
    ActivityKind,
    FrozenVersionError,
    Process,
    Transition,
    Version,
    VersionStatus,
)
from engine.models.events import ModelEvent, ModelEventKind
from engine.models.runtime import (
    ProcessInstance,
    RunState,
    WorkItem,
    WorkItemCandidate,
    WorkItemState,
)
from engine.models.triggers import Concurrency, ScheduleFire, Trigger, TriggerKind
from engine.models.waiting import (
    Incident,
    IncidentKind,
    PendingSignal,
    Timer,
    TimerKind,
    Token,
)
from engine.models.webhooks import DeliveryState, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Activity",
    "ActivityKind",
    "Concurrency",
    "DateEventFire",
    "ScheduleFire",
    "Trigger",
    "TriggerKind",
    "AuditEvent",
    "FrozenVersionError",
    "Incident",
    "IncidentKind",
    "ModelEvent",
    "ModelEventKind",
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
