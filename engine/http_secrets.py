"""Named secrets for HTTP tasks' headers: definitions name them, settings hold them.

An HTTP task's headers map a header to a secret *name* (``{"Authorization":
"crm_token"}``); the value lives only in the deployment's settings::

    WAYMARK_HTTP_SECRETS = {
        "crm_token": "env:CRM_TOKEN",      # read from the environment when used
        "billing_key": "Bearer abc...",   # or given as is
    }

A value is looked up when a request is sent and goes only into that request:
never into the definition, the run data, the audit log, an export or an
error message.
"""

from __future__ import annotations

import os

from engine.conf import waymark_setting

ENV_PREFIX = "env:"


class MissingSecret(LookupError):
    """A secret that is not configured (its name, never a value, in the message)."""


def names() -> list[str]:
    """The names of the configured secrets (for the designer's help and checks)."""
    return sorted(str(name) for name in (waymark_setting("HTTP_SECRETS") or {}))


def secret(name: str) -> str:
    """The value of the secret ``name`` (MissingSecret when it is not configured)."""
    configured = waymark_setting("HTTP_SECRETS") or {}
    if name not in configured:
        raise MissingSecret(
            f"the secret {name!r} is not configured (add it to WAYMARK_HTTP_SECRETS)"
        )
    value = str(configured[name])
    if value.startswith(ENV_PREFIX):
        variable = value[len(ENV_PREFIX) :]
        if variable not in os.environ:
            raise MissingSecret(
                f"the secret {name!r} reads the environment variable {variable}, which is not set"
            )
        value = os.environ[variable]
    return value
