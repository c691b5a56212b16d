"""Every error Waymark raises on purpose, each with its HTTP status and error code.

Doors translate them without knowing the classes: the REST API answers
``{"detail": exc.detail, "code": exc.code, "errors": exc.errors}`` with
``exc.status`` (engine/api/errors.py), the designer can show ``exc.message``
with the same status. Every one leaves the database as it was.

WaymarkError               base; ``str(exc)`` and ``.message`` are for people
  EngineError              runtime services (engine.services.runtime)
    UnknownProcess         no process with that code                  404 unknown_process
    NotPublished           the process has no published version       409 not_published
    InvalidData            data/form data/outcome refused; ``.errors``
                           lists {"path", "message"} pairs            400 invalid
      DataTooLarge         run data over WAYMARK_MAX_DATA_BYTES       413 too_large
    Conflict               someone else got there first, or the state
                           moved on (completed twice, stale version)  409 conflict
      RunNotActive         suspended, failed, finished or cancelled   409 run_not_active
      RunsCannotMove       moving runs to another version refused:
                           a waiting activity has no place there      409 runs_cannot_move
    IdempotencyKeyReused an Idempotency-Key sent again with another
                           start body                                 422 idempotency_key_reused
    NotAllowed             this user may not do that; also a Django
                           ``PermissionDenied``                       403 permission_denied
  DefinitionError          a definition change that cannot be made    400 invalid
  ValidationFailed         publishing refused: the version has errors 400 validation_failed
  FrozenVersionError       editing a published or retired version     409 frozen_version
  DefinitionFileError      an import file that cannot be loaded       400 invalid_file

The codes are the documented ones (docs/api.md); a subclass keeps its
parent's unless it says otherwise. This module imports nothing of Waymark, so
every layer (models, runtime, services, doors) may raise these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from engine.core.validation import Problem


class WaymarkError(Exception):
    """Base of Waymark's errors: a message for people, an HTTP status and an error code."""

    status: int = 400
    code: str = "invalid"

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)

    @property
    def detail(self) -> str:
        """The one-line answer a door shows."""
        return self.message

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Each problem with where it is ({"path", "message", ...}); empty when it has no place."""
        return []


# Runtime services ----------------------------------------------------------------------


class EngineError(WaymarkError):
    """What the runtime services (start, complete, cancel, signals...) raise."""


class UnknownProcess(EngineError):
    status = 404
    code = "unknown_process"


class NotPublished(EngineError):
    status = 409
    code = "not_published"


class InvalidData(EngineError):
    status = 400
    code = "invalid"

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self._errors = errors or [{"path": "", "message": message}]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self._errors


class DataTooLarge(InvalidData):
    status = 413
    code = "too_large"

    def __init__(self, size: int, limit: int):
        self.size = size
        self.limit = limit
        super().__init__(
            f"The run data would be {size:,} bytes as JSON; the limit is {limit:,} "
            "(WAYMARK_MAX_DATA_BYTES). Keep large documents elsewhere and store a reference."
        )


class Conflict(EngineError):
    status = 409
    code = "conflict"


class RunNotActive(Conflict):
    code = "run_not_active"


class RunsCannotMove(Conflict):
    """Moving runs to another version refused as a whole; ``.problems`` says where and why."""

    code = "runs_cannot_move"

    def __init__(self, problems: list[dict[str, str]]):
        self.problems = problems
        super().__init__(
            f"No run was moved: {len(problems)} problem(s). "
            + "; ".join(f"{p['path']}: {p['message']}" for p in problems[:5])
        )

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [{"path": p["path"], "message": p["message"]} for p in self.problems]


class IdempotencyKeyReused(EngineError):
    """An Idempotency-Key already used for a start with a different body."""

    status = 422
    code = "idempotency_key_reused"
    run_id: int | None = None  # the run the key started (not for everyone's eyes)


class NotAllowed(EngineError, PermissionDenied):
    status = 403
    code = "permission_denied"


# Definitions ---------------------------------------------------------------------------


class DefinitionError(WaymarkError):
    """A request to change a definition that cannot be honoured, with a clear message."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str = ""):
        self.field = field
        super().__init__(message)

    @property
    def errors(self) -> list[dict[str, Any]]:
        error: dict[str, Any] = {"path": self.field, "message": self.message}
        # A condition that does not parse says where (engine.core.conditions.ConditionError).
        position = getattr(self.__cause__, "position", None)
        if position is not None:
            error["position"] = position
        return [error]


class ValidationFailed(WaymarkError):
    """Publishing was refused because the version has error problems."""

    status = 400
    code = "validation_failed"

    def __init__(self, version: Any, problems: list[Problem]):
        self.version = version
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(
            f"Version {version.number} of {version.process.code!r} has {len(errors)} "
            "problem(s) to fix before it can be published: "
            + "; ".join(p.message for p in errors[:5])
        )

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [
            {"path": p.key or "", "message": p.message, "code": p.code}
            for p in self.problems
            if p.severity == "error"
        ]


class FrozenVersionError(WaymarkError):
    """Raised when something tries to change a published or retired version."""

    status = 409
    code = "frozen_version"

    def __init__(self, version: Any):
        self.version = version
        super().__init__(
            f"Version {version.number} of {version.process.code!r} is {version.status}; "
            "only drafts can be edited. Clone it to make a new draft."
        )


class DefinitionFileError(WaymarkError):
    """A definition file that cannot be imported, with every problem found."""

    status = 400
    code = "invalid_file"

    def __init__(self, problems: list[dict[str, str]]):
        self.problems = problems
        lines = [f"{p['loc']}: {p['message']}" if p["loc"] else p["message"] for p in problems]
        super().__init__("; ".join(lines))

    @property
    def detail(self) -> str:
        return f"The definition cannot be imported: {self.message}"

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [{"path": p.get("loc", ""), "message": p["message"]} for p in self.problems]
