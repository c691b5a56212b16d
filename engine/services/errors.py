"""What the runtime services raise. Every error leaves the database as it was.

EngineError            base class; ``str(exc)`` is a message for people
  UnknownProcess       no process with that code             (API: 404)
  NotPublished         the process has no published version  (API: 409)
  InvalidData          data/form data/outcome refused; ``.errors`` lists
                       {"path", "message"} pairs               (API: 400/422)
    DataTooLarge       run data over WAYMARK_MAX_DATA_BYTES    (API: 413)
  Conflict             someone else got there first, or the state moved
                       on (completed twice, stale version)     (API: 409)
    RunNotActive       the run is suspended, failed, finished or cancelled
  NotAllowed           this user may not do that; also a Django
                       ``PermissionDenied``, so DRF answers 403
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class EngineError(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class UnknownProcess(EngineError):
    pass


class NotPublished(EngineError):
    pass


class InvalidData(EngineError):
    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or [{"path": "", "message": message}]


class DataTooLarge(InvalidData):
    def __init__(self, size: int, limit: int):
        self.size = size
        self.limit = limit
        super().__init__(
            f"The run data would be {size:,} bytes as JSON; the limit is {limit:,} "
            "(WAYMARK_MAX_DATA_BYTES). Keep large documents elsewhere and store a reference."
        )


class Conflict(EngineError):
    pass


class RunNotActive(Conflict):
    pass


class NotAllowed(EngineError, PermissionDenied):
    pass
