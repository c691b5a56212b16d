"""The only writers of process definitions: create, edit drafts, publish, clone, roll back.

The designer, the REST API, the admin, management commands and imports all
call these functions, so every door behaves the same way. Each function runs
in one transaction, locks the version it changes, refuses to touch a frozen
version (``FrozenVersionError``) and records an audit event for lifecycle
changes.

This module is the one name doors import; the work is done, one job each, in
``processes`` (create, edit), ``drafts`` (activities and transitions),
``versions`` (validate, publish, roll back, clone, delete, diff) and
``transfer`` (import, export, undo/redo snapshots).
"""

from __future__ import annotations

from engine.errors import DefinitionError, ValidationFailed
from engine.services.drafts import (
    ACTIVITY_FIELDS,
    TRANSITION_FIELDS,
    add_activity,
    add_transition,
    delete_activity,
    delete_transition,
    move_activity,
    update_activity,
    update_transition,
)
from engine.services.processes import CODE_UNAVAILABLE, create_process, update_process
from engine.services.retry_defaults import set_default_retry
from engine.services.transfer import (
    export_version,
    import_definition,
    import_text,
    restore_snapshot,
)
from engine.services.versions import (
    clone,
    delete_draft,
    diff_versions,
    publish,
    rollback,
    text_conditions,
    validate_version,
)

__all__ = [
    "ACTIVITY_FIELDS",
    "CODE_UNAVAILABLE",
    "TRANSITION_FIELDS",
    "DefinitionError",
    "ValidationFailed",
    "add_activity",
    "add_transition",
    "clone",
    "create_process",
    "delete_activity",
    "delete_draft",
    "delete_transition",
    "diff_versions",
    "export_version",
    "import_definition",
    "import_text",
    "move_activity",
    "publish",
    "restore_snapshot",
    "rollback",
    "set_default_retry",
    "text_conditions",
    "update_activity",
    "update_process",
    "update_transition",
    "validate_version",
]
