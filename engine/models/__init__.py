"""Waymark's tables, one module per concern.

definitions: Process, Version, Activity, Transition (what people draw)
audit:       AuditEvent (every state change, who and when)
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

__all__ = [
    "Activity",
    "ActivityKind",
    "AuditEvent",
    "FrozenVersionError",
    "Process",
    "Transition",
    "Version",
    "VersionStatus",
]
