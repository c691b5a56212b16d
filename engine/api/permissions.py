"""Who may do what through the API: the same rules as the pages.

Objects a caller may not see are 404 (see engine.api.lookups); an object the
caller sees but may not change is 403 with the permission it needs.
"""

from __future__ import annotations

from rest_framework.exceptions import PermissionDenied

DESIGN = "engine.design_process"
PUBLISH = "engine.publish_process"
MANAGE_RUNS = "engine.manage_runs"
MANAGE_WORKITEMS = "engine.manage_workitems"

WHAT = {
    DESIGN: "design processes",
    PUBLISH: "publish processes",
    MANAGE_RUNS: "manage runs",
    MANAGE_WORKITEMS: "manage workitems",
}


def has(user, perm: str) -> bool:
    return bool(user and (user.is_superuser or user.has_perm(perm)))


def require(user, perm: str, action: str) -> None:
    """Raise 403 unless ``user`` holds ``perm``; the message names what is missing."""
    if not has(user, perm):
        raise PermissionDenied(f"You may not {action}: it needs the '{WHAT[perm]}' permission.")
