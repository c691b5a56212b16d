"""Moved to engine.errors; this name stays importable for code not yet switched."""

from engine.errors import (
    Conflict,
    DataTooLarge,
    EngineError,
    InvalidData,
    NotAllowed,
    NotPublished,
    RunNotActive,
    UnknownProcess,
)

__all__ = [
    "Conflict",
    "DataTooLarge",
    "EngineError",
    "InvalidData",
    "NotAllowed",
    "NotPublished",
    "RunNotActive",
    "UnknownProcess",
]
